"""Refuses a NUL character in the URL (path or query) before any route runs: PostgreSQL text cannot hold one,
so an id or a filter carrying it could only end in a database error (a 500). One check for every route."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from lightspeedpay import http_errors as errors
from lightspeedpay.errors import AppError, NotFound, ValidationFailed


class RejectNulInUrl:
    """Pure ASGI middleware (no body buffering); the error is rendered in the shape of the face the path
    belongs to (ours, or Razorpay's under /v1)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            problem = _problem(scope)
            if problem is not None:
                await errors.render(scope["path"], problem)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _problem(scope: Scope) -> AppError | None:
    if "\x00" in scope["path"]:  # already percent-decoded by the server
        return NotFound("Nothing exists at a path with a NUL character (%00) in it.")
    query: bytes = scope.get("query_string") or b""
    if b"%00" in query or b"\x00" in query:
        for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if "\x00" in name or "\x00" in value:
                field = name if "\x00" not in name else None
                return ValidationFailed(
                    f"The query parameter {field or ''} must not contain a NUL character (%00).".replace(
                        "  ", " "
                    ),
                    field=field,
                )
    return None
