"""Every query of health and status: the health check's ping, the workers' and schedulers' heartbeats as the
monitor reads them, what the status checker reads of gateways and notifications, and the system_status
history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.db import engine
from lightspeedpay.models import (
    PaymentGateway,
    ScheduledRun,
    SchedulerInstance,
    SystemStatus,
    WorkerHealth,
)


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
        self, session: AsyncSession, *, component: str | None, since: datetime, limit: int
    ) -> list[SystemStatus]:
        stmt = select(SystemStatus).where(SystemStatus.checked_at >= since)
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
