"""/v1/orders over real HTTP: Razorpay's entity, auth, lists, an order's payments started the way the hosted
checkout starts them, and bad input (Razorpay's error body, nothing written)."""

from __future__ import annotations

import asyncio
import base64
import json
import time

import httpx
import pytest
from sqlalchemy import select

from lightspeedpay.errors import NotFound
from lightspeedpay.kit.ids import is_id
from lightspeedpay.models import IdempotencyKey, JobIntent, Order, Transaction
from lightspeedpay.payments.errors import OrderNotPayable
from lightspeedpay.payments.service import payment_service
from tests.factories import count, create_merchant
from tests.paying import assert_rzp_error, open_shop, order_payment, rzp_http, settle


@pytest.fixture
async def shop(platform, session):
    async with open_shop(platform, session) as shop:
        yield shop


async def test_create_and_fetch_an_order(shop, session):
    r = await shop.rzp.post(
        "/v1/orders",
        json={"amount": 50000, "currency": "INR", "receipt": "receipt#1", "notes": {"customer": "Asha"}},
    )
    assert r.status_code == 200, r.text
    order = r.json()
    assert is_id("order", order["id"])
    assert order == {
        "id": order["id"],
        "entity": "order",
        "amount": 50000,
        "amount_paid": 0,
        "amount_due": 50000,
        "currency": "INR",
        "receipt": "receipt#1",
        "offer_id": None,
        "status": "created",
        "attempts": 0,
        "notes": {"customer": "Asha"},
        "created_at": order["created_at"],
    }
    assert abs(order["created_at"] - time.time()) < 60
    fetched = await shop.rzp.get(f"/v1/orders/{order['id']}")
    assert fetched.status_code == 200 and fetched.json() == order
    # empty notes come back as Razorpay writes them
    bare = (await shop.rzp.post("/v1/orders", json={"amount": 100, "currency": "INR"})).json()
    assert bare["notes"] == [] and bare["receipt"] is None


async def test_seed_api_key_headers_and_bad_credentials(platform, shop, session):
    new = shop.new
    async with httpx.AsyncClient(base_url=platform.api_url, timeout=15) as c:
        ok = await c.post(
            "/v1/orders",
            json={"amount": 1000, "currency": "INR"},
            headers={"X-Api-Key": new.client.client_key, "X-Api-Secret": new.client_salt},
        )
        assert ok.status_code == 200, ok.text
        for auth in (
            (new.client.client_key, "wrong"),
            ("lsp_unknown", new.client_salt),
            (new.client.client_key, new.client_salt[:-1]),
        ):
            bad = await c.post("/v1/orders", json={"amount": 1000, "currency": "INR"}, auth=auth)
            assert_rzp_error(bad, 401)
        assert_rzp_error(await c.get("/v1/orders"), 401)
        garbled = await c.get("/v1/orders", headers={"Authorization": "Basic %%%"})
        assert_rzp_error(garbled, 401, field="Authorization")
        wrong_header = await c.get(
            "/v1/orders", headers={"X-Api-Key": new.client.client_key, "X-Api-Secret": "nope"}
        )
        assert_rzp_error(wrong_header, 401)
        token = base64.b64encode(f"{new.client.client_key}:{new.client_salt}".encode()).decode()
        assert (await c.get("/v1/orders", headers={"Authorization": f"Basic {token}"})).status_code == 200
    assert await count(session, Order) == 1


