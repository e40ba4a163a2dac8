"""The asynchronous client against the running platform (skipped when LSP_API is unset): the same journeys as
the synchronous client's, awaited: a payment paid and its webhook verified, a refund, async pagination, a 429
retried after Retry-After, a retry racing its first attempt with one idempotency key, and typed errors."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx
import pytest
from conftest import Platform, Receiver, Traffic, recorded_async

from lightspeedpay_sdk import AsyncClient, InvalidRequestError, NotFoundError, verify_webhook


def _order_id() -> str:
    return f"ORD-PYA-{uuid.uuid4().hex[:12]}"


async def test_a_payment_paid_its_webhook_verified_and_a_refund(platform: Platform, receiver: Receiver):
    async with AsyncClient(platform.key_id, platform.key_secret, base_url=platform.api) as client:
        endpoint = await client.webhooks.create(receiver.url + "/async", event_types=["payment.paid"])
        created = await client.payments.pay(45600, _order_id())
        payment = await client.payments.wait(
            created["transaction_id"], "pending", "paid", "failed", "expired"
        )
        assert payment["checkout_url"]
        async with httpx.AsyncClient(timeout=30) as payer:
            (await payer.post(payment["checkout_url"], data={"outcome": "success"})).raise_for_status()
        payment = await client.payments.wait(created["transaction_id"], "paid", "failed", "expired")
        assert payment["status"] == "paid"

        delivery = await asyncio.to_thread(
            receiver.wait_for, "/webhooks/async", lambda d: created["payment_id"].encode() in d.body
        )
        event = verify_webhook(endpoint["secret"], delivery.headers, delivery.body)
        assert event["type"] == "payment.paid" and event["data"]["amount"] == 45600

        refund = await client.refunds.create(created["payment_id"], amount=5600)  # by pay_… too
        assert (await client.refunds.get(refund["id"]))["transaction_id"] == created["transaction_id"]
        assert [r["id"] async for r in client.refunds.list(transaction_id=created["transaction_id"])] == [
            refund["id"]
        ]
        await client.webhooks.delete(endpoint["id"])


async def test_async_pagination_walks_every_page(platform: Platform):
    traffic = Traffic()
    async with AsyncClient(
        platform.key_id, platform.key_secret, base_url=platform.api, http_client=recorded_async(traffic)
    ) as client:
        made = [(await client.payments.pay(2000 + i, _order_id()))["transaction_id"] for i in range(3)]
        seen = [p["id"] async for p in client.payments.list(page_size=2)]
    assert set(made) <= set(seen) and len(seen) == len(set(seen))
    assert len(traffic.to("GET", "/api/v1/transactions")) >= 2


async def test_a_retry_racing_the_first_attempt_gets_the_same_payment(platform: Platform):
    key, order_id = str(uuid.uuid4()), _order_id()
    async with AsyncClient(platform.key_id, platform.key_secret, base_url=platform.api) as client:
        # both carry the key: one runs, the other waits for it (409 IDEMPOTENCY_KEY_IN_USE is retried) or
        # replays its answer
        first, second = await asyncio.gather(
            client.payments.pay(12300, order_id, idempotency_key=key),
            client.payments.pay(12300, order_id, idempotency_key=key),
        )
        assert first["transaction_id"] == second["transaction_id"]
        assert (await client.payments.get(first["transaction_id"]))["order_id"] == order_id


async def test_a_429_is_retried_after_retry_after(platform: Platform):
    traffic = Traffic()
    async with AsyncClient(
        platform.throttled_key_id,
        platform.throttled_key_secret,
        base_url=platform.throttled_api,
        http_client=recorded_async(traffic),
    ) as client:
        await asyncio.sleep(2.1)  # a window of its own, whatever the synchronous tests did before
        await client.wallet.get()
        started = time.monotonic()
        wallet = await client.wallet.get()
        waited = time.monotonic() - started
    assert "balance_due" in wallet
    statuses = [r.status_code for r in traffic.answers]
    assert statuses[:2] == [200, 429] and statuses[-1] == 200, statuses
    assert waited >= float(traffic.answers[1].headers["Retry-After"])


async def test_typed_errors(platform: Platform):
    async with AsyncClient(platform.key_id, platform.key_secret, base_url=platform.api) as client:
        with pytest.raises(InvalidRequestError) as raised:
            await client.payments.pay(-5, _order_id())
        assert raised.value.field == "amount" and raised.value.status == 422 and raised.value.request_id
        with pytest.raises(NotFoundError):
            await client.refunds.get("rfnd_nothing")
