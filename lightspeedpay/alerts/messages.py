"""An alert as a Slack message (incoming-webhook JSON: `text`, the notification's fallback, and Block Kit
`blocks`), when it opens and when it is resolved. Times are shown in IST."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from lightspeedpay.config import get_settings
from lightspeedpay.models import Alert

IST = ZoneInfo("Asia/Kolkata")
_ICON = {"critical": ":red_circle:", "warning": ":large_orange_circle:", "info": ":large_blue_circle:"}
_HEADER_MAX, _SECTION_MAX = 150, 3000  # Block Kit's limits


def _escape(value: str) -> str:
    """Slack's mrkdwn control characters (&, <, >) as entities: an alert's text never becomes a link or mention."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def ist(at: datetime) -> str:
    return at.astimezone(IST).strftime("%d %b %Y, %H:%M:%S IST")


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"


def _context(alert: Alert, when: str) -> dict[str, Any]:
    link = f"{get_settings().public_base_url.rstrip('/')}/api/v1/admin/alerts/{alert.id}"
    return {
        "type": "context",
        "elements": [
            {
                "type": "mrkdwn",
                "text": f"`{_escape(alert.kind)}` · {alert.severity} · {when} · alert <{link}|{alert.id}>",
            }
        ],
    }


def opened(alert: Alert) -> tuple[str, list[dict[str, Any]]]:
    icon = _ICON.get(alert.severity, ":bell:")
    text = f"{icon} {alert.severity.upper()}: {alert.title}"
    blocks = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": _cut(f"{alert.severity.upper()}: {alert.title}", _HEADER_MAX),
            },
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": _cut(_escape(alert.message), _SECTION_MAX)}},
        _context(alert, f"opened {ist(alert.opened_at)}"),
    ]
    return text, blocks


def resolved(alert: Alert) -> tuple[str, list[dict[str, Any]]]:
    text = f":white_check_mark: Resolved: {alert.title}"
    assert alert.resolved_at is not None
    lasted = _duration((alert.resolved_at - alert.opened_at).total_seconds())
    by = "the condition cleared" if alert.resolved_by == "system" else f"resolved by {alert.resolved_by}"
    body = _escape(f"{by}; open for {lasted}.")
    if alert.resolved_note:
        body += "\n>" + _escape(alert.resolved_note).replace("\n", "\n>")
    blocks = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": _cut(f"Resolved: {alert.title}", _HEADER_MAX)},
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": _cut(body, _SECTION_MAX)}},
        _context(alert, f"resolved {ist(alert.resolved_at)}"),
    ]
    return text, blocks
