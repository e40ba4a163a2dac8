"""A PSP that hangs while the janitor asks it about stale payments holds up nothing else (issue 8, defect 2):
no row lock is held across its status calls, so `POST /api/v1/pay` on another gateway answers, and each
periodic task runs on its own, so the sweeper keeps sweeping; the janitor's run is cancelled at its timeout."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select

from lightspeedpay.gateways.service import gateway_service, volume_month
from lightspeedpay.jobs import outbox
from lightspeedpay.models import JobIntent, Transaction
from tests.factories import create_merchant, create_sandbox_gateway, merchant_client, wait_for
from tests.fixtures import LOG_DIR, Platform

HANG_SECONDS = 30  # how long the PSP holds each call
STALE_ON_HANGING = 6  # more than one, so a janitor that asks one after another would stall for minutes


async def test_a_psp_hanging_for_the_janitor_delays_neither_pay_nor_the_sweeper(platform, session):
    new = await create_merchant(session)
    hanging = await create_sandbox_gateway(session, platform.simulator_url, name="hanging")
    healthy = await create_sandbox_gateway(session, platform.simulator_url, name="healthy")
    hanging_key = gateway_service.account(hanging).credentials["key_id"]
    now, month = datetime.now(UTC), volume_month()
    # payments on the hanging PSP, known there, waiting for an outcome long enough for the janitor to ask;
    # their reservations fill that gateway, so new payments can only go to the healthy one
    for i in range(STALE_ON_HANGING):
        session.add(
            Transaction(
                id=uuid.uuid4(),
                order_id=f"hang-{i}",
                client_id=new.client.id,
                gateway_id=hanging.id,
                amount=1_000,
                currency="INR",
                status="pending",
                gateway_txn_id=f"order_hang{i}{uuid.uuid4().hex[:8]}",
                updated_at=now - timedelta(minutes=5),
            )
        )
    hanging.current_volume = hanging.monthly_limit = 1_000 * STALE_ON_HANGING
    hanging.volume_month = month
    # a payment on the healthy gateway past its TTL: the janitor expires it, releasing that gateway's volume
    # (the janitor that held one transaction across the batch kept the healthy gateway's row locked from here)
    expiring = Transaction(
        id=uuid.uuid4(),
        order_id="expiring",
        client_id=new.client.id,
        gateway_id=healthy.id,
        amount=2_000,
        currency="INR",
        status="created",
        created_at=now - timedelta(hours=2),
        updated_at=now - timedelta(hours=1),
    )
    session.add(expiring)
    healthy.current_volume, healthy.volume_month = 2_000, month
    await session.commit()
    expiring_id = expiring.id

    async with httpx.AsyncClient(timeout=10) as sim:
        r = await sim.put(
            f"{platform.simulator_url}/_sim/accounts/{hanging_key}/faults",
            json={"timeout": True, "timeout_seconds": HANG_SECONDS},
        )
        assert r.status_code == 200, r.text

    # a scheduler of its own whose PSP calls wait longer than the hang (the suite's 3 s would hide it), and
    # whose task timeout is shorter than the hang, so the janitor's run is cancelled
    log_file = LOG_DIR / "scheduler-hang.log"
    log_from = log_file.stat().st_size if log_file.exists() else 0
    own = Platform(
        env={
            **platform.env,
            "LSP_PSP_TIMEOUT_SECONDS": str(HANG_SECONDS * 3),
            "LSP_SCHEDULER_TASK_TIMEOUT_SECONDS": "15",
        }
    )
    platform.kill("scheduler")
    try:
        own.start("scheduler-hang", "scheduler")

        async def janitor_is_hanging():
            async with httpx.AsyncClient(timeout=10) as sim:
                held = (await sim.get(f"{platform.simulator_url}/_sim/accounts/{hanging_key}/faults")).json()
            return held["calls_held"] >= 1

        await wait_for(janitor_is_hanging, timeout=60, what="the janitor to ask the hanging PSP")

        # an intent that never reached Redis: only a sweep that runs during the hang pushes it
        swept = Transaction(
            id=uuid.uuid4(),
            order_id="swept-during-hang",
            client_id=new.client.id,
            gateway_id=healthy.id,
            amount=3_000,
            currency="INR",
            status="created",
        )
        await session.rollback()
        session.add(swept)
        intent = outbox.enqueue(session, "transaction.process", transaction_id=str(swept.id))
        await session.commit()
        outbox.forget(session)
        intent_id = intent.id

        # far less than the hang: a /pay waiting behind the janitor's locks would wait minutes
        async with httpx.AsyncClient(timeout=HANG_SECONDS / 2) as http:
            r = await merchant_client(platform.api_url, new, http).pay(amount=5_000)
        assert r.status_code == 201, r.text
        paid_to = (
            await session.execute(
                select(Transaction.gateway_id).where(Transaction.id == uuid.UUID(r.json()["transaction_id"]))
            )
        ).scalar()
        assert paid_to == healthy.id

        async def intent_done():
            await session.rollback()
            return (
                await session.execute(select(JobIntent.status).where(JobIntent.id == intent_id))
            ).scalar() == "completed"

        await wait_for(
            intent_done, timeout=HANG_SECONDS * 0.9, what="the sweeper to push the intent during the hang"
        )

        async def expired():
            await session.rollback()
            return (
                await session.execute(select(Transaction.status).where(Transaction.id == expiring_id))
            ).scalar() == "expired"

        await wait_for(
            expired, timeout=HANG_SECONDS * 0.9, what="the stale payment to expire during the hang"
        )

        async def timed_out():
            lines = log_file.read_bytes()[log_from:].decode(errors="replace").splitlines()
            return any("scheduled_run_timeout" in line and "janitor" in line for line in lines)

        await wait_for(timed_out, timeout=HANG_SECONDS * 2, every=1, what="the janitor's run to time out")
    finally:
        own.stop_all()
        async with httpx.AsyncClient(timeout=10) as sim:
            await sim.put(f"{platform.simulator_url}/_sim/accounts/{hanging_key}/faults", content=b"")
        platform.start("scheduler", "scheduler")
