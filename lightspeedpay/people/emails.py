"""The emails of identity: what each says, in plain text and HTML. Links open the consoles' pages under
`LSP_EMAIL_LINK_BASE_URL`, which post the token to the API (POST /api/v1/auth/...)."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from urllib.parse import urlencode

from lightspeedpay.config import get_settings


@dataclass(frozen=True)
class Mail:
    subject: str
    text: str
    html: str


def link(page: str, token: str) -> str:
    return f"{get_settings().email_link_base}{page}?{urlencode({'token': token})}"


def _mail(subject: str, paragraphs: list[str], *, action: tuple[str, str] | None = None) -> Mail:
    """A message of a few paragraphs and at most one button (label, URL)."""
    text = "\n\n".join(paragraphs)
    html_parts = [f"<p>{escape(p)}</p>" for p in paragraphs]
    if action is not None:
        label, url = action
        text += f"\n\n{label}: {url}"
        html_parts.append(f'<p><a href="{escape(url, quote=True)}">{escape(label)}</a></p>')
    text += "\n\n— LightSpeedPay"
    html = "<html><body>" + "".join(html_parts) + "<p>— LightSpeedPay</p></body></html>"
    return Mail(subject, text, html)


def verify_email(token: str, *, hours: float) -> Mail:
    return _mail(
        "Confirm your email address",
        [
            "Confirm your email address to finish setting up your LightSpeedPay account.",
            f"The link works once, for {hours:g} hours. If you did not sign up, ignore this email.",
        ],
        action=("Confirm your email", link("/auth/verify-email", token)),
    )


def signup_attempt() -> Mail:
    return _mail(
        "Someone tried to sign up with your email address",
        [
            "Someone tried to create a LightSpeedPay account with this email address, which already has one.",
            "If it was you, log in instead, or reset your password if you have forgotten it. If not, you need do "
            "nothing: no account was created.",
        ],
        action=("Log in", f"{get_settings().email_link_base}/auth/login"),
    )


def reset_password(token: str, *, minutes: float) -> Mail:
    return _mail(
        "Reset your LightSpeedPay password",
        [
            "Someone (we hope you) asked to reset the password of your LightSpeedPay account.",
            f"The link works once, for {minutes:g} minutes. If you did not ask, ignore this email: your password "
            "stays as it is.",
        ],
        action=("Choose a new password", link("/auth/reset-password", token)),
    )


def password_changed() -> Mail:
    return _mail(
        "Your LightSpeedPay password was changed",
        [
            "The password of your LightSpeedPay account was just reset, and every session was logged out.",
            "If you did not do this, reset your password at once and tell your administrator.",
        ],
    )


def invitation(token: str, *, place: str, role: str, invited_by: str, days: float) -> Mail:
    return _mail(
        f"You are invited to {place} on LightSpeedPay",
        [
            f"{invited_by} invited you to join {place} on LightSpeedPay as {role}.",
            f"The invitation works once, for {days:g} days.",
        ],
        action=("Accept the invitation", link("/auth/invitations/accept", token)),
    )


def role_changed(*, place: str, before: str, after: str, by: str) -> Mail:
    return _mail(
        f"Your role at {place} changed",
        [f"{by} changed your role at {place} on LightSpeedPay from {before} to {after}."],
    )


def removed(*, place: str, by: str) -> Mail:
    return _mail(
        f"You were removed from {place}",
        [f"{by} removed you from {place} on LightSpeedPay. You can no longer act for it."],
    )
