"""Runs the periodic table (`lightspeedpay.schedule`): each task on a cron expression (read in
LSP_SCHEDULER_TIMEZONE, Asia/Kolkata) or an interval. One scheduler leads, elected with a PostgreSQL advisory
lock; the others stand by and take over within LSP_SCHEDULER_STANDBY_POLL_SECONDS of the leader's connection
closing. Every instance heartbeats into scheduler_instances, and every run is recorded in scheduled_runs.

A leader that hangs (its process stopped, its event loop blocked) keeps its connection and so the lock; a
standby that sees it silent for LSP_WORKER_DOWN_AFTER_BEATS beats on two polls in a row terminates the
leader's lock session (recorded as lock_backend_pid), and takes over. The old leader, if it wakes, finds the lock
gone at its next beat and stops running tasks."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from croniter import croniter
from sqlalchemy.ext.asyncio import AsyncConnection

from lightspeedpay.config import get_settings
from lightspeedpay.db import engine
from lightspeedpay.jobs import queues
from lightspeedpay.jobs.heartbeat import ProcessIdentity
from lightspeedpay.jobs.repository import (
    backend_pid,
    holds_scheduler_lock,
    release_scheduler_lock,
    scheduler_repo,
    terminate_lock_holder,
    try_scheduler_lock,
    worker_health_repo,
)
from lightspeedpay.jobs.unit_of_work import unit_of_work
from lightspeedpay.kit import http
from lightspeedpay.kit.logging import log
from lightspeedpay.models.scheduled_run import RunOutcome
from lightspeedpay.models.scheduler_instance import SchedulerRole

# ---- schedules -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cron:
    """A five-field cron expression, read in the scheduler's time zone: `cron("0 2 * * *")` is 02:00 IST."""

    expression: str
    timeout: float | None = None  # seconds a run may take; None: LSP_SCHEDULER_TASK_TIMEOUT_SECONDS

    def __post_init__(self) -> None:
        if len(self.expression.split()) != 5 or not croniter.is_valid(self.expression):
            raise ValueError(f"not a five-field cron expression: {self.expression!r}")

    def next_after(self, moment: datetime, tz: tzinfo) -> datetime:
        """The first time strictly after `moment` (aware) that the expression names, in UTC."""
        return _utc(croniter(self.expression, moment.astimezone(tz)).get_next(datetime))

    def latest_at_or_before(self, moment: datetime, tz: tzinfo) -> datetime:
        """The last time at or before `moment` that the expression names, in UTC."""
        # croniter's get_prev is strictly before its start: start just after `moment` to include it
        start = moment.astimezone(tz) + timedelta(microseconds=1)
        return _utc(croniter(self.expression, start).get_prev(datetime))

    def describe(self) -> str:
        return f"cron {self.expression}"


@dataclass(frozen=True)
class Every:
    """An interval: the first run when the scheduler takes the lead, then every `seconds`."""

    seconds: float
    timeout: float | None = None

    def __post_init__(self) -> None:
        if not self.seconds > 0:
            raise ValueError(f"an interval must be positive, not {self.seconds!r}")

    def describe(self) -> str:
        return f"every {self.seconds:g}s"


Schedule = Cron | Every
Periodic = tuple[str, Schedule, Callable[[], Awaitable[Any]]]


def cron(expression: str, *, timeout: float | None = None) -> Cron:
    return Cron(expression, timeout)


def every(seconds: float, *, timeout: float | None = None) -> Every:
    return Every(seconds, timeout)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def scheduler_zone() -> ZoneInfo:
    return ZoneInfo(get_settings().scheduler_timezone)


def first_due(
    schedule: Schedule, *, now: datetime, last_started: datetime | None, tz: tzinfo, grace_seconds: float
) -> datetime:
    """When a task is first due once this process leads. An interval runs at once. A cron task waits for its
    next time, unless the time before that passed while no scheduler led (the leader died just before 02:00)
    and it passed less than `grace_seconds` ago: then it runs at once, this once. A task never run before is
    not made up (a new install does not run every daily task at start)."""
    if isinstance(schedule, Every):
        return now
    latest = schedule.latest_at_or_before(now, tz)
    missed = last_started is not None and last_started < latest
    if missed and (now - latest).total_seconds() <= grace_seconds:
        return now
    return schedule.next_after(now, tz)


