"""Prometheus `/metrics`: what the processes of this host counted (kit/metrics.py, summed over every process in
prometheus_client's multiprocess mode) and figures read at scrape time from Redis and PostgreSQL — BullMQ job
counts, pending job intents, breaker states — reused for LSP_METRICS_CACHE_SECONDS so a scrape stays cheap.

The multiprocess directory is one per running platform on a host. `prepare` (called by the CLI before a process
imports prometheus_client) sets PROMETHEUS_MULTIPROC_DIR and empties the directory when no process of the
platform is alive any more; processes that died are marked dead (their live gauges dropped; what they counted
stays, as counters must)."""

from __future__ import annotations

import asyncio
import atexit
import fcntl
import hashlib
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from lightspeedpay.config import Settings, get_settings
from lightspeedpay.db import sessionmaker
from lightspeedpay.jobs import queues
from lightspeedpay.kit.logging import log
from lightspeedpay.monitoring.repository import metrics_repo

ENV = "PROMETHEUS_MULTIPROC_DIR"
# BullMQ's job states, as getJobCounts names them
QUEUE_STATES = (
    "waiting",
    "active",
    "delayed",
    "prioritized",
    "waiting-children",
    "completed",
    "failed",
    "paused",
)
_MARKER = "live-"
_LIVE_GAUGE = re.compile(r"gauge_live\w*?_(\d+)\.db$")


# ---- the multiprocess directory -------------------------------------------------------------------------------


