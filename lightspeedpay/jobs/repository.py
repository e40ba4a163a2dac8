"""Every query on job intents; the scheduler's election lock, instances and run history; the workers'
heartbeats."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from lightspeedpay.models import JobIntent, ScheduledRun, SchedulerInstance, WorkerHealth
from lightspeedpay.models.job_intent import JobIntentStatus
from lightspeedpay.models.scheduler_instance import SchedulerRole

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


async def holds_scheduler_lock(conn: AsyncConnection) -> bool:
    """Whether `conn`'s backend still holds the lock (false once PostgreSQL lost the session: a restart, a
    dropped connection), so a leader that lost it stops leading before a standby starts."""
    return bool(
        (
            await conn.execute(
                text(
                    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND pid = pg_backend_pid() AND classid = 0 AND objid = :k AND objsubid = 1)"
                ),
                {"k": _SCHEDULER_LOCK},
            )
        ).scalar()
    )


async def release_scheduler_lock(conn: AsyncConnection) -> None:
    await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _SCHEDULER_LOCK})


async def backend_pid(conn: AsyncConnection) -> int:
    return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def terminate_lock_holder(conn: AsyncConnection, lock_backend_pid: int) -> bool:
    """End the PostgreSQL session `lock_backend_pid` if it is the one holding the election lock (and only
    then: a leader elected since holds it from another backend). Its lock goes with it."""
    return bool(
        (
            await conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND classid = 0 AND objid = :k AND objsubid = 1 AND pid = :pid"
                ),
                {"k": _SCHEDULER_LOCK, "pid": lock_backend_pid},
            )
        ).scalar()
    )


def _ago(seconds: Any) -> Any:
    """That many seconds before now, on the database's clock (the one every heartbeat is written with)."""
    return func.now() - func.make_interval(0, 0, 0, 0, 0, 0, seconds)


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


class WorkerHealthRepository:
    """The workers' own writes to worker_health (the reads for status and alerts are in monitoring)."""

    async def beat(
        self,
        session: AsyncSession,
        *,
        worker_id: str,
        host: str,
        pid: int,
        queues: list[str],
        concurrency: int,
        beat_seconds: float,
        started_at: datetime,
        jobs_done: int,
        jobs_failed: int,
        rss_bytes: int | None,
        stopped: bool = False,
    ) -> None:
        """Insert or refresh the worker's row (an upsert: a row emptied away is written again whole)."""
        values = {
            "host": host,
            "pid": pid,
            "queues": queues,
            "concurrency": concurrency,
            "beat_seconds": beat_seconds,
            "started_at": started_at,
            "last_beat_at": func.now(),
            "jobs_done": jobs_done,
            "jobs_failed": jobs_failed,
            "rss_bytes": rss_bytes,
            "stopped_at": func.now() if stopped else None,
        }
        stmt = insert(WorkerHealth).values(id=worker_id, **values)
        await session.execute(stmt.on_conflict_do_update(index_elements=[WorkerHealth.id], set_=values))

    async def purge(self, session: AsyncSession, *, older_than_hours: float) -> int:
        """Rows of workers stopped, or silent, for longer than `older_than_hours`."""
        result = await session.execute(
            delete(WorkerHealth).where(
                func.coalesce(WorkerHealth.stopped_at, WorkerHealth.last_beat_at)
                < _ago(older_than_hours * 3600)
            )
        )
        return _rowcount(result)