def next_due(schedule: Schedule, *, started: datetime, tz: tzinfo) -> datetime:
    """When a task is due again after a run was started (or skipped) at `started`."""
    if isinstance(schedule, Every):
        return started + timedelta(seconds=schedule.seconds)
    return schedule.next_after(started, tz)


def check_table(tasks: list[Periodic]) -> None:
    names = [name for name, _, _ in tasks]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"periodic task names must be unique: {', '.join(duplicates)}")
    for name, schedule, _ in tasks:
        if not isinstance(schedule, Cron | Every):
            raise TypeError(f"periodic task {name!r}: the schedule must be cron(...) or every(...)")


# ---- the process -----------------------------------------------------------------------------------------


async def run(periodic: Callable[[], list[Periodic]]) -> None:
    """Stand by until this process holds the lock, then run `periodic()`'s tasks until stopped (SIGTERM,
    SIGINT). Leadership lost (the lock's connection gone) makes it a standby again."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    tasks = periodic()
    check_table(tasks)
    me = _Instance(ProcessIdentity.this_process(), tasks)
    try:
        while not stop.is_set():
            try:
                await _serve(me, tasks, stop)
            except Exception as exc:  # noqa: BLE001 - PostgreSQL away: stand by and try again
                log.warning("scheduler_database_error", error=f"{type(exc).__name__}: {exc}")
                await _wait(stop, get_settings().scheduler_standby_poll_seconds)
    finally:
        await me.beat(SchedulerRole.STOPPED)
        await queues.close()
        await http.close()


class _Instance:
    """This scheduler process as scheduler_instances shows it."""

    def __init__(self, identity: ProcessIdentity, tasks: list[Periodic]) -> None:
        self.identity = identity
        self.leader_since: datetime | None = None
        self.lock_backend_pid: int | None = None
        self.table = [{"task": name, "schedule": schedule.describe()} for name, schedule, _ in tasks]

    @property
    def id(self) -> str:
        return self.identity.id

    async def beat(self, role: SchedulerRole) -> None:
        """One heartbeat write, bounded; a failure is logged (the others see this process go silent)."""
        s = get_settings()
        if role != SchedulerRole.LEADER:
            self.leader_since = None
        try:
            async with asyncio.timeout(max(2.0, s.scheduler_heartbeat_seconds)):
                taking_over = role == SchedulerRole.LEADER and self.leader_since is None
                since = None if role != SchedulerRole.LEADER else self.leader_since or datetime.now(UTC)
                async with unit_of_work() as session:
                    if taking_over:
                        await scheduler_repo.demote_others(session, leader_id=self.id)
                    await scheduler_repo.beat(
                        session,
                        instance_id=self.id,
                        host=self.identity.host,
                        pid=self.identity.pid,
                        role=role,
                        beat_seconds=s.scheduler_heartbeat_seconds,
                        started_at=self.identity.started_at,
                        leader_since=since,
                        tasks=self.table,
                        lock_backend_pid=self.lock_backend_pid if role == SchedulerRole.LEADER else None,
                    )
                self.leader_since = since
        except Exception as exc:  # noqa: BLE001
            log.warning("scheduler_heartbeat_failed", instance=self.id, error=f"{type(exc).__name__}: {exc}")


async def _serve(me: _Instance, tasks: list[Periodic], stop: asyncio.Event) -> None:
    """One connection's worth: elect on it (standing by meanwhile), then lead while it holds the lock."""
    s = get_settings()
    async with engine().connect() as conn:
        leading = False
        announced = False
        next_beat = 0.0
        suspect: tuple[str, int] | None = None  # a silent leader seen at the last poll, with its lock session
        while not stop.is_set():
            leading = await try_scheduler_lock(conn)
            await conn.commit()
            if leading:
                break
            if not announced:
                log.info("scheduler_standby", instance=me.id)
                announced = True
            if time.monotonic() >= next_beat:
                await me.beat(SchedulerRole.STANDBY)
                next_beat = time.monotonic() + s.scheduler_heartbeat_seconds
            suspect = await _fence_hung_leader(conn, suspect)
            await _wait(stop, s.scheduler_standby_poll_seconds)
        if not leading:
            return
        try:
            me.lock_backend_pid = await backend_pid(conn)
            await conn.rollback()
            await _lead(conn, me, tasks, stop)
        finally:
            me.lock_backend_pid = None
            await _release(conn)


