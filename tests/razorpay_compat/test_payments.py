"""/v1/payments over real HTTP: statuses mapped from our transactions, lists, capture of an authorization
(manual capture at the sandbox PSP), and the automatic refund of an authorization never captured."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select, update

from lightspeedpay.kit.ids import is_id
from lightspeedpay.models import (
    PaymentGateway,
    PspEvent,
    Refund,
    Transaction,
    Wallet,
    WalletEntry,
)
from lightspeedpay.models.transaction import TransactionStatus
from lightspeedpay.razorpay_compat.entities import PAYMENT_STATUS
from tests.factories import count, create_merchant, wait_for
from tests.paying import (
    assert_rzp_error,
    event_types,
    open_shop,
    order_payment,
    paid_payment,
    rzp_http,
    wait_status,
)


@pytest.fixture
async def shop(platform, session):
    async with open_shop(platform, session) as shop:
        yield shop


def test_every_transaction_status_has_one_payment_status():
    assert set(PAYMENT_STATUS) == set(TransactionStatus)
    assert set(PAYMENT_STATUS.values()) == {"created", "authorized", "captured", "refunded", "failed"}


async def test_a_native_payment_seen_through_v1(shop, session):
    r = await shop.native.pay(amount=49_900, customer={"email": "asha@example.com", "phone": "+919876543210"})
    assert r.status_code == 201
    payment_id = r.json()["payment_id"]
    assert is_id("pay", payment_id)
    created = (await shop.rzp.get(f"/v1/payments/{payment_id}")).json()
    assert (created["status"], created["captured"], created["order_id"]) == ("created", False, None)

    txn = await wait_status(shop.native, r.json()["transaction_id"], "pending")
    assert txn["payment_id"] == payment_id
    from tests.paying import payer

    await payer(txn["checkout_url"], "success")
    await wait_status(shop.native, r.json()["transaction_id"], "paid")
    payment = (await shop.rzp.get(f"/v1/payments/{payment_id}")).json()
    assert payment == {
        **payment,
        "id": payment_id,
        "entity": "payment",
        "amount": 49_900,
        "currency": "INR",
        "status": "captured",
        "captured": True,
        "amount_refunded": 0,
        "refund_status": None,
        "email": "asha@example.com",
        "contact": "+919876543210",
        "error_code": None,
    }
    # the native read accepts the payment id too
    assert (await shop.native.get(f"/api/v1/transactions/{payment_id}")).json()["id"] == r.json()[
        "transaction_id"
    ]


async def test_a_failed_payment_carries_razorpays_error_fields(shop):
    failed = await paid_payment(shop.native, amount=2_000, outcome="failure")
    payment = (await shop.rzp.get(f"/v1/payments/{failed['payment_id']}")).json()
    assert payment["status"] == "failed" and payment["captured"] is False
    assert payment["error_code"] == "BAD_REQUEST_ERROR" and payment["error_reason"] == "payment_declined"
    assert payment["error_source"] == "customer" and payment["error_step"] == "payment_authorization"


async def test_list_payments_and_scoping(platform, shop, session):
    ids = [(await shop.native.pay(amount=1000 + i)).json()["payment_id"] for i in range(4)]
    page = (await shop.rzp.get("/v1/payments", params={"count": 3})).json()
    assert page["count"] == 3 and [p["id"] for p in page["items"]] == list(reversed(ids))[:3]
    rest = (await shop.rzp.get("/v1/payments", params={"count": 3, "skip": 3})).json()
    assert [p["id"] for p in rest["items"]] == [ids[0]]
    assert_rzp_error(await shop.rzp.get("/v1/payments", params={"count": "x"}), 400, field="count")
    other = await create_merchant(session)
    async with rzp_http(platform, other) as theirs:
        assert (await theirs.get("/v1/payments")).json()["count"] == 0
        assert_rzp_error(
            await theirs.get(f"/v1/payments/{ids[0]}"), 400, field="payment_id", reason="not_found"
        )
        r = await theirs.post(f"/v1/payments/{ids[0]}/capture", json={"amount": 1000, "currency": "INR"})
        assert_rzp_error(r, 400, field="payment_id", reason="not_found")
    assert_rzp_error(await shop.rzp.get("/v1/payments/pay_nonexistent0000"), 400, reason="not_found")


async def test_capture_an_authorized_payment(shop, session):
    order, txn = await order_payment(shop.rzp, shop.native, amount=30_000, outcome="authorize")
    payment_id = txn["payment_id"]
    payment = (await shop.rzp.get(f"/v1/payments/{payment_id}")).json()
    assert (payment["status"], payment["captured"], payment["order_id"]) == ("authorized", False, order["id"])
    assert (await shop.rzp.get(f"/v1/orders/{order['id']}")).json()["status"] == "attempted"
    assert txn["authorized_at"] is not None

    # the amount must equal the authorized amount; nothing moves when it does not
    wrong = await shop.rzp.post(
        f"/v1/payments/{payment_id}/capture", json={"amount": 29_999, "currency": "INR"}
    )
    assert_rzp_error(wrong, 400, field="amount", reason="capture_amount_mismatch")
    usd = await shop.rzp.post(
        f"/v1/payments/{payment_id}/capture", json={"amount": 30_000, "currency": "USD"}
    )
    assert_rzp_error(usd, 400, field="currency")
    for body in (b"{}", b'{"amount": "30000"}', b'{"amount": 30000, "extra": 1}', b"nope"):
        bad = await shop.rzp.post(
            f"/v1/payments/{payment_id}/capture", content=body, headers={"content-type": "application/json"}
        )
        assert_rzp_error(bad, 400, reason="input_validation_failed")
    assert (await shop.rzp.get(f"/v1/payments/{payment_id}")).json()["status"] == "authorized"

    captured = await shop.rzp.post(
        f"/v1/payments/{payment_id}/capture", json={"amount": 30_000, "currency": "INR"}
    )
    assert captured.status_code == 200, captured.text
    assert (captured.json()["status"], captured.json()["captured"]) == ("captured", True)
    assert (await shop.rzp.get(f"/v1/orders/{order['id']}")).json()["status"] == "paid"
    again = await shop.rzp.post(f"/v1/payments/{payment_id}/capture", json={"amount": 30_000})
    assert (
        "already been captured"
        in assert_rzp_error(again, 400, reason="payment_not_capturable")["description"]
    )

    # captured here = paid: the commission is recorded once, and the merchant hears payment.paid and order.paid
    await session.rollback()
    entry = await session.execute(
        select(WalletEntry).where(WalletEntry.transaction_id == uuid.UUID(txn["id"]))
    )
    assert [(e.type, e.amount) for e in entry.scalars()] == [("COMMISSION", 1050)]
    types = await event_types(session, txn["id"])
    assert types[:1] == ["payment.authorized"] and types.count("payment.paid") == 1 and "order.paid" in types
    # the PSP's own payment.succeeded webhook arrives later and changes nothing
    await wait_for(lambda: _psp_events_processed(session, txn["id"], 2), what="the PSP's capture webhook")
    assert (await event_types(session, txn["id"])).count("payment.paid") == 1


async def _psp_events_processed(session, txn_id, n):
    await session.rollback()
    rows = (
        (
            await session.execute(
                select(PspEvent).where(
                    PspEvent.transaction_id == uuid.UUID(txn_id), PspEvent.processed_at.is_not(None)
                )
            )
        )
        .scalars()
        .all()
    )
    return rows if len(rows) >= n else None


async def test_only_authorized_payments_can_be_captured(shop):
    created = (await shop.native.pay(amount=5_000)).json()
    r = await shop.rzp.post(f"/v1/payments/{created['payment_id']}/capture", json={"amount": 5_000})
    assert "not yet captured" in assert_rzp_error(r, 400, reason="payment_not_capturable")["description"]
    paid = await paid_payment(shop.native, amount=6_000)  # the sandbox reports paid: captured already
    r = await shop.rzp.post(f"/v1/payments/{paid['payment_id']}/capture", json={"amount": 6_000})
    assert_rzp_error(r, 400, reason="payment_not_capturable")


async def test_an_authorization_not_captured_in_time_is_refunded(shop, session):
    order, txn = await order_payment(shop.rzp, shop.native, amount=12_000, outcome="authorize")
    gateway_before = (await session.execute(select(PaymentGateway.current_volume))).scalar_one()
    assert gateway_before == 12_000
    # five days and a second later (LSP_CAPTURE_WINDOW_SECONDS defaults to Razorpay's five days)
    await session.execute(
        update(Transaction)
        .where(Transaction.id == uuid.UUID(txn["id"]))
        .values(authorized_at=datetime.now(UTC) - timedelta(days=5, seconds=1))
    )
    await session.commit()
    # past the window the merchant can no longer capture it
    late = await shop.rzp.post(f"/v1/payments/{txn['payment_id']}/capture", json={"amount": 12_000})
    assert_rzp_error(late, 400, reason="payment_not_capturable")

    refunded = await wait_status(shop.native, txn["id"], "refunded", timeout=30)
    assert refunded["amount_refunded"] == 12_000 and refunded["paid_at"] is None
    payment = (await shop.rzp.get(f"/v1/payments/{txn['payment_id']}")).json()
    assert (payment["status"], payment["captured"], payment["refund_status"]) == ("refunded", False, "full")
    refunds = (await shop.rzp.get(f"/v1/payments/{txn['payment_id']}/refunds")).json()["items"]
    assert [(r["amount"], r["status"]) for r in refunds] == [(12_000, "processed")]
    await session.rollback()
    refund = (await session.execute(select(Refund))).scalar_one()
    assert refund.kind == "auto_refund" and refund.gateway_refund_id.startswith("sbx_rfnd_")
    # never captured: no commission either way, and the gateway's reserved volume is released
    assert await count(session, WalletEntry) == 0
    assert (await session.execute(select(Wallet.balance_due))).scalar_one() == 0
    assert (await session.execute(select(PaymentGateway.current_volume))).scalar_one() == 0
    assert (await shop.rzp.get(f"/v1/orders/{order['id']}")).json()["status"] == "attempted"
    types = await event_types(session, txn["id"])
    assert "refund.created" in types and "refund.processed" in types


async def test_capture_when_the_psp_refuses(platform, shop, session):
    _, txn = await order_payment(shop.rzp, shop.native, amount=8_000, outcome="authorize")
    # the PSP's own record disagrees (its order was voided there): the capture is refused, nothing moves
    gateway = (await session.execute(select(PaymentGateway))).scalar_one()
    from lightspeedpay.gateways.service import gateway_service

    creds = gateway_service.account(gateway).credentials
    psp_payment_id = (
        await session.execute(
            select(Transaction.gateway_payment_id).where(Transaction.id == uuid.UUID(txn["id"]))
        )
    ).scalar_one()
    async with httpx.AsyncClient(
        base_url=platform.simulator_url, auth=(creds["key_id"], creds["key_secret"])
    ) as psp:
        r = await psp.post(
            f"/sandbox/v1/payments/{psp_payment_id}/refunds",
            content=json.dumps({"amount": 8_000, "reference": "voided-at-the-psp"}),
        )
        assert r.status_code == 200, r.text
    refused = await shop.rzp.post(f"/v1/payments/{txn['payment_id']}/capture", json={"amount": 8_000})
    assert_rzp_error(refused, 400, reason="psp_declined")
    assert (await shop.rzp.get(f"/v1/payments/{txn['payment_id']}")).json()["status"] == "authorized"
    assert await count(session, WalletEntry) == 0
