"""One payment end to end over real HTTP, PostgreSQL, Redis, workers, the PSP simulator and a merchant
receiver: success, failure, merchant webhook retries, duplicate and late PSP events."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
from sqlalchemy import select
from standardwebhooks import Webhook

from lightspeedpay.models import (
    PspEvent,
    Transaction,
    Wallet,
    WalletEntry,
    WebhookDeliveryAttempt,
    WebhookEvent,
)
from tests.factories import count, create_merchant, create_sandbox_gateway, merchant_client, wait_for


async def _txn(session, client, txn_id: str) -> dict:
    r = await client.get(f"/api/v1/transactions/{txn_id}")
    assert r.status_code == 200, r.text
    return r.json()


async def _deliveries(platform, endpoint: str) -> list[dict]:
    async with httpx.AsyncClient() as c:
        return (await c.get(f"{platform.receiver_url}/_receiver/endpoints/{endpoint}/deliveries")).json()


async def _pay_as_payer(checkout_url: str, outcome: str) -> None:
    async with httpx.AsyncClient() as c:
        r = await c.post(checkout_url, data={"outcome": outcome}, headers={"accept": "application/json"})
        assert r.status_code == 200, r.text


@pytest.fixture
async def shop(platform, session):
    new = await create_merchant(
        session, receiver_url=platform.receiver_url, name=f"shop{uuid.uuid4().hex[:6]}"
    )
    await create_sandbox_gateway(session, platform.simulator_url, name="sbx_a")
    async with httpx.AsyncClient(timeout=15) as http:
        yield new, merchant_client(platform.api_url, new, http)


async def test_successful_payment_end_to_end(platform, session, shop):
    new, client = shop
    endpoint = new.client.webhook_url.rsplit("/", 1)[1]
    r = await client.pay(amount=49_900, order_id="ORD-1", customer={"name": "Asha", "phone": "+919876543210"})
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "created"
    txn_id = r.json()["transaction_id"]

    pending = await wait_for(lambda: _checkout(client, txn_id), what="the PSP order")
    assert pending["status"] == "pending" and pending["gateway_txn_id"].startswith("sbx_order_")
    await _pay_as_payer(pending["checkout_url"], "success")

    paid = await wait_for(lambda: _status(client, txn_id, "paid"), what="paid")
    assert paid["paid_at"] is not None

    # commission: 3.50 % of ₹499.00 = 1746.5 paise, rounded half-up
    await session.rollback()
    entry = (
        await session.execute(select(WalletEntry).where(WalletEntry.transaction_id == uuid.UUID(txn_id)))
    ).scalar_one()
    assert (entry.type, entry.amount) == ("COMMISSION", 1747)
    wallet = (await session.execute(select(Wallet).where(Wallet.client_id == new.client.id))).scalar_one()
    assert wallet.balance_due == 1747

    # the merchant's receiver got payment.paid, and the signature verifies with the reference library
    deliveries = await wait_for(lambda: _deliveries(platform, endpoint), what="a merchant webhook")
    first = deliveries[0]
    verified = Webhook(new.webhook_secret).verify(first["body"], first["headers"])
    assert verified["type"] == "payment.paid"
    assert verified["data"]["transaction_id"] == txn_id and verified["data"]["amount"] == 49_900
    assert first["answered"] == 200


async def _checkout(client, txn_id):
    t = (await client.get(f"/api/v1/transactions/{txn_id}")).json()
    return t if t.get("checkout_url") else None


async def _status(client, txn_id, status):
    t = (await client.get(f"/api/v1/transactions/{txn_id}")).json()
    return t if t["status"] == status else None


async def test_failed_payment_releases_volume_and_notifies(platform, session, shop):
    new, client = shop
    endpoint = new.client.webhook_url.rsplit("/", 1)[1]
    txn_id = (await client.pay(amount=20_000)).json()["transaction_id"]
    pending = await wait_for(lambda: _checkout(client, txn_id), what="the PSP order")
    await _pay_as_payer(pending["checkout_url"], "failure")
    failed = await wait_for(lambda: _status(client, txn_id, "failed"), what="failed")
    assert failed["error_code"] == "PAYMENT_DECLINED"
    assert await count(session, WalletEntry) == 0
    gw_volume = (
        await session.execute(select(Transaction.volume_released).where(Transaction.id == uuid.UUID(txn_id)))
    ).scalar_one()
    assert gw_volume is True
    deliveries = await wait_for(lambda: _deliveries(platform, endpoint), what="a merchant webhook")
    assert json.loads(deliveries[0]["body"])["type"] == "payment.failed"
    assert deliveries[0]["verified"] is True


async def test_merchant_webhook_is_retried_until_the_receiver_accepts(platform, session, shop):
    new, client = shop
    endpoint = new.client.webhook_url.rsplit("/", 1)[1]
    async with httpx.AsyncClient() as c:
        await c.put(
            f"{platform.receiver_url}/_receiver/endpoints/{endpoint}",
            json={"secret": new.webhook_secret, "fail_next": 2, "status": 500},
        )
    txn_id = (await client.pay(amount=15_000)).json()["transaction_id"]
    pending = await wait_for(lambda: _checkout(client, txn_id), what="the PSP order")
    await _pay_as_payer(pending["checkout_url"], "success")

    async def delivered():
        await session.rollback()
        ev = (
            await session.execute(
                select(WebhookEvent).where(WebhookEvent.transaction_id == uuid.UUID(txn_id))
            )
        ).scalar_one_or_none()
        return ev if ev is not None and ev.status == "delivered" else None

    event = await wait_for(delivered, timeout=30, what="delivery after retries")
    assert event.attempts == 3
    attempts = (
        (
            await session.execute(
                select(WebhookDeliveryAttempt)
                .where(WebhookDeliveryAttempt.event_id == event.id)
                .order_by(WebhookDeliveryAttempt.attempt)
            )
        )
        .scalars()
        .all()
    )
    assert [(a.attempt, a.status_code) for a in attempts] == [(1, 500), (2, 500), (3, 200)]
    assert all(a.latency_ms >= 0 for a in attempts) and attempts[0].error == "HTTP 500"
    received = await _deliveries(platform, endpoint)
    assert [d["answered"] for d in received] == [500, 500, 200]
    # the same webhook-id on every retry, a fresh timestamp and signature each time
    assert len({d["headers"]["webhook-id"] for d in received}) == 1
    for d in received:
        Webhook(new.webhook_secret).verify(d["body"], d["headers"])


async def test_merchant_webhook_gives_up_after_the_schedule(platform, session, shop):
    new, client = shop
    endpoint = new.client.webhook_url.rsplit("/", 1)[1]
    async with httpx.AsyncClient() as c:
        await c.put(
            f"{platform.receiver_url}/_receiver/endpoints/{endpoint}",
            json={"secret": new.webhook_secret, "fail_next": 99, "status": 503},
        )
    txn_id = (await client.pay(amount=15_000)).json()["transaction_id"]
    pending = await wait_for(lambda: _checkout(client, txn_id), what="the PSP order")
    await _pay_as_payer(pending["checkout_url"], "success")

    async def failed():
        await session.rollback()
        ev = (
            await session.execute(
                select(WebhookEvent).where(WebhookEvent.transaction_id == uuid.UUID(txn_id))
            )
        ).scalar_one_or_none()
        return ev if ev is not None and ev.status == "failed" else None

    event = await wait_for(failed, timeout=40, what="the event to be marked failed")
    assert event.attempts == 5  # first try + the 4 retries of the schedule
    assert await count(session, WebhookDeliveryAttempt, WebhookDeliveryAttempt.event_id == event.id) == 5


async def test_duplicate_and_late_psp_events_change_nothing(platform, session, shop):
    new, client = shop
    txn_id = (await client.pay(amount=30_000)).json()["transaction_id"]
    pending = await wait_for(lambda: _checkout(client, txn_id), what="the PSP order")
    await _pay_as_payer(pending["checkout_url"], "success")
    await wait_for(lambda: _status(client, txn_id, "paid"), what="paid")

    await session.rollback()
    event = (
        await session.execute(select(PspEvent).where(PspEvent.transaction_id == uuid.UUID(txn_id)))
    ).scalar_one()
    url = f"{platform.api_url}/api/v1/webhooks/psp/sandbox/{event.gateway_id}"
    from lightspeedpay.gateways.adapters.sandbox import sign_body
    from lightspeedpay.gateways.repository import gateway_repo
    from lightspeedpay.gateways.service import gateway_service

    gateway = await gateway_repo.get(session, event.gateway_id)
    secret = gateway_service.account(gateway).credentials["webhook_secret"]
    raw = event.raw_body.encode()
    async with httpx.AsyncClient() as c:
        # the PSP delivers the same event again: acknowledged, stored once
        dup = await c.post(url, content=raw, headers={"X-Sandbox-Signature": sign_body(secret, raw)})
        assert dup.status_code == 200 and dup.json()["duplicate"] is True
        # a late "failed" event (a new PSP event id) must not move a paid payment back
        late = json.loads(raw)
        late["id"] = "sbx_evt_late1"
        late["type"] = "payment.failed"
        late_raw = json.dumps(late).encode()
        r = await c.post(url, content=late_raw, headers={"X-Sandbox-Signature": sign_body(secret, late_raw)})
        assert r.status_code == 200 and r.json()["duplicate"] is False
        # a forged event is refused and not stored
        forged = await c.post(
            url,
            content=late_raw.replace(b"late1", b"late2"),
            headers={"X-Sandbox-Signature": sign_body(secret, late_raw)},
        )
        assert forged.status_code == 401 and forged.json()["error"]["code"] == "INVALID_SIGNATURE"

    async def late_processed():
        await session.rollback()
        ev = (
            await session.execute(select(PspEvent).where(PspEvent.external_id == "sbx_evt_late1"))
        ).scalar_one()
        return ev if ev.processed_at else None

    processed = await wait_for(late_processed, what="the late event")
    assert processed.outcome == "stale:failed"
    assert (await _txn(session, client, txn_id))["status"] == "paid"
    assert await count(session, PspEvent) == 2
    assert await count(session, WalletEntry, WalletEntry.transaction_id == uuid.UUID(txn_id)) == 1
    assert await count(session, WebhookEvent, WebhookEvent.transaction_id == uuid.UUID(txn_id)) == 1


async def test_reads_are_scoped_to_the_merchant(platform, session, shop):
    new, client = shop
    other = await create_merchant(session, name=f"other{uuid.uuid4().hex[:6]}")
    async with httpx.AsyncClient() as http:
        other_client = merchant_client(platform.api_url, other, http)
        mine = (await client.pay(amount=1000)).json()["transaction_id"]
        theirs = (await other_client.pay(amount=2000)).json()["transaction_id"]
        r = await client.get(f"/api/v1/transactions/{theirs}")
        assert r.status_code == 404 and r.json()["error"]["code"] == "NOT_FOUND"
        listed = (await client.get("/api/v1/transactions")).json()
        assert [t["id"] for t in listed["items"]] == [mine]


async def test_list_pagination_and_filters(platform, session, shop):
    _, client = shop
    ids = [(await client.pay(amount=1000 + i)).json()["transaction_id"] for i in range(5)]
    seen: list[str] = []
    cursor = None
    while True:
        path = "/api/v1/transactions?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = (await client.get(path)).json()
        seen += [t["id"] for t in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(ids))
    assert (await client.get("/api/v1/transactions?status=refunded")).json()["items"] == []
    bad = await client.get("/api/v1/transactions?status=bogus")
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "status"
    bad_cursor = await client.get("/api/v1/transactions?cursor=nonsense")
    assert bad_cursor.status_code == 422 and bad_cursor.json()["error"]["field"] == "cursor"