async def _fence_hung_leader(
    conn: AsyncConnection, suspect: tuple[str, int] | None
) -> tuple[str, int] | None:
    """A standby's look at the leader. Seen silent on two polls in a row, its lock session still holding the
    lock (a leader elected meanwhile holds it from another session, and is left alone): end that session so the
    lock is free for the next poll. Returns what to remember for the next poll."""
    try:
        async with asyncio.timeout(5):
            async with unit_of_work() as session:
                leader = await scheduler_repo.silent_leader(
                    session, beats=get_settings().worker_down_after_beats
                )
            if leader is None or leader.lock_backend_pid is None:
                return None
            seen = (leader.id, leader.lock_backend_pid)
            if seen != suspect:
                return seen
            if await terminate_lock_holder(conn, leader.lock_backend_pid):
                log.warning(
                    "scheduler_leader_fenced",
                    leader=leader.id,
                    last_beat_at=leader.last_beat_at.isoformat(),
                    reason="silent while holding the lock",
                )
            await conn.commit()
            return None
    except Exception as exc:  # noqa: BLE001 - the next poll looks again
        log.warning("scheduler_fence_failed", error=f"{type(exc).__name__}: {exc}")
        return None


async def _release(conn: AsyncConnection) -> None:
    """Give the lock back at once (a standby need not wait for this connection to close)."""
    try:
        async with asyncio.timeout(2):
            await conn.rollback()
            await release_scheduler_lock(conn)
            await conn.commit()
    except Exception:  # noqa: BLE001 - the connection is gone, and its lock with it
        await conn.invalidate()


async def _still_leader(conn: AsyncConnection) -> bool:
    try:
        async with asyncio.timeout(max(2.0, get_settings().scheduler_heartbeat_seconds / 2)):
            held = await holds_scheduler_lock(conn)
            await conn.rollback()
            return held
    except Exception as exc:  # noqa: BLE001
        log.warning("scheduler_lock_check_failed", error=f"{type(exc).__name__}: {exc}")
        return False


async def _lead(conn: AsyncConnection, me: _Instance, tasks: list[Periodic], stop: asyncio.Event) -> None:
    s = get_settings()
    tz = scheduler_zone()
    default_timeout = s.scheduler_task_timeout_seconds
    last_started = await _last_started()
    now = datetime.now(UTC)
    due = {
        name: first_due(
            schedule,
            now=now,
            last_started=last_started.get(name),
            tz=tz,
            grace_seconds=s.scheduler_misfire_grace_seconds,
        )
        for name, schedule, _ in tasks
    }
    await me.beat(SchedulerRole.LEADER)
    log.info(
        "scheduler_started",
        instance=me.id,
        tasks={name: schedule.describe() for name, schedule, _ in tasks},
        timeout_seconds=default_timeout,
        timezone=s.scheduler_timezone,
    )
    # each periodic task runs as its own asyncio task, so a slow one (a PSP that hangs) never holds up the
    # sweeper, the settlements or the ledger check; one still running when due again is left alone
    running: dict[str, asyncio.Task[None]] = {}
    beating: asyncio.Task[None] | None = None
    next_beat = time.monotonic() + s.scheduler_heartbeat_seconds
    try:
        while not stop.is_set():
            # the lock is checked before anything is started: a leader that was frozen (and fenced by a standby
            # meanwhile) must not start the runs that fell due while it was
            if time.monotonic() >= next_beat:
                next_beat = time.monotonic() + s.scheduler_heartbeat_seconds
                if not await _still_leader(conn):
                    log.error("scheduler_leadership_lost", instance=me.id)
                    return
                if beating is None or beating.done():
                    beating = asyncio.create_task(me.beat(SchedulerRole.LEADER), name="scheduler-heartbeat")
            now = datetime.now(UTC)
            for name, schedule, work in tasks:
                if now < due[name]:
                    continue
                due[name] = next_due(schedule, started=now, tz=tz)
                if name in running and not running[name].done():
                    log.info("scheduled_run_skipped", task=name, reason="previous run still going")
                    continue
                timeout = schedule.timeout or default_timeout
                running[name] = asyncio.create_task(
                    _run_once(me.id, name, work, timeout), name=f"scheduled:{name}"
                )
            until_due = (min(due.values()) - datetime.now(UTC)).total_seconds()
            await _wait(stop, max(0.05, min(until_due, next_beat - time.monotonic())))
    finally:
        pending = [t for t in [*running.values(), beating] if t is not None and not t.done()]
        for t in pending:
            t.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


