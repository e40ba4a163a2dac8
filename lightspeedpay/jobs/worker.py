"""BullMQ workers: each job carries only an intent id; the runner does the rest."""

from __future__ import annotations

import asyncio
import signal
import uuid
from typing import Any

from bullmq import Worker

from lightspeedpay.config import get_settings
from lightspeedpay.jobs import queues, registry, runner
from lightspeedpay.kit import http
from lightspeedpay.kit.logging import log


def blocking_safe_url(redis_url: str) -> str:
    """redis-py >= 8 reads with a 5 s socket timeout by default, and BullMQ blocks on BZPOPMIN for up to 10 s
    while waiting for a delayed job: the read timed out, redis-py retried for minutes, and delayed jobs (every
    retry with a back-off of 5 s or more) sat in Redis. Give the worker's connections more than BullMQ's block."""
    if "socket_timeout=" in redis_url:
        return redis_url
    return redis_url + ("&" if "?" in redis_url else "?") + "socket_timeout=30"


async def _process(job: Any, _token: str) -> str:
    return await runner.run_intent(uuid.UUID(job.data["intent_id"]))


async def run(queue_names: list[str] | None = None) -> None:
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
    workers = [Worker(name, _process, dict(opts)) for name in names]
    log.info("worker_started", queues=names, concurrency=settings.worker_concurrency)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("worker_stopping")
    await asyncio.gather(*(w.close() for w in workers), return_exceptions=True)
    await queues.close()
    await http.close()
