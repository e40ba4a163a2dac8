"""A loopback stand-in of the WhatsApp Cloud API (Meta's Graph API) for the demo and tests.

It speaks the real wire format: `POST /{version}/{phone_number_id}/messages` with a Bearer token and a
template message, and the token exchange `POST /{version}/oauth/access_token` with a form body
(`grant_type=fb_exchange_token`, `client_id`, `client_secret`, `fb_exchange_token`). Stricter than the Graph API,
it refuses a secret (app secret, token) in a query string with a 400, so that a sender putting one in a URL,
where logs keep it, fails the tests.
Tokens it issues expire after a configurable time; the configured system user token (LSP_WA_ACCESS_TOKEN)
and app credentials (LSP_WA_APP_ID, LSP_WA_APP_SECRET) are the ones it accepts. It can be told to fail:
expire every issued token (401, code 190), answer 5xx, or hang past the sender's timeout.
Control endpoints are under `/_wa/`.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from lightspeedpay.config import get_settings
from lightspeedpay.devtools.faults import CountedFault

DEFAULT_TOKEN_TTL = 5_183_944  # what Meta answers for a long-lived token (about 60 days)


@dataclass
class Faults(CountedFault):
    mode: str | None = None  # "http_5xx", "timeout", "unauthorized"


@dataclass
class StandIn:
    app_id: str
    app_secret: str
    system_token: str
    token_ttl: int = DEFAULT_TOKEN_TTL
    tokens: dict[str, float] = field(default_factory=dict)  # issued token -> expiry (epoch seconds)
    messages: list[dict[str, Any]] = field(default_factory=list)
    token_requests: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    faults: Faults = field(default_factory=Faults)
    exchange_faults: Faults = field(default_factory=Faults)


def _error(
    status: int, message: str, code: int, *, subcode: int | None = None, type_: str = "OAuthException"
) -> JSONResponse:
    err: dict[str, Any] = {
        "message": message,
        "type": type_,
        "code": code,
        "fbtrace_id": secrets.token_urlsafe(9),
    }
    if subcode is not None:
        err["error_subcode"] = subcode
    return JSONResponse(
        {"error": err},
        status_code=status,
        headers={"www-authenticate": 'OAuth "Facebook Platform"'} if status == 401 else None,
    )


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return None


def _invalid_param(detail: str) -> JSONResponse:
    return _error(400, f"(#100) Invalid parameter: {detail}", 100)


_SECRET_PARAMS = ("client_secret", "fb_exchange_token", "access_token")


def _secrets_in_query(request: Request) -> list[str]:
    return [name for name in _SECRET_PARAMS if name in request.query_params]


async def _form(request: Request) -> dict[str, str]:
    """The url-encoded body's fields (the last of a repeated name wins, as in the Graph API)."""
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return {}
    return dict(parse_qsl((await request.body()).decode("utf-8", errors="replace"), keep_blank_values=True))


