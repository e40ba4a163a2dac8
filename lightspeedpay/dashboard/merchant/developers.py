"""The merchant console's Developers section (as Stripe's Workbench and Razorpay's API keys page): the API key of
the page's mode with its secrets masked, regeneration with a grace period for the old secret (the new one shown
once, after a recent login), the key's IP allowlist; API usage per day, route and status with error rate and
latency; the checkout's allowed origins. Everything through the services the JSON API calls
(`credential_service`, `usage_service`, `merchant_service`), which audit each change.

Also includes the routers of the section's other pages (webhooks, team, settings and WhatsApp notices), so the
console registers one router for them."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.auth.principal import MerchantAuth
from lightspeedpay.dashboard import charts, errors, forms, i18n, web
from lightspeedpay.dashboard.merchant import actions, settings, team, webhooks
from lightspeedpay.dashboard.merchant.guard import merchant_page
from lightspeedpay.errors import ValidationFailed
from lightspeedpay.identity.deps import require_recent_login, require_verified_email
from lightspeedpay.merchants.credentials import MAX_GRACE_SECONDS, credential_service
from lightspeedpay.merchants.schemas import AccountSettingsUpdate, IpAllowlistUpdate, RegenerateRequest
from lightspeedpay.merchants.service import merchant_service
from lightspeedpay.merchants.settings import account_settings_service
from lightspeedpay.models.api_credential import Mode
from lightspeedpay.models.client import KycStatus
from lightspeedpay.sessions import ReadSession, WriteSession
from lightspeedpay.usage.service import usage_service

router = APIRouter()
_ = web._lazy
KeyReader = Annotated[MerchantAuth, merchant_page("credentials:read")]
KeyWriter = Annotated[MerchantAuth, merchant_page("credentials:write")]
UsageReader = Annotated[MerchantAuth, merchant_page("usage:read")]
SettingsReader = Annotated[MerchantAuth, merchant_page("settings:read")]
SettingsWriter = Annotated[MerchantAuth, merchant_page("settings:write")]

errors.CODE_MESSAGES.setdefault(
    "TOO_MANY_SECRETS",
    _("This key has too many working secrets. Regenerate with “now”, or wait for a grace period to end."),
)
errors.CODE_MESSAGES.setdefault(
    "SECRET_ALREADY_REVEALED",
    _("This secret was already shown once and is not shown again. Regenerate it to get a new one."),
)
errors.CODE_MESSAGES.setdefault("NO_SECRET_YET", _("This key has no secret yet. Generate one first."))
errors.CODE_MESSAGES.setdefault(
    "EMAIL_NOT_VERIFIED", _("Confirm your email address first: open the link we sent you.")
)

# how long the replaced secret keeps working: the choices the page offers (the service takes 0 to 24 hours)
GRACE_CHOICES: tuple[tuple[int, str], ...] = (
    (0, _("Now: the old secret stops working at once (for a leaked secret)")),
    (3600, _("In 1 hour")),
    (86_400, _("In 24 hours: time to deploy the new secret everywhere")),
)
assert all(0 <= seconds <= MAX_GRACE_SECONDS for seconds, _label in GRACE_CHOICES)
KEY_NOTICES = {"allowlist": _("The IP allowlist is saved.")}


def keys_path(mode: str) -> str:
    return f"{web.merchant_base(mode)}/developers/keys"


async def _keys(session: AsyncSession, merchant: MerchantAuth) -> dict[str, Any]:
    client, _wallet = await merchant_service.account(session, merchant.id)
    credential, secrets = None, []
    for found, its_secrets in await credential_service.listing(session, merchant.id):
        if found.mode == merchant.mode:
            credential, secrets = found, its_secrets
    # the current secret first, then those in a grace period, the one that works longest first
    secrets.sort(key=lambda s: (s.expires_at is not None, -(s.expires_at or s.created_at).timestamp()))
    usable = bool(secrets) and (merchant.mode == Mode.TEST or client.kyc_status == KycStatus.ACTIVATED)
    return {
        "credential": credential,
        "secrets": secrets,
        "usable": usable,
        "grace_choices": GRACE_CHOICES,
        "shown": None,
    }


@router.get("/dashboard/{mode}/developers/keys", summary="Your API key in this mode, its secrets masked")
async def keys(request: Request, merchant: KeyReader, session: ReadSession) -> HTMLResponse:
    context = await _keys(session, merchant)
    context["notice"] = actions.done_notice(request, KEY_NOTICES)
    return web.page(request, "merchant/keys.html", context, merchant=merchant)


def _grace(raw: str) -> int:
    try:
        return int(raw.strip() or "0")
    except ValueError:
        raise ValidationFailed(
            "grace_period_seconds must be a whole number of seconds.", field="grace_period_seconds"
        ) from None


@router.post(
    "/dashboard/{mode}/developers/keys/regenerate",
    summary="A new secret for this mode's key, shown once; the old one works for the grace period chosen",
)
async def regenerate(request: Request, merchant: KeyWriter, session: WriteSession) -> Response:
    body = forms.validated(
        RegenerateRequest,
        {
            "mode": merchant.mode,
            "grace_period_seconds": _grace(await actions.form_text(request, "grace_period_seconds")),
        },
    )

    async def act(m: MerchantAuth) -> Any:
        require_recent_login(m.authenticated_at, is_person=m.user_id is not None)
        require_verified_email(m)
        return await credential_service.regenerate(
            session, m.id, body.mode, grace_seconds=body.grace_period_seconds, actor=m.actor
        )

    done = await actions.recently(
        request,
        session,
        merchant,
        act,
        post_to=f"{keys_path(merchant.mode)}/regenerate",
        target="#keys-body",
        title=i18n.gettext(_("Regenerating a secret needs a recent login.")),
    )
    if isinstance(done, Response):
        return done
    note = None
    if done.previous_expires_at is not None and body.grace_period_seconds == 0:
        note = i18n.gettext(_("The previous secret no longer works."))
    elif done.previous_expires_at is not None:
        note = i18n.gettext(_("The previous secret keeps working until %(when)s.")) % {
            "when": i18n.when(done.previous_expires_at)
        }
    context = await _keys(session, merchant)
    context["shown"] = _shown("regenerated", done.credential.key_id, done.secret, note)
    return actions.answer(
        request,
        merchant,
        page="merchant/keys.html",
        body="merchant/_keys_body.html",
        context=context,
        back_to=keys_path(merchant.mode),
        shows_secret=True,
    )


def _shown(what: str, key_id: str, secret: str, note: str | None) -> dict[str, Any]:
    label = i18n.gettext(_("Key secret for %(key)s")) % {"key": key_id}
    return {"what": what, "once": True, "items": [{"label": label, "secret": secret, "note": note}]}


@router.post(
    "/dashboard/{mode}/developers/keys/reveal",
    summary="Show this mode's current key secret in full, once (after a recent login)",
)
async def reveal(request: Request, merchant: KeyWriter, session: WriteSession) -> Response:
    async def act(m: MerchantAuth) -> Any:
        return await credential_service.reveal(session, m, m.mode)

    done = await actions.recently(
        request,
        session,
        merchant,
        act,
        post_to=f"{keys_path(merchant.mode)}/reveal",
        target="#keys-body",
        title=i18n.gettext(_("Showing a secret needs a recent login.")),
    )
    if isinstance(done, Response):
        return done
    context = await _keys(session, merchant)
    context["shown"] = _shown("revealed", done.credential.key_id, done.secret, None)
    return actions.answer(
        request,
        merchant,
        page="merchant/keys.html",
        body="merchant/_keys_body.html",
        context=context,
        back_to=keys_path(merchant.mode),
        shows_secret=True,
    )


def split_entries(text: str) -> list[str]:
    """One entry a line (commas and spaces separate too); blank lines dropped."""
    return [part for part in re.split(r"[\s,]+", text) if part]


@router.post(
    "/dashboard/{mode}/developers/keys/ip-allowlist",
    summary="Accept this mode's key only from these IP addresses or networks (empty: anywhere)",
)
async def ip_allowlist(request: Request, merchant: KeyWriter, session: WriteSession) -> Response:
    body = forms.validated(
        IpAllowlistUpdate,
        {"cidrs": split_entries(await actions.form_text(request, "cidrs", max_length=5000))},
    )

    async def act(m: MerchantAuth) -> Any:
        require_recent_login(m.authenticated_at, is_person=m.user_id is not None)
        return await credential_service.set_ip_allowlist(session, m.id, m.mode, body.cidrs, actor=m.actor)

    done = await actions.recently(
        request,
        session,
        merchant,
        act,
        post_to=f"{keys_path(merchant.mode)}/ip-allowlist",
        target="#keys-body",
        title=i18n.gettext(_("Changing the IP allowlist needs a recent login.")),
    )
    if isinstance(done, Response):
        return done
    return actions.answer(
        request,
        merchant,
        page="merchant/keys.html",
        body="merchant/_keys_body.html",
        context=await _keys(session, merchant),
        back_to=keys_path(merchant.mode),
        done="allowlist",
        notice=i18n.gettext(KEY_NOTICES["allowlist"]),
    )


# ---- API usage -------------------------------------------------------------------------------------------------


def _day_chart(report: Any) -> dict[str, str]:
    """Every day of the range, a day without requests at zero (the rollup has rows only for days with some)."""
    found = {d.day: d for d in report.days}
    days = [report.from_date + timedelta(days=i) for i in range((report.to_date - report.from_date).days + 1)]
    x = [charts.unix(f"{day.isoformat()}T00:00:00+05:30") for day in days]
    day_label = i18n.gettext(_("Day"))
    rows = [found.get(day) for day in days]
    requests = charts.spec(
        x,
        [
            (i18n.gettext(_("Requests")), [d.requests if d else 0 for d in rows]),
            (i18n.gettext(_("Errors")), [d.errors if d else 0 for d in rows]),
        ],
        x_label=day_label,
    )
    latency = charts.spec(
        x,
        [
            (i18n.gettext(_("p50 latency (ms)")), [d.p50_ms if d else None for d in rows]),
            (i18n.gettext(_("p95 latency (ms)")), [d.p95_ms if d else None for d in rows]),
        ],
        x_label=day_label,
        styles=(None, {"dash": [6, 4]}),
    )
    return {"requests": requests, "latency": latency}


@router.get("/dashboard/{mode}/developers/usage", summary="Your API requests per day, route and status")
async def usage(request: Request, merchant: UsageReader, session: ReadSession) -> HTMLResponse:
    q = request.query_params
    first = forms.optional_date(q.get("from"), "from")
    last = forms.optional_date(q.get("to"), "to")
    report = await usage_service.report(session, merchant.id, first, last)
    statuses = sorted({r.status for r in report.rows})
    by_route_status: dict[str, dict[int, int]] = {}
    for row in report.rows:
        counts = by_route_status.setdefault(row.route, {})
        counts[row.status] = counts.get(row.status, 0) + row.requests
    context = {
        "report": report,
        "charts": _day_chart(report),
        "statuses": statuses,
        "by_route_status": by_route_status,
        "days": list(reversed(report.days)),
    }
    return web.page(request, "merchant/usage.html", context, merchant=merchant)


# ---- checkout origins --------------------------------------------------------------------------------------------


ORIGIN_NOTICES = {"saved": _("The allowed origins are saved.")}


def checkout_path(mode: str) -> str:
    return f"{web.merchant_base(mode)}/developers/checkout"


@router.get(
    "/dashboard/{mode}/developers/checkout", summary="The sites allowed to embed and call your checkout"
)
async def checkout_origins(request: Request, merchant: SettingsReader, session: ReadSession) -> HTMLResponse:
    client = await account_settings_service.get(session, merchant)
    context = {
        "origins": list(client.checkout_origins),
        "notice": actions.done_notice(request, ORIGIN_NOTICES),
    }
    return web.page(request, "merchant/checkout_origins.html", context, merchant=merchant)


@router.post(
    "/dashboard/{mode}/developers/checkout",
    summary="Change the sites allowed to embed and call your checkout (one origin a line)",
)
async def save_checkout_origins(
    request: Request, merchant: SettingsWriter, session: WriteSession
) -> Response:
    entries = split_entries(await actions.form_text(request, "origins", max_length=5000))
    body = forms.validated(AccountSettingsUpdate, {"checkout_origins": entries})
    client = await account_settings_service.update(
        session, merchant, {"checkout_origins": body.checkout_origins}
    )
    return actions.answer(
        request,
        merchant,
        page="merchant/checkout_origins.html",
        body="merchant/_origins_body.html",
        context={"origins": list(client.checkout_origins)},
        back_to=checkout_path(merchant.mode),
        done="saved",
        notice=i18n.gettext(ORIGIN_NOTICES["saved"]),
    )


# the section's other pages, registered with this router (one line in the console's list of routers)
for _section in (webhooks.router, team.router, settings.router):
    router.include_router(_section)
