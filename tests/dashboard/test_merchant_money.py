"""The merchant console's payments and money pages: the payments list (filters, search, keyset pages, the live
rows, the filter's CSV), a payment's page with its timeline, refund and capture from the page (idempotent, by
role), the refunds list, settlements with their CSV, and the dues and wallet page; each in its mode only, and a
merchant never seeing another merchant's payment, refund or settlement."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select, update

from lightspeedpay.auth.permissions import MERCHANT_ROLES
from lightspeedpay.config import get_settings
from lightspeedpay.dashboard.merchant.payments import PAGE_SIZE
from lightspeedpay.kit.ids import new_id
from lightspeedpay.models import AuditLog, Client, Refund
from lightspeedpay.settlements.service import today
from tests.dashboard import browser
from tests.dashboard.support import PASSWORD, client, merchant_person
from tests.factories import MerchantClient, add_transaction, count, create_sandbox_gateway, wait_for
from tests.ledger_support import admin_client, open_shop
from tests.paying import paid_payment


def sandbox_client(platform, new, http: httpx.AsyncClient) -> MerchantClient:
    """The merchant's API client with its test key: its payments are test payments."""
    return MerchantClient(
        base_url=platform.api_url, client_key=new.test_key_id, salt=new.test_secret, http=http
    )


async def paid(api: MerchantClient, amount: int) -> dict:
    """A payment the shop's gateway completes at once (auto success): the transaction, once paid."""
    r = await api.pay(amount=amount)
    assert r.status_code == 201, r.text
    txn_id = r.json()["transaction_id"]

    async def done() -> dict | None:
        t = (await api.get(f"/api/v1/transactions/{txn_id}")).json()
        return t if t["status"] == "paid" else None

    return await wait_for(done, what=f"payment {txn_id} paid", timeout=30)


async def settled_day(platform, shop) -> str:
    """Today's settlement of the shop, run by the operator and completed: its id."""
    async with admin_client(platform) as admin:
        r = await admin.post(
            "/api/v1/admin/settlements/run", json={"date": today().isoformat(), "merchant_id": str(shop.id)}
        )
        assert r.status_code == 202, r.text
        [run] = r.json()["settlements"]

    async def completed() -> bool:
        got = await shop.client.get(f"/api/v1/settlements/{run['id']}")
        return got.json()["status"] == "completed"

    await wait_for(completed, what="the settlement completed", timeout=30)
    return str(run["id"])


