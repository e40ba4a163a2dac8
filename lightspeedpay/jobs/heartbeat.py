"""A long-running process's identity and its heartbeat row: each queue worker writes worker_health every
LSP_WORKER_HEARTBEAT_SECONDS (jobs done and failed, resident memory), and a last time with `stopped_at` when it
shuts down cleanly; a worker whose row stops moving is down."""

from __future__ import annotations

import asyncio
import os
import resource
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lightspeedpay.jobs import broadcast
from lightspeedpay.jobs.repository import worker_health_repo
from lightspeedpay.jobs.unit_of_work import unit_of_work
from lightspeedpay.kit.logging import log

Watchdog = Callable[[], Awaitable[Any]]


@dataclass(frozen=True)
class ProcessIdentity:
    """host:pid:start: unique per process (a restarted worker is a new one), readable in a list."""

    host: str
    pid: int
    started_at: datetime

    @property
    def id(self) -> str:
        return f"{self.host}:{self.pid}:{int(self.started_at.timestamp())}"

    @classmethod
    def this_process(cls) -> ProcessIdentity:
        return cls(host=socket.gethostname(), pid=os.getpid(), started_at=datetime.now(UTC))


def rss_bytes() -> int | None:
    """The process's resident memory now (Linux /proc), or its peak where /proc is missing."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        pass
    try:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    except (OSError, ValueError):
        return None
    return peak * 1024 if peak else None  # kilobytes on Linux


@dataclass
class WorkerHeartbeat:
    queues: list[str]
    concurrency: int
    beat_seconds: float
    identity: ProcessIdentity = field(default_factory=ProcessIdentity.this_process)
    jobs_done: int = 0
    jobs_failed: int = 0

    async def beat(self, *, stopped: bool = False) -> None:
        """One write, bounded by the beat interval (at least 2 s): a database that hangs delays a beat, never
        the worker. Failures are logged; the next beat tries again."""
        try:
            async with asyncio.timeout(max(2.0, self.beat_seconds)):
                async with unit_of_work() as session:
                    rss = rss_bytes()
                    await worker_health_repo.beat(
                        session,
                        worker_id=self.identity.id,
                        host=self.identity.host,
                        pid=self.identity.pid,
                        queues=self.queues,
                        concurrency=self.concurrency,
                        beat_seconds=self.beat_seconds,
                        started_at=self.identity.started_at,
                        jobs_done=self.jobs_done,
                        jobs_failed=self.jobs_failed,
                        rss_bytes=rss,
                        stopped=stopped,
                    )
                    broadcast.publish(
                        session, broadcast.WORKERS, "worker", self._view(rss, stopped), key=self.identity.id
                    )
        except Exception as exc:  # noqa: BLE001 - a missed beat is reported by the others' view of us
            log.warning(
                "worker_heartbeat_failed", worker=self.identity.id, error=f"{type(exc).__name__}: {exc}"
            )

    def _view(self, rss: int | None, stopped: bool) -> dict[str, Any]:
        """The beat as the live workers stream shows it: the shape of GET /api/v1/admin/workers' items."""
        now = datetime.now(UTC)
        return {
            "id": self.identity.id,
            "host": self.identity.host,
            "pid": self.identity.pid,
            "queues": list(self.queues),
            "concurrency": self.concurrency,
            "state": "stopped" if stopped else "alive",
            "started_at": self.identity.started_at,
            "last_beat_at": now,
            "beat_seconds": self.beat_seconds,
            "jobs_done": self.jobs_done,
            "jobs_failed": self.jobs_failed,
            "rss_bytes": rss,
            "stopped_at": now if stopped else None,
            "replaced_by": None,
        }

    async def run(
        self, stop: asyncio.Event, *, watchdog: Watchdog | None = None, watchdog_after: float = 0
    ) -> None:
        """Beat now, then every `beat_seconds` until `stop` is set. After each beat, once this process has run
        `watchdog_after` seconds (the others had time to show up), `watchdog()` looks at the processes that
        watch us (the scheduler), bounded like a beat; its failures are logged."""
        started = time.monotonic()
        while not stop.is_set():
            await self.beat()
            if watchdog is not None and time.monotonic() - started >= watchdog_after:
                try:
                    async with asyncio.timeout(max(2.0, self.beat_seconds)):
                        await watchdog()
                except Exception as exc:  # noqa: BLE001 - the watchdog never stops the worker
                    log.warning("worker_watchdog_failed", error=f"{type(exc).__name__}: {exc}")
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.beat_seconds)
            except TimeoutError:
                pass
