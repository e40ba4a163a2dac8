"""The console's payments: search by any id, filters and quick views that return exactly the right payments, keyset
pages that visit every row once, a CSV of any filter (streamed), the roles' refusals and the refund cap, and, in a
real browser, a payment refunded from its page and a CSV exported through the page's link (English, Hindi, 375 px,
axe-core)."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from lightspeedpay.ledger.service import ledger_service
from lightspeedpay.models import AuditLog, Refund, Transaction
from tests.dashboard import browser
from tests.dashboard.support import PASSWORD, client, operator
from tests.factories import add_transaction, create_merchant, create_sandbox_gateway, wait_for
from tests.paying import native_txn, open_shop, paid_payment
from tests.people.support import create_person, log_in, new_email

IST = "+05:30"
ROW = re.compile(r'data-payment-id="(pay_[A-Za-z0-9]+)"')


async def charged(session, client, txn: Transaction) -> None:
    """A captured payment written directly carries its commission, as the platform's own would (the ledger check
    after each test wants one)."""
    if txn.status in ("paid", "partially_refunded", "refunded"):
        await ledger_service.record_commission(session, client, txn)


def shown(html: str) -> set[str]:
    return set(ROW.findall(html))


async def seed(session, platform) -> dict[str, Any]:
    """Two merchants and two gateways (one relabelled a Razorpay account: only its rows are read here), and
    payments of every kind, each made to be found by exactly one way of asking."""
    shop_a = await create_merchant(session, name=f"alpha{uuid.uuid4().hex[:4]}")
    shop_b = await create_merchant(session, name=f"beta{uuid.uuid4().hex[:4]}")
    gw_1 = await create_sandbox_gateway(session, platform.simulator_url)
    gw_2 = await create_sandbox_gateway(session, platform.simulator_url)
    gw_2.provider = "razorpay"
    now = datetime.now(UTC)
    specs = {
        "paid_a": dict(
            client=shop_a,
            gw=gw_1,
            status="paid",
            amount=150_000,
            minutes=5,
            customer={"email": "Asha@Example.com", "phone": "+919812345678"},
        ),
        "failed_a": dict(
            client=shop_a, gw=gw_2, status="failed", amount=2_000, minutes=30, gateway_txn_id="rzp_txn_777"
        ),
        # updated "later": the janitor, which asks the PSP about payments left pending, leaves them alone
        "pending_old": dict(
            client=shop_b,
            gw=gw_1,
            status="pending",
            amount=9_900,
            minutes=40,
            updated_at=now + timedelta(hours=1),
        ),
        "pending_new": dict(
            client=shop_b,
            gw=gw_1,
            status="pending",
            amount=9_900,
            minutes=2,
            updated_at=now + timedelta(hours=1),
        ),
        "refunded_b": dict(
            client=shop_b,
            gw=gw_2,
            status="refunded",
            amount=50_000,
            minutes=60 * 26,
            amount_refunded=50_000,
            mode="test",
        ),
        "part_b": dict(
            client=shop_b,
            gw=gw_1,
            status="partially_refunded",
            amount=80_000,
            minutes=60 * 3,
            amount_refunded=10_000,
            order_id="shop-order-42",
        ),
    }
    made: dict[str, Transaction] = {}
    for key, spec in specs.items():
        fields = {k: v for k, v in spec.items() if k not in ("client", "gw", "status", "amount", "minutes")}
        txn = add_transaction(
            session,
            spec["client"].client.id,
            spec["gw"],
            amount=spec["amount"],
            status=spec["status"],
            created_at=now - timedelta(minutes=spec["minutes"]),
            **fields,
        )
        made[key] = txn
    await session.flush()
    for key, txn in made.items():
        await charged(session, specs[key]["client"].client, txn)
    await session.commit()
    ids = {k: t.payment_id for k, t in made.items()}
    return {"ids": ids, "a": shop_a, "b": shop_b, "gw_1": gw_1, "gw_2": gw_2, "now": now, "txns": made}


async def test_search_and_filters_return_exactly_the_right_payments(platform, session):
    data = await seed(session, platform)
    ids, a, b = data["ids"], data["a"], data["b"]
    _, headers = await operator(session, "viewer")
    every = set(ids.values())

    def of(*keys: str) -> set[str]:
        return {ids[k] for k in keys}

    now_ist = data["now"].astimezone(__import__("zoneinfo").ZoneInfo("Asia/Kolkata"))
    cases: list[tuple[dict[str, str], set[str]]] = [
        ({}, every),
        # the one search box recognises the kind of id
        ({"q": ids["paid_a"]}, of("paid_a")),
        ({"q": "asha@example.COM"}, of("paid_a")),
        ({"q": "98123 45678"}, of("paid_a")),
        ({"q": "rzp_txn_777"}, of("failed_a")),
        ({"q": "shop-order-42"}, of("part_b")),
        ({"q": str(data["txns"]["failed_a"].id)}, of("failed_a")),
        ({"q": str(b.client.id)}, of("pending_old", "pending_new", "refunded_b", "part_b")),
        ({"q": a.client.client_key}, of("paid_a", "failed_a")),
        # explicit fields
        ({"merchant": a.client.company_name[:8].upper()}, of("paid_a", "failed_a")),
        ({"order_id": "shop-order-42"}, of("part_b")),
        ({"gateway_txn_id": "rzp_txn_777"}, of("failed_a")),
        ({"email": "asha@example.com"}, of("paid_a")),
        ({"phone": "9812345678"}, of("paid_a")),
        ({"status": "pending"}, of("pending_old", "pending_new")),
        ({"gateway": str(data["gw_2"].id)}, of("failed_a", "refunded_b")),
        ({"provider": "razorpay"}, of("failed_a", "refunded_b")),
        ({"mode": "test"}, of("refunded_b")),
        ({"mode": "live"}, every - of("refunded_b")),
        ({"amount_min": "500", "amount_max": "1,500"}, of("paid_a", "part_b", "refunded_b")),
        ({"amount_max": "99"}, of("pending_old", "pending_new", "failed_a")),
        # a date range in IST: the last hour
        (
            {"from": (now_ist - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")},
            of("paid_a", "failed_a", "pending_old", "pending_new"),
        ),
        ({"to": (now_ist - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")}, of("refunded_b", "part_b")),
        # quick views
        ({"view": "succeeded"}, of("paid_a", "refunded_b", "part_b")),
        ({"view": "failed"}, of("failed_a")),
        ({"view": "pending"}, of("pending_old")),
        ({"view": "refunded"}, of("refunded_b", "part_b")),
        ({"view": "refunded", "mode": "live"}, of("part_b")),
        ({"q": "nobody@nowhere.example"}, set()),
    ]
    async with client(platform.api_url, headers) as http:
        for params, expected in cases:
            r = await http.get("/admin/payments", params=params)
            assert r.status_code == 200, (params, r.text[:500])
            assert shown(r.text) == expected, params
        r = await http.get("/admin/payments")
        assert 'class="quick-views"' in r.text and "Pending over 15 min" in r.text
        for wrong in ("lots", "11805916207174113034.24"):  # the second is past PostgreSQL's bigint in paise
            r = await http.get("/admin/payments", params={"amount_min": wrong})
            assert r.status_code == 200 and "is not an amount in rupees" in r.text


async def test_keyset_pages_visit_every_row_once_both_ways(platform, session):
    merchant = await create_merchant(session)
    gateway = await create_sandbox_gateway(session, platform.simulator_url)
    moment = datetime.now(UTC) - timedelta(minutes=1)
    for i in range(130):
        # ties on created_at (ten per moment): the id breaks them
        add_transaction(session, merchant.client.id, gateway, created_at=moment - timedelta(seconds=i // 10))
    await session.commit()
    all_ids = set((await session.scalars(select(Transaction.payment_id))).all())
    _, headers = await operator(session, "viewer")
    pages: list[list[str]] = []
    async with client(platform.api_url, headers) as http:
        url = "/admin/payments"
        while url:
            r = await http.get(url)
            assert r.status_code == 200
            pages.append(ROW.findall(r.text))
            found = re.search(r'rel="next" href="([^"]+)"', r.text)
            url = found.group(1).replace("&amp;", "&") if found else ""
            assert len(pages) < 10
        seen = [p for page in pages for p in page]
        assert len(seen) == len(set(seen)) == 130 and set(seen) == all_ids
        assert [len(p) for p in pages] == [50, 50, 30]
        # and back: "previous" from the last page gives the pages before it, in the same order
        back = re.search(r'rel="prev" href="([^"]+)"', r.text).group(1).replace("&amp;", "&")
        r = await http.get(back)
        assert ROW.findall(r.text) == pages[1]
        back = re.search(r'rel="prev" href="([^"]+)"', r.text).group(1).replace("&amp;", "&")
        r = await http.get(back)
        assert ROW.findall(r.text) == pages[0] and 'rel="prev"' not in r.text
        assert "OFFSET" not in r.text


def _parse(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def test_csv_of_a_filter_matches_it_and_a_large_export_streams(platform, session):
    data = await seed(session, platform)
    ids = data["ids"]
    _, headers = await operator(session, "finance")
    async with client(platform.api_url, headers) as http:
        r = await http.get("/admin/payments.csv", params={"view": "refunded"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        assert "attachment" in r.headers["content-disposition"]
        rows = _parse(r.text)
        assert {row["payment_id"] for row in rows} == {ids["refunded_b"], ids["part_b"]}
        part = next(row for row in rows if row["payment_id"] == ids["part_b"])
        assert (part["amount_inr"], part["amount_refunded_inr"]) == ("800.00", "100.00")
        assert part["status"] == "partially_refunded" and part["order_id"] == "shop-order-42"
        created = datetime.fromisoformat(part["created_at"])
        assert part["created_at"].endswith(IST) and created.utcoffset() == timedelta(hours=5, minutes=30)
        assert abs(created - data["txns"]["part_b"].created_at) < timedelta(seconds=1)
        r = await http.get("/admin/payments.csv", params={"q": "asha@example.com"})
        [only] = _parse(r.text)
        assert only["payment_id"] == ids["paid_a"] and only["amount_inr"] == "1500.00"
        assert (
            only["customer_email"] == "Asha@Example.com" and only["merchant"] == data["a"].client.company_name
        )

    # 5,000 more rows: streamed in keyset batches (several chunks), every row once
    merchant = await create_merchant(session)
    gateway = await create_sandbox_gateway(session, platform.simulator_url)
    start = datetime.now(UTC) - timedelta(days=2)
    for i in range(5_000):
        add_transaction(
            session, merchant.client.id, gateway, amount=100 + i, created_at=start + timedelta(seconds=i)
        )
    await session.commit()
    async with client(platform.api_url, headers) as http:
        chunks = 0
        buffer = io.StringIO()
        async with http.stream(
            "GET", "/admin/payments.csv", params={"merchant": str(merchant.client.id)}
        ) as r:
            assert r.status_code == 200
            async for chunk in r.aiter_text():
                chunks += 1
                buffer.write(chunk)
        rows = _parse(buffer.getvalue())
        assert len(rows) == 5_000 and len({row["payment_id"] for row in rows}) == 5_000
        assert chunks >= 3  # the header, then one chunk per batch of 2,000
        assert rows[0]["amount_inr"] == "50.99" and rows[-1]["amount_inr"] == "1.00"  # newest first


async def test_roles_viewer_sees_no_refund_a_non_operator_gets_403_and_the_support_cap_holds(
    platform, session
):
    merchant = await create_merchant(session)
    gateway = await create_sandbox_gateway(session, platform.simulator_url)
    txn = add_transaction(session, merchant.client.id, gateway, amount=5_000_000, status="paid")
    await session.flush()
    await charged(session, merchant.client, txn)
    await session.commit()
    txn_id, merchant_id = txn.id, merchant.client.id
    _, viewer = await operator(session, "viewer")
    async with client(platform.api_url, viewer) as http:
        r = await http.get(f"/admin/payments/{txn.payment_id}")
        assert r.status_code == 200 and "Timeline" in r.text
        assert 'id="refund-card"' not in r.text and "/refund" not in r.text
        r = await http.post(
            f"/admin/payments/{txn.payment_id}/refund",
            data={"amount": "10"},
            headers={"X-CSRF-Token": viewer["X-CSRF-Token"]},
        )
        assert r.status_code == 403
    member = await create_person(session, member_of=merchant_id, email=new_email("m"))
    member_headers = await log_in(session, member.id)
    async with client(platform.api_url, member_headers) as http:
        for path in ("/admin/payments", f"/admin/payments/{txn.payment_id}", "/admin/payments.csv"):
            r = await http.get(path)
            assert r.status_code == 403, path
    support_user, support = await operator(session, "support")
    async with client(platform.api_url, support) as http:
        r = await http.get(f"/admin/payments/{txn.payment_id}")
        assert 'id="refund-card"' in r.text and 'value="50000.00"' in r.text  # all that is refundable
        r = await http.post(
            f"/admin/payments/{txn.payment_id}/refund",
            data={"amount": "15000", "reason": "too much for support"},
            headers={"X-CSRF-Token": support["X-CSRF-Token"], "HX-Request": "true"},
        )
        assert r.status_code == 403 and "The refund is over your role" in r.text
        r = await http.post(
            f"/admin/payments/{txn.payment_id}/refund",
            data={"amount": "2500.50", "reason": "ticket 88"},
            headers={"X-CSRF-Token": support["X-CSRF-Token"], "HX-Request": "true"},
        )
        assert r.status_code == 200, r.text
        assert "Refund rfnd_" in r.text and 'hx-swap-oob="true"' in r.text
    await session.rollback()
    [refund] = (await session.scalars(select(Refund).where(Refund.transaction_id == txn_id))).all()
    assert refund.amount == 250_050
    [row] = (
        await session.scalars(
            select(AuditLog).where(
                AuditLog.action == "refund.created", AuditLog.target_id == refund.public_id
            )
        )
    ).all()
    assert row.actor == f"user:{support_user.email}" and row.reason == "ticket 88"
    assert row.client_id == merchant_id


@pytest.mark.parametrize("width", [1280])
async def test_refund_and_export_in_a_browser_in_english_and_hindi(platform, session, tmp_path, width):
    email = new_email("owner")
    await create_person(session, operator_role="owner", password=PASSWORD, email=email)
    async with open_shop(platform, session) as shop:
        paid = await paid_payment(shop.native, amount=123_400)
        payment_id = paid["payment_id"]
        async with browser.chromium() as chromium:
            console = await browser.logged_in(chromium, platform.api_url, email, PASSWORD, width=width)
            page = await console.open("/admin/payments")
            await page.wait_for_selector(f'tr[data-payment-id="{payment_id}"]')
            await browser.screenshot(page, "payments-en")
            assert await browser.axe_violations(page) == []
            # a new payment appears without a reload (the transactions stream)
            r = await shop.native.pay(amount=4_200)
            assert r.status_code == 201
            new_id = r.json()["payment_id"]
            await page.wait_for_selector(f'tr[data-payment-id="{new_id}"]', timeout=20_000)
            # export the page's filter through its link
            async with page.expect_download() as download_info:
                await page.click("#export-csv")
            download = await download_info.value
            path = tmp_path / "payments.csv"
            await download.save_as(path)
            rows = _parse(path.read_text())
            assert payment_id in {row["payment_id"] for row in rows}
            assert next(row for row in rows if row["payment_id"] == payment_id)["amount_inr"] == "1234.00"

            await page.click(f'a[href="/admin/payments/{payment_id}"]')
            await page.wait_for_selector("#refund-card")
            assert await page.input_value("#refund-amount") == "1234.00"
            await page.fill("#refund-reason", "customer returned the order")
            await page.click("#refund-card button[type=submit]")
            await page.wait_for_selector("#refund-card .notice-ok")
            refund_text = await page.inner_text("#refund-card .notice-ok")
            refund_id = re.search(r"rfnd_[A-Za-z0-9]+", refund_text).group(0)
            await page.wait_for_selector(f'#payment-timeline :text("{refund_id}")')

            async def refunded() -> dict[str, Any] | None:
                t = await native_txn(shop.native, paid["id"])
                return t if t["status"] == "refunded" else None

            await wait_for(refunded, timeout=30, what="the payment to be refunded")
            # the page follows: the status and the processed refund arrive live
            await page.wait_for_selector("#payment-status:text('Refunded')", timeout=20_000)
            await page.wait_for_selector("#payment-timeline :text('processed by the PSP')", timeout=20_000)
            await browser.screenshot(page, "payment-en")
            assert await browser.axe_violations(page) == []

            await page.select_option("#pref-language", "hi")
            await page.wait_for_selector("html[lang=hi]")
            await browser.screenshot(page, "payment-hi")
            assert await browser.axe_violations(page) == []
            listing = await console.open("/admin/payments")
            await listing.wait_for_selector(f'tr[data-payment-id="{payment_id}"]')
            await browser.screenshot(listing, "payments-hi")
            assert await browser.axe_violations(listing) == []
            await listing.set_viewport_size({"width": 375, "height": 800})
            await browser.screenshot(listing, "payments-hi-375")
            assert await listing.evaluate("document.documentElement.scrollWidth") <= 375
            await page.set_viewport_size({"width": 375, "height": 800})
            await browser.screenshot(page, "payment-hi-375")
            assert await page.evaluate("document.documentElement.scrollWidth") <= 375
            console.assert_clean()
    assert Decimal("1234.00") * 100 == 123_400
