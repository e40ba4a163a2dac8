"""A worker SIGKILLed in the middle of a batch: every payment still completes, and none is processed twice."""

from __future__ import annotations

import asyncio
import signal
import uuid

import httpx
from sqlalchemy import func, select

from lightspeedpay.models import JobIntent, PspEvent, Transaction, Wallet, WalletEntry, WebhookEvent
from tests.factories import count, create_merchant, create_sandbox_gateway, merchant_client, wait_for

BATCH = 40


async def test_sigkill_mid_batch_loses_and_doubles_nothing(platform, session):
    new = await create_merchant(session, receiver_url=platform.receiver_url)
    gw = await create_sandbox_gateway(session, platform.simulator_url, auto_outcome="success")
    key_id = await _account_key(session, gw)
    client_id = new.client.id
    async with httpx.AsyncClient(timeout=30) as http:
        # every PSP order takes 400 ms, so the worker is busy with a full batch when it dies
        r = await http.put(f"{platform.simulator_url}/_sim/accounts/{key_id}/faults", json={"slow_ms": 400})
        assert r.status_code == 200, r.text
        client = merchant_client(platform.api_url, new, http)
        responses = await asyncio.gather(*(client.pay(amount=10_000 + i) for i in range(BATCH)))
        assert all(r.status_code == 201 for r in responses)
        ids = [uuid.UUID(r.json()["transaction_id"]) for r in responses]

        async def some_progress():
            n = await count(session, Transaction, Transaction.status != "created")
            return n if n >= 3 else 0

        progressed = await wait_for(some_progress, timeout=30, every=0.05, what="the first PSP orders")
        assert progressed < BATCH, "the whole batch finished before the kill; nothing was tested"
        platform.kill("worker", signal.SIGKILL)
        in_flight = await count(session, JobIntent, JobIntent.status == "pending")
        assert in_flight > 0
        platform.start("worker", "worker")

        async def all_paid():
            return await count(session, Transaction, Transaction.status == "paid") == BATCH

        await wait_for(all_paid, timeout=90, every=0.5, what="every payment to be paid")

        # exactly one PSP order per transaction at the PSP, one PSP event, one commission, one merchant event
        for txn_id in ids:
            orders = (
                await http.get(f"{platform.simulator_url}/_sim/orders", params={"receipt": str(txn_id)})
            ).json()
            assert len(orders) == 1, txn_id
    assert await count(session, PspEvent) == BATCH
    assert await count(session, WalletEntry, WalletEntry.type == "COMMISSION") == BATCH
    assert await count(session, WebhookEvent, WebhookEvent.type == "payment.paid") == BATCH
    per_txn = (
        await session.execute(
            select(WalletEntry.transaction_id, func.count())
            .group_by(WalletEntry.transaction_id)
            .having(func.count() > 1)
        )
    ).all()
    assert per_txn == []
    wallet = (await session.execute(select(Wallet).where(Wallet.client_id == client_id))).scalar_one()
    total = (await session.execute(select(func.sum(WalletEntry.amount)))).scalar_one()
    assert wallet.balance_due == total

    async def intents_done():
        return (
            await count(
                session, JobIntent, JobIntent.queue != "merchant-webhooks", JobIntent.status != "completed"
            )
            == 0
        )

    await wait_for(intents_done, timeout=30, what="every job intent to complete")


async def _account_key(session, gw) -> str:
    from lightspeedpay.gateways.service import gateway_service

    return gateway_service.account(gw).credentials["key_id"]