async def test_payments_list_and_page_show_this_merchant_in_this_mode_only(platform, session):
    async with open_shop(platform, session) as shop, open_shop(platform, session, gateway=False) as other:
        merchant, _user, headers = await merchant_person(session, "owner", merchant=shop.new)
        live_id = (await paid(shop.client, 123_400))["payment_id"]
        theirs = (await paid(other.client, 987_600))["payment_id"]
        test_id = (await paid(sandbox_client(platform, shop.new, shop.client.http), 45_600))["payment_id"]
        async with client(platform.api_url, headers) as http:
            live = (await http.get("/dashboard/live/payments")).text
            assert live_id in live and "₹1,234.00" in live
            assert theirs not in live and test_id not in live
            test = (await http.get("/dashboard/test/payments")).text
            assert test_id in test and live_id not in test and theirs not in test

            page = await http.get(f"/dashboard/live/payments/{live_id}")
            assert page.status_code == 200
            assert "Routed to" in page.text and "Status changed to Paid" in page.text

            for path in (
                f"/dashboard/live/payments/{theirs}",
                f"/dashboard/test/payments/{live_id}",
                f"/dashboard/live/payments/{test_id}",
            ):
                r = await http.get(path)
                assert r.status_code == 404, path
                assert "Page not found" in r.text

            settlement_id = await settled_day(platform, shop)
            their_settlement = await settled_day(platform, other)
            listed = (await http.get("/dashboard/live/settlements")).text
            assert settlement_id in listed and their_settlement not in listed
            r = await http.get(f"/dashboard/live/settlements/{settlement_id}")
            assert r.status_code == 200 and live_id in r.text and theirs not in r.text
            r = await http.get(f"/dashboard/live/settlements/{settlement_id}.csv")
            assert r.headers["content-type"].startswith("text/csv")
            rows = list(csv.DictReader(io.StringIO(r.text)))
            assert [(row["kind"], row["amount_paise"]) for row in rows] == [("payment", "123400")]
            assert "No settlements yet" not in (await http.get("/dashboard/test/settlements")).text
            assert settlement_id not in (await http.get("/dashboard/test/settlements")).text
            for path in (
                f"/dashboard/live/settlements/{their_settlement}",
                f"/dashboard/live/settlements/{their_settlement}.csv",
                f"/dashboard/test/settlements/{settlement_id}",
                "/dashboard/live/settlements/not-an-id",
            ):
                r = await http.get(path)
                assert r.status_code == 404 and "Page not found" in r.text, path
                assert "₹9,876.00" not in r.text and other.company_name not in r.text, path

            await record_payout(platform, shop.id, 1_000, "UTR-MINE-1")
            await record_payout(platform, other.id, 2_000, "UTR-THEIRS-1")
            wallet = (await http.get("/dashboard/live/wallet")).text
            kinds = re.findall(r'data-entry-type="([A-Z_]+)"', wallet)
            assert kinds == ["COMMISSION_PAYOUT", "COMMISSION"]  # newest first; the test payment has none
            assert "UTR-MINE-1" in wallet and "UTR-THEIRS-1" not in wallet
            assert "What happens at suspension" in wallet
            chart = json.loads(html.unescape(re.search(r"data-chart='([^']+)'", wallet).group(1)))
            dues = chart["data"][1]  # the balance at the end of each day, oldest first; today's is now's
            assert len(dues) == 30 and dues[0] == 0 and dues[-1] == (4_319 - 1_000) / 100
            assert chart["data"][3] == [get_settings().default_suspend_threshold / 100] * 30
            payouts = (await http.get("/dashboard/live/wallet?type=COMMISSION_PAYOUT")).text
            assert re.findall(r'data-entry-type="([A-Z_]+)"', payouts) == ["COMMISSION_PAYOUT"]
            test_wallet = (await http.get("/dashboard/test/wallet")).text
            assert "no dues in test mode" in test_wallet and "data-entry-type" not in test_wallet
            assert "What happens at suspension" in test_wallet


async def record_payout(platform, merchant_id, amount: int, reference: str) -> None:
    async with admin_client(platform) as admin:
        r = await admin.post(
            f"/api/v1/admin/merchants/{merchant_id}/payouts", json={"amount": amount, "reference": reference}
        )
        assert r.status_code in (200, 201), r.text


