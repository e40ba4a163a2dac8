"""The console's merchants: the list and its search, a merchant's page per role (a viewer sees no controls), its
settings edited in place and read back through the JSON admin API, suspension and resumption with a reason, and
both pages in a real browser in English and Hindi, at 375 px, scanned by axe-core."""

from __future__ import annotations

import re
from decimal import Decimal

from lightspeedpay.config import get_settings
from lightspeedpay.ledger.service import ledger_service
from tests.dashboard import browser
from tests.dashboard.support import PASSWORD, client, operator
from tests.factories import create_merchant
from tests.people.support import create_person, log_in, new_email

HTMX = {"HX-Request": "true"}


def _admin(base_url: str):
    return client(base_url, {"Authorization": f"Bearer {get_settings().admin_token}"})


async def test_list_searches_by_name_email_and_id_and_pages_by_keyset(platform, session):
    first = await create_merchant(session, name="alpha-tea")
    second = await create_merchant(session, name="beta-tea")
    member = await create_person(session, member_of=second.client.id, email=new_email("beta"))
    _, headers = await operator(session, "support")
    async with client(platform.api_url, headers) as http:
        r = await http.get("/admin/merchants", params={"q": "alpha-tea"})
        assert r.status_code == 200
        assert "Shop alpha-tea" in r.text and "Shop beta-tea" not in r.text
        r = await http.get("/admin/merchants", params={"q": member.email.upper()})
        assert "Shop beta-tea" in r.text and "Shop alpha-tea" not in r.text
        r = await http.get("/admin/merchants", params={"q": str(first.client.id)})
        assert "Shop alpha-tea" in r.text and "Shop beta-tea" not in r.text
        r = await http.get("/admin/merchants", params={"q": "100%_nothing"})
        assert "No merchant matches" in r.text
        # newest first, one row a page: the second page holds the older merchant
        r = await http.get("/admin/merchants", params={"q": "-tea"})
        assert r.text.index("Shop beta-tea") < r.text.index("Shop alpha-tea")
        r = await http.get("/admin/merchants/not-a-uuid")
        assert r.status_code == 404
        r = await http.get("/admin/merchants", params={"cursor": "nonsense"})
        assert r.status_code == 422


async def test_a_viewer_reads_without_controls_and_merchant_staff_are_refused(platform, session):
    new = await create_merchant(session)
    _, viewer = await operator(session, "viewer")
    async with client(platform.api_url, viewer) as http:
        r = await http.get(f"/admin/merchants/{new.client.id}")
        assert r.status_code == 200 and new.client.company_name in r.text
        assert "Save settings" not in r.text and "Suspend merchant" not in r.text
        assert 'name="fee_percent"' not in r.text
        r = await http.post(
            f"/admin/merchants/{new.client.id}/settings", data={"fee_percent": "1.00"}, headers=HTMX
        )
        assert r.status_code == 403 and r.headers["hx-retarget"] == "#notices"
    member = await create_person(session, member_of=new.client.id)
    async with client(platform.api_url, await log_in(session, member.id)) as http:
        r = await http.get("/admin/merchants")
        assert r.status_code == 403


async def test_settings_saved_in_place_are_what_the_api_reads(platform, session):
    new = await create_merchant(session, fee_percent=Decimal("3.50"))
    await ledger_service.record_adjustment(
        session, new.client.id, amount=123456, reason="opening dues", reference=None, actor="test"
    )
    await session.commit()
    _, headers = await operator(session, "operations")
    path = f"/admin/merchants/{new.client.id}"
    async with client(platform.api_url, headers) as http, _admin(platform.api_url) as admin:
        r = await http.get(path)
        assert "₹1,234.56" in r.text and "opening dues" in r.text
        form = {
            "fee_percent": "2.25",
            "warn_threshold": "1,50,000.00",
            "suspend_threshold": "500000",
            "whatsapp_phone": "91 98765 43210",
        }
        r = await http.post(f"{path}/settings", data=form, headers=HTMX)
        assert r.status_code == 200 and "Settings saved." in r.text
        assert r.text.startswith('<div id="merchant-account"')
        body = (await admin.get(f"/api/v1/admin/merchants/{new.client.id}")).json()
        assert Decimal(body["fee_percent"]) == Decimal("2.25")
        assert body["warn_threshold"] == 15_000_000 and body["suspend_threshold"] == 50_000_000
        assert body["whatsapp_phone"] == "919876543210"
        # a value the API refuses is refused here in the API's words, and nothing changes
        r = await http.post(f"{path}/settings", data={**form, "fee_percent": "120"}, headers=HTMX)
        assert r.status_code == 422 and "fee_percent" in r.text
        assert Decimal(
            (await admin.get(f"/api/v1/admin/merchants/{new.client.id}")).json()["fee_percent"]
        ) == (Decimal("2.25"))


