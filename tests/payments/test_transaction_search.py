"""A merchant's own payment search (issue 12): GET /api/v1/transactions filtered by amount range and a search box
that finds a payment by its payment id, transaction id, order id or its order's receipt, the payer's email or
phone — the operator's search, scoped to the merchant and the request's mode — and the same list as CSV
(GET /api/v1/transactions.csv), streamed in batches. A second merchant's ids find nothing."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from lightspeedpay.auth.principal import MerchantAuth
from lightspeedpay.ledger.service import ledger_service
from lightspeedpay.models import Order, Transaction
from lightspeedpay.payments.export import MERCHANT_COLUMNS
from lightspeedpay.payments.schemas import TransactionFilter
from lightspeedpay.payments.service import payment_service
from tests.factories import add_transaction, create_merchant, create_sandbox_gateway, merchant_client
from tests.people.support import create_person, log_in

LIST, CSV = "/api/v1/transactions", "/api/v1/transactions.csv"


async def _seed(session: Any, platform: Any) -> dict[str, Any]:
    a = await create_merchant(session)
    b = await create_merchant(session)
    gw = await create_sandbox_gateway(session, platform.simulator_url)
    now = datetime.now(UTC)
    order = Order(client_id=a.client.id, amount=80_000, receipt="RCPT-42", status="paid", attempts=1)
    session.add(order)
    await session.flush()
    later = now + timedelta(hours=1)  # "updated later": the janitor leaves pending rows alone
    specs: dict[str, tuple[Any, dict[str, Any]]] = {
        "paid": (
            a,
            dict(
                status="paid",
                amount=150_000,
                minutes=5,
                order_id="shop-order-1",
                customer={"email": "Asha@Example.com", "phone": "+919812345678"},
            ),
        ),
        "failed": (
            a,
            dict(
                status="failed",
                amount=2_000,
                minutes=30,
                gateway_txn_id="sbx_txn_777",
                customer={"email": "=1+2@evil.example"},
            ),
        ),
        "pending": (a, dict(status="pending", amount=9_900, minutes=40, updated_at=later)),
        "of_order": (
            a,
            dict(
                status="paid",
                amount=80_000,
                minutes=180,
                parent_order_id=order.id,
                order_id=f"{order.public_id}/1",
            ),
        ),
        "test_mode": (a, dict(status="paid", amount=5_000, minutes=1, mode="test")),
        # the other merchant's: the same email and order id as "paid"
        "theirs": (
            b,
            dict(
                status="paid",
                amount=150_000,
                minutes=3,
                order_id="shop-order-1",
                customer={"email": "asha@example.com"},
            ),
        ),
    }
    made: dict[str, Transaction] = {}
    for key, (owner, spec) in specs.items():
        minutes = spec.pop("minutes")
        made[key] = add_transaction(
            session,
            owner.client.id,
            gw,
            amount=spec.pop("amount"),
            status=spec.pop("status"),
            created_at=now - timedelta(minutes=minutes),
            **spec,
        )
    await session.flush()
    for key, txn in made.items():
        if txn.status == "paid":
            await ledger_service.record_commission(session, specs[key][0].client, txn)
    await session.commit()
    return {
        "a": a,
        "b": b,
        "order": order.public_id,
        "txns": made,
        "ids": {k: t.payment_id for k, t in made.items()},
    }


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def test_filters_and_the_search_box_find_exactly_the_merchants_own(platform, session):
    data = await _seed(session, platform)
    ids, txns = data["ids"], data["txns"]
    async with httpx.AsyncClient(timeout=30) as http:
        signed = merchant_client(platform.api_url, data["a"], http)

        async def found(query: str = "") -> list[str]:
            r = await signed.get(LIST + query)
            assert r.status_code == 200, (query, r.text)
            return [item["payment_id"] for item in r.json()["items"]]

        assert await found() == [ids["paid"], ids["failed"], ids["pending"], ids["of_order"]]
        assert await found("?amount_min=9900") == [ids["paid"], ids["pending"], ids["of_order"]]
        assert await found("?amount_max=9900") == [ids["failed"], ids["pending"]]
        assert await found("?amount_min=9900&amount_max=9900") == [ids["pending"]]
        assert await found("?status=paid&amount_max=100000") == [ids["of_order"]]

        a_client_key = data["a"].client.client_key
        searches = {
            ids["paid"]: [ids["paid"]],
            str(txns["failed"].id): [ids["failed"]],
            "shop-order-1": [ids["paid"]],
            "RCPT-42": [ids["of_order"]],  # the receipt of a /v1 order
            data["order"]: [ids["of_order"]],
            "asha@example.com": [ids["paid"]],  # any case
            "+91 98123 45678": [ids["paid"]],
            "9812345678": [ids["paid"]],
            "sbx_txn_777": [ids["failed"]],
            # never the other merchant's, and never "all of a merchant's payments"
            ids["theirs"]: [],
            str(txns["theirs"].id): [],
            str(data["b"].client.id): [],
            str(data["a"].client.id): [],
            a_client_key: [],
            "no-such-thing": [],
        }
        for text, expected in searches.items():
            assert await found("?" + str(httpx.QueryParams({"q": text}))) == expected, text
        # search and filters narrow together
        assert await found("?q=asha@example.com&status=failed") == []

        # a bad filter: 422 naming the field, on the list and on the CSV alike
        for query, field in (
            ("?amount_min=500&amount_max=100", "amount_max"),
            ("?amount_min=-1", "amount_min"),
            ("?amount_min=1180591620717411303424", "amount_min"),  # past bigint: found by the fuzzer as a 500
            ("?amount_max=ten", "amount_max"),
            ("?status=lost", "status"),
            ("?q=" + "x" * 201, "q"),
        ):
            for path in (LIST, CSV):
                r = await signed.get(path + query)
                assert r.status_code == 422 and r.json()["error"]["field"] == field, (path, query, r.text)

        # the other merchant's key sees its own only
        theirs = merchant_client(platform.api_url, data["b"], http)
        r = await theirs.get(LIST + "?q=shop-order-1")
        assert [i["payment_id"] for i in r.json()["items"]] == [ids["theirs"]]
        r = await theirs.get(f"{LIST}/{txns['paid'].id}")
        assert r.status_code == 404

    # a person acts in test mode unless X-Mode says live
    person = await create_person(session, member_of=data["a"].client.id, role="viewer")
    headers = await log_in(session, person.id)
    async with httpx.AsyncClient(base_url=platform.api_url, timeout=30, headers=headers) as api:
        r = await api.get(LIST)
        assert [i["payment_id"] for i in r.json()["items"]] == [ids["test_mode"]]
        assert (await api.get(LIST, params={"q": ids["paid"]})).json()["items"] == []
        r = await api.get(LIST, params={"q": ids["paid"]}, headers={"X-Mode": "live"})
        assert [i["payment_id"] for i in r.json()["items"]] == [ids["paid"]]
        r = await api.get(CSV)
        assert [row["payment_id"] for row in _rows(r.text)] == [ids["test_mode"]]
        assert {row["mode"] for row in _rows(r.text)} == {"test"}


async def test_the_csv_carries_the_filter_s_payments_in_the_merchant_s_columns(platform, session):
    data = await _seed(session, platform)
    ids = data["ids"]
    async with httpx.AsyncClient(timeout=30) as http:
        signed = merchant_client(platform.api_url, data["a"], http)
        r = await signed.get(CSV + "?amount_min=2000&amount_max=150000")
        assert r.status_code == 200, r.text
        assert (
            r.headers["content-type"].startswith("text/csv")
            and "attachment" in r.headers["content-disposition"]
        )
        assert r.headers["cache-control"] == "no-store"
        assert r.text.splitlines()[0] == ",".join(MERCHANT_COLUMNS)
        rows = _rows(r.text)
        assert [row["payment_id"] for row in rows] == [
            ids["paid"],
            ids["failed"],
            ids["pending"],
            ids["of_order"],
        ]
        paid = rows[0]
        assert (paid["amount_paise"], paid["amount_inr"], paid["status"], paid["mode"]) == (
            "150000",
            "1500.00",
            "paid",
            "live",
        )
        assert (paid["order_id"], paid["customer_email"], paid["customer_phone"]) == (
            "shop-order-1",
            "Asha@Example.com",
            "+919812345678",
        )
        created = datetime.fromisoformat(paid["created_at"])
        assert created.utcoffset() == timedelta(hours=5, minutes=30)
        assert abs(created - data["txns"]["paid"].created_at) < timedelta(seconds=1)
        # what a payer typed is never run as a spreadsheet formula
        assert rows[1]["customer_email"] == "'=1+2@evil.example"
        # nothing of the platform's gateway pool, nor of another merchant
        assert "gateway" not in rows[0] and "merchant" not in rows[0]
        assert ids["theirs"] not in r.text
        r = await signed.get(CSV + "?" + str(httpx.QueryParams({"q": ids["theirs"]})))
        assert r.status_code == 200 and _rows(r.text) == []


async def test_a_large_export_streams_in_batches_and_stops_at_its_cap(platform, session):
    new = await create_merchant(session)
    gateway = await create_sandbox_gateway(session, platform.simulator_url)
    start = datetime.now(UTC) - timedelta(days=2)
    for i in range(4_100):
        add_transaction(
            session,
            new.client.id,
            gateway,
            amount=100 + i,
            status="failed",
            created_at=start + timedelta(seconds=i),
        )
    await session.commit()
    async with httpx.AsyncClient(timeout=60) as http:
        signed = merchant_client(platform.api_url, new, http)
        path = CSV + "?status=failed"
        buffer, chunks = io.StringIO(), 0
        async with http.stream("GET", platform.api_url + path, headers=signed.headers("GET", path, b"")) as r:
            assert r.status_code == 200
            async for chunk in r.aiter_text():
                chunks += 1
                buffer.write(chunk)
    rows = _rows(buffer.getvalue())
    assert len(rows) == 4_100 and len({row["payment_id"] for row in rows}) == 4_100
    assert chunks >= 3  # the header, then a chunk per batch of 2,000
    assert (rows[0]["amount_paise"], rows[-1]["amount_paise"]) == ("4199", "100")  # newest first

    # the cap (a million rows through the API) ends the export where it is
    merchant = MerchantAuth(
        id=new.client.id, client_key=new.client.client_key, status="active", company_name="x", mode="live"
    )
    batches = payment_service.export_for_merchant(merchant, TransactionFilter(), max_rows=2_500)
    counted = [len(batch) async for batch in batches]
    assert counted == [2_000, 500]