async def test_refund_and_settlement_csv_in_a_browser_in_english_and_hindi(platform, session, tmp_path):
    async with open_shop(platform, session) as shop:
        _m, user, _headers = await merchant_person(session, "owner", merchant=shop.new, password=PASSWORD)
        first = (await paid(shop.client, 250_000))["payment_id"]
        second = (await paid(shop.client, 80_000))["payment_id"]
        await paid(sandbox_client(platform, shop.new, shop.client.http), 12_300)
        settlement_id = await settled_day(platform, shop)
        await record_payout(platform, shop.id, 5_000, "UTR-DEMO-0001")
        async with browser.chromium() as chromium:
            console = await browser.logged_in(
                chromium,
                platform.api_url,
                user.email,
                PASSWORD,
                login_path="/auth/login",
                lands_on="/dashboard/live",
            )
            for language, payment_id, rupees in (("en", first, "400.00"), ("hi", second, "150.50")):
                page = await console.open("/dashboard/live/payments")
                if language == "hi":
                    await page.select_option("#pref-language", "hi")
                    await page.wait_for_selector("html[lang=hi]")
                await page.wait_for_selector(f'tr[data-payment-id="{payment_id}"]')
                assert await browser.axe_violations(page) == []
                await browser.screenshot(page, f"merchant-payments-{language}")
                await page.close()  # each page holds an EventSource: a browser has 6 connections to a host

                page = await console.open(f"/dashboard/live/payments/{payment_id}")
                await page.check("input[name=kind][value=partial]")
                await page.fill("#refund-amount", rupees)
                await page.fill("#refund-reason", "one item returned")
                await page.click(".refund-form button[type=submit]")
                await page.wait_for_selector("#payment-actions .notice-ok")
                notice = await page.inner_text("#payment-actions .notice-ok")
                refund_id = re.search(r"rfnd_[A-Za-z0-9]+", notice).group(0)
                await page.wait_for_selector(f'#payment-refunds tr[data-refund-id="{refund_id}"]')
                assert await browser.axe_violations(page) == []
                await browser.screenshot(page, f"merchant-payment-{language}")
                await page.close()

                page = await console.open(f"/dashboard/live/settlements/{settlement_id}")
                async with page.expect_download() as download_info:
                    await page.click("#settlement-csv")
                path = tmp_path / f"settlement-{language}.csv"
                await (await download_info.value).save_as(path)
                rows = list(csv.DictReader(io.StringIO(path.read_text())))
                assert sorted(int(r["amount_paise"]) for r in rows) == [80_000, 250_000]
                assert {r["settlement_id"] for r in rows} == {settlement_id}
                assert await browser.axe_violations(page) == []
                await browser.screenshot(page, f"merchant-settlement-{language}")
                await page.close()

                for name, path in (
                    ("settlements", "/dashboard/live/settlements"),
                    ("wallet", "/dashboard/live/wallet"),
                    ("refunds", "/dashboard/live/refunds"),
                    ("payments-test", "/dashboard/test/payments"),
                    ("wallet-test", "/dashboard/test/wallet"),
                ):
                    page = await console.open(path)
                    assert await browser.axe_violations(page) == [], path
                    await browser.screenshot(page, f"merchant-{name}-{language}")
                    await page.close()
            # a phone's width: the page does not scroll sideways (wide tables scroll inside their frame)
            for name, path in (
                ("payments", "/dashboard/live/payments"),
                ("payment", f"/dashboard/live/payments/{second}"),
                ("settlement", f"/dashboard/live/settlements/{settlement_id}"),
                ("wallet", "/dashboard/live/wallet"),
            ):
                page = await console.open(path)
                await page.set_viewport_size({"width": 375, "height": 800})
                await browser.screenshot(page, f"merchant-{name}-hi-375")
                assert await page.evaluate("document.documentElement.scrollWidth") <= 375, path
                await page.close()
            console.assert_clean()
    refunds = (await session.execute(select(Refund).where(Refund.client_id == shop.id))).scalars().all()
    assert sorted(r.amount for r in refunds) == [15_050, 40_000]


