"""The one unit of work: what a block queued is pushed to BullMQ right after its commit, and dropped with a
rollback; the scheduler's periodic tasks run through it too (issue 8, defect 3: jobs a scheduled task queued
used to wait for the sweeper)."""

from __future__ import annotations

import uuid

import pytest

from lightspeedpay import schedule
from lightspeedpay.jobs import outbox, queues
from lightspeedpay.jobs.unit_of_work import unit_of_work
from lightspeedpay.models import JobIntent
from tests.factories import add_transaction, count, create_merchant, create_sandbox_gateway


async def _new_transaction(session, platform) -> uuid.UUID:
    new = await create_merchant(session)
    gw = await create_sandbox_gateway(session, platform.simulator_url)
    txn = add_transaction(session, new.client.id, gw)
    await session.commit()
    return txn.id


async def test_a_scheduled_task_pushes_what_it_queued_at_once(platform, session):
    txn_id = await _new_transaction(session, platform)
    queued: list[uuid.UUID] = []

    async def periodic_work(s):
        queued.append(outbox.enqueue(s, "transaction.process", transaction_id=str(txn_id)).id)

    await schedule._in_session(periodic_work)
    # right after the commit, long before the sweeper's grace period: BullMQ has the job
    state = await queues.queue("transaction-processing").getJobState(str(queued[0]))
    assert state != "unknown"


async def test_a_rollback_drops_the_queued_jobs(platform, session):
    txn_id = await _new_transaction(session, platform)
    queued: list[uuid.UUID] = []
    with pytest.raises(RuntimeError):
        async with unit_of_work() as s:
            queued.append(outbox.enqueue(s, "transaction.process", transaction_id=str(txn_id)).id)
            await s.flush()
            raise RuntimeError("the block failed")
    assert await count(session, JobIntent, JobIntent.id == queued[0]) == 0
    assert await queues.queue("transaction-processing").getJobState(str(queued[0])) == "unknown"
