"""Loopback helpers for tests that start processes of their own: a free port, and an asynchronous wait for an
HTTP server to answer (asynchronous so that servers running on the test's own event loop, such as a Redis
proxy, keep serving while it waits). Imports nothing of the platform: conftest uses it before the settings."""

from __future__ import annotations

import asyncio
import socket
import time

import httpx


def free_port() -> int:
    """A loopback port nothing listens on (bound and released): for a server to start on, or to be refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_answering(url: str, *, timeout: float = 60, status_below: int = 500) -> None:
    """Wait until `url` answers with a status below `status_below`; AssertionError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=2) as http:
        while True:
            try:
                if (await http.get(url)).status_code < status_below:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"{url} did not answer within {timeout:.0f} s")
            await asyncio.sleep(0.2)
