"""One signed HTTP POST of an event to an endpoint, and what came back. No database here."""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass

import httpx

from lightspeedpay.config import get_settings
from lightspeedpay.kit import standard_webhooks
from lightspeedpay.kit.http import SharedClient
from lightspeedpay.webhooks import rules, targets

EXCERPT_BYTES = 1024
USER_AGENT = "LightSpeedPay-Webhooks/1.0"


def _webhook_timeout() -> float:
    return get_settings().webhook_timeout_seconds


# redirects are never followed (SharedClient never does): a 3xx is a failed attempt, and following one could
# reach any address
_shared = SharedClient(_webhook_timeout)
http = _shared.get
close = _shared.close


@dataclass(frozen=True)
class Request:
    url: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    response_excerpt: str | None
    error: str | None
    latency_ms: int
    retry_after: float | None  # seconds, from the receiver's Retry-After
    refused: bool = False  # we did not send: the target is not allowed

    @property
    def verdict(self) -> rules.Verdict:
        return rules.Verdict.FINAL if self.refused else rules.verdict(self.status_code)


def build_request(
    url: str, *, msg_id: str, body: bytes, secrets: list[str], timestamp: int | None = None
) -> Request:
    """Standard Webhooks headers; during a secret rotation one signature per secret, the newest first."""
    ts = int(time.time()) if timestamp is None else timestamp
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": standard_webhooks.signature_header(secrets, msg_id, ts, body),
    }
    return Request(url=url, headers=headers, body=body)


async def send(request: Request) -> Outcome:
    s = get_settings()
    started = time.perf_counter()

    def elapsed() -> int:
        return int((time.perf_counter() - started) * 1000)

    try:
        target = await targets.resolve(
            request.url,
            allow_private=bool(s.webhook_allow_private_targets),
            timeout=s.webhook_timeout_seconds,
        )
    except targets.TargetRefused as exc:
        return Outcome(None, None, f"refused: {exc}", elapsed(), None, refused=True)
    except (OSError, TimeoutError) as exc:  # socket.gaierror is an OSError
        kind = "DNS lookup failed" if isinstance(exc, socket.gaierror) else type(exc).__name__
        return Outcome(None, None, f"{kind}: {exc}"[:500], elapsed(), None)
    except httpx.InvalidURL as exc:
        return Outcome(None, None, f"refused: invalid URL: {exc}", elapsed(), None, refused=True)
    try:
        async with http().stream(
            "POST",
            target.url,
            content=request.body,
            headers={**request.headers, **target.headers},
            extensions=target.extensions or None,
        ) as resp:
            excerpt = bytearray()
            async for chunk in resp.aiter_bytes():
                excerpt += chunk
                if len(excerpt) >= EXCERPT_BYTES:
                    break  # a receiver's body is only logged; never read an unbounded one
            code = resp.status_code
            text = bytes(excerpt[:EXCERPT_BYTES]).decode("utf-8", "replace")
            error = None if 200 <= code < 300 else _http_error(resp)
            return Outcome(
                code, text, error, elapsed(), rules.retry_after_seconds(resp.headers.get("retry-after"))
            )
    except httpx.HTTPError as exc:
        detail = str(exc) or type(exc).__name__
        return Outcome(None, None, f"{type(exc).__name__}: {detail}"[:500], elapsed(), None)


def _http_error(resp: httpx.Response) -> str:
    if resp.is_redirect:
        return f"HTTP {resp.status_code} (redirect to {resp.headers.get('location', '?')} not followed)"[:500]
    return f"HTTP {resp.status_code}"
