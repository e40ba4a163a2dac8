"""The request id and caller address of the work in progress, in context variables.

A middleware sets them for every HTTP request (`X-Request-Id` taken from the caller when it is a sane token,
made otherwise, and sent back); the job runner sets the request id of the request that caused a job, so a job's
log lines, the jobs it queues and the audit rows it writes name the request that started it all. structlog's
context variables carry the id into every log line."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import structlog

HEADER = "X-Request-Id"
_HEADER_BYTES = HEADER.lower().encode()
# what we accept from a caller: a token that is safe in a log line and a header (a UUID, a ULID, "req_…", …)
_ACCEPTED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")

# probes and scrapes come every few seconds; an access line for each would bury the requests that matter
_QUIET_PATHS = frozenset({"/health", "/api/health", "/metrics"})

_log = structlog.get_logger()

_request_id: ContextVar[str | None] = ContextVar("lsp_request_id", default=None)
_client_ip: ContextVar[str | None] = ContextVar("lsp_client_ip", default=None)


def request_id() -> str | None:
    return _request_id.get()


def client_ip() -> str | None:
    return _client_ip.get()


def new_request_id() -> str:
    return "req_" + uuid.uuid4().hex


def accepted(value: str | None) -> str | None:
    """The caller's request id when it is a sane token, else None (a new one is made)."""
    if value and _ACCEPTED.fullmatch(value):
        return value
    return None


@contextmanager
def bound(rid: str | None, ip: str | None = None) -> Iterator[None]:
    """Run a block under a request id (and caller address): context variables and log lines; restored after."""
    rid_token = _request_id.set(rid)
    ip_token = _client_ip.set(ip)
    with structlog.contextvars.bound_contextvars(request_id=rid):
        try:
            yield
        finally:
            _request_id.reset(rid_token)
            _client_ip.reset(ip_token)


class RequestContextMiddleware:
    """Pure ASGI (no BaseHTTPMiddleware: the request runs in the caller's task, so the context variables set here
    are the ones the route sees), for HTTP requests only."""

    def __init__(self, app: Any) -> None:
        from lightspeedpay.config import get_settings

        self.app = app
        self.access_log = get_settings().access_log

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = None
        for name, value in scope.get("headers", ()):
            if name == _HEADER_BYTES:
                given = accepted(value.decode("latin-1").strip())
                break
        rid = given or new_request_id()
        client = scope.get("client")
        ip = client[0] if client else None

        status: list[int] = []
        started = time.perf_counter()

        async def send_with_id(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
                headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() != _HEADER_BYTES]
                headers.append((_HEADER_BYTES, rid.encode()))
                message = {**message, "headers": headers}
            await send(message)

        with bound(rid, ip):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                path = scope.get("path", "")
                if self.access_log and path not in _QUIET_PATHS:
                    _log.info(
                        "request",
                        method=scope.get("method"),
                        path=path,
                        status=status[0] if status else None,
                        duration_ms=round((time.perf_counter() - started) * 1000, 1),
                        client=ip,
                    )