async def test_refund_from_the_page_once_per_form_within_the_role_and_audited(platform, session):
    async with open_shop(platform, session) as shop, open_shop(platform, session, gateway=False) as other:
        _m, owner, owner_headers = await merchant_person(session, "owner", merchant=shop.new)
        owner_email = owner.email
        _m, _viewer, viewer_headers = await merchant_person(session, "viewer", merchant=shop.new)
        _m, _support, support_headers = await merchant_person(session, "support", merchant=shop.new)
        await session.execute(update(Client).where(Client.id == shop.id).values(support_refund_limit=10_000))
        await session.commit()
        payment_id = (await paid(shop.client, 1_000_000))["payment_id"]
        theirs = (await paid(other.client, 50_000))["payment_id"]
        page_path = f"/dashboard/live/payments/{payment_id}"
        htmx = {"HX-Request": "true"}

        async with client(platform.api_url, viewer_headers) as http:
            page = await http.get(page_path)
            assert page.status_code == 200 and "refund-form" not in page.text
            r = await http.post(f"{page_path}/refund", data={"kind": "full", "idempotency_key": "v-1"})
            assert r.status_code == 403 and "Your role does not allow this" in r.text

        async with client(platform.api_url, support_headers) as http:
            page = await http.get(page_path)
            assert "Your role refunds up to ₹100.00 at a time." in page.text
            r = await http.post(
                f"{page_path}/refund",
                data={"kind": "partial", "amount": "500.00", "idempotency_key": "s-1"},
                headers=htmx,
            )
            assert r.status_code == 403 and "The refund is over your role" in r.text
            assert r.headers["hx-retarget"] == "#notices"

        cookie_only = {"Cookie": owner_headers["Cookie"]}
        async with client(platform.api_url, cookie_only) as http:
            # a form posted without JavaScript: the CSRF token in the form; sent twice with its one-time token
            data = {
                "kind": "partial",
                "amount": "250.50",
                "reason": "damaged in transit",
                "idempotency_key": f"refund-{uuid.uuid4().hex}",
                "csrf_token": owner_headers["X-CSRF-Token"],
            }
            first = await http.post(f"{page_path}/refund", data=data)
            again = await http.post(f"{page_path}/refund", data=data)
            assert first.status_code == again.status_code == 303
            assert first.headers["location"] == again.headers["location"]
            refund_id = first.headers["location"].split("refunded=", 1)[1]
            assert (
                await count(session, Refund, Refund.transaction_id.isnot(None), Refund.client_id == shop.id)
                == 1
            )
            shown = await http.get(first.headers["location"])
            assert f"Refund {refund_id} of ₹250.50 created" in shown.text
            assert f'data-refund-id="{refund_id}"' in shown.text and "damaged in transit" in shown.text
            other_values = await http.post(f"{page_path}/refund", data={**data, "amount": "300.00"})
            assert other_values.status_code == 422
            assert "This form was already sent with other values" in other_values.text

        async with client(platform.api_url, owner_headers) as http:
            r = await http.post(
                f"{page_path}/refund",
                data={"kind": "partial", "amount": "2000", "idempotency_key": f"refund-{uuid.uuid4().hex}"},
                headers=htmx,
            )
            assert r.status_code == 200 and "of ₹2,000.00 created" in r.text
            assert 'id="payment-actions"' in r.text and 'hx-swap-oob="true"' in r.text
            assert "Up to ₹7,749.50 can be refunded." in r.text
            too_much = await http.post(
                f"{page_path}/refund",
                data={"kind": "partial", "amount": "8000", "idempotency_key": f"refund-{uuid.uuid4().hex}"},
                headers=htmx,
            )
            assert too_much.status_code == 422
            assert "The refund is larger than what is left of the payment." in too_much.text
            not_money = await http.post(
                f"{page_path}/refund", data={"kind": "partial", "amount": "ten"}, headers=htmx
            )
            assert not_money.status_code == 422 and "amount must be an amount in rupees" in not_money.text
            for path in (
                f"/dashboard/live/payments/{theirs}/refund",
                f"/dashboard/test/payments/{payment_id}/refund",
            ):
                r = await http.post(path, data={"kind": "full", "idempotency_key": f"x-{uuid.uuid4().hex}"})
                assert r.status_code == 404, path
            # the rest, in full
            r = await http.post(
                f"{page_path}/refund",
                data={"kind": "full", "idempotency_key": f"refund-{uuid.uuid4().hex}"},
                headers=htmx,
            )
            assert (
                r.status_code == 200
                and "of ₹7,749.50 created" in r.text
                and "Nothing can be refunded" in r.text
            )

    await session.rollback()
    made = (await session.execute(select(Refund).where(Refund.client_id == shop.id))).scalars().all()
    assert sorted(r.amount for r in made) == [25_050, 200_000, 774_950]
    assert await count(session, Refund, Refund.client_id == other.id) == 0
    audited = (
        (
            await session.execute(
                select(AuditLog).where(AuditLog.action == "refund.created", AuditLog.client_id == shop.id)
            )
        )
        .scalars()
        .all()
    )
    assert len(audited) == 3 and {a.actor for a in audited} == {f"user:{owner_email}"}
    assert "damaged in transit" in {a.reason for a in audited}


