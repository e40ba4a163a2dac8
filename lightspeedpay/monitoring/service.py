"""Health and heartbeats: what `/health` and `/api/health` report (PostgreSQL and Redis, each bounded in
time), and the workers' and schedulers' heartbeats read as alive, down or stopped (for system status, alerts
and the live streams)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.config import get_settings
from lightspeedpay.jobs import queues
from lightspeedpay.models import ScheduledRun, SchedulerInstance, WorkerHealth
from lightspeedpay.models.scheduler_instance import SchedulerRole
from lightspeedpay.monitoring.repository import heartbeat_repo, ping_database


async def _probe(name: str, call: Any, timeout: float) -> tuple[str, str, float]:
    started = time.monotonic()
    try:
        async with asyncio.timeout(timeout):
            await call()
        return name, "ok", time.monotonic() - started
    except TimeoutError:
        return name, f"error: no answer within {timeout:g} s", time.monotonic() - started
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        return name, f"error: {type(exc).__name__}", time.monotonic() - started


async def health_probes() -> dict[str, tuple[str, float]]:
    """PostgreSQL and Redis asked at once, each given LSP_HEALTH_TIMEOUT_SECONDS: ("ok" or the error, seconds
    taken) per dependency. Never raises, and never takes much longer than the timeout."""
    timeout = get_settings().health_timeout_seconds
    results = await asyncio.gather(
        _probe("postgresql", ping_database, timeout),
        _probe("redis", lambda: queues.redis_client().ping(), timeout),
    )
    return {name: (state, seconds) for name, state, seconds in results}


async def health_checks() -> dict[str, str]:
    """ "ok" or the error per dependency (the body of /health and /api/health)."""
    return {name: state for name, (state, _) in (await health_probes()).items()}


WorkerState = Literal["alive", "down", "stopped"]


@dataclass(frozen=True)
class WorkerView:
    """One worker process as its heartbeats show it. A down worker is `replaced` once a worker serving the
    same queues started after it went silent (a restart), so its alert can resolve."""

    row: WorkerHealth
    state: WorkerState
    replaced_by: str | None = None

    @property
    def id(self) -> str:
        return self.row.id

    def as_dict(self) -> dict[str, Any]:
        r = self.row
        return {
            "id": r.id,
            "host": r.host,
            "pid": r.pid,
            "queues": list(r.queues),
            "concurrency": r.concurrency,
            "state": self.state,
            "started_at": r.started_at,
            "last_beat_at": r.last_beat_at,
            "beat_seconds": r.beat_seconds,
            "jobs_done": r.jobs_done,
            "jobs_failed": r.jobs_failed,
            "rss_bytes": r.rss_bytes,
            "stopped_at": r.stopped_at,
            "replaced_by": self.replaced_by,
        }


@dataclass(frozen=True)
class SchedulerView:
    """The schedulers as their heartbeats show them, and each periodic task's latest run."""

    leader: SchedulerInstance | None
    standbys: list[SchedulerInstance]
    silent: list[SchedulerInstance]  # neither stopped nor beating: killed, hung or cut off
    last_runs: dict[str, ScheduledRun]
    table: list[dict[str, Any]] = field(default_factory=list)  # the leader's (else the newest) periodic table


def _instance_dict(i: SchedulerInstance) -> dict[str, Any]:
    return {
        "id": i.id,
        "host": i.host,
        "pid": i.pid,
        "role": i.role,
        "started_at": i.started_at,
        "last_beat_at": i.last_beat_at,
        "leader_since": i.leader_since,
        "stopped_at": i.stopped_at,
    }


