"""Job intents: written in the caller's DB transaction, handed to BullMQ only after it commits."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.jobs import queues, registry
from lightspeedpay.kit import request_context
from lightspeedpay.kit.logging import log
from lightspeedpay.models import JobIntent
from lightspeedpay.models.job_intent import JobIntentStatus

_PENDING = "lsp_pending_jobs"


def enqueue(session: AsyncSession, name: str, *, delay_seconds: float = 0, **payload: Any) -> JobIntent:
    """Write the intent for the task registered as `name`; the registry knows its queue."""
    queue = registry.queue_of(name)
    intent = JobIntent(
        id=uuid.uuid4(),
        queue=queue,
        name=name,
        payload=payload,
        status=JobIntentStatus.PENDING,
        attempts=0,
        run_after=datetime.now(UTC) + timedelta(seconds=delay_seconds),
        request_id=request_context.request_id(),
    )
    session.add(intent)
    session.info.setdefault(_PENDING, []).append((queue, name, str(intent.id), int(delay_seconds * 1000)))
    return intent


def remember(session: AsyncSession, name: str, intent_id: uuid.UUID, delay_seconds: float = 0) -> None:
    """Note an intent written by raw SQL so that it is pushed after commit too (on its task's queue)."""
    session.info.setdefault(_PENDING, []).append(
        (registry.queue_of(name), name, str(intent_id), int(delay_seconds * 1000))
    )


async def push_after_commit(session: AsyncSession) -> None:
    """Best effort: an intent that fails to reach Redis stays pending and the sweeper pushes it later. Each push
    is bounded (queues.push); once Redis failed to answer, the rest are left to the sweeper at once, so a request
    that queued several jobs waits for one bound, not one per job."""
    pending = session.info.pop(_PENDING, [])
    for i, (queue, name, intent_id, delay_ms) in enumerate(pending):
        try:
            await queues.push(queue, name, intent_id, delay_ms=delay_ms)
        except (TimeoutError, RedisError) as exc:
            log.warning(
                "job_push_failed",
                queue=queue,
                job=name,
                intent_id=intent_id,
                error=str(exc) or type(exc).__name__,
                left_to_sweeper=len(pending) - i,
            )
            return
        except Exception as exc:  # noqa: BLE001 - a committed request must not fail over its jobs
            log.warning("job_push_failed", queue=queue, job=name, intent_id=intent_id, error=str(exc))


def forget(session: AsyncSession) -> None:
    session.info.pop(_PENDING, None)