async def _last_started() -> dict[str, datetime]:
    try:
        async with asyncio.timeout(10):
            async with unit_of_work() as session:
                return await scheduler_repo.last_started(session)
    except Exception as exc:  # noqa: BLE001 - then no missed cron run is made up
        log.warning("scheduler_history_unreadable", error=f"{type(exc).__name__}: {exc}")
        return {}


async def _run_once(instance_id: str, name: str, work: Callable[[], Awaitable[Any]], timeout: float) -> None:
    """One run of one periodic task, cancelled after `timeout` seconds, then recorded; a failure is logged and
    recorded, never raised (the scheduler must outlive a bad tick)."""
    started_at = datetime.now(UTC)
    started = time.monotonic()
    outcome, error, result = RunOutcome.OK, None, None
    try:
        async with asyncio.timeout(timeout) as deadline:
            result = await work()
        if result:
            log.info("scheduled_run", task=name, result=result)
    except TimeoutError:
        if deadline.expired():
            outcome, error = RunOutcome.TIMEOUT, f"cancelled after {timeout:g} s"
            log.warning(
                "scheduled_run_timeout",
                task=name,
                timeout_seconds=timeout,
                elapsed_seconds=round(time.monotonic() - started, 1),
            )
        else:
            outcome, error = RunOutcome.FAILED, "TimeoutError"
            log.warning("scheduled_run_failed", task=name, error=error)
    except Exception as exc:  # noqa: BLE001 - the loop must outlive a bad tick
        outcome, error = RunOutcome.FAILED, f"{type(exc).__name__}: {exc}"[:2000]
        log.warning("scheduled_run_failed", task=name, error=error)
    duration_ms = int((time.monotonic() - started) * 1000)
    try:
        async with asyncio.timeout(5):
            async with unit_of_work() as session:
                await scheduler_repo.record_run(
                    session,
                    task=name,
                    instance_id=instance_id,
                    started_at=started_at,
                    finished_at=started_at + timedelta(milliseconds=duration_ms),
                    duration_ms=duration_ms,
                    outcome=outcome,
                    error=error,
                    result=_summary(result),
                )
    except Exception as exc:  # noqa: BLE001 - the run happened; only its record is missing
        log.warning("scheduled_run_unrecorded", task=name, error=f"{type(exc).__name__}: {exc}")


def _summary(result: Any) -> Any:
    """A task's return value as small JSON (what it did: counts, names), or None."""
    if not result:
        return None
    text = json.dumps(result, default=str)
    if len(text) > 2000:
        return {"truncated": text[:2000]}
    return json.loads(text)


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass


async def housekeeping() -> dict[str, int] | None:
    """The scheduler's and the workers' own history past its retention: runs, instances, worker rows."""
    s = get_settings()
    async with unit_of_work() as session:
        purged = {
            "scheduled_runs": await scheduler_repo.prune_runs(
                session,
                older_than_days=s.scheduler_run_history_days,
                keep_per_task=s.scheduler_run_history_per_task,
            ),
            "scheduler_instances": await scheduler_repo.purge_instances(
                session, older_than_hours=s.worker_health_retention_hours
            ),
            "worker_health": await worker_health_repo.purge(
                session, older_than_hours=s.worker_health_retention_hours
            ),
        }
    return {k: v for k, v in purged.items() if v} or None
