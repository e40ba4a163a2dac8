"""Routing through the whole platform: failover around a failing PSP, the breaker and its recovery,
declines that are never retried elsewhere, duplicate / out-of-order / missing webhooks, and expiry."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

import httpx
import pytest
from sqlalchemy import select, update

from lightspeedpay.gateways.service import gateway_service
from lightspeedpay.models import (
    Alert,
    GatewayAttempt,
    PaymentGateway,
    PspEvent,
    Transaction,
    WalletEntry,
    WebhookEvent,
)
from tests.factories import count, create_merchant, create_sandbox_gateway, merchant_client, wait_for


async def _faults(platform, gw: PaymentGateway | str, **faults) -> None:
    key_id = gw if isinstance(gw, str) else gateway_service.account(gw).credentials["key_id"]
    async with httpx.AsyncClient() as c:
        r = await c.put(f"{platform.simulator_url}/_sim/accounts/{key_id}/faults", json=faults)
        assert r.status_code == 200, r.text


async def _statuses(session) -> Counter:
    await session.rollback()
    return Counter((await session.execute(select(Transaction.status))).scalars())


@pytest.fixture
async def http():
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=50)) as c:
        yield c


async def test_500_payments_complete_around_a_failing_gateway_which_trips_and_recovers(
    platform, session, http
):
    new = await create_merchant(session)
    good = [
        await create_sandbox_gateway(session, platform.simulator_url, name=f"good{i}", auto_outcome="success")
        for i in range(2)
    ]
    bad = await create_sandbox_gateway(session, platform.simulator_url, name="bad", auto_outcome="success")
    bad_id, bad_key, good_ids = (
        bad.id,
        gateway_service.account(bad).credentials["key_id"],
        [g.id for g in good],
    )
    await _faults(platform, bad_key, http_5xx=502)
    client = merchant_client(platform.api_url, new, http)
    for _ in range(10):
        responses = await asyncio.gather(*(client.pay(amount=10_000) for _ in range(50)))
        assert Counter(r.status_code for r in responses) == Counter({201: 50})

    seen: list[Counter] = []

    async def all_paid():
        seen.append(await _statuses(session))
        return seen[-1] == Counter({"paid": 500})

    # 10-25 s on a quiet machine; a loaded CI machine took over 120 s (the test is of the outcome: bench/ measures
    # the speed)
    try:
        await wait_for(all_paid, timeout=300, every=1, what="all 500 payments paid")
    except AssertionError as e:
        raise AssertionError(f"{e}; statuses every 30 s: {seen[::30]}, at the end: {seen[-1]}") from None
    # none of them was paid through the failing gateway; every attempt there was a technical error
    assert await count(session, Transaction, Transaction.gateway_id == bad_id) == 0
    bad_attempts = (
        (await session.execute(select(GatewayAttempt.outcome).where(GatewayAttempt.gateway_id == bad_id)))
        .scalars()
        .all()
    )
    assert bad_attempts and set(bad_attempts) == {"technical_error"}
    assert await count(session, WalletEntry) == 500
    tripped = (
        await session.execute(
            select(PaymentGateway.temp_failed, PaymentGateway.temp_failed_at).where(
                PaymentGateway.id == bad_id
            )
        )
    ).one()
    assert tripped.temp_failed and tripped.temp_failed_at is not None
    assert await count(session, Alert, Alert.kind == "gateway.down", Alert.gateway_id == bad_id) == 1
    # fewer attempts on the bad gateway than payments: once tripped it got no more traffic
    assert len(bad_attempts) < 500
    # every reservation moved with its payment
    for gw_id in [*good_ids, bad_id]:
        gw = (
            await session.execute(select(PaymentGateway.current_volume).where(PaymentGateway.id == gw_id))
        ).one()
        reserved = sum(
            (
                await session.execute(select(Transaction.amount).where(Transaction.gateway_id == gw_id))
            ).scalars()
        )
        assert gw.current_volume == reserved

    # the PSP answers again: the health probe clears the breaker and the gateway gets traffic back
    await _faults(platform, bad_key)

    async def recovered():
        await session.rollback()
        return not (
            await session.execute(select(PaymentGateway.temp_failed).where(PaymentGateway.id == bad_id))
        ).scalar_one()

    await wait_for(recovered, timeout=20, what="the breaker to clear")

    # the trip's one alert is resolved by the recovery (the probe's, or the alert rule's once it sees the breaker
    # cleared), not doubled
    async def alert_resolved():
        await session.rollback()
        return (
            await session.execute(
                select(Alert.status).where(Alert.kind == "gateway.down", Alert.gateway_id == bad_id)
            )
        ).scalars().all() == ["resolved"]

    await wait_for(alert_resolved, timeout=10, what="the gateway's alert resolved")
    # its success rate is still the window's failures, so it ranks last in its tier and gets traffic back through
    # exploration (LSP_ROUTING_EXPLORATION=0.2 here, shared by the tier's three): about 1 payment in 15, so 30
    # payments missed it one run in eight; up to 300 miss it about once in a billion
    for _ in range(30):
        responses = await asyncio.gather(*(client.pay(amount=10_000) for _ in range(10)))
        assert [r.status_code for r in responses] == [201] * 10, [r.text for r in responses]
        if await count(session, Transaction, Transaction.gateway_id == bad_id) > 0:
            break
    else:
        raise AssertionError("300 payments after the recovery, none was routed to the recovered gateway")


async def test_a_decline_is_never_retried_elsewhere(platform, session, http):
    new = await create_merchant(session)
    declining = await create_sandbox_gateway(session, platform.simulator_url, name="declining", priority=5)
    await create_sandbox_gateway(session, platform.simulator_url, name="other", priority=1)
    declining_id = declining.id
    await _faults(platform, declining, decline=True)
    txn_id = uuid.UUID(
        (await merchant_client(platform.api_url, new, http).pay(amount=5_000)).json()["transaction_id"]
    )

    async def failed():
        await session.rollback()
        return (
            await session.execute(select(Transaction).where(Transaction.id == txn_id))
        ).scalar_one().status == "failed"

    await wait_for(failed, what="the declined payment to fail")
    attempts = (
        (await session.execute(select(GatewayAttempt).where(GatewayAttempt.transaction_id == txn_id)))
        .scalars()
        .all()
    )
    assert [(a.gateway_id, a.outcome) for a in attempts] == [(declining_id, "declined")]
    assert attempts[0].error_code


async def test_duplicate_and_out_of_order_webhooks_leave_the_true_final_state(platform, session, http):
    new = await create_merchant(session)
    gw = await create_sandbox_gateway(session, platform.simulator_url, auto_outcome="success")
    await _faults(platform, gw, duplicate_webhook=True, out_of_order=True)
    client = merchant_client(platform.api_url, new, http)
    ids = [(await client.pay(amount=7_000 + i)).json()["transaction_id"] for i in range(20)]

    async def settled():
        return (await _statuses(session))["paid"] == 20

    await wait_for(settled, timeout=30, what="all paid")
    await asyncio.sleep(2)  # let the stale and duplicate deliveries arrive and be processed
    assert await _statuses(session) == Counter({"paid": 20})
    assert await count(session, WalletEntry) == 20
    # duplicates were stored once, stale events changed nothing: one paid event per payment reached the merchant
    # (the janitor may have applied "paid" first, making the webhook's own event stale)
    outcomes = Counter((await session.execute(select(PspEvent.outcome))).scalars())
    assert set(outcomes) <= {"paid", "stale:paid", "stale:authorized", "authorized", "stale:failed", None}
    assert await count(session, WebhookEvent, WebhookEvent.type == "payment.paid") == 20
    assert len(ids) == 20


async def test_a_missing_webhook_is_resolved_by_the_janitor(platform, session, http):
    new = await create_merchant(session)
    gw = await create_sandbox_gateway(session, platform.simulator_url)
    await _faults(platform, gw, drop_webhook=True)
    client = merchant_client(platform.api_url, new, http)
    txn_id = (await client.pay(amount=9_900)).json()["transaction_id"]

    async def checkout():
        t = (await client.get(f"/api/v1/transactions/{txn_id}")).json()
        return t if t.get("checkout_url") else None

    t = await wait_for(checkout, what="the PSP order")
    r = await http.post(
        t["checkout_url"], data={"outcome": "success"}, headers={"accept": "application/json"}
    )
    assert r.status_code == 200
    await asyncio.sleep(0.5)
    assert (await client.get(f"/api/v1/transactions/{txn_id}")).json()[
        "status"
    ] == "pending"  # no webhook came

    async def paid():
        return (await client.get(f"/api/v1/transactions/{txn_id}")).json()["status"] == "paid"

    await wait_for(paid, timeout=20, what="the janitor to poll the PSP")
    assert await count(session, PspEvent) == 0
    assert await count(session, WalletEntry) == 1


async def test_a_payment_nobody_completes_expires_and_releases_its_volume(platform, session, http):
    new = await create_merchant(session)
    gw = await create_sandbox_gateway(session, platform.simulator_url)
    gw_id = gw.id
    client = merchant_client(platform.api_url, new, http)
    txn_id = uuid.UUID((await client.pay(amount=4_000)).json()["transaction_id"])

    async def pending():
        await session.rollback()
        return (
            await session.execute(select(Transaction.status).where(Transaction.id == txn_id))
        ).scalar_one() == "pending"

    await wait_for(pending, what="the PSP order")
    # as if the payer had walked away two hours ago
    await session.execute(
        update(Transaction)
        .where(Transaction.id == txn_id)
        .values(created_at=Transaction.created_at - __import__("datetime").timedelta(hours=2))
    )
    await session.commit()

    async def expired():
        await session.rollback()
        return (
            await session.execute(select(Transaction.status).where(Transaction.id == txn_id))
        ).scalar_one() == "expired"

    await wait_for(expired, timeout=20, what="the janitor to expire the payment")
    volume = (
        await session.execute(select(PaymentGateway.current_volume).where(PaymentGateway.id == gw_id))
    ).scalar_one()
    assert volume == 0
