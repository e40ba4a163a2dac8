"""An intent that never reached Redis (the push failed, or Redis was wiped) is pushed again by the sweeper."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from lightspeedpay.jobs import outbox
from lightspeedpay.models import JobIntent, Transaction
from tests.factories import add_transaction, create_merchant, create_sandbox_gateway, wait_for


async def test_sweeper_pushes_an_intent_redis_never_saw(platform, session):
    new = await create_merchant(session)
    gw = await create_sandbox_gateway(session, platform.simulator_url)
    txn = add_transaction(session, new.client.id, gw, order_id="swept-1")
    intent = outbox.enqueue(session, "transaction.process", transaction_id=str(txn.id))
    await session.commit()
    intent_id, txn_id = intent.id, txn.id
    outbox.forget(session)  # as if Redis had been down at commit time: nothing was pushed

    async def processed():
        await session.rollback()
        row = (
            await session.execute(
                select(JobIntent.status, JobIntent.attempts).where(JobIntent.id == intent_id)
            )
        ).one()
        return row if row.status == "completed" else None

    done = await wait_for(processed, timeout=20, what="the sweeper to re-enqueue the intent")
    assert done.attempts == 1
    await session.rollback()
    status, checkout_url = (
        await session.execute(
            select(Transaction.status, Transaction.checkout_url).where(Transaction.id == txn_id)
        )
    ).one()
    assert status == "pending" and checkout_url
    async with httpx.AsyncClient() as http:
        orders = (
            await http.get(f"{platform.simulator_url}/_sim/orders", params={"receipt": str(txn_id)})
        ).json()
    assert len(orders) == 1
