"""BullMQ queues on one bounded Redis connection pool per process."""

from __future__ import annotations

import asyncio
from typing import Any

import redis.asyncio as redis
from bullmq import Queue

from lightspeedpay.config import get_settings
from lightspeedpay.kit import retry

TRANSACTION_PROCESSING = "transaction-processing"
WEBHOOK_PROCESSING = "webhook-processing"
MERCHANT_WEBHOOKS = "merchant-webhooks"
WHATSAPP_NOTIFICATIONS = "whatsapp-notifications"
SETTLEMENTS = "settlements"
REFUNDS = "refunds"
SLACK_NOTIFICATIONS = "slack-notifications"  # alerts to the operator's Slack
KYC = "kyc"  # onboarding checks with outside providers: the penny drop
EMAIL_NOTIFICATIONS = "email-notifications"  # invitations, verification, password resets (SMTP)
QUEUE_NAMES = (
    TRANSACTION_PROCESSING,
    WEBHOOK_PROCESSING,
    MERCHANT_WEBHOOKS,
    WHATSAPP_NOTIFICATIONS,
    SETTLEMENTS,
    REFUNDS,
    SLACK_NOTIFICATIONS,
    KYC,
    EMAIL_NOTIFICATIONS,
)

# BullMQ keeps a bounded tail of finished jobs for monitoring; PostgreSQL keeps the history. A job whose handler
# raises is run again by BullMQ after the `job` retry policy's wait (kit/retry.py), as many times as the policy
# allows: the same count after which the runner marks its intent failed.
JOB_OPTIONS: dict[str, Any] = {
    "backoff": {"type": "lsp_retry_policy"},
    "removeOnComplete": {"count": 1000},
    "removeOnFail": {"count": 5000},
}


def job_backoff_ms(attempts_made: int, *_: Any) -> int:
    """BullMQ's custom back-off (the workers' `settings.backoffStrategy`): the `job` policy's wait, or -1 (fail
    the job now) when it has no retry left."""
    wait = retry.job().wait(attempts_made)
    return -1 if wait is None else max(1, int(wait * 1000))


_redis: redis.Redis | None = None
_queues: dict[str, Queue] = {}


def redis_client() -> redis.Redis:
    """A blocking pool: under load callers wait for a connection instead of failing after their DB commit.
    Reads and connects are bounded by our settings rather than by the client library's defaults (redis-py before
    8 waited forever): a Redis that accepts connections and stops answering must not hang a request. Nothing on
    this pool blocks on purpose; BullMQ workers read with connections of their own (jobs.worker)."""
    global _redis
    if _redis is None:
        s = get_settings()
        pool = redis.BlockingConnectionPool.from_url(
            s.redis_url,
            max_connections=s.redis_max_connections,
            timeout=10,
            decode_responses=True,
            socket_timeout=s.redis_socket_timeout_seconds,
            socket_connect_timeout=s.redis_connect_timeout_seconds,
        )
        _redis = redis.Redis(connection_pool=pool)
    return _redis


def queue(name: str) -> Queue:
    if name not in _queues:
        _queues[name] = Queue(name, {"connection": redis_client(), "prefix": get_settings().queue_prefix})
    return _queues[name]


async def push(queue_name: str, job_name: str, intent_id: str, *, delay_ms: int = 0) -> None:
    """Hand one intent to BullMQ, within LSP_JOB_PUSH_TIMEOUT_SECONDS all told (a pooled connection, a connect,
    several commands); raises TimeoutError past it. The job id is the intent id, so a push that timed out after
    Redis took it and the sweeper's later push make one job, not two."""
    opts = dict(JOB_OPTIONS, jobId=intent_id, attempts=retry.job().max_attempts)
    if delay_ms > 0:
        opts["delay"] = delay_ms
    bound = get_settings().job_push_timeout_seconds
    try:
        async with asyncio.timeout(bound):
            await queue(queue_name).add(job_name, {"intent_id": intent_id}, opts)
    except TimeoutError:
        raise TimeoutError(f"Redis did not take the job within {bound:g} s") from None


async def close() -> None:
    global _redis
    for q in _queues.values():
        await q.close()
    _queues.clear()
    if _redis is not None:
        await _redis.aclose()
        _redis = None
