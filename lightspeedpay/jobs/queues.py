"""BullMQ queues on one bounded Redis connection pool per process."""

from __future__ import annotations

from typing import Any

import redis.asyncio as redis
from bullmq import Queue

from lightspeedpay.config import get_settings

TRANSACTION_PROCESSING = "transaction-processing"
WEBHOOK_PROCESSING = "webhook-processing"
MERCHANT_WEBHOOKS = "merchant-webhooks"
WHATSAPP_NOTIFICATIONS = "whatsapp-notifications"
SETTLEMENTS = "settlements"
REFUNDS = "refunds"
QUEUE_NAMES = (TRANSACTION_PROCESSING, WEBHOOK_PROCESSING, MERCHANT_WEBHOOKS, WHATSAPP_NOTIFICATIONS, SETTLEMENTS,
               REFUNDS)

# BullMQ keeps a bounded tail of finished jobs for monitoring; PostgreSQL keeps the history.
JOB_OPTIONS: dict[str, Any] = {
    "attempts": 5,
    "backoff": {"type": "exponential", "delay": 1000},
    "removeOnComplete": {"count": 1000},
    "removeOnFail": {"count": 5000},
}

_redis: redis.Redis | None = None
_queues: dict[str, Queue] = {}


def redis_client() -> redis.Redis:
    """A blocking pool: under load callers wait for a connection instead of failing after their DB commit."""
    global _redis
    if _redis is None:
        s = get_settings()
        pool = redis.BlockingConnectionPool.from_url(s.redis_url, max_connections=s.redis_max_connections,
                                                     timeout=10, decode_responses=True)
        _redis = redis.Redis(connection_pool=pool)
    return _redis


def queue(name: str) -> Queue:
    if name not in _queues:
        _queues[name] = Queue(name, {"connection": redis_client(), "prefix": get_settings().queue_prefix})
    return _queues[name]


async def push(queue_name: str, job_name: str, intent_id: str, *, delay_ms: int = 0) -> None:
    opts = dict(JOB_OPTIONS, jobId=intent_id)
    if delay_ms > 0:
        opts["delay"] = delay_ms
    await queue(queue_name).add(job_name, {"intent_id": intent_id}, opts)


async def close() -> None:
    global _redis
    for q in _queues.values():
        await q.close()
    _queues.clear()
    if _redis is not None:
        await _redis.aclose()
        _redis = None