async def test_capture_an_authorized_payment_from_its_page(platform, session):
    async with open_shop(platform, session, gateway=False) as shop:
        await create_sandbox_gateway(session, platform.simulator_url)  # the payer decides: authorize
        _m, owner, owner_headers = await merchant_person(session, "owner", merchant=shop.new)
        owner_email = owner.email
        _m, _support, support_headers = await merchant_person(session, "support", merchant=shop.new)
        authorized = await paid_payment(shop.client, amount=64_000, outcome="authorize")
        page_path = f"/dashboard/live/payments/{authorized['payment_id']}"
        async with client(platform.api_url, support_headers) as http:
            page = await http.get(page_path)
            assert "capture-form" not in page.text
            r = await http.post(f"{page_path}/capture", data={"idempotency_key": "c-1"})
            assert r.status_code == 403
        async with client(platform.api_url, owner_headers) as http:
            page = await http.get(page_path)
            assert "capture-form" in page.text and "Capture ₹640.00" in page.text
            token = f"capture-{uuid.uuid4().hex}"
            r = await http.post(
                f"{page_path}/capture", data={"idempotency_key": token}, headers={"HX-Request": "true"}
            )
            assert r.status_code == 200 and "Captured ₹640.00: the payment is paid." in r.text
            again = await http.post(
                f"{page_path}/capture", data={"idempotency_key": token}, headers={"HX-Request": "true"}
            )
            assert again.status_code == 200 and "already captured from this form" in again.text
            fresh = await http.post(
                f"{page_path}/capture",
                data={"idempotency_key": f"capture-{uuid.uuid4().hex}"},
                headers={"HX-Request": "true"},
            )
            assert fresh.status_code == 409 and "This payment cannot be captured" in fresh.text
            page = await http.get(page_path)
            assert "capture-form" not in page.text and 'id="payment-status">Paid<' in page.text
    await session.rollback()
    captured = (
        (
            await session.execute(
                select(AuditLog).where(AuditLog.action == "payment.captured", AuditLog.client_id == shop.id)
            )
        )
        .scalars()
        .all()
    )
    assert [a.actor for a in captured] == [f"user:{owner_email}"]


