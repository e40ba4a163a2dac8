"""BullMQ workers: each job carries only an intent id; the runner does the rest. The process heartbeats into
worker_health (jobs.heartbeat)."""

from __future__ import annotations

import asyncio
import signal
import uuid
from typing import Any

from bullmq import Worker

from lightspeedpay.config import get_settings
from lightspeedpay.jobs import queues, registry, runner
from lightspeedpay.jobs.heartbeat import Watchdog, WorkerHeartbeat
from lightspeedpay.kit import http
from lightspeedpay.kit.logging import log


def blocking_safe_url(redis_url: str) -> str:
    """redis-py >= 8 reads with a 5 s socket timeout by default, and BullMQ blocks on BZPOPMIN for up to 10 s
    while waiting for a delayed job: the read timed out, redis-py retried for minutes, and delayed jobs (every
    retry with a back-off of 5 s or more) sat in Redis. Give the worker's connections more than BullMQ's block."""
    if "socket_timeout=" in redis_url:
        return redis_url
    return redis_url + ("&" if "?" in redis_url else "?") + "socket_timeout=30"


def _processor(heartbeat: WorkerHeartbeat) -> Any:
    async def process(job: Any, _token: str) -> str:
        try:
            outcome = await runner.run_intent(uuid.UUID(job.data["intent_id"]))
        except BaseException:
            heartbeat.jobs_failed += 1
            raise
        heartbeat.jobs_done += 1
        return outcome

    return process


async def run(queue_names: list[str] | None = None, *, watchdog: Watchdog | None = None) -> None:
    """`watchdog`: run after each heartbeat once the scheduler had time to show up (the entry point passes the
    scheduler-down rule; jobs imports no domain)."""
    settings = get_settings()
    registry.load_all()
    names = queue_names or list(queues.QUEUE_NAMES)
    opts = {
        "connection": blocking_safe_url(settings.redis_url),
        "prefix": settings.queue_prefix,
        "concurrency": settings.worker_concurrency,
        "lockDuration": settings.worker_lock_ms,
        "stalledInterval": settings.worker_lock_ms,
        "maxStalledCount": 3,
        "settings": {"backoffStrategy": queues.job_backoff_ms},
    }
    heartbeat = WorkerHeartbeat(
        queues=names, concurrency=settings.worker_concurrency, beat_seconds=settings.worker_heartbeat_seconds
    )
    # BullMQ names each worker's Redis connection after it, so Queue.get_workers() can be matched to our rows
    opts["name"] = heartbeat.identity.id
    process = _processor(heartbeat)
    workers = [Worker(name, process, dict(opts)) for name in names]
    log.info(
        "worker_started", worker=heartbeat.identity.id, queues=names, concurrency=settings.worker_concurrency
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    grace = settings.worker_down_after_beats * settings.scheduler_heartbeat_seconds
    beating = asyncio.create_task(
        heartbeat.run(stop, watchdog=watchdog, watchdog_after=grace), name="worker-heartbeat"
    )
    await stop.wait()
    log.info("worker_stopping")
    await asyncio.gather(*(w.close() for w in workers), return_exceptions=True)
    await asyncio.gather(beating, return_exceptions=True)
    await heartbeat.beat(stopped=True)  # after the last job, so its counts are final
    await queues.close()
    await http.close()
