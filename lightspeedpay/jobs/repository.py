"""Every query on job intents, and the scheduler's election lock."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from lightspeedpay.models import JobIntent
from lightspeedpay.models.job_intent import JobIntentStatus

_SCHEDULER_LOCK = 0x4C5350  # "LSP"


class JobIntentRepository:
    async def lock(self, session: AsyncSession, intent_id: uuid.UUID) -> JobIntent | None:
        return await session.get(JobIntent, intent_id, with_for_update=True)

    async def record_failure(
        self, session: AsyncSession, intent_id: uuid.UUID, *, reason: str, max_attempts: int
    ) -> None:
        """One more attempt used: still pending with its reason, or failed once the attempts are used up."""
        await session.execute(
            update(JobIntent)
            .where(JobIntent.id == intent_id, JobIntent.status == JobIntentStatus.PENDING)
            .values(
                attempts=JobIntent.attempts + 1,
                last_error=reason,
                status=case(
                    (JobIntent.attempts + 1 >= max_attempts, JobIntentStatus.FAILED),
                    else_=JobIntentStatus.PENDING,
                ),
            )
        )

    async def overdue(
        self, session: AsyncSession, *, before: datetime, limit: int, skip_queues: Sequence[str] = ()
    ) -> list[Any]:
        """Rows of (id, queue, name) of intents still pending that were due before a time, oldest first (those
        of `skip_queues` left out)."""
        stmt = select(JobIntent.id, JobIntent.queue, JobIntent.name).where(
            JobIntent.status == JobIntentStatus.PENDING, JobIntent.run_after < before
        )
        if skip_queues:
            stmt = stmt.where(JobIntent.queue.not_in(list(skip_queues)))
        return list((await session.execute(stmt.order_by(JobIntent.run_after).limit(limit))).all())


async def try_scheduler_lock(conn: AsyncConnection) -> bool:
    """The session-level advisory lock that makes this process the one active scheduler (held while `conn` is)."""
    return bool(
        (await conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _SCHEDULER_LOCK})).scalar()
    )


job_intent_repo = JobIntentRepository()
