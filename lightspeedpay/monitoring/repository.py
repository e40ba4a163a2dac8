"""Every query of health, status and metrics: the health check's ping, the workers' and schedulers' heartbeats as
the monitor reads them, what the status checker reads of gateways and notifications, the system_status history,
the figures /metrics reads at scrape time, and the audit log."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, func, select, text
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.db import engine
from lightspeedpay.kit.pagination import newest_first
from lightspeedpay.models import (
    AuditLog,
    JobIntent,
    PaymentGateway,
    ScheduledRun,
    SchedulerInstance,
    SystemStatus,
    WorkerHealth,
)
from lightspeedpay.models.job_intent import JobIntentStatus


async def ping_database() -> None:
    """Raises when PostgreSQL cannot be reached or does not answer."""
    async with engine().connect() as conn:
        await conn.execute(text("SELECT 1"))


def _ago(seconds: Any) -> Any:
    """That many seconds before now on the database's clock, the one every heartbeat is written with."""
    return func.now() - func.make_interval(0, 0, 0, 0, 0, 0, seconds)


class HeartbeatRepository:
    """worker_health and scheduler_instances, each row with whether it went silent: no beat for `beats` of its
    own intervals."""

    async def workers(self, session: AsyncSession, *, beats: int) -> list[tuple[WorkerHealth, bool]]:
        """(row, silent) per worker, newest start first."""
        silent = WorkerHealth.last_beat_at < _ago(WorkerHealth.beat_seconds * beats)
        rows = await session.execute(
            select(WorkerHealth, silent).order_by(WorkerHealth.started_at.desc(), WorkerHealth.id)
        )
        return [(row, bool(is_silent)) for row, is_silent in rows]

    async def schedulers(self, session: AsyncSession, *, beats: int) -> list[tuple[SchedulerInstance, bool]]:
        """(row, silent) per scheduler instance, newest start first."""
        silent = SchedulerInstance.last_beat_at < _ago(SchedulerInstance.beat_seconds * beats)
        rows = await session.execute(
            select(SchedulerInstance, silent).order_by(
                SchedulerInstance.started_at.desc(), SchedulerInstance.id
            )
        )
        return [(row, bool(is_silent)) for row, is_silent in rows]

    async def last_runs(self, session: AsyncSession) -> list[ScheduledRun]:
        """Each periodic task's latest recorded run."""
        return list(
            (
                await session.execute(
                    select(ScheduledRun)
                    .ext(distinct_on(ScheduledRun.task))
                    .order_by(ScheduledRun.task, ScheduledRun.started_at.desc())
                )
            ).scalars()
        )

    async def runs(
        self, session: AsyncSession, *, task: str | None, since: datetime, limit: int
    ) -> list[ScheduledRun]:
        stmt = select(ScheduledRun).where(ScheduledRun.started_at >= since)
        if task is not None:
            stmt = stmt.where(ScheduledRun.task == task)
        return list(
            (
                await session.execute(
                    stmt.order_by(ScheduledRun.started_at.desc(), ScheduledRun.id.desc()).limit(limit)
                )
            ).scalars()
        )


class ComponentRepository:
    """What the status checker reads of other domains' tables (read only, no locks)."""

    async def active_gateways(self, session: AsyncSession) -> list[PaymentGateway]:
        return list(
            (
                await session.execute(
                    select(PaymentGateway).where(PaymentGateway.is_active).order_by(PaymentGateway.name)
                )
            ).scalars()
        )

    async def messages_since(
        self, session: AsyncSession, model: Any, *, seconds: float, stuck_after: float
    ) -> dict[str, Any]:
        """Outgoing messages of a table shaped like whatsapp_notifications (status queued/sent/failed,
        next_retry_at, sent_at, error) created in the last `seconds`: counts by status, those still queued
        `stuck_after` seconds past their due time, the newest error and the newest send."""
        recent = model.created_at >= _ago(seconds)
        rows = await session.execute(select(model.status, func.count()).where(recent).group_by(model.status))
        counts: dict[str, int] = {status: n for status, n in rows.all()}
        stuck = (
            await session.execute(
                select(func.count()).where(
                    model.status == "queued",
                    func.coalesce(model.next_retry_at, model.created_at) < _ago(stuck_after),
                )
            )
        ).scalar_one()
        last_error = (
            await session.execute(
                select(model.error, model.updated_at)
                .where(recent, model.status == "failed")
                .order_by(model.updated_at.desc())
                .limit(1)
            )
        ).first()
        last_sent = (await session.execute(select(func.max(model.sent_at)).where(recent))).scalar_one()
        return {
            "sent": int(counts.get("sent", 0)),
            "failed": int(counts.get("failed", 0)),
            "queued": int(counts.get("queued", 0)),
            "stuck": int(stuck),
            "last_error": last_error[0] if last_error else None,
            "last_failed_at": last_error[1] if last_error else None,
            "last_sent_at": last_sent,
        }


class SystemStatusRepository:
    async def latest_per_component(self, session: AsyncSession) -> dict[str, SystemStatus]:
        """Each component's newest row (its state and since when, as of the last check that saw it)."""
        rows = (
            await session.execute(
                select(SystemStatus)
                .ext(distinct_on(SystemStatus.component))
                .order_by(SystemStatus.component, SystemStatus.checked_at.desc())
            )
        ).scalars()
        return {row.component: row for row in rows}

    def add(self, session: AsyncSession, row: SystemStatus) -> None:
        session.add(row)

    async def latest_check(self, session: AsyncSession) -> list[SystemStatus]:
        """The rows of the newest check."""
        newest = (
            select(SystemStatus.check_id).order_by(SystemStatus.checked_at.desc()).limit(1).scalar_subquery()
        )
        return list(
            (
                await session.execute(
                    select(SystemStatus)
                    .where(SystemStatus.check_id == newest)
                    .order_by(SystemStatus.component)
                )
            ).scalars()
        )

    async def history(
        self,
        session: AsyncSession,
        *,
        component: str | None,
        since: datetime,
        limit: int,
        changes_only: bool = False,
    ) -> list[SystemStatus]:
        stmt = select(SystemStatus).where(SystemStatus.checked_at >= since)
        if changes_only:  # the check at which a component entered its state (or was first seen)
            stmt = stmt.where(SystemStatus.since == SystemStatus.checked_at)
        if component is not None:
            stmt = stmt.where(SystemStatus.component == component)
        return list(
            (
                await session.execute(
                    stmt.order_by(SystemStatus.checked_at.desc(), SystemStatus.component).limit(limit)
                )
            ).scalars()
        )

    async def purge(self, session: AsyncSession, *, older_than_days: float) -> int:
        result = await session.execute(
            delete(SystemStatus).where(SystemStatus.checked_at < _ago(older_than_days * 86400))
        )
        return int(getattr(result, "rowcount", 0) or 0)


heartbeat_repo = HeartbeatRepository()
component_repo = ComponentRepository()
system_status_repo = SystemStatusRepository()


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
