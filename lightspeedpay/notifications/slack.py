"""Slack's incoming webhooks, as Slack speaks them.

`POST <webhook URL>` with a JSON body `{"text": "…", "blocks": [...]}` (Block Kit; `text` is the notification's
fallback). Slack answers `200` with the body `ok`; an error is a status with a short plain-text reason:
`400 invalid_payload` / `no_text`, `403 invalid_token` / `action_prohibited`, `404 no_service` (the webhook was
removed), `410 channel_is_archived`, `429` with `Retry-After` (about one message a second per webhook), `500
rollup_error`. 5xx, 429 and network errors are worth a retry; the other refusals are not.

The URL is the credential (its path holds the token): it is never logged nor put in an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from lightspeedpay.config import get_settings
from lightspeedpay.kit.http import SharedClient


def _slack_timeout() -> float:
    return get_settings().slack_timeout_seconds


_shared = SharedClient(_slack_timeout)
_http = _shared.get
close = _shared.close


@dataclass(frozen=True)
class SlackResult:
    ok: bool
    status_code: int | None = None
    error: str | None = None
    retryable: bool = False  # 5xx, 429, a timeout or a network error
    retry_after: float | None = None  # seconds, from a 429's Retry-After


def _retry_after(resp: httpx.Response) -> float | None:
    try:
        return float(resp.headers["retry-after"])
    except (KeyError, ValueError):
        return None


class SlackWebhook:
    def configured(self) -> bool:
        return bool(get_settings().slack_webhook_url)

    async def post(self, payload: dict[str, Any]) -> SlackResult:
        """One attempt."""
        url = get_settings().slack_webhook_url
        try:
            resp = await _http().post(url, json=payload)
        except httpx.TimeoutException as exc:
            return SlackResult(False, error=f"timeout: {type(exc).__name__}", retryable=True)
        except httpx.HTTPError as exc:
            # the exception's text may quote the URL, which is a secret: its type says enough
            return SlackResult(False, error=f"network error: {type(exc).__name__}", retryable=True)
        if resp.status_code == 200:
            return SlackResult(True, 200)
        reason = resp.text.strip()[:200] or resp.reason_phrase
        return SlackResult(
            False,
            resp.status_code,
            error=f"HTTP {resp.status_code}: {reason}",
            retryable=resp.status_code >= 500 or resp.status_code == 429,
            retry_after=_retry_after(resp) if resp.status_code == 429 else None,
        )


slack_webhook = SlackWebhook()
