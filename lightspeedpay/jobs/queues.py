"""BullMQ queues on one bounded Redis connection pool per process."""

from __future__ import annotations

import asyncio
from typing import Any

import redis.asyncio as redis
from bullmq import Queue

from lightspeedpay.config import get_settings
from lightspeedpay.kit import retry
from lightspeedpay.kit.logging import log

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
    opts = _job_options(intent_id, delay_ms)
    bound = get_settings().job_push_timeout_seconds
    try:
        async with asyncio.timeout(bound):
            await queue(queue_name).add(job_name, {"intent_id": intent_id}, opts)
    except TimeoutError:
        raise TimeoutError(f"Redis did not take the job within {bound:g} s") from None


def _job_options(intent_id: str, delay_ms: int = 0) -> dict[str, Any]:
    opts = dict(JOB_OPTIONS, jobId=intent_id, attempts=retry.job().max_attempts)
    if delay_ms > 0:
        opts["delay"] = delay_ms
    return opts


class _Gathered:
    """Pushes handed over by the hot path, sent in batches by one task per process: each batch is every push
    handed over since the last one began, one pipeline (BullMQ's `addBulk`) per queue, bounded as one push is.
    Nothing waits for them: the intents are committed already, so a push lost with the process, or refused by
    Redis, is the outbox sweeper's to make. Under load the batches grow on their own, and the per-job cost of
    the client and of the round trip is shared; at one request at a time a batch holds one job, sent as soon as
    the request has answered."""

    def __init__(self) -> None:
        self._waiting: dict[str, list[tuple[str, str]]] = {}
        self._task: asyncio.Task[None] | None = None

    def add(self, queue_name: str, job_name: str, intent_id: str) -> None:
        self._waiting.setdefault(queue_name, []).append((job_name, intent_id))
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._send(), name="job-pushes")

    async def _send(self) -> None:
        bound = get_settings().job_push_timeout_seconds
        while self._waiting:
            batch, self._waiting = self._waiting, {}
            for queue_name, jobs in batch.items():
                try:
                    async with asyncio.timeout(bound):
                        if len(jobs) == 1:  # a pipeline would add MULTI, EXEC and redis-py's SCRIPT EXISTS
                            name, intent_id = jobs[0]
                            await queue(queue_name).add(
                                name, {"intent_id": intent_id}, _job_options(intent_id)
                            )
                        else:
                            await queue(queue_name).addBulk(
                                [
                                    {"name": name, "data": {"intent_id": i}, "opts": _job_options(i)}
                                    for name, i in jobs
                                ]
                            )
                except Exception as exc:  # noqa: BLE001 - the intents are durable; the sweeper pushes them
                    log.warning(
                        "job_push_failed",
                        queue=queue_name,
                        jobs=len(jobs),
                        error=str(exc) or type(exc).__name__,
                        left_to_sweeper=len(jobs),
                    )

    async def drain(self) -> None:
        """Send what is waiting (the process is stopping)."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)
        self._task = None


_gathered = _Gathered()


def push_soon(queue_name: str, job_name: str, intent_id: str) -> None:
    """Hand one committed intent to BullMQ without waiting for it (see _Gathered): for the hot path, where the
    answer should not wait for Redis and many pushes share a round trip."""
    _gathered.add(queue_name, job_name, intent_id)


async def close() -> None:
    global _redis
    await _gathered.drain()
    for q in _queues.values():
        await q.close()
    _queues.clear()
    if _redis is not None:
        await _redis.aclose()
        _redis = None
