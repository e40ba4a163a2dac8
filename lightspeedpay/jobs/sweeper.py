"""Re-enqueues job intents that are still pending after a grace period (Redis wiped, a push that failed,
a job BullMQ gave up on), so no intent is ever lost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lightspeedpay.config import get_settings
from lightspeedpay.db import sessionmaker
from lightspeedpay.jobs import queues
from lightspeedpay.jobs.repository import job_intent_repo
from lightspeedpay.kit.logging import log


async def sweep(*, limit: int = 500) -> int:
    settings = get_settings()
    cutoff = datetime.now(UTC) - timedelta(seconds=settings.sweeper_grace_seconds)
    # a paused queue's intents wait for its resume (their jobs sit in BullMQ's wait list): leaving them out keeps
    # a large paused backlog from filling every pass and starving the other queues' overdue intents
    paused = [name for name in queues.QUEUE_NAMES if await queues.queue(name).isPaused()]
    async with sessionmaker()() as session:
        rows = await job_intent_repo.overdue(session, before=cutoff, limit=limit, skip_queues=paused)
    pushed = 0
    for intent_id, queue_name, job_name in rows:
        q = queues.queue(queue_name)
        state = await q.getJobState(str(intent_id))
        if state in ("waiting", "active", "delayed", "prioritized", "waiting-children"):
            continue  # BullMQ still has it; a stalled active job is recovered by BullMQ itself
        if state in ("completed", "failed"):
            await q.remove(str(intent_id))
        await queues.push(queue_name, job_name, str(intent_id))
        pushed += 1
    if pushed:
        log.info("sweeper_requeued", count=pushed)
    return pushed