class WorkerHealthService:
    """Reads of the heartbeats. A process is down when it missed LSP_WORKER_DOWN_AFTER_BEATS beats of its own
    interval (on the database's clock) without saying it stopped."""

    async def workers(self, session: AsyncSession) -> list[WorkerView]:
        """Every worker with a row, alive ones first, each marked alive, down or stopped."""
        beats = get_settings().worker_down_after_beats
        rows = await heartbeat_repo.workers(session, beats=beats)
        views: list[WorkerView] = []
        for row, silent in rows:
            state: WorkerState = "stopped" if row.stopped_at is not None else "down" if silent else "alive"
            views.append(WorkerView(row, state))
        return _mark_replaced(views)

    async def down_workers(
        self, session: AsyncSession, *, include_replaced: bool = False
    ) -> list[WorkerView]:
        """Workers that went silent without stopping: the alert rule's condition, one per worker id. Those
        already replaced by a restart are left out unless asked for."""
        return [
            w
            for w in await self.workers(session)
            if w.state == "down" and (include_replaced or w.replaced_by is None)
        ]

    async def queue_workers(self, session: AsyncSession) -> dict[str, list[WorkerView]]:
        """The workers of each queue (a worker serving several queues is listed under each)."""
        per_queue: dict[str, list[WorkerView]] = {}
        for w in await self.workers(session):
            for name in w.row.queues:
                per_queue.setdefault(name, []).append(w)
        return per_queue

    async def scheduler(self, session: AsyncSession) -> SchedulerView:
        beats = get_settings().worker_down_after_beats
        leader: SchedulerInstance | None = None
        standbys: list[SchedulerInstance] = []
        silent_ones: list[SchedulerInstance] = []
        table: list[dict[str, Any]] = []
        for inst, silent in await heartbeat_repo.schedulers(session, beats=beats):
            if inst.stopped_at is not None or inst.role == SchedulerRole.STOPPED:
                continue
            if silent:
                silent_ones.append(inst)
            elif inst.role == SchedulerRole.LEADER and leader is None:
                leader = inst
            else:
                standbys.append(inst)
            if not table and inst.tasks:
                table = list(inst.tasks)
        if leader is not None and leader.tasks:
            table = list(leader.tasks)
        runs = {run.task: run for run in await heartbeat_repo.last_runs(session)}
        return SchedulerView(leader, standbys, silent_ones, runs, table)

    async def scheduler_leader(self, session: AsyncSession) -> SchedulerInstance | None:
        """The scheduler leading now, or None: the "scheduler down" alert's condition."""
        return (await self.scheduler(session)).leader

    async def runs(
        self, session: AsyncSession, *, task: str | None, since: datetime, limit: int = 500
    ) -> list[ScheduledRun]:
        return await heartbeat_repo.runs(session, task=task, since=since, limit=limit)


def _mark_replaced(views: list[WorkerView]) -> list[WorkerView]:
    """Pair each down worker, oldest silence first, with at most one alive worker that serves at least its
    queues and started after its last beat: two workers killed and one restarted leave one down."""
    alive = sorted((w for w in views if w.state == "alive"), key=lambda w: w.row.started_at)
    taken: set[str] = set()
    out: list[WorkerView] = []
    for w in views:
        if w.state != "down":
            out.append(w)
            continue
        successor = next(
            (
                a
                for a in alive
                if a.id not in taken
                and set(w.row.queues) <= set(a.row.queues)
                and a.row.started_at >= w.row.last_beat_at
            ),
            None,
        )
        if successor is not None:
            taken.add(successor.id)
        out.append(WorkerView(w.row, "down", successor.id if successor else None))
    order = {"alive": 0, "down": 1, "stopped": 2}
    return sorted(out, key=lambda w: order[w.state])


def scheduler_dict(view: SchedulerView) -> dict[str, Any]:
    """The scheduler as system status details show it: who leads, who stands by, and each task's last run."""
    runs = view.last_runs
    names = [entry["task"] for entry in view.table] + sorted(set(runs) - {e["task"] for e in view.table})
    schedules = {entry["task"]: entry.get("schedule") for entry in view.table}
    tasks = []
    for name in names:
        run = runs.get(name)
        tasks.append(
            {
                "task": name,
                "schedule": schedules.get(name),
                "last_started_at": run.started_at if run else None,
                "last_finished_at": run.finished_at if run else None,
                "last_duration_ms": run.duration_ms if run else None,
                "last_outcome": run.outcome if run else None,
                "last_error": run.error if run else None,
            }
        )
    return {
        "leader": _instance_dict(view.leader) if view.leader else None,
        "standbys": [_instance_dict(i) for i in view.standbys],
        "silent": [_instance_dict(i) for i in view.silent],
        "tasks": tasks,
    }


worker_health_service = WorkerHealthService()
