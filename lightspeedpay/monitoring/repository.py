"""The monitoring queries: the health check's ping, the figures /metrics reads at scrape time, the audit log."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.db import engine
from lightspeedpay.kit.pagination import newest_first
from lightspeedpay.models import AuditLog, JobIntent, PaymentGateway
from lightspeedpay.models.job_intent import JobIntentStatus


async def ping_database() -> None:
    """Raises when PostgreSQL cannot be reached or does not answer."""
    async with engine().connect() as conn:
        await conn.execute(text("SELECT 1"))


class MetricsRepository:
    """Small reads for a scrape, each bounded by a statement timeout: a slow database slows no scrape for long."""

    async def _bounded(self, session: AsyncSession) -> None:
        await session.execute(text("SET LOCAL statement_timeout = 2000"))

    async def pending_intents(self, session: AsyncSession) -> dict[tuple[str, str], int]:
        """Pending intents by (queue, task): found through the partial index on pending ones."""
        await self._bounded(session)
        rows = await session.execute(
            select(JobIntent.queue, JobIntent.name, func.count())
            .where(JobIntent.status == JobIntentStatus.PENDING)
            .group_by(JobIntent.queue, JobIntent.name)
        )
        return {(q, name): int(n) for q, name, n in rows}

    async def open_intents(self, session: AsyncSession) -> dict[tuple[str, str], int]:
        """Intents not completed by (queue, status): pending, failed, parked, discarded (the partial index on
        unfinished intents answers it; completed ones, the bulk, are not read)."""
        await self._bounded(session)
        rows = await session.execute(
            select(JobIntent.queue, JobIntent.status, func.count())
            .where(JobIntent.status != JobIntentStatus.COMPLETED)
            .group_by(JobIntent.queue, JobIntent.status)
        )
        return {(q, status): int(n) for q, status, n in rows}

    async def gateway_states(self, session: AsyncSession) -> list[tuple[str, str, bool, bool, int]]:
        """(name, provider, is_active, temp_failed, consecutive_failures) of every gateway."""
        await self._bounded(session)
        rows = await session.execute(
            select(
                PaymentGateway.name,
                PaymentGateway.provider,
                PaymentGateway.is_active,
                PaymentGateway.temp_failed,
                PaymentGateway.consecutive_failures,
            ).order_by(PaymentGateway.name)
        )
        return [(r[0], r[1], bool(r[2]), bool(r[3]), int(r[4] or 0)) for r in rows]


metrics_repo = MetricsRepository()


@dataclass(frozen=True)
class AuditFilter:
    """Each given field narrows the list; `*_prefix` match the start of the value ("gateway." or "merchant:")."""

    actor: str | None = None
    actor_prefix: str | None = None
    action: str | None = None
    action_prefix: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    client_id: uuid.UUID | None = None
    request_id: str | None = None
    created_from: datetime | None = None  # inclusive
    created_to: datetime | None = None  # exclusive


class AuditRepository:
    def _filtered(self, flt: AuditFilter) -> Select[AuditLog]:
        stmt = select(AuditLog)
        if flt.actor is not None:
            stmt = stmt.where(AuditLog.actor == flt.actor)
        if flt.actor_prefix is not None:
            stmt = stmt.where(AuditLog.actor.startswith(flt.actor_prefix, autoescape=True))
        if flt.action is not None:
            stmt = stmt.where(AuditLog.action == flt.action)
        if flt.action_prefix is not None:
            stmt = stmt.where(AuditLog.action.startswith(flt.action_prefix, autoescape=True))
        if flt.target_type is not None:
            stmt = stmt.where(AuditLog.target_type == flt.target_type)
        if flt.target_id is not None:
            stmt = stmt.where(AuditLog.target_id == flt.target_id)
        if flt.client_id is not None:
            stmt = stmt.where(AuditLog.client_id == flt.client_id)
        if flt.request_id is not None:
            stmt = stmt.where(AuditLog.request_id == flt.request_id)
        if flt.created_from is not None:
            stmt = stmt.where(AuditLog.created_at >= flt.created_from)
        if flt.created_to is not None:
            stmt = stmt.where(AuditLog.created_at < flt.created_to)
        return stmt

    async def page(
        self,
        session: AsyncSession,
        flt: AuditFilter,
        *,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None,
    ) -> list[AuditLog]:
        """Newest first, keyset-paginated over (created_at, id)."""
        stmt = newest_first(self._filtered(flt), AuditLog, after=after, limit=limit)
        return list((await session.execute(stmt)).scalars())


audit_repo = AuditRepository()
