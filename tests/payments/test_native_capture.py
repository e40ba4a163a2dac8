"""Capture on the native API (issue 12): POST /api/v1/transactions/{id}/capture, by transaction id or payment id,
on the same service as /v1/payments/{id}/capture — the PSP captures, the payment is paid (commission,
payment.paid), the answer is the transaction; idempotent; audited in the name of whoever asked; only the
merchant's own authorized payments in the request's mode."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
from sqlalchemy import select

from lightspeedpay.models import AuditLog
from tests.factories import MerchantClient, create_merchant, merchant_client
from tests.paying import event_types, open_shop, paid_payment
from tests.people.support import create_person, log_in


async def _capture(
    client: MerchantClient, key: str, body: dict[str, Any] | None = None, **headers: str
) -> Any:
    path = f"/api/v1/transactions/{key}/capture"
    raw = b"" if body is None else json.dumps(body).encode()
    return await client.http.post(
        client.base_url + path, content=raw, headers={**client.headers("POST", path, raw), **headers}
    )


async def test_an_authorized_payment_is_captured_once_and_answers_the_transaction(platform, session):
    async with open_shop(platform, session) as shop:
        client_key = shop.new.client.client_key
        txn = await paid_payment(shop.native, amount=25_000, outcome="authorize")
        assert txn["status"] == "authorized" and txn["paid_at"] is None
        key = {"Idempotency-Key": f"cap-{uuid.uuid4().hex}"}
        r = await _capture(shop.native, txn["id"], **key)
        assert r.status_code == 200, r.text
        captured = r.json()
        assert (captured["id"], captured["status"], captured["amount"]) == (txn["id"], "paid", 25_000)
        assert captured["paid_at"] is not None and captured["payment_id"] == txn["payment_id"]
        # the same key answers the same again; a new key is told it is captured already
        again = await _capture(shop.native, txn["id"], **key)
        assert again.content == r.content and again.headers["Idempotent-Replayed"] == "true"
        r = await _capture(shop.native, txn["id"], **{"Idempotency-Key": uuid.uuid4().hex})
        assert r.status_code == 409 and r.json()["error"]["code"] == "PAYMENT_NOT_CAPTURABLE", r.text

        assert "payment.paid" in await event_types(session, txn["id"])
        wallet = (await shop.native.get("/api/v1/wallet")).json()
        assert wallet["balance_due"] == 875  # 3.50 % of ₹250: the commission of a captured payment

        # by payment id, with the amount stated: it must be the amount authorized
        other = await paid_payment(shop.native, amount=12_000, outcome="authorize")
        r = await _capture(shop.native, other["payment_id"], {"amount": 11_000})
        assert r.status_code == 422 and r.json()["error"]["code"] == "CAPTURE_AMOUNT_MISMATCH", r.text
        assert r.json()["error"]["field"] == "amount"
        r = await _capture(shop.native, other["payment_id"], {"amount": 12_000, "currency": "INR"})
        assert r.status_code == 200 and r.json()["status"] == "paid", r.text

        # a payment the PSP captured itself is not capturable; nor is an unknown or malformed one
        auto = await paid_payment(shop.native, amount=5_000)
        r = await _capture(shop.native, auto["id"])
        assert r.status_code == 409 and r.json()["error"]["code"] == "PAYMENT_NOT_CAPTURABLE"
        for unknown in (str(uuid.uuid4()), "pay_00000000000000", "not-an-id"):
            r = await _capture(shop.native, unknown)
            assert r.status_code == 404 and r.json()["error"]["field"] == "transaction_id", (unknown, r.text)
        r = await _capture(shop.native, txn["id"], {"amount": "all"})
        assert r.status_code == 422 and r.json()["error"]["field"] == "amount"

    await session.rollback()
    rows = list(
        (
            await session.execute(
                select(AuditLog).where(AuditLog.action == "payment.captured").order_by(AuditLog.created_at)
            )
        ).scalars()
    )
    assert [row.target_id for row in rows] == [txn["id"], other["id"]]
    assert all(row.actor == f"merchant:{client_key}" for row in rows)
    assert rows[0].after == {"status": "paid", "amount": 25_000, "currency": "INR"}


async def test_only_the_merchants_own_in_its_mode_and_only_roles_that_may(platform, session):
    async with open_shop(platform, session) as shop:
        stranger = await create_merchant(session)
        first = await paid_payment(shop.native, amount=10_000, outcome="authorize")
        second = await paid_payment(shop.native, amount=10_000, outcome="authorize")
        async with httpx.AsyncClient(timeout=30) as http:
            theirs = merchant_client(platform.api_url, stranger, http)
            for key in (first["id"], first["payment_id"]):
                r = await _capture(theirs, key)
                assert r.status_code == 404 and first["payment_id"] not in r.text, r.text

        me = shop.new.client.id
        support = await create_person(session, member_of=me, role="support")
        developer = await create_person(session, member_of=me, role="developer")
        async with httpx.AsyncClient(base_url=platform.api_url, timeout=30) as api:
            path = f"/api/v1/transactions/{first['id']}/capture"
            r = await api.post(path, headers=await log_in(session, support.id))
            assert r.status_code == 403 and r.json()["error"]["code"] == "FORBIDDEN", r.text
            dev = await log_in(session, developer.id)
            # a person is in test mode unless X-Mode says live: a live payment is not found there
            r = await api.post(path, headers=dev)
            assert r.status_code == 404, r.text
            r = await api.post(path, headers={**dev, "X-Mode": "live"})
            assert r.status_code == 200 and r.json()["status"] == "paid", r.text
        # the one nobody captured is still authorized
        assert (await shop.native.get(f"/api/v1/transactions/{second['id']}")).json()[
            "status"
        ] == "authorized"

    await session.rollback()
    [row] = (
        await session.execute(
            select(AuditLog).where(AuditLog.action == "payment.captured", AuditLog.client_id == me)
        )
    ).scalars()
    assert row.actor == f"user:{developer.email}" and row.target_id == first["id"]