async def test_lists_count_skip_from_to_and_filters(shop, session):
    ids = []
    for i in range(5):
        r = await shop.rzp.post(
            "/v1/orders", json={"amount": 1000 + i, "currency": "INR", "receipt": f"r{i % 2}"}
        )
        ids.append(r.json()["id"])
    page = (await shop.rzp.get("/v1/orders")).json()
    assert page["entity"] == "collection" and page["count"] == 5
    assert [o["id"] for o in page["items"]] == list(reversed(ids))
    two = (await shop.rzp.get("/v1/orders", params={"count": 2, "skip": 1})).json()
    assert [o["id"] for o in two["items"]] == list(reversed(ids))[1:3] and two["count"] == 2
    assert {
        o["id"] for o in (await shop.rzp.get("/v1/orders", params={"receipt": "r1"})).json()["items"]
    } == {ids[1], ids[3]}
    now = int(time.time())
    assert (await shop.rzp.get("/v1/orders", params={"from": now - 600, "to": now + 600})).json()[
        "count"
    ] == 5
    assert (await shop.rzp.get("/v1/orders", params={"from": now + 600})).json()["count"] == 0
    assert (await shop.rzp.get("/v1/orders", params={"to": now - 600})).json()["count"] == 0
    assert (await shop.rzp.get("/v1/orders", params={"authorized": 1})).json()["count"] == 0
    assert (await shop.rzp.get("/v1/orders", params={"authorized": 0})).json()["count"] == 5


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"count": 0}, "count"),
        ({"count": 101}, "count"),
        ({"count": "ten"}, "count"),
        ({"skip": -1}, "skip"),
        ({"from": "yesterday"}, "from"),
        ({"from": 200, "to": 100}, "to"),
        ({"authorized": "maybe"}, "authorized"),
        ({"expand[]": "payments"}, "expand[]"),
    ],
)
async def test_bad_list_parameters(shop, params, field):
    r = await shop.rzp.get("/v1/orders", params=params)
    assert_rzp_error(r, 400, field=field, reason="input_validation_failed")


ORDER_CASES = [
    (b'{"amount": 50000, "currency": "INR"', None),
    (b"[1]", None),
    (b"", None),
    (b'{"currency": "INR"}', "amount"),
    (b'{"amount": 99, "currency": "INR"}', "amount"),
    (b'{"amount": -1, "currency": "INR"}', "amount"),
    (b'{"amount": 100.5, "currency": "INR"}', "amount"),
    (b'{"amount": "5000", "currency": "INR"}', "amount"),
    (b'{"amount": true, "currency": "INR"}', "amount"),
    (b'{"amount": 100000000000000000000000, "currency": "INR"}', "amount"),
    (b'{"amount": 10000000001, "currency": "INR"}', "amount"),
    (b'{"amount": 5000}', "currency"),
    (b'{"amount": 5000, "currency": "USD"}', "currency"),
    (b'{"amount": 5000, "currency": 5}', "currency"),
    (json.dumps({"amount": 5000, "currency": "INR", "receipt": "x" * 41}).encode(), "receipt"),
    (
        json.dumps({"amount": 5000, "currency": "INR", "notes": {f"k{i}": "v" for i in range(16)}}).encode(),
        "notes",
    ),
    (json.dumps({"amount": 5000, "currency": "INR", "notes": {"k": "v" * 300}}).encode(), "notes"),
    (b'{"amount": 5000, "currency": "INR", "notes": [1]}', "notes"),
    (b'{"amount": 5000, "currency": "INR", "partial_payment": true}', "partial_payment"),
    (b'{"amount": 5000, "currency": "INR", "surprise": 1}', "surprise"),
]


@pytest.mark.parametrize(("body", "field"), ORDER_CASES)
async def test_bad_order_bodies(shop, session, body, field):
    r = await shop.rzp.post(
        "/v1/orders", content=body, headers={"content-type": "application/json", "Idempotency-Key": "k-bad"}
    )
    error = assert_rzp_error(r, 400, field=field)
    assert error["code"] == "BAD_REQUEST_ERROR" and error["reason"] == "input_validation_failed"
    assert await count(session, Order) == 0
    assert await count(session, IdempotencyKey) == 0  # a request that fails validation stores nothing


async def test_oversized_body_and_unknown_paths(shop, session):
    big = json.dumps({"amount": 5000, "currency": "INR", "receipt": "r", "pad": "x" * 70_000}).encode()
    r = await shop.rzp.post("/v1/orders", content=big, headers={"content-type": "application/json"})
    assert_rzp_error(r, 413, reason="payload_too_large")
    assert_rzp_error(await shop.rzp.get("/v1/nothing-here"), 404)
    assert_rzp_error(await shop.rzp.delete("/v1/orders"), 405)
    assert await count(session, Order) == 0


