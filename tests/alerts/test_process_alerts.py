"""Issue 9: a killed worker raises one worker-down alert and one Slack message, resolved when a worker is
restarted on its queues; a platform left without any scheduler raises one scheduler-down alert (the workers
notice it: the rules run inside the scheduler), resolved when a scheduler leads again."""

from __future__ import annotations

import signal

from lightspeedpay.models import Alert
from lightspeedpay.models.alert import AlertKind
from lightspeedpay.monitoring.service import worker_health_service
from tests.alerts.support import slack_messages, wait_alert, wait_slack
from tests.factories import wait_for

QUEUE = "settlements"


async def _worker(session, pid: int):
    await session.rollback()
    return next((w for w in await worker_health_service.workers(session) if w.row.pid == pid), None)


async def test_a_killed_worker_raises_one_alert_and_a_restart_resolves_it(platform, session):
    proc = platform.start("worker-doomed", "worker", "--queue", QUEUE)
    alive = await wait_for(
        lambda: _worker(session, proc.pid), timeout=60, what="the extra worker's first beat"
    )
    platform.kill("worker-doomed", signal.SIGKILL)

    key = f"{AlertKind.WORKER_DOWN}:{alive.id}"
    alert = await wait_alert(session, AlertKind.WORKER_DOWN, Alert.dedup_key == key, timeout=60)
    assert alert.severity == "critical" and alert.details["queues"] == [QUEUE]
    [opened] = await wait_slack(platform, alert.id, 1)
    assert str(proc.pid) in opened["text"]

    platform.start("worker-restarted", "worker", "--queue", QUEUE)
    try:
        await wait_alert(
            session, AlertKind.WORKER_DOWN, Alert.dedup_key == key, status="resolved", timeout=60
        )
        await wait_slack(platform, alert.id, 2)
    finally:
        platform.kill("worker-restarted", signal.SIGTERM)
    assert len(await slack_messages(platform, alert.id)) == 2


async def test_no_scheduler_at_all_raises_one_alert_from_the_workers(platform, session):
    async def leading():
        await session.rollback()
        return await worker_health_service.scheduler_leader(session)

    # the tables were just emptied: a scheduler that never beat since is no evidence of silence
    await wait_for(leading, timeout=60, what="the scheduler's beat as leader")
    platform.kill("scheduler", signal.SIGKILL)
    try:
        alert = await wait_alert(session, AlertKind.SCHEDULER_DOWN, timeout=90)
        assert alert.severity == "critical"
        await wait_slack(platform, alert.id, 1)
    finally:
        platform.start("scheduler", "scheduler")
    await wait_alert(session, AlertKind.SCHEDULER_DOWN, status="resolved", timeout=90)
    await wait_slack(platform, alert.id, 2)
