"""Shared outbound HTTP clients: one per purpose per process (connection reuse, bounded timeouts, never
following redirects)."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from lightspeedpay.config import get_settings

_ALL: list[SharedClient] = []


class SharedClient:
    def __init__(self, timeout_seconds: Callable[[], float]) -> None:
        self._timeout_seconds = timeout_seconds
        self._client: httpx.AsyncClient | None = None
        _ALL.append(self)

    def get(self) -> httpx.AsyncClient:
        if self._client is None or self._client.is_closed:
            timeout = self._timeout_seconds()
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(timeout, connect=min(5.0, timeout)),
                follow_redirects=False,
                limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
            )
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def _psp_timeout() -> float:
    return get_settings().psp_timeout_seconds


_psp = SharedClient(_psp_timeout)


def client() -> httpx.AsyncClient:
    """The client for PSP APIs."""
    return _psp.get()


async def close() -> None:
    """Close every shared client of this process."""
    for shared in _ALL:
        await shared.close()
