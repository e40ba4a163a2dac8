"""CORS for the hosted checkout, the one part of the API a browser calls from a merchant's site: a request to
`/checkout/{order_id}/…` from an origin the order's merchant registered (clients.checkout_origins) gets
`Access-Control-Allow-Origin: <that origin>`, and its preflight is answered; any other origin, and every other
route, gets no CORS header at all (the browser then refuses the cross-origin read). No credentials are allowed:
the checkout's routes take the order's key in the URL, never a cookie."""

from __future__ import annotations

import time
from typing import Any

from lightspeedpay.checkout.service import checkout_service
from lightspeedpay.config import get_settings
from lightspeedpay.db import sessionmaker

ALLOWED_METHODS = "GET, POST"
ALLOWED_HEADERS = "Content-Type"
PREFLIGHT_MAX_AGE = "600"
PREFIX = "/checkout/"


class CheckoutCorsMiddleware:
    def __init__(self, app: Any) -> None:
        self.app = app
        self._cache: dict[str, tuple[float, list[str]]] = {}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        origin = _header(scope, b"origin")
        if origin is None:
            await self.app(scope, receive, send)
            return
        order_id = path[len(PREFIX) :].split("/", 1)[0]
        allowed = origin in await self._origins(order_id)
        if scope["method"] == "OPTIONS" and _header(scope, b"access-control-request-method") is not None:
            await _preflight(
                send, origin if allowed else None, _header(scope, b"access-control-request-method")
            )
            return
        if not allowed:
            await self.app(scope, receive, send)
            return

        async def send_with_cors(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v) for k, v in message.get("headers", ()) if not k.lower().startswith(b"access-")
                ]
                headers += [(b"access-control-allow-origin", origin.encode()), (b"vary", b"Origin")]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_cors)

    async def _origins(self, order_id: str) -> list[str]:
        now = time.monotonic()
        hit = self._cache.get(order_id)
        if hit and hit[0] > now:
            return hit[1]
        async with sessionmaker()() as session:
            origins = await checkout_service.registered_origins(session, order_id)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[order_id] = (now + get_settings().merchant_cache_seconds, origins)
        return origins


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def _preflight(send: Any, origin: str | None, method: str | None) -> None:
    """204 with the CORS fields for a registered origin asking for GET or POST; 403 without any otherwise."""
    if origin is None or (method or "").upper() not in ("GET", "POST"):
        headers = [(b"content-length", b"0"), (b"vary", b"Origin")]
        await send({"type": "http.response.start", "status": 403, "headers": headers})
    else:
        headers = [
            (b"access-control-allow-origin", origin.encode()),
            (b"access-control-allow-methods", ALLOWED_METHODS.encode()),
            (b"access-control-allow-headers", ALLOWED_HEADERS.encode()),
            (b"access-control-max-age", PREFLIGHT_MAX_AGE.encode()),
            (b"vary", b"Origin"),
        ]
        await send({"type": "http.response.start", "status": 204, "headers": headers})
    await send({"type": "http.response.body", "body": b""})
