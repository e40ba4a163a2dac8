"""The WhatsApp Cloud API, as Meta's Graph API speaks it.

Send: `POST {base}/{version}/{phone_number_id}/messages` with `Authorization: Bearer <access token>` and a
template message body; the answer is `{"messaging_product", "contacts": [{"input", "wa_id"}], "messages":
[{"id": "wamid…"}]}`, an error is `{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`
(an expired token: HTTP 401, code 190). Tokens: `POST {base}/{version}/oauth/access_token` with the form
`grant_type=fb_exchange_token&client_id&client_secret&fb_exchange_token` answers `{"access_token", "token_type",
"expires_in"}` (the Graph API takes the same parameters in a GET query string, but a URL is logged by proxies and
HTTP libraries: the app secret and the token go in the body). Access tokens are stored encrypted with their
expiry, refreshed before they expire and once when the API answers 401.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from lightspeedpay.config import get_settings
from lightspeedpay.db import sessionmaker
from lightspeedpay.kit import crypto
from lightspeedpay.kit.http import SharedClient
from lightspeedpay.kit.logging import log
from lightspeedpay.models import WhatsAppProviderToken
from lightspeedpay.notifications.repository import provider_token_repo


def _wa_timeout() -> float:
    return get_settings().wa_timeout_seconds


_shared = SharedClient(_wa_timeout)
_http = _shared.get
close = _shared.close


@dataclass(frozen=True)
class SendResult:
    ok: bool
    status_code: int | None = None
    message_id: str | None = None
    error: str | None = None
    retryable: bool = False  # 5xx, 429, a timeout or a network error
    unauthorized: bool = False  # 401: the access token expired or was revoked


class TokenError(Exception):
    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


def template_message(to: str, template: str, language: str, parameters: list[str]) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "template",
        "template": {
            "name": template,
            "language": {"code": language},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": p} for p in parameters]}],
        },
    }


def _error_text(resp: httpx.Response) -> str:
    try:
        err = resp.json().get("error") or {}
    except ValueError:
        return f"HTTP {resp.status_code}: {resp.text[:200]}"
    code = (
        f" (code {err.get('code')}" + (f"/{err['error_subcode']}" if err.get("error_subcode") else "") + ")"
    )
    return f"HTTP {resp.status_code}: {err.get('message') or resp.reason_phrase}{code if err.get('code') else ''}"


class CloudApi:
    def _url(self, path: str) -> str:
        s = get_settings()
        return f"{s.wa_base_url.rstrip('/')}/{s.wa_api_version}/{path}"

    async def send_template(
        self, token: str, *, to: str, template: str, language: str, parameters: list[str]
    ) -> SendResult:
        url = self._url(f"{get_settings().wa_phone_number_id}/messages")
        try:
            resp = await _http().post(
                url,
                json=template_message(to, template, language, parameters),
                headers={"Authorization": f"Bearer {token}"},
            )
        except httpx.TimeoutException as exc:
            return SendResult(False, error=f"timeout: {type(exc).__name__}", retryable=True)
        except httpx.HTTPError as exc:
            return SendResult(False, error=f"{type(exc).__name__}: {exc}"[:500], retryable=True)
        if 200 <= resp.status_code < 300:
            messages = resp.json().get("messages") or [{}]
            return SendResult(True, resp.status_code, message_id=messages[0].get("id"))
        return SendResult(
            False,
            resp.status_code,
            error=_error_text(resp),
            retryable=resp.status_code >= 500 or resp.status_code == 429,
            unauthorized=resp.status_code == 401,
        )

    async def exchange_token(self, token: str) -> tuple[str, int]:
        s = get_settings()
        form = {
            "grant_type": "fb_exchange_token",
            "client_id": s.wa_app_id,
            "client_secret": s.wa_app_secret,
            "fb_exchange_token": token,
        }
        try:
            # secrets in the body, never in the URL (see the module's docstring)
            resp = await _http().post(self._url("oauth/access_token"), data=form)
        except httpx.HTTPError as exc:
            raise TokenError(f"token exchange failed: {type(exc).__name__}", retryable=True) from None
        if resp.status_code != 200:
            raise TokenError(
                f"token exchange refused: {_error_text(resp)}", retryable=resp.status_code >= 500
            )
        body = resp.json()
        return str(body["access_token"]), int(body.get("expires_in") or 3600)


class TokenStore:
    """The newest stored access token; obtained, refreshed and stored under an advisory lock, in a DB
    transaction of its own (a new token is good whatever becomes of the message being sent)."""

    def __init__(self, api: CloudApi) -> None:
        self.api = api

    async def access_token(self, *, rejected: str | None = None) -> str:
        """A token good for a while; `rejected` is one the API just answered 401 to, to be replaced."""
        s = get_settings()
        async with sessionmaker()() as session:
            await provider_token_repo.lock_refresh(session)
            latest = await provider_token_repo.latest(session)
            now = datetime.now(UTC)
            current = _readable(latest.token_enc) if latest is not None else None
            if current is None:
                latest = None  # none yet, or under an encryption key since retired: obtain a new one
            if latest is not None and current != rejected:
                if latest.expires_at > now + timedelta(seconds=s.wa_refresh_before_seconds):
                    return current  # type: ignore[return-value]
                if rejected is not None and latest.expires_at > now:
                    return current  # type: ignore[return-value]  # another sender already replaced it
            if latest is None:
                reason = "bootstrap"
            elif rejected is not None:
                reason = "unauthorized"
            else:
                reason = "before_expiry"
            # an unexpired token is exchanged for a fresh one; otherwise the system user's token is used
            sources = (
                [current] if current and latest and latest.expires_at > now and current != rejected else []
            )
            sources.append(s.wa_access_token)
            error: TokenError | None = None
            for source in sources:
                try:
                    token, expires_in = await self.api.exchange_token(source)  # type: ignore[arg-type]
                    break
                except TokenError as exc:
                    error = exc
            else:
                assert error is not None
                raise error
            session.add(
                WhatsAppProviderToken(
                    id=uuid.uuid4(),
                    token_enc=crypto.encrypt(token),
                    expires_at=now + timedelta(seconds=expires_in),
                    reason=reason,
                )
            )
            await session.commit()
            log.info("whatsapp_token_refreshed", reason=reason, expires_in=expires_in)
            return token


def _readable(token_enc: str) -> str | None:
    try:
        return crypto.decrypt(token_enc)
    except Exception:  # noqa: BLE001 - an unknown key id or a token that does not decrypt is no token
        return None


class WhatsAppSender:
    def __init__(self) -> None:
        self.api = CloudApi()
        self.tokens = TokenStore(self.api)

    async def send(self, *, to: str, template: str, language: str, parameters: list[str]) -> SendResult:
        """One attempt; a 401 gets one token refresh and one more try."""
        try:
            token = await self.tokens.access_token()
        except TokenError as exc:
            return SendResult(False, error=str(exc), retryable=exc.retryable)
        result = await self.api.send_template(
            token, to=to, template=template, language=language, parameters=parameters
        )
        if not result.unauthorized:
            return result
        log.info("whatsapp_unauthorized", error=result.error)
        try:
            token = await self.tokens.access_token(rejected=token)
        except TokenError as exc:
            return SendResult(
                False, result.status_code, error=f"{result.error}; {exc}", retryable=exc.retryable
            )
        again = await self.api.send_template(
            token, to=to, template=template, language=language, parameters=parameters
        )
        if again.unauthorized:
            return SendResult(False, again.status_code, error=f"{again.error} (after a token refresh)")
        return again


whatsapp_sender = WhatsAppSender()