async def test_the_list_filters_by_status_and_day_and_visits_every_page_once(platform, session):
    async with open_shop(platform, session) as shop:
        _m, _owner, headers = await merchant_person(session, "owner", merchant=shop.new)
        # auto-success too: the paid payment below may be routed to either of the shop's gateways (one that
        # nobody completes left it pending, and the test timed out in a CI run)
        gateway = await create_sandbox_gateway(session, platform.simulator_url, auto_outcome="success")
        # within today in IST, which the filters below count in: an hour ago was yesterday there between
        # 00:00 and 01:00 IST (and the test failed then)
        midnight_ist = datetime.combine(
            datetime.now(ZoneInfo("Asia/Kolkata")).date(), dt_time.min, ZoneInfo("Asia/Kolkata")
        )
        started = max(datetime.now(UTC) - timedelta(hours=1), midnight_ist)
        failed = []
        for n in range(PAGE_SIZE + 5):  # more than a page, written as the worker would have left them
            payment_id = new_id("pay")
            add_transaction(
                session,
                shop.id,
                gateway,
                payment_id=payment_id,
                order_id=f"ord-list-{n}",
                amount=1_000 + n,
                status="failed",
                error_code="PAYMENT_FAILED",
                volume_released=True,
                created_at=started + timedelta(seconds=n),
            )
            failed.append(payment_id)
        await session.commit()
        paid_id = (await paid(shop.client, 77_700))["payment_id"]
        async with client(platform.api_url, headers) as http:
            seen: list[str] = []
            path = "/dashboard/live/payments?status=failed"
            while path:
                page = (await http.get(path)).text
                seen += re.findall(r'data-payment-id="(pay_[A-Za-z0-9]+)"', page)
                older = re.search(r'rel="next" href="([^"]+)"', page)
                path = html.unescape(older.group(1)) if older else ""
            assert seen == list(reversed(failed))  # newest first, each once
            paid_only = (await http.get("/dashboard/live/payments?status=paid")).text
            assert re.findall(r'data-payment-id="(pay_[A-Za-z0-9]+)"', paid_only) == [paid_id]
            today_ist = datetime.now(ZoneInfo("Asia/Kolkata")).date()
            yesterday = (today_ist - timedelta(days=1)).isoformat()
            before = (await http.get(f"/dashboard/live/payments?to={yesterday}")).text
            assert "No payments match." in before and paid_id not in before
            since = (
                await http.get(f"/dashboard/live/payments?from={today_ist.isoformat()}&status=paid")
            ).text
            assert paid_id in since
            wrong = await http.get("/dashboard/live/payments?from=someday&amount_min=lots&amount_max=1e30")
            assert wrong.status_code == 200
            assert (
                "From is not a date." in wrong.text
                and "Minimum amount is not an amount in rupees." in wrong.text
                and "Maximum amount is not an amount in rupees." in wrong.text
            )
            rows = await http.get("/dashboard/live/payments/rows?status=paid")
            assert rows.text.startswith(
                '<div id="payments-rows" hx-get="/dashboard/live/payments/rows?status=paid"'
            )
            assert 'hx-trigger="sse:transaction' in rows.text and paid_id in rows.text

            def listed(page: str) -> list[str]:
                return re.findall(r'data-payment-id="(pay_[A-Za-z0-9]+)"', page)

            # the search box: a payment id, an order id; amounts in rupees
            assert listed((await http.get(f"/dashboard/live/payments?q={paid_id}")).text) == [paid_id]
            assert listed((await http.get("/dashboard/live/payments?q=ord-list-7")).text) == [failed[7]]
            assert listed((await http.get("/dashboard/live/payments?amount_min=500")).text) == [paid_id]
            small = "/dashboard/live/payments?amount_min=10.02&amount_max=10.05"
            assert listed((await http.get(small)).text) == list(reversed(failed[2:6]))
            upside_down = (await http.get("/dashboard/live/payments?amount_min=600&amount_max=5")).text
            assert "The maximum amount is less than the minimum" in upside_down
            assert listed(upside_down) == [paid_id]
            # the download follows the filter: the same rows, the merchant's columns
            page = (await http.get(small)).text
            link = html.unescape(re.search(r'id="download-csv" href="([^"]+)"', page).group(1))
            assert link == "/dashboard/live/payments.csv?amount_min=10.02&amount_max=10.05"
            exported = await http.get(link)
            assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
            rows = list(csv.DictReader(io.StringIO(exported.text)))
            assert [r["payment_id"] for r in rows] == list(reversed(failed[2:6]))
            assert [r["amount_inr"] for r in rows] == ["10.05", "10.04", "10.03", "10.02"]
            assert {r["mode"] for r in rows} == {"live"} and "gateway" not in rows[0]
            refused = await http.get("/dashboard/live/payments.csv?from=someday")
            assert refused.status_code == 422 and "From is not a date." in refused.text
            later = await http.get("/dashboard/live/payments?status=failed&cursor=not-a-cursor")
            assert later.status_code == 200 and failed[-1] in later.text  # a foreign cursor: the newest page


