"""Refunds over real HTTP on both surfaces: partial and full, carried out by the refunds queue against the
sandbox PSP, the payment's status, the commission reversal, merchant events, PSP refusals and outages, 50
concurrent partial refunds, and bad input."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter

import httpx
import pytest
from sqlalchemy import func, select

from lightspeedpay.gateways.service import gateway_service
from lightspeedpay.kit.ids import is_id
from lightspeedpay.models import (
    IdempotencyKey,
    JobIntent,
    PaymentGateway,
    Refund,
    Transaction,
    Wallet,
    WalletEntry,
)
from tests.factories import count, create_merchant, merchant_client, wait_for
from tests.paying import (
    assert_rzp_error,
    event_types,
    open_shop,
    order_payment,
    paid_payment,
    wait_status,
)


@pytest.fixture
async def shop(platform, session):
    async with open_shop(platform, session, connections=64, timeout=60) as shop:
        yield shop


async def _refund_status(rzp, refund_id, status):
    r = (await rzp.get(f"/v1/refunds/{refund_id}")).json()
    return r if r["status"] == status else None


async def _psp(platform, session):
    gateway = (await session.execute(select(PaymentGateway))).scalar_one()
    creds = gateway_service.account(gateway).credentials
    return httpx.AsyncClient(
        base_url=platform.simulator_url, auth=(creds["key_id"], creds["key_secret"])
    ), creds


async def test_partial_then_full_refund_on_v1(shop, session):
    order, txn = await order_payment(shop.rzp, shop.native, amount=40_000)
    pay = txn["payment_id"]
    r = await shop.rzp.post(
        f"/v1/payments/{pay}/refund",
        json={"amount": 10_000, "notes": {"reason": "one item"}, "receipt": "#1"},
    )
    assert r.status_code == 200, r.text
    first = r.json()
    assert is_id("rfnd", first["id"])
    assert first == {
        "id": first["id"],
        "entity": "refund",
        "amount": 10_000,
        "currency": "INR",
        "payment_id": pay,
        "notes": {"reason": "one item"},
        "receipt": "#1",
        "acquirer_data": {"arn": None},
        "created_at": first["created_at"],
        "batch_id": None,
        "status": "pending",
        "speed_processed": "normal",
        "speed_requested": "normal",
    }
    await wait_for(
        lambda: _refund_status(shop.rzp, first["id"], "processed"), what="the refund to be processed"
    )
    payment = (await shop.rzp.get(f"/v1/payments/{pay}")).json()
    assert (payment["status"], payment["amount_refunded"], payment["refund_status"]) == (
        "captured",
        10_000,
        "partial",
    )
    assert (await wait_status(shop.native, txn["id"], "partially_refunded"))["amount_refunded"] == 10_000

    # commission 3.50 % of ₹400 = 1400 paise; a quarter of the payment refunded gives back a quarter of it
    await session.rollback()
    wallet = (await session.execute(select(Wallet))).scalar_one()
    assert wallet.balance_due == 1400 - 350

    # no amount: the rest
    rest = (await shop.rzp.post(f"/v1/payments/{pay}/refund", json={"speed": "optimum"})).json()
    assert (rest["amount"], rest["speed_requested"]) == (30_000, "optimum")
    await wait_for(lambda: _refund_status(shop.rzp, rest["id"], "processed"), what="the second refund")
    payment = (await shop.rzp.get(f"/v1/payments/{pay}")).json()
    assert (payment["status"], payment["amount_refunded"], payment["refund_status"], payment["captured"]) == (
        "refunded",
        40_000,
        "full",
        True,
    )
    assert (await shop.rzp.get(f"/v1/orders/{order['id']}")).json()["status"] == "paid"  # an order stays paid

    await session.rollback()
    entries = (
        await session.execute(
            select(WalletEntry.type, func.sum(WalletEntry.amount)).group_by(WalletEntry.type)
        )
    ).all()
    assert dict(entries) == {"COMMISSION": 1400, "COMMISSION_REVERSAL": -1400}
    assert (await session.execute(select(Wallet.balance_due))).scalar_one() == 0
    types = await event_types(session, txn["id"])
    assert types.count("refund.created") == 2 and types.count("refund.processed") == 2

    listed = (await shop.rzp.get(f"/v1/payments/{pay}/refunds")).json()
    assert [x["id"] for x in listed["items"]] == [rest["id"], first["id"]]
    assert [x["id"] for x in (await shop.rzp.get("/v1/refunds", params={"count": 1})).json()["items"]] == [
        rest["id"]
    ]
    assert [x["id"] for x in (await shop.rzp.get("/v1/refunds", params={"skip": 1})).json()["items"]] == [
        first["id"]
    ]

    # fully refunded: nothing more
    more = await shop.rzp.post(f"/v1/payments/{pay}/refund", json={"amount": 100})
    assert_rzp_error(more, 400, reason="refund_not_allowed")


async def test_native_refund_routes(platform, shop, session):
    txn = await paid_payment(shop.native, amount=20_000)
    path = f"/api/v1/transactions/{txn['id']}/refunds"
    r = await shop.native.post(path, json.dumps({"amount": 5_000, "notes": {"why": "late"}}).encode())
    assert r.status_code == 201, r.text
    refund = r.json()
    assert (
        refund["transaction_id"],
        refund["payment_id"],
        refund["amount"],
        refund["status"],
        refund["kind"],
    ) == (txn["id"], txn["payment_id"], 5_000, "pending", "refund")

    async def processed():
        got = (await shop.native.get(f"/api/v1/refunds/{refund['id']}")).json()
        return got if got["status"] == "processed" else None

    done = await wait_for(processed, what="the native refund to be processed")
    assert done["gateway_refund_id"].startswith("sbx_rfnd_") and done["processed_at"]
    # by payment id too, and an empty body refunds the rest
    r2 = await shop.native.post(f"/api/v1/transactions/{txn['payment_id']}/refunds", b"")
    assert r2.status_code == 201 and r2.json()["amount"] == 15_000
    seen, cursor = [], None
    while True:
        page = (await shop.native.get(path + "?limit=1" + (f"&cursor={cursor}" if cursor else ""))).json()
        seen += [x["id"] for x in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [r2.json()["id"], refund["id"]]
    await wait_status(shop.native, txn["id"], "refunded")

    other = await create_merchant(session)
    async with httpx.AsyncClient(timeout=15) as http:
        theirs = merchant_client(platform.api_url, other, http)
        assert (await theirs.get(f"/api/v1/refunds/{refund['id']}")).status_code == 404
        assert (await theirs.get(path)).status_code == 404
        r = await theirs.post(path, b'{"amount": 100}')
        assert r.status_code == 404 and r.json()["error"]["code"] == "NOT_FOUND"
    bad = await shop.native.get(path + "?cursor=nonsense")
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "cursor"
    assert (await shop.native.get("/api/v1/refunds/rfnd_nope")).json()["error"]["code"] == "NOT_FOUND"


NATIVE_BAD = [
    (b'{"amount": 0}', 422, "INVALID_AMOUNT", "amount"),
    (b'{"amount": -5}', 422, "INVALID_AMOUNT", "amount"),
    (b'{"amount": 10.5}', 422, "INVALID_AMOUNT", "amount"),
    (b'{"amount": "100"}', 422, "INVALID_AMOUNT", "amount"),
    (b'{"speed": "instant"}', 422, "VALIDATION_ERROR", "speed"),
    (b'{"receipt": ""}', 422, "VALIDATION_ERROR", "receipt"),
    (json.dumps({"notes": {f"k{i}": "v" for i in range(16)}}).encode(), 422, "VALIDATION_ERROR", "notes"),
    (b'{"refund_all": true}', 422, "VALIDATION_ERROR", "refund_all"),
    (b'{"amount": 100', 400, "BAD_REQUEST", None),
    (b"[]", 400, "BAD_REQUEST", None),
]


@pytest.mark.parametrize(("body", "status", "code", "field"), NATIVE_BAD)
async def test_bad_native_refund_bodies(shop, session, body, status, code, field):
    txn = (await shop.native.pay(amount=1_000)).json()
    r = await shop.native.post(f"/api/v1/transactions/{txn['transaction_id']}/refunds", body)
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code and r.json()["error"].get("field") == field
    assert await count(session, Refund) == 0


RZP_BAD = [
    (b'{"amount": 0}', "amount"),
    (b'{"amount": "5000"}', "amount"),
    (b'{"amount": 1.5}', "amount"),
    (b'{"speed": "warp"}', "speed"),
    (json.dumps({"receipt": "x" * 41}).encode(), "receipt"),
    (b'{"surprise": 1}', "surprise"),
    (b'{"amount": ', None),
]


@pytest.mark.parametrize(("body", "field"), RZP_BAD)
async def test_bad_v1_refund_bodies(shop, session, body, field):
    _, txn = await order_payment(shop.rzp, shop.native, amount=1_000)
    r = await shop.rzp.post(
        f"/v1/payments/{txn['payment_id']}/refund",
        content=body,
        headers={"content-type": "application/json", "X-Refund-Idempotency": "refund-bad-1"},
    )
    assert_rzp_error(r, 400, field=field, reason="input_validation_failed")
    assert await count(session, Refund) == 0
    assert await count(session, IdempotencyKey) == 0


async def test_refunds_need_a_captured_payment_and_never_exceed_it(shop, session):
    created = (await shop.native.pay(amount=3_000)).json()
    r = await shop.rzp.post(f"/v1/payments/{created['payment_id']}/refund", json={})
    assert "captured" in assert_rzp_error(r, 400, reason="refund_not_allowed")["description"]
    failed = await paid_payment(shop.native, amount=3_000, outcome="failure")
    r = await shop.native.post(f"/api/v1/transactions/{failed['id']}/refunds", b"{}")
    assert r.status_code == 409 and r.json()["error"]["code"] == "REFUND_NOT_ALLOWED"
    paid = await paid_payment(shop.native, amount=3_000)
    r = await shop.rzp.post(f"/v1/payments/{paid['payment_id']}/refund", json={"amount": 3_001})
    assert_rzp_error(r, 400, field="amount", reason="refund_exceeds_paid")
    r = await shop.native.post(f"/api/v1/transactions/{paid['id']}/refunds", b'{"amount": 3001}')
    assert (r.status_code, r.json()["error"]["code"], r.json()["error"]["field"]) == (
        422,
        "REFUND_EXCEEDS_PAID",
        "amount",
    )
    assert_rzp_error(
        await shop.rzp.post("/v1/payments/pay_00000000000000/refund", json={}), 400, reason="not_found"
    )
    assert await count(session, Refund) == 0


async def test_fifty_concurrent_partial_refunds_never_exceed_the_payment(shop, session):
    _, txn = await order_payment(shop.rzp, shop.native, amount=10_000)
    pay = txn["payment_id"]

    async def one(i: int) -> httpx.Response:
        if i % 2:
            return await shop.rzp.post(f"/v1/payments/{pay}/refund", json={"amount": 300})
        # distinct requests: the same signed bytes twice would be refused as a replay
        return await shop.native.post(
            f"/api/v1/transactions/{txn['id']}/refunds", b'{"amount": 300, "notes": {"n": %d}}' % i
        )

    responses = await asyncio.gather(*(one(i) for i in range(50)))
    ok = [r for r in responses if r.status_code in (200, 201)]
    refused = [r for r in responses if r.status_code not in (200, 201)]
    assert len(ok) == 33 and len(refused) == 17, Counter(
        r.status_code for r in responses
    )  # 33 × 300 ≤ 10,000
    assert all(r.status_code in (400, 422) and "REFUND_EXCEEDS_PAID" in r.text.upper() for r in refused)

    async def all_processed():
        await session.rollback()
        statuses = (await session.execute(select(Refund.status))).scalars().all()
        return statuses if statuses and all(s == "processed" for s in statuses) else None

    assert len(await wait_for(all_processed, timeout=60, what="33 refunds to be processed")) == 33
    final = await wait_status(shop.native, txn["id"], "partially_refunded")
    assert final["amount_refunded"] == 9_900
    # the last 100 paise, and then nothing more
    last = await shop.rzp.post(f"/v1/payments/{pay}/refund", json={})
    assert last.json()["amount"] == 100
    assert (await wait_status(shop.native, txn["id"], "refunded"))["amount_refunded"] == 10_000
    await session.rollback()
    total = (
        await session.execute(select(func.sum(Refund.amount)).where(Refund.status != "failed"))
    ).scalar_one()
    assert total == 10_000
    reversal = (
        await session.execute(
            select(func.sum(WalletEntry.amount)).where(WalletEntry.type == "COMMISSION_REVERSAL")
        )
    ).scalar_one()
    assert reversal == -350 and (await session.execute(select(Wallet.balance_due))).scalar_one() == 0


async def test_fifty_concurrent_refunds_that_fit_exactly(shop, session):
    txn = await paid_payment(shop.native, amount=10_000)
    responses = await asyncio.gather(
        *(shop.rzp.post(f"/v1/payments/{txn['payment_id']}/refund", json={"amount": 200}) for _ in range(50))
    )
    assert Counter(r.status_code for r in responses) == Counter({200: 50})
    assert (await wait_status(shop.native, txn["id"], "refunded", timeout=60))["amount_refunded"] == 10_000


async def test_a_refund_the_psp_refuses_fails_and_frees_its_amount(platform, shop, session):
    txn = await paid_payment(shop.native, amount=6_000)
    psp_payment_id = (
        await session.execute(
            select(Transaction.gateway_payment_id).where(Transaction.id == uuid.UUID(txn["id"]))
        )
    ).scalar_one()
    psp, _ = await _psp(platform, session)
    async with psp:
        # someone refunded it on the PSP's dashboard: the PSP refuses our refund
        r = await psp.post(
            f"/sandbox/v1/payments/{psp_payment_id}/refunds",
            content=json.dumps({"amount": 6_000, "reference": "dashboard-refund"}),
        )
        assert r.status_code == 200, r.text
    refund = (await shop.rzp.post(f"/v1/payments/{txn['payment_id']}/refund", json={"amount": 4_000})).json()
    failed = await wait_for(
        lambda: _refund_status(shop.rzp, refund["id"], "failed"), what="the refund to fail"
    )
    assert failed["amount"] == 4_000
    native = (await shop.native.get(f"/api/v1/refunds/{refund['id']}")).json()
    assert native["error_code"] == "BAD_REQUEST_ERROR" and "exceeds" in native["error_message"]
    payment = (await shop.rzp.get(f"/v1/payments/{txn['payment_id']}")).json()
    assert (payment["status"], payment["amount_refunded"]) == ("captured", 0)
    types = await event_types(session, txn["id"])
    assert "refund.failed" in types and "refund.processed" not in types
    # its amount is free again: the whole payment may still be asked for
    again = await shop.rzp.post(f"/v1/payments/{txn['payment_id']}/refund", json={"amount": 6_000})
    assert again.status_code == 200, again.text
    assert (
        await session.execute(
            select(func.count()).select_from(WalletEntry).where(WalletEntry.type == "COMMISSION_REVERSAL")
        )
    ).scalar_one() == 0


async def test_a_refund_survives_a_psp_outage(platform, shop, session):
    txn = await paid_payment(shop.native, amount=7_000)
    psp, creds = await _psp(platform, session)
    async with psp:
        await psp.put(f"/_sim/accounts/{creds['key_id']}/faults", json={"http_5xx": 503})
        refund = (
            await shop.rzp.post(f"/v1/payments/{txn['payment_id']}/refund", json={"amount": 2_000})
        ).json()

        async def retried():
            await session.rollback()
            row = (await session.execute(select(Refund))).scalar_one()
            return row if row.attempts >= 2 else None

        row = await wait_for(retried, timeout=30, what="two refund attempts")
        assert row.status == "pending" and row.error_code
        await psp.put(f"/_sim/accounts/{creds['key_id']}/faults", json={})
    done = await wait_for(
        lambda: _refund_status(shop.rzp, refund["id"], "processed"),
        timeout=30,
        what="the refund once the PSP is back",
    )
    assert done["amount"] == 2_000
    assert (await wait_status(shop.native, txn["id"], "partially_refunded"))["amount_refunded"] == 2_000
    # each retry was a fresh job intent; none is left failed
    assert (
        await count(session, JobIntent, JobIntent.name == "refund.process", JobIntent.status == "failed") == 0
    )
