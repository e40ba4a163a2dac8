"""The console's money pages: commission (postings with legs, totals, payouts and adjustments behind a recent
login, CSV), settlements (runs, a run's settlements, line items, run now, CSV) and the WhatsApp log, per role; and
each page in a real browser in English and Hindi, at 375 px, scanned by axe-core."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from lightspeedpay.models import AuditLog, LedgerPosting, Settlement, UserSession, WhatsAppNotification
from lightspeedpay.settlements.service import today
from tests.dashboard import browser
from tests.dashboard.support import PASSWORD, client, operator
from tests.factories import create_merchant, wait_for
from tests.ledger_support import open_shop
from tests.people.support import create_person, log_in, new_email

HTMX = {"HX-Request": "true"}
PAGES = ("/admin/commission", "/admin/settlements", "/admin/whatsapp")


def _form(html: str, action: str) -> str | None:
    found = re.search(rf'<form[^>]*action="{re.escape(action)}".*?</form>', html, re.S)
    return found.group(0) if found else None


async def test_each_role_sees_the_pages_it_may_read_and_the_controls_it_may_use(platform, session):
    expected = {
        # role: (status of commission, settlements, whatsapp), write controls shown
        "finance": ((200, 200, 403), True),
        "viewer": ((200, 200, 200), False),
        "support": ((403, 403, 200), False),
        "operations": ((200, 200, 200), False),
    }
    for role, (statuses, writes) in expected.items():
        _, headers = await operator(session, role)
        async with client(platform.api_url, headers) as http:
            for path, status in zip(PAGES, statuses, strict=True):
                r = await http.get(path)
                assert r.status_code == status, (role, path, r.status_code)
                if status == 403:
                    assert "You do not have access to this page" in r.text
                    continue
                if path == "/admin/commission":
                    assert "Postings" in r.text
                    assert (_form(r.text, "/admin/commission/payouts") is not None) is writes, role
                    assert (_form(r.text, "/admin/commission/adjustments") is not None) is writes, role
                if path == "/admin/settlements":
                    assert "Runs" in r.text
                    assert (_form(r.text, "/admin/settlements/run") is not None) is writes, role
            if not writes:
                # the action itself is refused too, not only hidden
                r = await http.post(
                    "/admin/commission/adjustments",
                    data={"merchant_id": str(uuid.uuid4()), "amount": "10", "reason": "x"},
                    headers=HTMX,
                )
                assert r.status_code == 403
                r = await http.post(
                    "/admin/settlements/run", data={"date": today().isoformat()}, headers=HTMX
                )
                assert r.status_code == 403


async def test_an_adjustment_from_the_page_asks_for_the_password_then_is_in_the_ledger(platform, session):
    user, _fresh = await operator(session, "finance")
    headers = await log_in(session, user.id, minutes_ago=30)  # an old login: money moves need a recent one
    # operator() made the person without a password; give them one to confirm
    from lightspeedpay.identity.passwords import hash_password

    user.password_hash = await hash_password(PASSWORD)
    email = user.email
    await session.commit()
    new = await create_merchant(session)
    client_id = new.client.id
    merchant_id = str(client_id)
    form = {"merchant_id": merchant_id, "amount": "1,250.50", "reason": "Goodwill for the 3 March outage"}
    async with client(platform.api_url, headers) as http:
        r = await http.post("/admin/commission/adjustments", data=form, headers=HTMX)
        assert r.status_code == 200
        assert "Confirm your password" in r.text and 'name="reauth_password"' in r.text
        # the form carries the action's own fields, and posts back to the same action
        assert f'name="merchant_id" value="{merchant_id}"' in r.text
        assert 'hx-post="/admin/commission/adjustments"' in r.text
        assert await _postings(session, client_id) == []

        r = await http.post(
            "/admin/commission/adjustments", data={**form, "reauth_password": "not-it"}, headers=HTMX
        )
        assert r.status_code == 200 and "did not match" in r.text
        assert await _postings(session, client_id) == []

        r = await http.post(
            "/admin/commission/adjustments", data={**form, "reauth_password": PASSWORD}, headers=HTMX
        )
        assert r.status_code == 200, r.text
        assert "Adjustment of ₹1,250.50 recorded." in r.text and "Dues now ₹1,250.50." in r.text
        assert r.headers["hx-trigger"] == "ledger-changed"

        # the JSON API shows the same posting, with both legs
        r = await http.get("/api/v1/admin/commission/ledger", params={"merchant_id": merchant_id})
        assert r.status_code == 200, r.text
        [posting] = r.json()["items"]
        assert posting["type"] == "ADJUSTMENT" and posting["amount"] == 125_050
        assert posting["reason"] == "Goodwill for the 3 March outage"
        assert sorted((leg["account"], leg["amount"]) for leg in posting["legs"]) == [
            ("adjustments", -125_050),
            ("merchant_dues", 125_050),
        ]

        # the login is recent now: a payout goes through without the password
        r = await http.post(
            "/admin/commission/payouts",
            data={"merchant_id": merchant_id, "amount": "250", "reference": "UTR-2026-0001"},
            headers=HTMX,
        )
        assert r.status_code == 200 and "Payout of ₹250.00 recorded." in r.text, r.text
        # a refusal of the service reads as a message in the page's notices
        r = await http.post(
            "/admin/commission/payouts",
            data={"merchant_id": merchant_id, "amount": "1000000", "reference": "UTR-2026-0002"},
            headers=HTMX,
        )
        assert r.status_code == 422 and r.headers["hx-retarget"] == "#notices"
        assert "The payout is more than the merchant&#39;s dues." in r.text
        assert "PAYOUT_EXCEEDS_DUES" in r.text and "is more than the dues ₹1,000.50" in r.text

        # the page lists both postings with their legs, in rupees with Indian grouping
        r = await http.get("/admin/commission", params={"merchant_id": merchant_id})
        assert r.status_code == 200
        assert r.text.count("data-posting-id=") == 2
        assert "₹1,250.50" in r.text and "Commission revenue" not in r.text and "Adjustments" in r.text

        # CSV of the filter: parses, and holds exactly the merchant's postings
        r = await http.get("/admin/commission/postings.csv", params={"merchant_id": merchant_id})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(r.text)))
        assert [(row["type"], int(row["amount_paise"])) for row in rows] == [
            ("COMMISSION_PAYOUT", -25_000),
            ("ADJUSTMENT", 125_050),
        ]
        assert rows[1]["reason"] == "Goodwill for the 3 March outage"
        assert {row["merchant_id"] for row in rows} == {merchant_id}
        r = await http.get("/admin/commission/postings.csv", params={"type": "COMMISSION"})
        assert list(csv.DictReader(io.StringIO(r.text))) == []

    audit = (
        await session.scalars(select(AuditLog).where(AuditLog.action == "ledger.adjustment_recorded"))
    ).all()
    assert [(a.actor, a.reason, a.after) for a in audit] == [
        (f"user:{email}", "Goodwill for the 3 March outage", {"balance_due": 125_050})
    ]


async def _postings(session, client_id) -> list[LedgerPosting]:
    session.expire_all()
    return list(
        (await session.scalars(select(LedgerPosting).where(LedgerPosting.client_id == client_id))).all()
    )


async def test_a_settlement_run_started_from_the_page_settles_the_day(platform, session):
    _, headers = await operator(session, "finance")
    async with open_shop(platform, session) as shop, client(platform.api_url, headers) as http:
        await shop.pay(50_000)
        day = today().isoformat()
        r = await http.get(
            "/admin/settlements/run", params={"date": day, "merchant_id": str(shop.id)}, headers=HTMX
        )
        assert r.status_code == 200 and "Confirm and run" in r.text and f"Settle {day} for merchant" in r.text
        r = await http.post(
            "/admin/settlements/run", data={"date": day, "merchant_id": str(shop.id)}, headers=HTMX
        )
        assert r.status_code == 200, r.text
        assert f"Run for {day} started: 1 new settlements, 0 already there." in r.text

        async def completed() -> Settlement | None:
            session.expire_all()
            s = await session.scalar(select(Settlement).where(Settlement.client_id == shop.id))
            return s if s is not None and s.status == "completed" else None

        settlement = await wait_for(completed, what="the settlement completed", timeout=30)
        r = await http.get("/admin/settlements")
        assert f'data-run="{day}"' in r.text and "₹500.00" in r.text
        r = await http.get(f"/admin/settlements/runs/{day}")
        assert f'data-settlement-id="{settlement.id}"' in r.text and shop.company_name in r.text
        r = await http.get(f"/admin/settlements/{settlement.id}")
        assert r.status_code == 200 and "Line items" in r.text and "₹500.00" in r.text
        r = await http.get(f"/admin/settlements/runs/{day}.csv")
        [row] = list(csv.DictReader(io.StringIO(r.text)))
        assert row["settlement_id"] == str(settlement.id) and row["status"] == "completed"
        assert int(row["gross_paise"]) == 50_000 and row["company_name"] == shop.company_name
        # a second run of the same day settles nothing twice
        r = await http.post("/admin/settlements/run", data={"date": day}, headers=HTMX)
        assert "0 new settlements, 1 already there." in r.text
    row = await session.scalar(
        select(AuditLog).where(
            AuditLog.action == "settlement.created", AuditLog.target_id == str(settlement.id)
        )
    )
    assert row is not None and row.actor.startswith("user:")


async def _whatsapp_messages(session, client_id) -> None:
    now = datetime.now(UTC)
    for i, (kind, status, params, error) in enumerate(
        [
            ("LOW_BALANCE", "sent", ["Shop A", "₹12,500.00", "₹10,000.00"], None),
            ("TXN_UPDATE", "failed", ["order-77", "₹1,00,000.00", "paid"], "(#131026) Message undeliverable"),
            ("TXN_UPDATE", "queued", ["order-78", "₹250.00", "paid"], None),
        ]
    ):
        session.add(
            WhatsAppNotification(
                id=uuid.uuid4(),
                client_id=client_id,
                template="low_balance_template" if kind == "LOW_BALANCE" else "transaction_update_template",
                type=kind,
                to_phone="+919876543210",
                payload_json={"parameters": params},
                status=status,
                attempts=1 if status != "queued" else 0,
                error=error,
                sent_at=now if status == "sent" else None,
                created_at=now - timedelta(hours=i),
            )
        )
    await session.commit()


async def test_the_whatsapp_log_is_searchable_by_merchant_type_state_and_time(platform, session):
    _, headers = await operator(session, "support")
    one, other = await create_merchant(session), await create_merchant(session)
    one_id, one_name, other_id = one.client.id, one.client.company_name, other.client.id
    await _whatsapp_messages(session, one_id)
    await _whatsapp_messages(session, other_id)
    async with client(platform.api_url, headers) as http:
        r = await http.get("/admin/whatsapp")
        assert r.text.count("data-message-id=") == 6
        r = await http.get("/admin/whatsapp", params={"merchant": one_name})
        assert r.text.count("data-message-id=") == 3
        assert "Payment for order order-77 of ₹1,00,000.00 is now paid." in r.text
        assert "Message undeliverable" in r.text and "+91••••••3210" in r.text
        r = await http.get("/admin/whatsapp", params={"type": "TXN_UPDATE", "status": "failed"})
        assert r.text.count("data-message-id=") == 2
        # the last 90 minutes, in the person's zone (IST): the newest message of each merchant
        start = (datetime.now(UTC) + timedelta(hours=5, minutes=30) - timedelta(minutes=90)).strftime(
            "%Y-%m-%dT%H:%M"
        )
        r = await http.get("/admin/whatsapp", params={"from": start})
        assert r.text.count("data-message-id=") == 4, start


async def test_money_pages_in_a_browser_in_english_and_hindi_at_375_px(platform, session):
    email = new_email("finance")
    user = await create_person(session, operator_role="admin", password=PASSWORD, email=email)
    async with open_shop(platform, session) as shop:
        await shop.pay(1_23_456)
        async with client(platform.api_url, await log_in(session, user.id)) as http:
            r = await http.post("/admin/settlements/run", data={"date": today().isoformat()}, headers=HTMX)
            assert r.status_code == 200, r.text
        await _whatsapp_messages(session, shop.id)
        async with browser.chromium() as chromium:
            console = await browser.logged_in(chromium, platform.api_url, email, PASSWORD)
            # the login is made old: the adjustment asks for the password in the page, then is recorded
            await session.execute(
                update(UserSession)
                .where(UserSession.user_id == user.id)
                .values(authenticated_at=datetime.now(UTC) - timedelta(hours=1))
            )
            await session.commit()
            page = await console.open("/admin/commission")
            await page.wait_for_selector(".chart canvas")
            await page.fill("#a-merchant", str(shop.id))
            await page.fill("#a-amount", "-10.00")
            await page.fill("#a-reason", "Waived late fee")
            await page.get_by_role("button", name="Record adjustment").click()
            await page.wait_for_selector("#reauth-password")
            await page.fill("#reauth-password", PASSWORD)
            await page.get_by_role("button", name="Confirm and continue").click()
            await page.wait_for_selector("#ledger-action .notice-ok")
            await page.wait_for_selector("text=Waived late fee")  # the table refreshed itself
            await page.close()

            run = f"/admin/settlements/runs/{today().isoformat()}"
            pages = {
                "commission": "/admin/commission",
                "settlements": "/admin/settlements",
                "run": run,
                "whatsapp": "/admin/whatsapp",
            }
            settlement = await session.scalar(select(Settlement.id).where(Settlement.client_id == shop.id))
            pages["settlement"] = f"/admin/settlements/{settlement}"
            for language in ("en", "hi"):
                for name, path in pages.items():
                    page = await console.open(path)
                    if language == "hi" and name == "commission":
                        await page.select_option("#pref-language", "hi")
                        await page.wait_for_selector("html[lang=hi]")
                    if name == "commission":
                        await page.wait_for_selector(".chart canvas")
                    await browser.screenshot(page, f"money-{name}-{language}")
                    assert await browser.axe_violations(page) == [], (name, language)
                    if language == "hi":
                        assert await page.get_attribute("html", "lang") == "hi"
                    await page.close()
            for name, path in pages.items():
                page = await console.open(path)
                await page.set_viewport_size({"width": 375, "height": 800})
                await browser.screenshot(page, f"money-{name}-hi-375")
                width = await page.evaluate("document.documentElement.scrollWidth")
                assert width <= 375, (name, width)
                assert await browser.axe_violations(page) == [], name
                await page.close()
            console.assert_clean()