def directory(settings: Settings | None = None) -> Path:
    """LSP_METRICS_DIR, or one directory per platform (its database: the source of truth names the platform,
    whatever Redis or proxy a process reaches it through) under the temp dir: two platforms on one machine
    never add up each other's figures."""
    s = settings or get_settings()
    if s.metrics_dir:
        return Path(s.metrics_dir)
    key = hashlib.sha256(s.database_url.encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"lightspeedpay-metrics-{key}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def prepare(settings: Settings | None = None) -> Path:
    """Before this process (and the uvicorn workers it starts) imports prometheus_client: point it at the
    platform's directory, empty that directory if none of the processes that registered in it is alive (a fresh
    start of the platform), else forget the dead ones; then register this process until it exits."""
    path = directory(settings)
    path.mkdir(parents=True, exist_ok=True)
    os.environ[ENV] = str(path)
    from prometheus_client import multiprocess

    with open(path / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # processes starting together: one empties, the others see it in use
        registered = [
            (int(m.name[len(_MARKER) :]), m)
            for m in path.glob(f"{_MARKER}*")
            if m.name[len(_MARKER) :].isdigit()
        ]
        if not any(_alive(pid) for pid, _ in registered):
            for stale in [*path.glob("*.db"), *(m for _, m in registered)]:
                stale.unlink(missing_ok=True)
        else:
            for pid, marker in registered:
                if not _alive(pid):
                    multiprocess.mark_process_dead(pid, str(path))
                    marker.unlink(missing_ok=True)
        me = os.getpid()
        (path / f"{_MARKER}{me}").touch()

    def leave() -> None:
        # a process stopped by a signal (uvicorn re-raises SIGTERM after its shutdown) or killed leaves its
        # marker behind: it names a dead pid, which counts for nothing at the next start
        (path / f"{_MARKER}{me}").unlink(missing_ok=True)
        process_exited()

    atexit.register(leave)
    return path


def process_exited() -> None:
    """This process's live gauges leave the sums (a clean exit; one that was killed is found by `_reap`)."""
    path = os.environ.get(ENV)
    if path:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(os.getpid(), path)


def _reap(path: str) -> None:
    """Mark the processes whose live gauges are still on disk but that are gone (killed) as dead."""
    from prometheus_client import multiprocess

    for entry in os.scandir(path):
        found = _LIVE_GAUGE.match(entry.name)
        if found and not _alive(int(found.group(1))):
            multiprocess.mark_process_dead(int(found.group(1)), path)


def serve_counts(host: str, port: int) -> None:
    """The counters and histograms of this host's processes over HTTP, for a host with workers and no API (the
    scrape-time figures come from any API host: they are the same everywhere). Blocks until stopped."""
    import signal

    from prometheus_client import CollectorRegistry, start_http_server
    from prometheus_client.multiprocess import MultiProcessCollector

    path = os.environ[ENV]

    class _Reaping(MultiProcessCollector):
        def collect(self):  # type: ignore[no-untyped-def]
            _reap(path)
            return super().collect()

    registry = CollectorRegistry()
    _Reaping(registry, path=path)
    stop = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop)  # before the server's thread starts: it inherits the mask
    start_http_server(port, addr=host, registry=registry)
    log.info("metrics_server_started", host=host, port=port, directory=path)
    signal.sigwait(stop)  # then return: the process leaves the directory cleanly


# ---- figures read at scrape time --------------------------------------------------------------------------------


@dataclass
class Snapshot:
    queue_jobs: dict[tuple[str, str], int] = field(default_factory=dict)
    queue_paused: dict[str, int] = field(default_factory=dict)
    intents_pending: dict[tuple[str, str], int] = field(default_factory=dict)
    intents_open: dict[tuple[str, str], int] = field(default_factory=dict)
    gateways: list[tuple[str, str, bool, bool, int]] = field(default_factory=list)
    up: dict[str, int] = field(default_factory=dict)


class MetricsService:
    def __init__(self) -> None:
        self._snapshot: Snapshot | None = None
        self._until = 0.0
        self._lock = asyncio.Lock()

    async def snapshot(self) -> Snapshot:
        """The scrape-time figures, read at most once per LSP_METRICS_CACHE_SECONDS by this process (concurrent
        scrapes share one read)."""
        async with self._lock:
            if self._snapshot is None or time.monotonic() > self._until:
                self._snapshot = await self._read()
                self._until = time.monotonic() + get_settings().metrics_cache_seconds
            return self._snapshot

    async def _read(self) -> Snapshot:
        snap = Snapshot()
        try:
            async with asyncio.timeout(2):
                for name in queues.QUEUE_NAMES:
                    q = queues.queue(name)
                    counts = await q.getJobCounts(*QUEUE_STATES)
                    for state in QUEUE_STATES:
                        snap.queue_jobs[(name, state)] = int(counts.get(state) or 0)
                    snap.queue_paused[name] = int(bool(await q.isPaused()))
            snap.up["redis"] = 1
        except Exception as exc:  # noqa: BLE001 - a scrape reports what it could read
            snap.up["redis"] = 0
            log.warning("metrics_read_failed", source="redis", error=f"{type(exc).__name__}: {exc}")
        try:
            async with sessionmaker()() as session:
                snap.intents_pending = await metrics_repo.pending_intents(session)
                snap.intents_open = await metrics_repo.open_intents(session)
                snap.gateways = await metrics_repo.gateway_states(session)
            snap.up["postgresql"] = 1
        except Exception as exc:  # noqa: BLE001
            snap.up["postgresql"] = 0
            log.warning("metrics_read_failed", source="postgresql", error=f"{type(exc).__name__}: {exc}")
        return snap

    async def render(self) -> bytes:
        """The text exposition: every process's counters and histograms, then the scrape-time figures."""
        from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
        from prometheus_client.core import GaugeMetricFamily
        from prometheus_client.multiprocess import MultiProcessCollector

        snap = await self.snapshot()
        path = os.environ.get(ENV)
        if path:
            _reap(path)
            counted = CollectorRegistry()
            MultiProcessCollector(counted, path=path)
        else:
            counted = REGISTRY  # one process (no CLI set the directory up): its own figures

        queue_jobs = GaugeMetricFamily(
            "lsp_queue_jobs", "BullMQ jobs per queue and state (getJobCounts).", labels=["queue", "state"]
        )
        for (name, state), n in sorted(snap.queue_jobs.items()):
            queue_jobs.add_metric([name, state], n)
        paused = GaugeMetricFamily("lsp_queue_paused", "1 when the queue is paused.", labels=["queue"])
        for name, flag in sorted(snap.queue_paused.items()):
            paused.add_metric([name], flag)
        intents = GaugeMetricFamily(
            "lsp_job_intents_pending",
            "Job intents not done yet in PostgreSQL (the source of truth), by queue and task.",
            labels=["queue", "task"],
        )
        for (name, task), n in sorted(snap.intents_pending.items()):
            intents.add_metric([name, task], n)
        unfinished = GaugeMetricFamily(
            "lsp_job_intents",
            "Job intents not completed, by queue and status (pending, failed, parked, discarded).",
            labels=["queue", "status"],
        )
        for (name, status), n in sorted(snap.intents_open.items()):
            unfinished.add_metric([name, status], n)
        breaker = GaugeMetricFamily(
            "lsp_gateway_breaker_open",
            "1 when the gateway's circuit breaker is open (temp_failed).",
            labels=["gateway", "provider"],
        )
        failures = GaugeMetricFamily(
            "lsp_gateway_consecutive_failures",
            "Technical failures in a row counted on the gateway's breaker.",
            labels=["gateway", "provider"],
        )
        active = GaugeMetricFamily(
            "lsp_gateway_active",
            "1 when the gateway takes payments (is_active).",
            labels=["gateway", "provider"],
        )
        for name, provider, is_active, tripped, streak in snap.gateways:
            breaker.add_metric([name, provider], int(tripped))
            failures.add_metric([name, provider], streak)
            active.add_metric([name, provider], int(is_active))
        up = GaugeMetricFamily(
            "lsp_metrics_source_up",
            "1 when the last scrape-time read of the source worked.",
            labels=["source"],
        )
        for source, flag in sorted(snap.up.items()):
            up.add_metric([source], flag)

        class _Read:
            def collect(self) -> list[GaugeMetricFamily]:
                return [queue_jobs, paused, intents, unfinished, breaker, failures, active, up]

        read = CollectorRegistry(auto_describe=False)
        read.register(_Read())  # type: ignore[arg-type]
        return generate_latest(counted) + generate_latest(read)


metrics_service = MetricsService()


def content_type() -> str:
    from prometheus_client import CONTENT_TYPE_LATEST

    return str(CONTENT_TYPE_LATEST)


__all__ = ["ENV", "content_type", "directory", "metrics_service", "prepare", "process_exited"]
