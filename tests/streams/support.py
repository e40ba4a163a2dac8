"""SSE clients for the stream tests: each reads one stream in a task of its own and keeps every event with the
time it arrived."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from httpx_sse import aconnect_sse

from lightspeedpay.config import get_settings


def admin_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {get_settings().admin_token}"}


@dataclass
class Received:
    event: str
    data: Any
    at: float  # time.time() when it arrived


@dataclass(eq=False)
class Listener:
    """One client of one stream. `status` is the HTTP status once the answer started; `ended` once it ended."""

    http: httpx.AsyncClient
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    events: list[Received] = field(default_factory=list)
    status: int | None = None
    ended: bool = False
    task: asyncio.Task[None] | None = None

    def start(self) -> Listener:
        self.task = asyncio.create_task(self._run())
        return self

    async def _run(self) -> None:
        try:
            async with aconnect_sse(self.http, "GET", self.url, headers=dict(self.headers)) as source:
                self.status = source.response.status_code
                if self.status != 200:
                    return
                async for sse in source.aiter_sse():
                    self.events.append(
                        Received(sse.event, json.loads(sse.data) if sse.data else None, time.time())
                    )
        finally:
            self.ended = True

    def of(self, event: str) -> list[Received]:
        return [e for e in self.events if e.event == event]

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
                await self.task


async def stop_all(listeners: list[Listener]) -> None:
    await asyncio.gather(*(listener.stop() for listener in listeners))


async def until(condition: Callable[[], bool], *, timeout: float, what: str, every: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(every)
