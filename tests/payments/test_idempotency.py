"""Idempotency keys (Stripe semantics) on the POST routes of both surfaces, over real HTTP: replay with a marker
header, reuse with other parameters, validation failures storing nothing, errors stored once execution began,
per-merchant scope, expiry and purge, a request still running (409), and 200 concurrent requests with one key."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select, update

from lightspeedpay.gateways.service import gateway_service
from lightspeedpay.idempotency import service as idempotency
from lightspeedpay.kit.readiness import wait_http
from lightspeedpay.models import IdempotencyKey, Order, PaymentGateway, Refund, Transaction
from tests.factories import count, create_merchant
from tests.fixtures import LOG_DIR, ROOT
from tests.net import free_port
from tests.paying import assert_rzp_error, open_shop, order_payment, paid_payment, rzp_http

ORDER = {"amount": 5000, "currency": "INR", "receipt": "r-1", "notes": {"a": "b"}}


@pytest.fixture
async def shop(platform, session):
    async with open_shop(platform, session, connections=200, timeout=60) as shop:
        yield shop


def _signed(native, path: str, body: bytes, **headers: str) -> dict[str, str]:
    return {**native.headers("POST", path, body), **headers}


async def test_a_retry_replays_the_first_response(shop, session):
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = await shop.rzp.post("/v1/orders", json=ORDER, headers=key)
    # the same parameters, written differently, are the same request
    again = await shop.rzp.post(
        "/v1/orders",
        content=json.dumps(dict(reversed(ORDER.items())), indent=2),
        headers={**key, "content-type": "application/json"},
    )
    assert first.status_code == again.status_code == 200
    assert first.content == again.content
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert await count(session, Order) == 1

    other = await shop.rzp.post("/v1/orders", json={**ORDER, "amount": 5001}, headers=key)
    error = assert_rzp_error(other, 422, reason="idempotency_key_reused")
    assert error["field"] == "Idempotency-Key"
    # another endpoint with the same key is another request too
    native_body = json.dumps({"amount": 5000, "order_id": "o-1"}).encode()
    r = await shop.native.http.post(
        shop.native.base_url + "/api/v1/pay",
        content=native_body,
        headers=_signed(shop.native, "/api/v1/pay", native_body, **key),
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert await count(session, Order) == 1 and await count(session, Transaction) == 0


async def test_native_pay_with_a_key(shop, session):
    body = json.dumps({"amount": 7000, "order_id": "ORD-7"}).encode()
    headers = _signed(shop.native, "/api/v1/pay", body, **{"Idempotency-Key": "pay-7"})
    url = shop.native.base_url + "/api/v1/pay"
    first = await shop.native.http.post(url, content=body, headers=headers)
    second = await shop.native.http.post(
        url, content=body, headers=_signed(shop.native, "/api/v1/pay", body, **{"Idempotency-Key": "pay-7"})
    )
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json() and second.headers["Idempotent-Replayed"] == "true"
    assert await count(session, Transaction) == 1
    # without a key the same body is a new request: the duplicate order_id is refused
    plain = await shop.native.pay(amount=7000, order_id="ORD-7")
    assert plain.status_code == 409 and plain.json()["error"]["code"] == "DUPLICATE_ORDER_ID"


async def test_an_error_after_execution_began_is_stored_but_validation_failures_are_not(shop, session):
    # a validation failure stores nothing: the key is free for the corrected request
    key = {"Idempotency-Key": "order-key-1"}
    bad = await shop.rzp.post("/v1/orders", json={"amount": 5, "currency": "INR"}, headers=key)
    assert_rzp_error(bad, 400, field="amount")
    assert await count(session, IdempotencyKey) == 0
    good = await shop.rzp.post("/v1/orders", json=ORDER, headers=key)
    assert good.status_code == 200 and "Idempotent-Replayed" not in good.headers

    # a business error, once the request ran, is the answer for that key
    refund_key = {"X-Refund-Idempotency": "refund-key-0001"}
    created = (await shop.native.pay(amount=3_000)).json()
    r1 = await shop.rzp.post(f"/v1/payments/{created['payment_id']}/refund", json={}, headers=refund_key)
    assert_rzp_error(r1, 400, reason="refund_not_allowed")
    r2 = await shop.rzp.post(f"/v1/payments/{created['payment_id']}/refund", json={}, headers=refund_key)
    assert (r2.status_code, r2.content, r2.headers["Idempotent-Replayed"]) == (400, r1.content, "true")
    assert await count(session, IdempotencyKey) == 2 and await count(session, Refund) == 0


async def test_keys_are_per_merchant(platform, shop, session):
    other = await create_merchant(session)
    key = {"Idempotency-Key": "shared-key"}
    async with rzp_http(platform, other) as theirs:
        mine = await shop.rzp.post("/v1/orders", json=ORDER, headers=key)
        their = await theirs.post("/v1/orders", json=ORDER, headers=key)
    assert mine.status_code == their.status_code == 200 and mine.json()["id"] != their.json()["id"]
    assert "Idempotent-Replayed" not in their.headers
    assert await count(session, Order) == 2


@pytest.mark.parametrize(
    "headers",
    [
        {"Idempotency-Key": "x" * 256},
        {"Idempotency-Key": ""},
        {"Idempotency-Key": "tab\there"},
        {"Idempotency-Key": "one", "X-Refund-Idempotency": "two"},
    ],
)
async def test_bad_keys(shop, session, headers):
    txn = await paid_payment(shop.native, amount=1_000)
    r = await shop.rzp.post(f"/v1/payments/{txn['payment_id']}/refund", json={}, headers=headers)
    assert_rzp_error(r, 400, field="Idempotency-Key", reason="idempotency_key_invalid")
    native = await shop.native.http.post(
        shop.native.base_url + f"/api/v1/transactions/{txn['id']}/refunds",
        content=b"{}",
        headers=_signed(shop.native, f"/api/v1/transactions/{txn['id']}/refunds", b"{}", **headers),
    )
    assert native.status_code == 400 and native.json()["error"]["code"] == "IDEMPOTENCY_KEY_INVALID"
    assert await count(session, Refund) == 0 and await count(session, IdempotencyKey) == 0


async def test_the_refund_header_and_the_standard_header_are_one_key(shop, session):
    txn = await paid_payment(shop.native, amount=4_000)
    path = f"/v1/payments/{txn['payment_id']}/refund"
    a = await shop.rzp.post(path, json={"amount": 1_000}, headers={"X-Refund-Idempotency": "same-refund-01"})
    b = await shop.rzp.post(path, json={"amount": 1_000}, headers={"Idempotency-Key": "same-refund-01"})
    c = await shop.rzp.post(
        path,
        json={"amount": 1_000},
        headers={"Idempotency-Key": "same-refund-01", "X-Refund-Idempotency": "same-refund-01"},
    )
    assert a.content == b.content == c.content and b.headers["Idempotent-Replayed"] == "true"
    assert await count(session, Refund) == 1


async def test_expired_keys_are_new_requests_and_are_purged(shop, session):
    key = {"Idempotency-Key": "old-key"}
    first = (await shop.rzp.post("/v1/orders", json=ORDER, headers=key)).json()
    await session.execute(
        update(IdempotencyKey).values(
            created_at=datetime.now(UTC) - timedelta(hours=25),
            expires_at=datetime.now(UTC) - timedelta(hours=1),
        )
    )
    await session.commit()
    second = await shop.rzp.post("/v1/orders", json=ORDER, headers=key)
    assert second.status_code == 200 and second.json()["id"] != first["id"]
    assert "Idempotent-Replayed" not in second.headers
    assert await count(session, Order) == 2

    await session.execute(update(IdempotencyKey).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    await session.commit()
    await shop.rzp.post("/v1/orders", json=ORDER, headers={"Idempotency-Key": "fresh-key"})
    assert await idempotency.purge_expired(session) == 1
    assert (await session.execute(select(IdempotencyKey.idempotency_key))).scalars().all() == ["fresh-key"]
    from lightspeedpay.schedule import periodic_tasks

    assert "idempotency_purge" in [name for name, _, _ in periodic_tasks()]


async def test_200_concurrent_requests_with_one_key_have_one_effect(shop, session):
    key = {"Idempotency-Key": str(uuid.uuid4())}
    orders = await asyncio.gather(*(shop.rzp.post("/v1/orders", json=ORDER, headers=key) for _ in range(200)))
    assert {r.status_code for r in orders} == {200}
    assert len({r.content for r in orders}) == 1
    assert sum(1 for r in orders if "Idempotent-Replayed" not in r.headers) == 1
    assert await count(session, Order) == 1

    body = json.dumps({"amount": 2500, "order_id": "ORD-200"}).encode()
    url = shop.native.base_url + "/api/v1/pay"
    pays = await asyncio.gather(
        *(
            shop.native.http.post(
                url,
                content=body,
                headers=_signed(shop.native, "/api/v1/pay", body, **{"Idempotency-Key": "pay-200"}),
            )
            for _ in range(200)
        )
    )
    assert {r.status_code for r in pays} == {201} and len({r.content for r in pays}) == 1
    assert await count(session, Transaction) == 1

    txn = await paid_payment(shop.native, amount=9_000)
    refunds = await asyncio.gather(
        *(
            shop.rzp.post(
                f"/v1/payments/{txn['payment_id']}/refund",
                json={"amount": 100},
                headers={"X-Refund-Idempotency": "refund-200-once"},
            )
            for _ in range(200)
        )
    )
    assert {r.status_code for r in refunds} == {200} and len({r.content for r in refunds}) == 1
    assert await count(session, Refund) == 1


@pytest.fixture
def impatient_api(platform):
    """A second API process whose concurrent retries do not wait for the first request (Stripe's plain 409)."""
    port = free_port()
    env = {**platform.env, "LSP_API_PORT": str(port), "LSP_IDEMPOTENCY_WAIT_SECONDS": "0"}
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    with open(LOG_DIR / "api-impatient.log", "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "lightspeedpay.cli", "api"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
    try:
        wait_http(f"http://127.0.0.1:{port}/health", 30)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=15)


async def test_a_retry_while_the_first_is_running(platform, shop, session, impatient_api):
    _, txn = await order_payment(shop.rzp, shop.native, amount=11_000, outcome="authorize")
    gateway = (await session.execute(select(PaymentGateway))).scalar_one()
    key_id = gateway_service.account(gateway).credentials["key_id"]
    path = f"/v1/payments/{txn['payment_id']}/capture"
    key = {"Idempotency-Key": "capture-once"}
    async with httpx.AsyncClient(timeout=30) as sim:
        # the PSP takes 1.5 s to answer the capture
        await sim.put(f"{platform.simulator_url}/_sim/accounts/{key_id}/faults", json={"slow_ms": 1500})
        try:
            async with httpx.AsyncClient(
                base_url=impatient_api, timeout=30, auth=(shop.new.client.client_key, shop.new.client_salt)
            ) as impatient:
                first = asyncio.create_task(shop.rzp.post(path, json={"amount": 11_000}, headers=key))
                await asyncio.sleep(0.5)
                busy = await impatient.post(path, json={"amount": 11_000}, headers=key)
                error = assert_rzp_error(busy, 409, field="Idempotency-Key", reason="idempotency_key_in_use")
                assert "still being processed" in error["description"]
                # the platform's own API waits for the first request instead, and replays it
                waited = await shop.rzp.post(path, json={"amount": 11_000}, headers=key)
                done = await first
                assert done.status_code == 200 and done.json()["status"] == "captured"
                assert waited.content == done.content and waited.headers["Idempotent-Replayed"] == "true"
                after = await impatient.post(path, json={"amount": 11_000}, headers=key)
                assert after.content == done.content and after.headers["Idempotent-Replayed"] == "true"
        finally:
            await sim.put(f"{platform.simulator_url}/_sim/accounts/{key_id}/faults", json={})
