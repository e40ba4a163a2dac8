"""The console's KYC review: the queue (what waits for a reviewer first), an application with its documents served
inline through a guarded route, clarification per item and rejection over HTTP, and an approval end to end in a
real browser (English and Hindi, 375 px, axe-core), read back through the JSON admin API."""

from __future__ import annotations

import re

from tests.dashboard import browser
from tests.dashboard.support import PASSWORD, client, operator
from tests.factories import create_merchant, wait_for
from tests.kyc.conftest import kyc  # noqa: F401  (the fixture: a merchant with a team that fills its KYC)
from tests.kyc.support import member
from tests.people.support import create_person, log_in, new_email

HTMX = {"HX-Request": "true"}


async def _verified(kyc) -> None:  # noqa: F811
    async def done() -> bool | None:
        r = await kyc.as_admin("GET", f"/api/v1/admin/kyc/{kyc.merchant_id}")
        latest = r.json()["verifications"][0] if r.json()["verifications"] else None
        return True if latest and latest["status"] == "verified" else None

    await wait_for(done, timeout=30, what="the penny drop to verify the account")


async def test_queue_and_application_per_role_with_documents_inline(kyc, platform, session):  # noqa: F811
    await kyc.submitted()
    _, viewer = await operator(session, "viewer")
    async with client(platform.api_url, viewer) as http:
        r = await http.get("/admin/kyc")
        assert r.status_code == 200 and kyc.new.client.company_name in r.text  # "to review" holds submitted
        r = await http.get("/admin/kyc", params={"view": "activated"})
        assert kyc.new.client.company_name not in r.text
        r = await http.get(f"/admin/kyc/{kyc.merchant_id}")
        assert r.status_code == 200 and "Shreeji Furnishers" in r.text
        assert "Take into review" not in r.text and "Reject application" not in r.text
        docs = re.findall(rf"/admin/kyc/{kyc.merchant_id}/documents/[0-9a-f-]+", r.text)
        assert len(set(docs)) == 4
        assert re.search(r'<img src="/admin/kyc/[^"]+/documents/', r.text)  # images drawn inline
        kinds = {}
        for path in set(docs):
            doc = await http.get(path)
            assert doc.status_code == 200 and doc.headers["content-disposition"].startswith("inline;")
            assert doc.headers["x-content-type-options"] == "nosniff"
            kinds[doc.headers["content-type"]] = doc.headers["content-security-policy"]
        assert set(kinds) == {"application/pdf", "image/jpeg", "image/png"}
        assert "sandbox" in kinds["image/png"]
        r = await http.post(f"/admin/kyc/{kyc.merchant_id}/start-review", headers=HTMX)
        assert r.status_code == 403
    # merchant staff (and anyone not operator staff) never open the review, nor a document
    other = await create_merchant(session)
    outsider, _ = await member(session, other.client.id)
    async with client(platform.api_url, await log_in(session, outsider.id)) as http:
        assert (await http.get("/admin/kyc")).status_code == 403
        assert (await http.get(docs[0])).status_code == 403


async def test_clarification_per_item_and_rejection(kyc, platform, session):  # noqa: F811
    await kyc.submitted()
    _, headers = await operator(session, "operations")
    base = f"/admin/kyc/{kyc.merchant_id}"
    async with client(platform.api_url, headers) as http:
        r = await http.post(f"{base}/clarifications", data={}, headers=HTMX)
        assert r.status_code == 422 and "Tick at least one item" in r.text
        form = {
            "item": ["gst_certificate", "website_url"],
            "reason_gst_certificate": "The certificate shows another trade name.",
            "reason_website_url": "No refund policy page.",
            "reason_pan_card": "not ticked, so not asked",
        }
        r = await http.post(f"{base}/clarifications", data=form, headers=HTMX)
        assert r.status_code == 200 and "Needs clarification" in r.text
        body = (await kyc.as_admin("GET", f"/api/v1/admin/kyc/{kyc.merchant_id}")).json()
        assert body["kyc_status"] == "needs_clarification"
        assert sorted((q["code"], q["reason"]) for q in body["requirements"]) == [
            ("gst_certificate", "The certificate shows another trade name."),
            ("website_url", "No refund policy page."),
        ]
        r = await http.post(f"{base}/approve", headers=HTMX)
        assert r.status_code == 409 and r.headers["hx-retarget"] == "#notices"
        r = await http.post(f"{base}/reject", data={"reason": "no"}, headers=HTMX)
        assert r.status_code == 422
        r = await http.post(f"{base}/reject", data={"reason": "Trade name does not match."}, headers=HTMX)
        assert r.status_code == 200 and "Trade name does not match." in r.text
    body = (await kyc.as_admin("GET", f"/api/v1/admin/kyc/{kyc.merchant_id}")).json()
    assert body["kyc_status"] == "rejected" and body["rejection_reason"] == "Trade name does not match."


async def test_approve_an_application_in_a_browser(kyc, platform, session):  # noqa: F811
    email = new_email("ops")
    await create_person(session, operator_role="operations", password=PASSWORD, email=email)
    await kyc.submitted()
    await _verified(kyc)
    async with browser.chromium() as chromium:
        console = await browser.logged_in(chromium, platform.api_url, email, PASSWORD)
        page = await console.open("/admin/kyc")
        await browser.screenshot(page, "kyc-queue-en")
        assert await browser.axe_violations(page) == []
        await page.get_by_role("link", name=kyc.new.client.company_name).click()
        await page.wait_for_selector("#kyc-application")
        # the image documents load through the guarded route (the test JPEG is only a JPEG's frame, which a
        # browser cannot draw; the PNG is a real one)
        loaded = "() => Array.from(document.querySelectorAll('.kyc-doc img')).map(i => [i.complete, i.naturalWidth])"

        async def images() -> bool | None:
            found = await page.evaluate(loaded)
            return True if all(done for done, _ in found) and any(width for _, width in found) else None

        await wait_for(images, timeout=10, what="the documents' images")
        assert await page.locator(".kyc-doc img").count() == 2
        assert await page.locator(".kyc-doc-pdf").count() == 2
        await browser.screenshot(page, "kyc-application-en")
        assert await browser.axe_violations(page) == []
        await page.get_by_role("button", name="Take into review").click()
        await page.wait_for_selector("text=The application is in review.")
        await page.get_by_label("Note for the record (optional)").fill("PAN and GSTIN checked.")
        await page.get_by_label("I checked every document and the bank account.").check()
        await page.get_by_role("button", name="Approve and activate").click()
        await page.wait_for_selector("#kyc-state:has-text('Activated')")
        body = (await kyc.as_admin("GET", f"/api/v1/admin/kyc/{kyc.merchant_id}")).json()
        assert body["kyc_status"] == "activated" and body["decided_by"].startswith("user:")
        await page.select_option("#pref-language", "hi")
        await page.wait_for_selector("html[lang=hi]")
        await browser.screenshot(page, "kyc-application-hi")
        assert await browser.axe_violations(page) == []
        await page.set_viewport_size({"width": 375, "height": 800})
        await browser.screenshot(page, "kyc-application-hi-375")
        assert await page.evaluate("document.documentElement.scrollWidth") <= 375
        page = await console.open("/admin/kyc?view=all")
        await browser.screenshot(page, "kyc-queue-hi")
        assert await browser.axe_violations(page) == []
        await page.set_viewport_size({"width": 375, "height": 800})
        assert await page.evaluate("document.documentElement.scrollWidth") <= 375
        console.assert_clean()
