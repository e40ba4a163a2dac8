"""Security headers on every response (issue 10), and the rate limiter's RateLimit-* fields.

Every response: `X-Content-Type-Options: nosniff`, `Referrer-Policy: strict-origin-when-cross-origin`, and in
production `Strict-Transport-Security`. A Content-Security-Policy unless the route set its own (the hosted
checkout does: a nonce for its inline script and style, and `frame-ancestors` = the merchant's registered origins):
HTML gets a strict page policy that may not be framed; everything else (JSON, JavaScript, files) gets
`default-src 'none'; frame-ancestors 'none'`, since nothing it loads should run as a page. FastAPI's own
/docs and /redoc load Swagger UI and ReDoc from a CDN with inline script: they get a policy allowing that.

No CORS header is sent here: only the checkout answers browsers from other origins (checkout.cors).

The rate limiter leaves its decision's header fields on the request state (`rate_limit_headers`); they are added
to whatever answers, a 429 included. Pure ASGI, like the request-context middleware."""

from __future__ import annotations

from typing import Any

PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'"
)
NON_PAGE_CSP = "default-src 'none'; frame-ancestors 'none'"
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src 'self' https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com; "
    "worker-src 'self' blob:; object-src 'none'; frame-ancestors 'none'"
)
DOCS_PATHS = frozenset({"/docs", "/redoc", "/docs/oauth2-redirect"})

_CSP = b"content-security-policy"


class SecurityHeadersMiddleware:
    def __init__(self, app: Any, *, hsts_max_age: int | None = None) -> None:
        self.app = app
        self.fixed: list[tuple[bytes, bytes]] = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"strict-origin-when-cross-origin"),
        ]
        if hsts_max_age:
            self.fixed.append((b"strict-transport-security", f"max-age={hsts_max_age}".encode()))

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": self._headers(scope, list(message.get("headers", ())))}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _headers(
        self, scope: dict[str, Any], headers: list[tuple[bytes, bytes]]
    ) -> list[tuple[bytes, bytes]]:
        names = {name.lower() for name, _ in headers}
        headers.extend(pair for pair in self.fixed if pair[0] not in names)
        if _CSP not in names:
            if scope.get("path") in DOCS_PATHS:
                policy = DOCS_CSP
            else:
                content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                policy = PAGE_CSP if content_type.startswith(b"text/html") else NON_PAGE_CSP
            headers.append((_CSP, policy.encode()))
            headers.append((b"x-frame-options", b"DENY"))  # for browsers that do not read frame-ancestors
        limited = (scope.get("state") or {}).get("rate_limit_headers")
        if limited:
            headers.extend((k.lower().encode(), v.encode()) for k, v in limited.items())
        return headers