async def test_each_role_opens_the_money_pages_its_permissions_allow(platform, session):
    async with open_shop(platform, session) as shop:
        payment_id = (await paid(shop.client, 10_000))["payment_id"]
        pages = {
            "/payments": "payments:read",
            f"/payments/{payment_id}": "payments:read",
            "/refunds": "refunds:read",
            "/settlements": "settlements:read",
            "/wallet": "wallet:read",
        }
        for role, permissions in MERCHANT_ROLES.items():
            _m, _person, headers = await merchant_person(session, role, merchant=shop.new)
            async with client(platform.api_url, headers) as http:
                for path, permission in pages.items():
                    r = await http.get(f"/dashboard/live{path}")
                    expected = 200 if permission in permissions else 403
                    assert r.status_code == expected, (role, path, r.status_code)
                    if expected == 403:
                        assert "You do not have access to this page" in r.text


async def api_refund(api: MerchantClient, transaction_id: str, amount: int) -> dict:
    """A refund the merchant's server asks for (POST /api/v1/transactions/{id}/refunds)."""
    body = json.dumps({"amount": amount}).encode()
    path = f"/api/v1/transactions/{transaction_id}/refunds"
    headers = {**api.headers("POST", path, body), "Idempotency-Key": uuid.uuid4().hex}
    r = await api.http.post(api.base_url + path, content=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


async def test_refunds_list_shows_this_merchants_refunds_in_this_mode(platform, session):
    async with open_shop(platform, session) as shop, open_shop(platform, session, gateway=False) as other:
        _m, _viewer, headers = await merchant_person(session, "viewer", merchant=shop.new)
        sandbox = sandbox_client(platform, shop.new, shop.client.http)
        live = await paid(shop.client, 50_000)
        test = await paid(sandbox, 30_000)
        theirs = await paid(other.client, 40_000)
        mine = await shop.refund(live["id"], 12_500)  # waits until processed
        pending_live = await api_refund(shop.client, live["id"], 1_000)
        test_refund = await api_refund(sandbox, test["id"], 3_000)
        their_refund = await api_refund(other.client, theirs["id"], 4_000)
        async with client(platform.api_url, headers) as http:
            page = (await http.get("/dashboard/live/refunds")).text
            shown = re.findall(r'data-refund-id="(rfnd_[A-Za-z0-9]+)"', page)
            assert set(shown) <= {mine["id"], pending_live["id"]} and mine["id"] in shown
            assert test_refund["id"] not in page and their_refund["id"] not in page
            assert f'href="/dashboard/live/payments/{live["payment_id"]}"' in page and "₹125.00" in page
            test_page = (await http.get("/dashboard/test/refunds")).text
            assert re.findall(r'data-refund-id="(rfnd_[A-Za-z0-9]+)"', test_page) == [test_refund["id"]]
            processed = (await http.get("/dashboard/live/refunds?status=processed")).text
            assert mine["id"] in re.findall(r'data-refund-id="(rfnd_[A-Za-z0-9]+)"', processed)
            assert "No refunds match." in (await http.get("/dashboard/live/refunds?status=failed")).text
            today_ist = datetime.now(ZoneInfo("Asia/Kolkata")).date()
            earlier = (today_ist - timedelta(days=1)).isoformat()
            none_yet = (await http.get(f"/dashboard/live/refunds?to={earlier}")).text
            assert "No refunds match." in none_yet and mine["id"] not in none_yet
            wrong = (await http.get("/dashboard/live/refunds?from=31-12-2026")).text
            assert "From is not a date." in wrong and mine["id"] in wrong
            # the payment's own page lists its refunds, and not another merchant's
            payment_page = (await http.get(f"/dashboard/live/payments/{live['payment_id']}")).text
            assert mine["id"] in payment_page and their_refund["id"] not in payment_page