async def test_orders_are_scoped_to_the_merchant(platform, shop, session):
    other = await create_merchant(session)
    async with rzp_http(platform, other) as theirs:
        their_order = (await theirs.post("/v1/orders", json={"amount": 2000, "currency": "INR"})).json()
        mine = (await shop.rzp.post("/v1/orders", json={"amount": 1000, "currency": "INR"})).json()
        for path in (f"/v1/orders/{their_order['id']}", f"/v1/orders/{their_order['id']}/payments"):
            error = assert_rzp_error(await shop.rzp.get(path), 400, reason="not_found")
            assert error["description"] == "The id provided does not exist"
        assert [o["id"] for o in (await shop.rzp.get("/v1/orders")).json()["items"]] == [mine["id"]]
        assert [o["id"] for o in (await theirs.get("/v1/orders")).json()["items"]] == [their_order["id"]]


async def test_an_orders_payments_through_start_for_order(shop, session):
    order, failed = await order_payment(shop.rzp, shop.native, amount=25_000, outcome="failure")
    assert failed["status"] == "failed" and failed["order_id"] == f"{order['id']}/1"
    attempted = (await shop.rzp.get(f"/v1/orders/{order['id']}")).json()
    assert (attempted["status"], attempted["attempts"], attempted["amount_paid"]) == ("attempted", 1, 0)

    # the payer tries again on the same order, and pays
    second = await payment_service.start_for_order(order["id"], customer={"email": "asha@example.com"})
    assert is_id("pay", second.payment_id)
    paid = await settle(shop.native, str(second.transaction_id), "success")
    assert paid["amount"] == 25_000 and paid["order_id"] == f"{order['id']}/2"
    now = (await shop.rzp.get(f"/v1/orders/{order['id']}")).json()
    assert (now["status"], now["attempts"], now["amount_paid"], now["amount_due"]) == ("paid", 2, 25_000, 0)

    payments = (await shop.rzp.get(f"/v1/orders/{order['id']}/payments")).json()
    assert payments["entity"] == "collection" and payments["count"] == 2
    assert [(p["id"], p["status"], p["order_id"]) for p in payments["items"]] == [
        (second.payment_id, "captured", order["id"]),
        (failed["payment_id"], "failed", order["id"]),
    ]
    assert payments["items"][0]["email"] == "asha@example.com" and payments["items"][0]["captured"] is True
    assert (await shop.rzp.get("/v1/orders", params={"authorized": 1})).json()["items"][0]["id"] == order[
        "id"
    ]

    # a paid order takes no further payment; an unknown order none at all
    with pytest.raises(OrderNotPayable):
        await payment_service.start_for_order(order["id"])
    with pytest.raises(NotFound):
        await payment_service.start_for_order("order_DoesNotExist00")
    assert await count(session, Transaction) == 2


async def test_concurrent_attempts_on_one_order_are_counted_once_each(shop, session):
    order = (await shop.rzp.post("/v1/orders", json={"amount": 3000, "currency": "INR"})).json()
    started = await asyncio.gather(*(payment_service.start_for_order(order["id"]) for _ in range(12)))
    assert len({s.payment_id for s in started}) == 12
    await session.rollback()
    refs = (
        (
            await session.execute(
                select(Transaction.order_id).where(Transaction.id.in_([s.transaction_id for s in started]))
            )
        )
        .scalars()
        .all()
    )
    assert sorted(refs) == sorted(f"{order['id']}/{i}" for i in range(1, 13))
    fetched = (await shop.rzp.get(f"/v1/orders/{order['id']}")).json()
    assert (fetched["status"], fetched["attempts"]) == ("attempted", 12)
    assert await count(session, JobIntent, JobIntent.name == "transaction.process") == 12