class SchedulerRepository:
    """The scheduler's instances (leader, standbys) and its record of periodic runs."""

    async def beat(
        self,
        session: AsyncSession,
        *,
        instance_id: str,
        host: str,
        pid: int,
        role: SchedulerRole,
        beat_seconds: float,
        started_at: datetime,
        leader_since: datetime | None,
        tasks: list[dict[str, Any]] | None,
        lock_backend_pid: int | None = None,
    ) -> None:
        values: dict[str, Any] = {
            "lock_backend_pid": lock_backend_pid,
            "host": host,
            "pid": pid,
            "role": role,
            "beat_seconds": beat_seconds,
            "started_at": started_at,
            "last_beat_at": func.now(),
            "leader_since": leader_since,
            "stopped_at": func.now() if role == SchedulerRole.STOPPED else None,
            "tasks": tasks,
        }
        stmt = insert(SchedulerInstance).values(id=instance_id, **values)
        await session.execute(stmt.on_conflict_do_update(index_elements=[SchedulerInstance.id], set_=values))

    async def demote_others(self, session: AsyncSession, *, leader_id: str) -> None:
        """Whoever else was marked leader is not (this process holds the lock): a killed leader's row reads
        as a standby gone silent, a live one rewrites its own role at its next beat."""
        await session.execute(
            update(SchedulerInstance)
            .where(SchedulerInstance.role == SchedulerRole.LEADER, SchedulerInstance.id != leader_id)
            .values(role=SchedulerRole.STANDBY, leader_since=None)
        )

    async def silent_leader(self, session: AsyncSession, *, beats: int) -> SchedulerInstance | None:
        """The instance marked leader that has missed `beats` beats without stopping, when no other leader
        beats: a leader killed (its lock already gone with its connection) or hung (its lock still held)."""
        silent = SchedulerInstance.last_beat_at < _ago(SchedulerInstance.beat_seconds * beats)
        leaders = list(
            (
                await session.execute(
                    select(SchedulerInstance, silent).where(
                        SchedulerInstance.role == SchedulerRole.LEADER, SchedulerInstance.stopped_at.is_(None)
                    )
                )
            ).all()
        )
        if any(not is_silent for _, is_silent in leaders):
            return None
        return max((row for row, _ in leaders), key=lambda r: r.last_beat_at, default=None)

    async def record_run(
        self,
        session: AsyncSession,
        *,
        task: str,
        instance_id: str,
        started_at: datetime,
        finished_at: datetime,
        duration_ms: int,
        outcome: str,
        error: str | None,
        result: Any,
    ) -> None:
        session.add(
            ScheduledRun(
                task=task,
                instance_id=instance_id,
                started_at=started_at,
                finished_at=finished_at,
                duration_ms=duration_ms,
                outcome=outcome,
                error=error,
                result=result,
            )
        )

    async def last_started(self, session: AsyncSession) -> dict[str, datetime]:
        """Each task's latest recorded start."""
        rows = await session.execute(
            select(ScheduledRun.task, func.max(ScheduledRun.started_at)).group_by(ScheduledRun.task)
        )
        return {task: started for task, started in rows.all()}

    async def prune_runs(self, session: AsyncSession, *, older_than_days: float, keep_per_task: int) -> int:
        """Runs older than `older_than_days`, and beyond the newest `keep_per_task` of each task."""
        old = await session.execute(
            delete(ScheduledRun).where(ScheduledRun.started_at < _ago(older_than_days * 86400))
        )
        ranked = (
            select(
                ScheduledRun.id,
                func.row_number()
                .over(partition_by=ScheduledRun.task, order_by=ScheduledRun.started_at.desc())
                .label("n"),
            )
        ).subquery()
        surplus = await session.execute(
            delete(ScheduledRun).where(
                ScheduledRun.id.in_(select(ranked.c.id).where(ranked.c.n > keep_per_task))
            )
        )
        return _rowcount(old) + _rowcount(surplus)

    async def purge_instances(self, session: AsyncSession, *, older_than_hours: float) -> int:
        """Instances stopped, or silent, for longer than `older_than_hours`."""
        result = await session.execute(
            delete(SchedulerInstance).where(
                func.coalesce(SchedulerInstance.stopped_at, SchedulerInstance.last_beat_at)
                < _ago(older_than_hours * 3600)
            )
        )
        return _rowcount(result)


job_intent_repo = JobIntentRepository()
worker_health_repo = WorkerHealthRepository()
scheduler_repo = SchedulerRepository()
