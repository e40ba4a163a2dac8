"""Every query of the queue control plane: job intents by queue (counts, park, unpark, retry, discard) and the
queue_metrics time series. Each change is one conditional UPDATE (`… AND status = 'x'`), so two operators, or an
operator and a worker, never both move the same intent."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.models import JobIntent, QueueMetric
from lightspeedpay.models.job_intent import JobIntentStatus

# the buckets of a time series are aligned to this instant (date_bin's origin), so they do not move between calls
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_CHUNK = 5_000  # ids per statement in the bulk updates


class QueueAdminRepository:
    # --- job intents ---------------------------------------------------------------------------------------

    async def open_counts(self, session: AsyncSession) -> dict[str, dict[str, int]]:
        """queue -> status -> count of the intents not completed (pending, failed, parked, discarded); the
        partial index ix_job_intents_open answers it without touching completed rows."""
        rows = await session.execute(
            select(JobIntent.queue, JobIntent.status, func.count())
            .where(JobIntent.status != JobIntentStatus.COMPLETED)
            .group_by(JobIntent.queue, JobIntent.status)
        )
        out: dict[str, dict[str, int]] = {}
        for queue, status, n in rows:
            out.setdefault(queue, {})[status] = n
        return out

    async def status_counts(self, session: AsyncSession) -> dict[str, int]:
        """status -> count over every queue (the test helper's totals, completed included)."""
        rows = await session.execute(select(JobIntent.status, func.count()).group_by(JobIntent.status))
        return {status: n for status, n in rows}

    async def get(self, session: AsyncSession, intent_id: uuid.UUID) -> JobIntent | None:
        return await session.get(JobIntent, intent_id)

    async def oldest_ids(
        self, session: AsyncSession, *, queue: str, status: str, limit: int
    ) -> list[uuid.UUID]:
        """Ids of a queue's intents in one status, least recently changed first."""
        rows = await session.execute(
            select(JobIntent.id)
            .where(JobIntent.queue == queue, JobIntent.status == status)
            .order_by(JobIntent.updated_at, JobIntent.id)
            .limit(limit)
        )
        return list(rows.scalars())

    async def known_ids(
        self, session: AsyncSession, ids: Sequence[uuid.UUID]
    ) -> list[tuple[uuid.UUID, str, str]]:
        """(id, queue, status) of those of `ids` that are intents."""
        out: list[tuple[uuid.UUID, str, str]] = []
        for chunk in _chunks(ids):
            rows = await session.execute(
                select(JobIntent.id, JobIntent.queue, JobIntent.status).where(JobIntent.id.in_(chunk))
            )
            out.extend((r.id, r.queue, r.status) for r in rows)
        return out

    async def retry_failed(
        self, session: AsyncSession, ids: Sequence[uuid.UUID], *, queue: str | None = None
    ) -> list[tuple[uuid.UUID, str]]:
        """Failed intents back to pending with their attempts reset, due now; (id, task name) of those moved.
        `last_error` is kept: it says why the intent had failed until the next attempt says otherwise."""
        moved: list[tuple[uuid.UUID, str]] = []
        for chunk in _chunks(ids):
            where = [JobIntent.id.in_(chunk), JobIntent.status == JobIntentStatus.FAILED]
            if queue is not None:
                where.append(JobIntent.queue == queue)
            rows = await session.execute(
                update(JobIntent)
                .where(*where)
                .values(
                    status=JobIntentStatus.PENDING,
                    attempts=0,
                    run_after=func.now(),
                    completed_at=None,
                    updated_at=func.now(),
                )
                .returning(JobIntent.id, JobIntent.name)
                .execution_options(synchronize_session=False)
            )
            moved.extend((r.id, r.name) for r in rows)
        return moved

    async def discard_failed(self, session: AsyncSession, intent_id: uuid.UUID, *, reason: str) -> bool:
        """A failed intent given up on: status discarded, with when and why; the row stays."""
        row = await session.execute(
            update(JobIntent)
            .where(JobIntent.id == intent_id, JobIntent.status == JobIntentStatus.FAILED)
            .values(
                status=JobIntentStatus.DISCARDED,
                discarded_at=func.now(),
                discarded_reason=reason,
                updated_at=func.now(),
            )
            .returning(JobIntent.id)
            .execution_options(synchronize_session=False)
        )
        return row.first() is not None

    async def park(
        self, session: AsyncSession, *, queue: str, ids: Sequence[uuid.UUID], reason: str
    ) -> list[uuid.UUID]:
        """The pending intents among `ids` parked; an intent a worker finished meanwhile (completed) or one of
        another queue is left as it is. Ids of those parked."""
        parked: list[uuid.UUID] = []
        for chunk in _chunks(ids):
            rows = await session.execute(
                update(JobIntent)
                .where(
                    JobIntent.id.in_(chunk),
                    JobIntent.queue == queue,
                    JobIntent.status == JobIntentStatus.PENDING,
                )
                .values(
                    status=JobIntentStatus.PARKED,
                    parked_at=func.now(),
                    parked_reason=reason,
                    updated_at=func.now(),
                )
                .returning(JobIntent.id)
                .execution_options(synchronize_session=False)
            )
            parked.extend(rows.scalars())
        return parked

    async def unpark(
        self, session: AsyncSession, *, queue: str, ids: Sequence[uuid.UUID]
    ) -> list[tuple[uuid.UUID, str]]:
        """Parked intents of the queue back to pending, due now; (id, task name) of those moved."""
        moved: list[tuple[uuid.UUID, str]] = []
        for chunk in _chunks(ids):
            rows = await session.execute(
                update(JobIntent)
                .where(
                    JobIntent.id.in_(chunk),
                    JobIntent.queue == queue,
                    JobIntent.status == JobIntentStatus.PARKED,
                )
                .values(
                    status=JobIntentStatus.PENDING,
                    parked_at=None,
                    parked_reason=None,
                    run_after=func.now(),
                    updated_at=func.now(),
                )
                .returning(JobIntent.id, JobIntent.name)
                .execution_options(synchronize_session=False)
            )
            moved.extend((r.id, r.name) for r in rows)
        return moved

    async def parked_page(
        self,
        session: AsyncSession,
        *,
        queue: str,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> list[JobIntent]:
        """A queue's parked intents, oldest parked first, keyset over (parked_at, id); limit + 1 rows."""
        stmt = select(JobIntent).where(JobIntent.queue == queue, JobIntent.status == JobIntentStatus.PARKED)
        if after is not None:
            at, row_id = after
            stmt = stmt.where(
                or_(JobIntent.parked_at > at, and_(JobIntent.parked_at == at, JobIntent.id > row_id))
            )
        stmt = stmt.order_by(JobIntent.parked_at, JobIntent.id).limit(limit + 1)
        return list((await session.execute(stmt)).scalars())

    async def status_page(
        self,
        session: AsyncSession,
        *,
        status: str,
        queue: str | None,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> list[JobIntent]:
        """Intents in one status that is not `completed` (failed, parked, discarded), of one queue or all, most
        recently changed first, keyset over (updated_at, id); limit + 1 rows. The partial index ix_job_intents_open
        holds only the open rows, so the sort never sees completed ones."""
        stmt = select(JobIntent).where(JobIntent.status == status)
        if queue is not None:
            stmt = stmt.where(JobIntent.queue == queue)
        if after is not None:
            at, row_id = after
            stmt = stmt.where(
                or_(JobIntent.updated_at < at, and_(JobIntent.updated_at == at, JobIntent.id < row_id))
            )
        stmt = stmt.order_by(JobIntent.updated_at.desc(), JobIntent.id.desc()).limit(limit + 1)
        return list((await session.execute(stmt)).scalars())

    async def many(self, session: AsyncSession, ids: Sequence[uuid.UUID], *, limit: int) -> list[JobIntent]:
        """The intents of these ids (at most `limit`), oldest first."""
        if not ids:
            return []
        rows = await session.execute(
            select(JobIntent)
            .where(JobIntent.id.in_(list(ids)[:_CHUNK]))
            .order_by(JobIntent.created_at, JobIntent.id)
            .limit(limit)
        )
        return list(rows.scalars())

    # --- queue_metrics -------------------------------------------------------------------------------------

    async def add_samples(self, session: AsyncSession, samples: Sequence[dict[str, Any]]) -> None:
        if samples:
            await session.execute(insert(QueueMetric), list(samples))

    async def purge_samples(self, session: AsyncSession, *, before: datetime) -> int:
        result = await session.execute(
            delete(QueueMetric)
            .where(QueueMetric.recorded_at < before)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def series(
        self, session: AsyncSession, *, queues: Sequence[str], since: datetime, bucket: timedelta
    ) -> list[Any]:
        """One row per queue and bucket since `since`, oldest first: each count's highest sample in the bucket
        (a backlog chart shows its peaks), the pause if any sample saw it, the samples taken."""
        m = QueueMetric
        at = func.date_bin(bucket, m.recorded_at, _EPOCH).label("at")
        stmt = (
            select(
                m.queue_name,
                at,
                func.max(m.waiting).label("waiting"),
                func.max(m.active).label("active"),
                func.max(m.delayed).label("delayed"),
                func.max(m.prioritized).label("prioritized"),
                func.max(m.completed).label("completed"),
                func.max(m.failed).label("failed"),
                func.max(m.paused).label("paused"),
                func.bool_or(m.is_paused).label("is_paused"),
                func.max(m.workers).label("workers"),
                func.max(m.oldest_waiting_seconds).label("oldest_waiting_seconds"),
                func.max(m.intents_pending).label("intents_pending"),
                func.max(m.intents_failed).label("intents_failed"),
                func.max(m.intents_parked).label("intents_parked"),
                func.count().label("samples"),
            )
            .where(m.queue_name.in_(list(queues)), m.recorded_at >= since)
            .group_by(m.queue_name, at)
            .order_by(m.queue_name, at)
        )
        return list((await session.execute(stmt)).all())


def _chunks(ids: Sequence[uuid.UUID]) -> list[list[uuid.UUID]]:
    items = list(ids)
    return [items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK)]


queue_admin_repo = QueueAdminRepository()
