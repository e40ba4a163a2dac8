"""One shared outbound HTTP client per process (connection reuse, bounded timeouts)."""

from __future__ import annotations

import httpx

_client: httpx.AsyncClient | None = None


def client() -> httpx.AsyncClient:
    global _client
    if _client is None or _client.is_closed:
        from lightspeedpay.config import get_settings

        timeout = get_settings().psp_timeout_seconds
        _client = httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=5.0), follow_redirects=False,
                                    limits=httpx.Limits(max_connections=200, max_keepalive_connections=50))
    return _client


async def close() -> None:
    global _client
    if _client is not None:
        await _client.aclose()
        _client = None
