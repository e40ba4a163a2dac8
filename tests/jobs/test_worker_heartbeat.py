"""Worker heartbeats (seed 001's worker_health): a worker process writes its row with its queues, jobs done and
failed and its memory; killed with SIGKILL it is down once silent for 3 beats (and not before); a restart on
the same queues replaces it; a clean stop is "stopped", never down. BullMQ's own worker list names it too."""

from __future__ import annotations

import signal
import time
import uuid

import redis.asyncio as aioredis
from bullmq import Queue

from lightspeedpay.jobs.worker import blocking_safe_url
from lightspeedpay.monitoring.service import worker_health_service
from tests.factories import wait_for
from tests.fixtures import Platform

BEAT = 2.0  # seconds; down after 3 beats = 6 s of silence
QUEUE = "settlements"


async def _views(session):
    await session.rollback()  # see the workers' commits
    return await worker_health_service.workers(session)


async def _by_pid(session, pid: int):
    return next((w for w in await _views(session) if w.row.pid == pid), None)


async def test_a_killed_worker_is_down_after_three_silent_beats(platform, session):
    # a worker of its own: its own key prefix, so only the jobs this test pushes reach it
    prefix = f"hb{uuid.uuid4().hex[:8]}"
    env = {**platform.env, "LSP_QUEUE_PREFIX": prefix, "LSP_WORKER_HEARTBEAT_SECONDS": str(BEAT)}
    own = Platform(env=env)
    queue = Queue(QUEUE, {"connection": blocking_safe_url(platform.env["LSP_REDIS_URL"]), "prefix": prefix})
    try:
        proc = own.start("worker-heartbeat", "worker", "--queue", QUEUE)
        first = await wait_for(lambda: _by_pid(session, proc.pid), timeout=60, what="the worker's first beat")
        assert first.state == "alive"
        first_beat = first.row.last_beat_at
        assert first.row.queues == [QUEUE]
        assert first.row.concurrency > 0
        assert first.row.beat_seconds == BEAT
        assert first.row.id.endswith(f":{proc.pid}:{int(first.row.started_at.timestamp())}")
        assert first.row.rss_bytes is not None and first.row.rss_bytes > 20 * 1024 * 1024  # a Python process

        # three jobs whose intents do not exist (done: nothing to do) and one that cannot be read (failed)
        opts = {"attempts": 1, "removeOnComplete": True, "removeOnFail": True}
        for _ in range(3):
            await queue.add("transaction.process", {"intent_id": str(uuid.uuid4())}, opts)
        await queue.add("transaction.process", {"intent_id": "not-a-uuid"}, opts)

        async def counted():
            w = await _by_pid(session, proc.pid)
            return w if w and w.row.jobs_done >= 3 and w.row.jobs_failed >= 1 else None

        beating = await wait_for(counted, timeout=30, what="the job counts in the heartbeat")
        assert (beating.row.jobs_done, beating.row.jobs_failed) == (3, 1)
        assert beating.row.last_beat_at > first_beat

        # BullMQ's own worker list (what its tools show) names the same process
        connected = await queue.get_workers()
        assert any(str(c.get("rawname", "")).endswith(f":w:{beating.id}") for c in connected), connected

        own.kill("worker-heartbeat", signal.SIGKILL)
        killed_at = time.monotonic()
        # silence shorter than 3 beats is not "down": a worker is allowed to miss a beat or two
        right_after = await _by_pid(session, proc.pid)
        if time.monotonic() - killed_at < BEAT:  # (the machine did not stall between the kill and the read)
            assert right_after.state == "alive"
            assert beating.id not in [w.id for w in await worker_health_service.down_workers(session)]

        async def down():
            await session.rollback()
            found = [w for w in await worker_health_service.down_workers(session) if w.id == beating.id]
            return found[0] if found else None

        dead = await wait_for(down, timeout=3 * BEAT + 30, every=0.25, what="the killed worker to be down")
        assert (
            time.monotonic() - killed_at >= 2 * BEAT
        )  # its last beat was at most one interval before the kill
        assert dead.row.stopped_at is None and dead.replaced_by is None
        per_queue = await worker_health_service.queue_workers(session)
        assert dead.id in [w.id for w in per_queue[QUEUE] if w.state == "down"]

        # a restart on the same queue replaces it: the alert condition clears, the row stays visible
        again = own.start("worker-heartbeat-2", "worker", "--queue", QUEUE)

        async def replaced():
            views = {w.id: w for w in await _views(session)}
            old = views.get(dead.id)
            return old if old and old.replaced_by else None

        old = await wait_for(replaced, timeout=60, what="the restarted worker to replace the dead one")
        assert old.state == "down"
        successor = await _by_pid(session, again.pid)
        assert old.replaced_by == successor.id
        assert dead.id not in [w.id for w in await worker_health_service.down_workers(session)]
        assert dead.id in [
            w.id for w in await worker_health_service.down_workers(session, include_replaced=True)
        ]

        # a clean stop writes stopped_at: stopped, not down, even long after its last beat
        own.kill("worker-heartbeat-2", signal.SIGTERM)
        stopped = await _by_pid(session, again.pid)
        assert stopped.state == "stopped" and stopped.row.stopped_at is not None
    finally:
        own.stop_all()
        await queue.obliterate(force=True)
        await queue.close()
        r = aioredis.Redis.from_url(platform.env["LSP_REDIS_URL"])
        keys = [k async for k in r.scan_iter(f"{prefix}:*")]
        if keys:
            await r.delete(*keys)
        await r.aclose()
