"""One elected scheduler, a standby that takes over: the leader killed with SIGKILL, the standby leads within a
minute (at the default poll of 5 s) and runs the periodic work; scheduler_instances shows who leads and who
stands by, scheduled_runs who ran what; a cron run missed during the failover is made up at takeover."""

from __future__ import annotations

import signal
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from lightspeedpay.jobs.scheduler import cron, scheduler_zone
from lightspeedpay.models import ScheduledRun, SchedulerInstance
from lightspeedpay.monitoring.service import worker_health_service
from tests.factories import wait_for
from tests.fixtures import Platform


async def _instance(session, pid: int) -> SchedulerInstance | None:
    await session.rollback()
    return (await session.execute(select(SchedulerInstance).where(SchedulerInstance.pid == pid))).scalar()


async def _runs_by(session, instance_id: str, task: str | None = None) -> list[ScheduledRun]:
    await session.rollback()
    stmt = select(ScheduledRun).where(ScheduledRun.instance_id == instance_id)
    if task:
        stmt = stmt.where(ScheduledRun.task == task)
    return list((await session.execute(stmt)).scalars())


async def test_the_standby_leads_within_a_minute_of_the_leader_being_killed(platform, session):
    env = {
        **platform.env,
        "LSP_SCHEDULER_STANDBY_POLL_SECONDS": "5",  # the default: takeover well inside a minute even so
        "LSP_SCHEDULER_HEARTBEAT_SECONDS": "1",
    }
    own = Platform(env=env)
    platform.kill("scheduler")
    try:
        a = own.start("scheduler-a", "scheduler")

        async def a_leads():
            row = await _instance(session, a.pid)
            return row if row and row.role == "leader" else None

        leader = await wait_for(a_leads, timeout=60, what="scheduler A to lead")
        assert leader.leader_since is not None
        assert {t["task"] for t in leader.tasks} >= {"sweeper", "janitor", "status_check"}
        a_id = leader.id
        await wait_for(lambda: _runs_by(session, a_id, "sweeper"), timeout=30, what="A to run the sweeper")

        b = own.start("scheduler-b", "scheduler")

        async def b_stands_by():
            row = await _instance(session, b.pid)
            return row if row and row.role == "standby" else None

        standby = await wait_for(b_stands_by, timeout=60, what="scheduler B to stand by")
        b_id = standby.id
        view = await worker_health_service.scheduler(session)
        assert view.leader is not None and view.leader.id == a_id
        assert b_id in [i.id for i in view.standbys]
        assert not await _runs_by(session, b_id), "a standby ran periodic work"

        # the status checker's last run was before the latest */10 time: the failover "missed" it
        latest = cron("*/10 * * * *").latest_at_or_before(datetime.now(UTC), scheduler_zone())
        session.add(
            ScheduledRun(
                task="status_check",
                instance_id=a_id,
                started_at=latest - timedelta(minutes=1),
                finished_at=latest - timedelta(seconds=59),
                duration_ms=1000,
                outcome="ok",
            )
        )
        await session.commit()

        own.kill("scheduler-a", signal.SIGKILL)
        killed_at = time.monotonic()

        async def b_leads():
            row = await _instance(session, b.pid)
            return row if row and row.role == "leader" else None

        await wait_for(b_leads, timeout=60, every=0.2, what="scheduler B to take over")
        assert time.monotonic() - killed_at < 60
        # B does the periodic work now, and made up the status check the failover missed
        await wait_for(lambda: _runs_by(session, b_id, "sweeper"), timeout=30, what="B to run the sweeper")
        await wait_for(
            lambda: _runs_by(session, b_id, "status_check"), timeout=30, what="B to make up the status check"
        )

        async def a_silent():
            await session.rollback()
            v = await worker_health_service.scheduler(session)
            return v if a_id in [i.id for i in v.silent] else None

        view = await wait_for(a_silent, timeout=30, what="the killed leader to read as silent")
        assert view.leader is not None and view.leader.id == b_id
        runs = {r.task: r for r in await _runs_by(session, b_id)}
        assert runs["sweeper"].outcome == "ok" and runs["sweeper"].duration_ms >= 0
        assert runs["sweeper"].finished_at >= runs["sweeper"].started_at

        # a clean stop gives the lock back and says so: no leader left, B reads as stopped, not silent
        own.kill("scheduler-b", signal.SIGTERM)
        stopped = await _instance(session, b.pid)
        assert stopped.role == "stopped" and stopped.stopped_at is not None
        view = await worker_health_service.scheduler(session)
        assert view.leader is None and b_id not in [i.id for i in view.silent + view.standbys]
    finally:
        own.stop_all()
        platform.start("scheduler", "scheduler")


async def test_a_hung_leader_is_fenced_and_the_standby_takes_over(platform, session):
    """SIGSTOP keeps the leader's connection, and so its lock: the standby sees it silent for 3 beats, ends its
    lock session and leads; the old leader, woken, finds its lock gone and stands by without running tasks."""
    env = {**platform.env, "LSP_SCHEDULER_STANDBY_POLL_SECONDS": "1", "LSP_SCHEDULER_HEARTBEAT_SECONDS": "1"}
    own = Platform(env=env)
    platform.kill("scheduler")
    try:
        a = own.start("scheduler-hung-a", "scheduler")

        async def leads(pid):
            row = await _instance(session, pid)
            return row if row and row.role == "leader" else None

        leader = await wait_for(lambda: leads(a.pid), timeout=60, what="scheduler A to lead")
        assert leader.lock_backend_pid is not None
        a_id = leader.id  # (a rollback expires the row's attributes)
        b = own.start("scheduler-hung-b", "scheduler")

        async def stands_by(pid):
            row = await _instance(session, pid)
            return row if row and row.role == "standby" else None

        b_id = (await wait_for(lambda: stands_by(b.pid), timeout=60, what="scheduler B to stand by")).id
        a.send_signal(signal.SIGSTOP)
        stopped_at = time.monotonic()
        try:
            await wait_for(
                lambda: leads(b.pid), timeout=60, every=0.2, what="scheduler B to fence A and lead"
            )
            assert time.monotonic() - stopped_at < 60
            await wait_for(lambda: _runs_by(session, b_id, "sweeper"), timeout=30, what="B to run tasks")
        finally:
            a.send_signal(signal.SIGCONT)
        # A wakes: its lock session was ended, so it steps down to standby and B keeps leading
        await wait_for(lambda: stands_by(a.pid), timeout=60, what="the woken A to stand by")
        await session.rollback()
        a_runs_before = len(await _runs_by(session, a_id))
        view = await worker_health_service.scheduler(session)
        assert view.leader is not None and view.leader.id == b_id
        await wait_for(lambda: _runs_by(session, b_id, "janitor"), timeout=30, what="B to keep leading")
        assert len(await _runs_by(session, a_id)) == a_runs_before, "the fenced leader still runs tasks"
    finally:
        own.stop_all()
        platform.start("scheduler", "scheduler")