def create_app() -> FastAPI:
    s = get_settings()
    app = FastAPI(title="WhatsApp Cloud API stand-in", docs_url=None, redoc_url=None)
    state = StandIn(app_id=s.wa_app_id, app_secret=s.wa_app_secret, system_token=s.wa_access_token)
    app.state.wa = state

    def token_state(token: str | None) -> str:
        if not token:
            return "missing"
        if token == state.system_token:
            return "valid"
        expiry = state.tokens.get(token)
        if expiry is None:
            return "unknown"
        return "valid" if expiry > time.time() else "expired"

    def refuse_secrets_in_query(request: Request) -> JSONResponse | None:
        leaked = _secrets_in_query(request)
        if not leaked:
            return None
        state.rejected.append(
            {"reason": "secret_in_query", "params": leaked, "path": request.url.path, "at": time.time()}
        )
        return _invalid_param(
            f"{', '.join(leaked)} must be sent in the request body or the Authorization header, "
            "never in the URL"
        )

    @app.post("/{version}/{phone_number_id}/messages")
    async def messages(version: str, phone_number_id: str, request: Request) -> JSONResponse:
        if (refused := refuse_secrets_in_query(request)) is not None:
            return refused
        token = _bearer(request)
        fault = state.faults.take()
        if fault == "timeout":
            state.rejected.append({"reason": "timeout", "at": time.time()})
            await asyncio.sleep(state.faults.seconds)
            return _error(504, "Request timed out", 2, type_="OAuthException")
        if fault == "http_5xx":
            state.rejected.append({"reason": "http_5xx", "at": time.time()})
            return _error(
                state.faults.status, "An unexpected error has occurred. Please retry your request later.", 2
            )
        checked = token_state(token)
        if fault == "unauthorized" or checked in ("expired", "unknown", "missing"):
            state.rejected.append({"reason": "unauthorized", "token_state": checked, "at": time.time()})
            if checked == "missing":
                return _error(
                    401,
                    "An active access token must be used to query information about the current user.",
                    2500,
                )
            if checked == "unknown":
                return _error(401, "Invalid OAuth access token - Cannot parse access token", 190)
            return _error(401, "Error validating access token: Session has expired.", 190, subcode=463)
        try:
            body = await request.json()
        except ValueError:
            return _invalid_param("the body is not JSON")
        if body.get("messaging_product") != "whatsapp":
            return _invalid_param("messaging_product must be whatsapp")
        to = str(body.get("to") or "")
        if not re.fullmatch(r"\+?\d{8,15}", to):
            return _invalid_param("to must be a phone number with its country code")
        template = body.get("template") or {}
        if (
            body.get("type") != "template"
            or not template.get("name")
            or not (template.get("language") or {}).get("code")
        ):
            return _invalid_param("a template message needs template.name and template.language.code")
        message_id = "wamid." + secrets.token_urlsafe(24)
        state.messages.append(
            {
                "id": message_id,
                "phone_number_id": phone_number_id,
                "version": version,
                "to": to,
                "template": template["name"],
                "language": template["language"]["code"],
                "parameters": [
                    p.get("text")
                    for c in template.get("components", [])
                    if c.get("type") == "body"
                    for p in c.get("parameters", [])
                ],
                "token": token,
                "at": time.time(),
            }
        )
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to.lstrip("+")}],
                "messages": [{"id": message_id, "message_status": "accepted"}],
            }
        )

    @app.api_route("/{version}/oauth/access_token", methods=["GET", "POST"])
    async def access_token(version: str, request: Request) -> JSONResponse:
        if (refused := refuse_secrets_in_query(request)) is not None:
            return refused
        q = {**request.query_params, **await _form(request)}
        state.token_requests.append(
            {
                "method": request.method,
                "grant_type": q.get("grant_type"),
                "client_id": q.get("client_id"),
                "fb_exchange_token": q.get("fb_exchange_token"),
                "at": time.time(),
            }
        )
        if state.exchange_faults.take() == "http_5xx":
            return _error(503, "Service temporarily unavailable", 2)
        if q.get("grant_type") != "fb_exchange_token":
            return _error(400, "Unsupported grant_type", 100)
        if q.get("client_id") != state.app_id:
            return _error(400, "Error validating application. Invalid application ID.", 101)
        if q.get("client_secret") != state.app_secret:
            return _error(400, "Error validating client secret.", 1)
        if token_state(q.get("fb_exchange_token")) != "valid":
            return _error(400, "Error validating access token: Session has expired.", 190, subcode=463)
        token = "EAAG" + secrets.token_urlsafe(32)
        state.tokens[token] = time.time() + state.token_ttl
        return JSONResponse({"access_token": token, "token_type": "bearer", "expires_in": state.token_ttl})

    # ---- control, for tests and the demo

    @app.get("/_wa/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/_wa/messages")
    async def sent(to: str | None = None) -> list[dict[str, Any]]:
        return [m for m in state.messages if to is None or m["to"] == to]

    @app.get("/_wa/token-requests")
    async def token_requests() -> list[dict[str, Any]]:
        return state.token_requests

    @app.get("/_wa/rejected")
    async def rejected() -> list[dict[str, Any]]:
        return state.rejected

    @app.put("/_wa/faults")
    async def faults(request: Request) -> dict[str, Any]:
        """{"mode": "http_5xx" | "timeout" | "unauthorized" | null, "status": 503, "count": N | null,
        "seconds": 15, "expire_tokens": bool, "exchange_5xx": N}"""
        body = await request.json()
        state.faults = Faults(
            mode=body.get("mode"),
            status=int(body.get("status", 503)),
            count=body.get("count"),
            seconds=float(body.get("seconds", 15.0)),
        )
        state.exchange_faults = (
            Faults(mode="http_5xx", count=int(body["exchange_5xx"])) if body.get("exchange_5xx") else Faults()
        )
        if body.get("expire_tokens"):
            now = time.time()
            state.tokens = {t: min(exp, now - 1) for t, exp in state.tokens.items()}
        return {
            "mode": state.faults.mode,
            "count": state.faults.count,
            "tokens_expired": bool(body.get("expire_tokens")),
        }

    @app.put("/_wa/config")
    async def configure(request: Request) -> dict[str, Any]:
        body = await request.json()
        state.token_ttl = int(body.get("token_ttl_seconds", state.token_ttl))
        return {"token_ttl_seconds": state.token_ttl}

    return app