async def test_suspend_and_resume_with_a_reason(platform, session):
    new = await create_merchant(session)
    _, headers = await operator(session, "operations")
    path = f"/admin/merchants/{new.client.id}"
    async with client(platform.api_url, headers) as http, _admin(platform.api_url) as admin:
        r = await http.post(f"{path}/suspend", data={"reason": ""}, headers=HTMX)
        assert r.status_code == 422
        r = await http.post(f"{path}/suspend", data={"reason": "Sells restricted goods."}, headers=HTMX)
        assert r.status_code == 200 and "Resume merchant" in r.text
        body = (await admin.get(f"/api/v1/admin/merchants/{new.client.id}")).json()
        assert (body["status"], body["suspension_reason"]) == ("suspended", "kyc")
        r = await http.post(f"{path}/reinstate", data={"reason": "Listings removed."}, headers=HTMX)
        assert r.status_code == 200 and "Suspend merchant" in r.text
        body = (await admin.get(f"/api/v1/admin/merchants/{new.client.id}")).json()
        assert (body["status"], body["suspension_reason"]) == ("active", None)
        audit = (await admin.get("/api/v1/admin/audit-logs", params={"target_id": str(new.client.id)})).json()
        actions = {row["action"] for row in audit.get("items", [])}
        assert {"merchant.suspended", "merchant.resumed"} <= actions, audit


async def test_merchant_pages_in_a_browser(platform, session):
    email = new_email("owner")
    await create_person(session, operator_role="owner", password=PASSWORD, email=email)
    new = await create_merchant(session, name="browser-shop", whatsapp_phone="919812345678")
    await create_person(session, member_of=new.client.id, email=new_email("team"))
    async with browser.chromium() as chromium:
        console = await browser.logged_in(chromium, platform.api_url, email, PASSWORD)
        page = await console.open("/admin/merchants?q=browser-shop")
        await browser.screenshot(page, "merchants-en")
        assert await browser.axe_violations(page) == []
        await page.get_by_role("link", name="Shop browser-shop").click()
        await page.wait_for_selector("#merchant-account")
        assert await browser.axe_violations(page) == []
        await browser.screenshot(page, "merchant-en")
        # the fee edited in place: the card answers without a reload
        await page.get_by_label("Fee (percent of each payment)").fill("1.75")
        await page.get_by_role("button", name="Save settings").click()
        await page.wait_for_selector("text=Settings saved.")
        async with _admin(platform.api_url) as admin:
            body = (await admin.get(f"/api/v1/admin/merchants/{new.client.id}")).json()
        assert Decimal(body["fee_percent"]) == Decimal("1.75")
        # suspended from the page, confirmed with a reason
        await page.get_by_text("Suspend this merchant…").click()
        await page.get_by_label("Reason (the merchant is told)").fill("Chargebacks under review.")
        await page.get_by_label(re.compile("Yes, suspend it")).check()
        await page.get_by_role("button", name="Suspend merchant").click()
        await page.wait_for_selector("text=Resume merchant")
        await page.select_option("#pref-language", "hi")
        await page.wait_for_selector("html[lang=hi]")
        await browser.screenshot(page, "merchant-hi")
        assert await browser.axe_violations(page) == []
        await page.set_viewport_size({"width": 375, "height": 800})
        await browser.screenshot(page, "merchant-hi-375")
        assert await page.evaluate("document.documentElement.scrollWidth") <= 375
        page = await console.open("/admin/merchants")
        await browser.screenshot(page, "merchants-hi")
        await page.set_viewport_size({"width": 375, "height": 800})
        assert await page.evaluate("document.documentElement.scrollWidth") <= 375
        console.assert_clean()
