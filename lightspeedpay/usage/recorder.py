"""Counting requests without a write per request: the middleware adds each merchant request to an in-memory
cell (merchant, IST day, route template, status) holding a count and a latency histogram, and a background task
of the API process adds the cells to the rollup every LSP_USAGE_FLUSH_SECONDS and at shutdown. A process killed
outright loses at most one interval of counts; a flush that fails keeps its cells for the next one, up to
MAX_FAILED_FLUSHES in a row; counts of a merchant deleted meanwhile are left out."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import structlog

from lightspeedpay.config import get_settings
from lightspeedpay.db import sessionmaker
from lightspeedpay.usage import histogram
from lightspeedpay.usage.repository import usage_repo

log = structlog.get_logger()
IST = ZoneInfo("Asia/Kolkata")
# cells kept when flushes keep failing (the database is down): past this, new cells are dropped and counted
MAX_CELLS = 100_000
# flushes in a row that may fail before the counts kept for them are given up (a minute at the default 5 s)
MAX_FAILED_FLUSHES = 12
CONSOLE_PREFIX = "/dashboard"

Key = tuple[uuid.UUID, date, str, int]


@dataclass
class Cell:
    count: int = 0
    duration_ms_sum: float = 0.0
    buckets: list[int] = field(default_factory=lambda: [0] * histogram.SIZE)

    def add(self, other: Cell) -> None:
        self.count += other.count
        self.duration_ms_sum += other.duration_ms_sum
        self.buckets = [a + b for a, b in zip(self.buckets, other.buckets, strict=True)]


class UsageRecorder:
    def __init__(self) -> None:
        self._cells: dict[Key, Cell] = {}
        self.dropped = 0
        self._failures = 0
        self._lock = asyncio.Lock()

    def record(
        self, client_id: uuid.UUID, route: str, status: int, duration_ms: float, *, at: datetime | None = None
    ) -> None:
        day = (at or datetime.now(UTC)).astimezone(IST).date()
        key = (client_id, day, route[:200], status)
        cell = self._cells.get(key)
        if cell is None:
            if len(self._cells) >= MAX_CELLS:
                self.dropped += 1
                return
            cell = self._cells[key] = Cell()
        cell.count += 1
        cell.duration_ms_sum += duration_ms
        cell.buckets[histogram.bucket(duration_ms)] += 1

    async def flush(self) -> int:
        """Add the counted cells to the rollup in one transaction; the number of rows written."""
        async with self._lock:
            cells, self._cells = self._cells, {}
            if not cells:
                return 0
            rows = [
                {
                    "client_id": client_id,
                    "day": day,
                    "route": route,
                    "status": status,
                    "count": cell.count,
                    "duration_ms_sum": round(cell.duration_ms_sum),
                    "latency_buckets": cell.buckets,
                    "bucket_layout": histogram.LAYOUT,
                }
                for (client_id, day, route, status), cell in sorted(cells.items(), key=lambda kv: str(kv[0]))
            ]
            try:
                async with sessionmaker()() as session:
                    written = await usage_repo.add(session, rows)
                    await session.commit()
            except Exception as exc:  # the database is away: keep the counts for the next flush, for a while
                self._failures += 1
                if self._failures >= MAX_FAILED_FLUSHES:
                    self.dropped += sum(cell.count for cell in cells.values())
                    log.error("usage_counts_dropped", error=type(exc).__name__, cells=len(cells))
                    self._failures = 0
                    return 0
                for key, cell in cells.items():
                    kept = self._cells.setdefault(key, Cell())
                    kept.add(cell)
                log.warning("usage_flush_failed", error=type(exc).__name__, cells=len(cells))
                return 0
            self._failures = 0
            return written

    async def run(self) -> None:
        """The API process's flush loop (cancelled at shutdown, which flushes once more)."""
        every = get_settings().usage_flush_seconds
        while True:
            await asyncio.sleep(every)
            await self.flush()


usage_recorder = UsageRecorder()


class UsageMiddleware:
    """Counts every API request that a merchant's credential or person made, under its route template (the matched
    route's path, so /api/v1/transactions/{transaction_id} is one route whatever the id), after the response
    has been sent. Pure ASGI."""

    def __init__(self, app: Any, recorder: UsageRecorder = usage_recorder) -> None:
        self.app = app
        self.recorder = recorder

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: list[int] = []

        async def send_with_status(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            merchant = (scope.get("state") or {}).get("merchant")
            route = scope.get("route")
            path = getattr(route, "path", "?")
            # the merchant console's own pages (/dashboard/...) are not API requests, though a person acts there
            if merchant is not None and route is not None and status and not path.startswith(CONSOLE_PREFIX):
                template = f"{scope.get('method')} {path}"
                self.recorder.record(merchant.id, template, status[0], (time.perf_counter() - started) * 1000)


@contextlib.asynccontextmanager
async def flushing() -> Any:
    """Run the flush loop for the life of the API process, and flush what is left when it stops."""
    task = asyncio.create_task(usage_recorder.run(), name="usage-flush")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await usage_recorder.flush()
