"""Runs one job intent exactly once in effect: the handler's changes and the intent's completion commit
together, so a job that runs twice (a stalled worker, a sweeper re-push) finds the work already done."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

from lightspeedpay.db import sessionmaker
from lightspeedpay.jobs import registry
from lightspeedpay.jobs.repository import job_intent_repo
from lightspeedpay.jobs.unit_of_work import unit_of_work
from lightspeedpay.kit import metrics, request_context, retry
from lightspeedpay.kit.logging import log
from lightspeedpay.models.job_intent import JobIntentStatus


async def run_intent(intent_id: uuid.UUID) -> str:
    started = time.perf_counter()
    name, rid = "unknown", None
    try:
        async with unit_of_work() as session:
            intent = await job_intent_repo.lock(session, intent_id)
            if intent is None:
                return "missing"
            if intent.status != JobIntentStatus.PENDING:
                return "already_" + intent.status
            name, rid = intent.name, intent.request_id
            # the job runs under the request id of the request that caused it: its log lines, the jobs it
            # queues and the audit rows it writes name that request
            with request_context.bound(rid):
                await registry.call(name, session, dict(intent.payload))
            intent.status = JobIntentStatus.COMPLETED
            intent.attempts += 1
            intent.completed_at = datetime.now(UTC)
            intent.last_error = None
    except Exception as exc:
        metrics.JOBS.labels(name, "error").inc()
        with request_context.bound(rid):
            await record_failure(intent_id, exc)
        raise
    metrics.JOBS.labels(name, "completed").inc()
    with request_context.bound(rid):
        log.info(
            "job_completed",
            task=name,
            intent_id=str(intent_id),
            duration_ms=round((time.perf_counter() - started) * 1000, 1),
        )
    return JobIntentStatus.COMPLETED


async def record_failure(intent_id: uuid.UUID, exc: Exception) -> None:
    """Pending with a reason, or failed once it has used up its attempts: nothing vanishes."""
    reason = f"{type(exc).__name__}: {exc}"[:2000]
    max_attempts = retry.job().max_attempts
    async with sessionmaker()() as session:
        await job_intent_repo.record_failure(session, intent_id, reason=reason, max_attempts=max_attempts)
        await session.commit()
    level = "info" if isinstance(exc, registry.RetryLater) else "warning"
    getattr(log, level)("job_failed", intent_id=str(intent_id), error=reason)
