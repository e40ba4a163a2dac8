"""The merchant console's Getting-started page: each step over HTTP (KYC fields refused next to the field, documents
uploaded with and without JavaScript, submitting, an operator's clarification answered, approval opening live
mode), the test payment button making a real sandbox payment whose webhook delivery shows, what a viewer and a
developer may do, a second merchant's ids never answering; and a brand-new merchant's walk from signup to a live
payment in a real browser, in English and in Hindi."""

from __future__ import annotations

import html
import json
import re
import secrets
import time
import uuid
from typing import Any

import httpx
from sqlalchemy import select

from lightspeedpay.kyc.service import kyc_service
from lightspeedpay.models import AuditLog, Client, KycApplication, Transaction
from lightspeedpay.models.gateway import PaymentGateway
from tests.dashboard import browser
from tests.dashboard.support import client, merchant_person
from tests.factories import MerchantClient, count, create_merchant, create_sandbox_gateway, wait_for
from tests.kyc.conftest import APPLICATION
from tests.kyc.support import jpeg, pdf, png
from tests.paying import paid_payment
from tests.people.support import create_person, log_in, new_email, wait_mail

HTMX = {"HX-Request": "true"}
PAGE = "/dashboard/test/onboarding"
PAYMENT = "/dashboard/test/onboarding/test-payment"
OPERATOR = "user:kyc-reviewer@lightspeedpay.example"


def _plain(base_url: str, headers: dict[str, str]) -> httpx.AsyncClient:
    """A browser without JavaScript: the session cookie only; forms carry the CSRF token in a field."""
    return client(base_url, {"Cookie": headers["Cookie"]})


def _csrf(headers: dict[str, str]) -> str:
    return headers["X-CSRF-Token"]


async def _kyc_status(session: Any, merchant_id: uuid.UUID) -> str:
    await session.rollback()
    return str(
        (await session.execute(select(Client.kyc_status).where(Client.id == merchant_id))).scalar_one()
    )


async def _penny_drop_verified(session: Any, merchant_id: uuid.UUID) -> None:
    async def verified() -> bool:
        await session.rollback()
        view = await kyc_service.view(session, merchant_id)
        return bool(view.verifications) and view.verifications[0].status == "verified"

    await wait_for(verified, timeout=30, what="the penny drop to verify the settlement account")


async def _operator(session: Any, merchant_id: uuid.UUID, action: str, **kwargs: Any) -> Any:
    """The operator's side, through the KYC service the admin API and console call."""
    await session.rollback()
    done = await getattr(kyc_service, action)(session, merchant_id, actor=OPERATOR, **kwargs)
    await session.commit()
    return done


def _field_error(page: str, name: str) -> str:
    found = re.search(rf'<p id="kyc-{name}-error" class="field-error">(.*?)</p>', page, re.S)
    assert found, f"no error shown next to {name}"
    return html.unescape(found.group(1))


async def test_kyc_step_by_step_from_draft_to_live(platform, session):
    new = await create_merchant(session, kyc_status="draft")
    merchant_id = new.client.id
    _m, _owner, headers = await merchant_person(session, "owner", merchant=new)
    other = await create_merchant(session, kyc_status="draft")
    _o, _other_owner, other_headers = await merchant_person(session, "owner", merchant=other)
    async with client(platform.api_url, headers) as http, _plain(platform.api_url, headers) as plain:
        r = await http.get(PAGE)
        assert r.status_code == 200, r.text
        page = r.text
        for text in (
            "Getting started",
            "Confirm your email address",
            "Your test keys",
            "Make a test payment",
            "Business details (KYC)",
            "Go live",
            "No test payment yet.",
            'id="kyc-state">Draft<',
        ):
            assert text in page, text
        test_key = re.search(r'<code id="test-key-id">(lsp_test_[^<]+)</code>', page)
        assert test_key, "the test key id is shown"
        assert 'href="/dashboard/test/developers/keys"' in page
        # live mode is closed until KYC is approved
        r = await http.get("/dashboard/live/onboarding")
        assert r.status_code == 403 and "Live mode opens once your KYC is approved" in r.text

        # a bad PAN is refused next to its field, with what was typed kept and nothing saved
        form = {**APPLICATION, "business_pan": "AAPFU0939", "csrf_token": _csrf(headers)}
        r = await plain.post(f"{PAGE}/kyc", data=form)
        assert r.status_code == 422
        assert _field_error(r.text, "business_pan").startswith("Business PAN must be a PAN: 5 letters")
        assert re.search(r'id="kyc-business_pan"[^>]*aria-invalid="true"', r.text)
        assert 'value="Shreeji Furnishers"' in r.text and 'value="AAPFU0939"' in r.text
        assert APPLICATION["bank_account_number"] not in r.text  # the account number is never echoed
        # htmx: the same, answered 200 for the page to swap in
        r = await http.post(f"{PAGE}/kyc", data={**APPLICATION, "gstin": "27AAPFU0939F1ZW"}, headers=HTMX)
        assert r.status_code == 200
        assert _field_error(r.text, "gstin").startswith("GSTIN's last character does not match the others")
        r = await http.post(
            f"{PAGE}/kyc", data={**APPLICATION, "contact_email": "not-an-email"}, headers=HTMX
        )
        assert _field_error(r.text, "contact_email")
        assert await count(session, KycApplication, KycApplication.legal_name.is_not(None)) == 0
        assert await count(session, AuditLog, AuditLog.action == "kyc.application_updated") == 0

        # saved without JavaScript: back to the page, which says so
        r = await plain.post(f"{PAGE}/kyc", data={**APPLICATION, "csrf_token": _csrf(headers)})
        assert r.status_code == 303 and r.headers["location"] == f"{PAGE}?done=kyc_saved#kyc"
        page = (await http.get(r.headers["location"])).text
        assert "Your business details are saved." in page
        assert 'value="AAPFU0939F"' in page and "the account ending 5678" in page
        assert APPLICATION["bank_account_number"] not in page
        rows = (
            await session.execute(select(AuditLog).where(AuditLog.action == "kyc.application_updated"))
        ).all()
        assert len(rows) == 1 and rows[0][0].client_id == merchant_id and rows[0][0].actor.startswith("user:")

        # documents: a PDF without JavaScript, a PNG with htmx; a file that is no document is refused
        files = {"file": ("pan.pdf", pdf(), "application/pdf")}
        r = await plain.post(
            f"{PAGE}/kyc/documents", data={"kind": "pan_card", "csrf_token": _csrf(headers)}, files=files
        )
        assert r.status_code == 303 and r.headers["location"] == f"{PAGE}?done=document_uploaded#documents"
        files = {"file": ("cheque.png", png(), "image/png")}
        r = await http.post(
            f"{PAGE}/kyc/documents", data={"kind": "cancelled_cheque"}, files=files, headers=HTMX
        )
        assert r.status_code == 200 and "The document is uploaded." in r.text
        files = {"file": ("bill.pdf", b"just some text, not a PDF", "application/pdf")}
        r = await plain.post(
            f"{PAGE}/kyc/documents", data={"kind": "address_proof", "csrf_token": _csrf(headers)}, files=files
        )
        assert r.status_code == 422 and 'id="doc-file-error"' in r.text
        docs = sorted(set(re.findall(rf"{PAGE}/kyc/documents/[0-9a-f-]{{36}}", r.text)))
        assert len(docs) == 2
        for path in docs:
            doc = await http.get(path)
            assert doc.status_code == 200 and doc.headers["content-type"] in ("application/pdf", "image/png")
            assert doc.headers["x-content-type-options"] == "nosniff"
        async with client(platform.api_url, other_headers) as stranger:
            assert (await stranger.get(docs[0])).status_code == 404  # another merchant's document
            assert merchant_id.hex not in (await stranger.get(PAGE)).text

        # submitting an incomplete application lists what is missing, in words
        r = await http.post(f"{PAGE}/kyc/submit", headers=HTMX)
        assert r.status_code == 200 and "The application is not complete yet." in r.text
        assert "<li>Address proof</li>" in r.text and "<li>GST certificate</li>" in r.text
        for kind, content, name, ctype in (
            ("address_proof", jpeg(), "bill.jpg", "image/jpeg"),
            ("gst_certificate", pdf(), "gst.pdf", "application/pdf"),
        ):
            files = {"file": (name, content, ctype)}
            r = await http.post(f"{PAGE}/kyc/documents", data={"kind": kind}, files=files, headers=HTMX)
            assert "The document is uploaded." in r.text, r.text[:500]
        r = await plain.post(f"{PAGE}/kyc/submit", data={"csrf_token": _csrf(headers)})
        assert r.status_code == 303
        page = (await http.get(r.headers["location"])).text
        assert 'id="kyc-state">Submitted<' in page and 'id="kyc-form"' not in page
        assert "Shreeji Furnishers" in page  # the application, read only
        assert await _kyc_status(session, merchant_id) == "submitted"

        # the operator asks for clarification; the merchant fixes the field, then answers
        await _penny_drop_verified(session, merchant_id)
        await _operator(session, merchant_id, "start_review")
        await _operator(
            session,
            merchant_id,
            "ask_clarification",
            items=[("website_url", "The website has no refund policy page.")],
        )
        page = (await http.get(PAGE)).text
        assert "Needs clarification" in page and "The website has no refund policy page." in page
        requirement = re.search(r'id="requirement-([0-9a-f-]{36})"', page).group(1)
        r = await http.post(f"{PAGE}/kyc/submit", headers=HTMX)
        assert "Answer every question from our team before submitting again." in r.text
        r = await http.post(
            f"{PAGE}/kyc",
            data={**APPLICATION, "website_url": "https://shreeji.example.in/shop"},
            headers=HTMX,
        )
        assert "Your business details are saved." in r.text
        r = await http.post(
            f"{PAGE}/kyc/requirements/{requirement}/answer", data={"response": ""}, headers=HTMX
        )
        assert f'id="answer-{requirement}-error"' in r.text
        answer = "The shop now has a refund policy page."
        r = await http.post(
            f"{PAGE}/kyc/requirements/{requirement}/answer", data={"response": answer}, headers=HTMX
        )
        assert r.status_code == 200 and "Your answer is sent." in r.text and answer in r.text
        async with client(platform.api_url, other_headers) as stranger:
            r = await stranger.post(f"{PAGE}/kyc/requirements/{requirement}/answer", data={"response": "x"})
            assert r.status_code == 404 and answer not in r.text  # not theirs: nothing answered
        r = await http.post(f"{PAGE}/kyc/submit", headers=HTMX)
        assert "Submitted for review." in r.text
        assert await _kyc_status(session, merchant_id) == "submitted"

        # approved: live mode opens, with the live key id and the way to its secret
        await _operator(session, merchant_id, "start_review")
        await _operator(session, merchant_id, "approve", note=None)
        page = (await http.get(PAGE)).text
        assert "Your KYC is approved: live payments are open." in page
        r = await http.get("/dashboard/live/onboarding")
        assert r.status_code == 200 and 'id="live-key-id"' in r.text
        assert 'href="/dashboard/live/developers/keys"' in r.text
        assert "Test payments are made in test mode." in r.text
    actions = {
        a
        for (a,) in (
            await session.execute(select(AuditLog.action).where(AuditLog.client_id == merchant_id))
        ).all()
    }
    assert {
        "kyc.application_updated",
        "kyc.document_uploaded",
        "kyc.submitted",
        "kyc.requirement_answered",
    } <= actions


async def _fragment_until(http: httpx.AsyncClient, payment_id: str, check: Any, what: str) -> str:
    async def ready() -> str | None:
        r = await http.get(PAYMENT, params={"payment": payment_id}, headers=HTMX)
        assert r.status_code == 200, r.text
        return r.text if check(r.text) else None

    return await wait_for(ready, timeout=30, what=what)


async def test_the_test_payment_button_pays_on_the_sandbox_and_shows_its_webhook_arriving(platform, session):
    new = await create_merchant(session, kyc_status="draft", receiver_url=platform.receiver_url, name="onb1")
    _m, _owner, headers = await merchant_person(session, "owner", merchant=new)
    await create_sandbox_gateway(session, platform.simulator_url)
    async with client(platform.api_url, headers) as http:
        r = await http.post(PAYMENT, data={"amount": "499.00"}, headers=HTMX)
        assert r.status_code == 200 and r.text.startswith('<div id="test-payment-live"')
        payment_id = re.search(r"<code>(pay_[A-Za-z0-9]+)</code>", r.text).group(1)
        assert "₹499.00" in r.text and 'hx-trigger="sse:transaction, every 2s"' in r.text
        page = await _fragment_until(
            http, payment_id, lambda t: "The payer pays" in t, "the sandbox's order (the payer's choice)"
        )
        assert re.search(r'href="http://127\.0\.0\.1:\d+/sandbox/checkout/sbx_order_', page)
        r = await http.post(f"{PAYMENT}/{payment_id}/payer", data={"outcome": "success"}, headers=HTMX)
        assert r.status_code == 200, r.text
        page = await _fragment_until(
            http,
            payment_id,
            lambda t: 'data-status="paid"' in t and 'data-event="payment.paid"' in t and "Delivered" in t,
            "the payment to be paid and its webhook delivered",
        )
        paid_row = re.search(r'<tr data-event="payment.paid">(.*?)</tr>', page, re.S).group(1)
        assert f"{platform.receiver_url}/webhooks/onb1" in paid_row
        assert '<code class="http-status">200</code>' in paid_row
        assert "hx-trigger" not in page.split(">", 1)[0]  # settled: no longer followed
        # the same payment on the page, and the checklist step done
        full = (await http.get(PAGE)).text
        assert payment_id in full and '<li class="done" id="step-test-payment"' in full
        assert re.search(r'<li class="done" id="step-test-payment"[^>]*hx-swap-oob="outerHTML"', page)
        # a payment no longer pending takes no payer's answer
        r = await http.post(f"{PAYMENT}/{payment_id}/payer", data={"outcome": "failure"}, headers=HTMX)
        assert r.status_code == 200 and "This payment is no longer waiting for the payer." in r.text
        # without JavaScript the button answers with the page again
        async with _plain(platform.api_url, headers) as plain:
            r = await plain.post(PAYMENT, data={"amount": "1.00", "csrf_token": _csrf(headers)})
            assert r.status_code == 303 and r.headers["location"] == f"{PAGE}#test-payment"
            r = await plain.post(PAYMENT, data={"amount": "1.001", "csrf_token": _csrf(headers)})
            assert r.status_code == 422 and "at most two decimals" in r.text
    # a real payment of the platform: test mode, on the sandbox gateway, its webhook at the merchant's receiver
    await session.rollback()
    txn = (
        await session.execute(select(Transaction).where(Transaction.payment_id == payment_id))
    ).scalar_one()
    gateway = await session.get(PaymentGateway, txn.gateway_id)
    assert (
        txn.mode == "test" and txn.status == "paid" and txn.amount == 49_900 and gateway.provider == "sandbox"
    )
    async with httpx.AsyncClient() as c:
        received = (await c.get(f"{platform.receiver_url}/_receiver/endpoints/onb1/deliveries")).json()
    assert any(d["verified"] and payment_id in d["body"] and '"payment.paid"' in d["body"] for d in received)


async def test_a_merchant_without_an_endpoint_is_told_and_others_payments_never_answer(platform, session):
    new = await create_merchant(session, kyc_status="draft")
    _m, _owner, headers = await merchant_person(session, "owner", merchant=new)
    other = await create_merchant(session, kyc_status="draft")
    _o, _x, other_headers = await merchant_person(session, "owner", merchant=other)
    await create_sandbox_gateway(session, platform.simulator_url)
    async with client(platform.api_url, headers) as http:
        r = await http.post(PAYMENT, data={"amount": "10"}, headers=HTMX)
        payment_id = re.search(r"<code>(pay_[A-Za-z0-9]+)</code>", r.text).group(1)
        page = await _fragment_until(http, payment_id, lambda t: "The payer pays" in t, "the sandbox's order")
        assert 'id="no-endpoint"' in page and 'href="/dashboard/test/developers/webhooks"' in page
        r = await http.post(f"{PAYMENT}/{payment_id}/payer", data={"outcome": "failure"}, headers=HTMX)
        page = await _fragment_until(
            http, payment_id, lambda t: 'data-status="failed"' in t, "the payment to fail"
        )
        assert "The payment failed, as the payer chose." in page and "Not sent" in page
    async with client(platform.api_url, other_headers) as stranger:
        r = await stranger.get(PAYMENT, params={"payment": payment_id})
        assert r.status_code == 404
        r = await stranger.post(f"{PAYMENT}/{payment_id}/payer", data={"outcome": "success"})
        assert r.status_code == 404 and "₹10.00" not in r.text and "data-status" not in r.text
        assert payment_id not in (await stranger.get(PAGE)).text


async def test_a_viewer_sees_the_page_but_no_forms_and_a_developer_only_the_test_payment(platform, session):
    new = await create_merchant(session, kyc_status="draft")
    _m, _owner, owner_headers = await merchant_person(session, "owner", merchant=new)
    _m, _viewer, viewer_headers = await merchant_person(session, "viewer", merchant=new)
    _m, _dev, dev_headers = await merchant_person(session, "developer", merchant=new)
    _m, _fin, finance_headers = await merchant_person(session, "finance", merchant=new)
    await create_sandbox_gateway(session, platform.simulator_url)
    async with client(platform.api_url, owner_headers) as http:
        await http.post(f"{PAGE}/kyc", data={"legal_name": "Viewer Test Traders"}, headers=HTMX)
        r = await http.post(PAYMENT, data={"amount": "10"}, headers=HTMX)
        payment_id = re.search(r"<code>(pay_[A-Za-z0-9]+)</code>", r.text).group(1)
        await _fragment_until(http, payment_id, lambda t: "The payer pays" in t, "the sandbox's order")
    requirement = uuid.uuid4()
    posts = {
        f"{PAGE}/kyc": {"legal_name": "Changed by a viewer"},
        f"{PAGE}/kyc/submit": {},
        f"{PAGE}/kyc/requirements/{requirement}/answer": {"response": "x"},
        PAYMENT: {"amount": "10"},
        f"{PAYMENT}/{payment_id}/payer": {"outcome": "success"},
    }
    async with client(platform.api_url, viewer_headers) as http:
        page = (await http.get(PAGE)).text
        main = page.split('<main id="main"', 1)[1]
        assert "Viewer Test Traders" in main and payment_id in main
        assert "<form" not in main and "<textarea" not in main and 'type="file"' not in main
        for path, data in posts.items():
            r = await http.post(path, data=data)
            assert r.status_code == 403, (path, r.status_code)
        r = await http.post(
            f"{PAGE}/kyc/documents", data={"kind": "pan_card"}, files={"file": ("p.pdf", pdf())}
        )
        assert r.status_code == 403
    async with client(platform.api_url, dev_headers) as http:
        page = (await http.get(PAGE)).text
        assert 'action="/dashboard/test/onboarding/test-payment"' in page and 'id="kyc-form"' not in page
        assert 'id="test-key-id"' not in page  # a developer sees no keys
        assert (await http.post(f"{PAGE}/kyc", data={"legal_name": "x"})).status_code == 403
    async with client(platform.api_url, finance_headers) as http:
        assert (await http.get(PAGE)).status_code == 403  # no kyc:read
    await session.rollback()
    legal = (
        await session.execute(
            select(KycApplication.legal_name).where(KycApplication.client_id == new.client.id)
        )
    ).scalar_one()
    assert legal == "Viewer Test Traders"


# ---- the walk, in a real browser ------------------------------------------------------------------------


async def _looked_at(page: Any, name: str, language: str) -> None:
    """Every page of the walk: no serious or critical axe-core violation, and a screenshot to look at."""
    violations = await browser.axe_violations(page)
    assert violations == [], (name, language, violations)
    await browser.screenshot(page, f"onboarding-{name}-{language}")


async def _csrf_of(page: Any) -> str:
    return str(json.loads(await page.get_attribute("body", "hx-headers"))["X-CSRF-Token"])


async def _walk(platform: Any, session: Any, chromium: Any, language: str) -> None:
    """A brand-new merchant: signs up, confirms the email from the mail, logs in, makes a test payment and sees its
    webhook arrive, fills KYC and uploads documents, answers the reviewer, is approved, and takes a live payment."""
    started = time.monotonic()
    email = new_email(f"founder-{language}")
    password = "violet harbour lantern 42"
    business = f"Shreeji Furnishers {language.upper()}"
    context = await chromium.new_context(viewport={"width": 1280, "height": 860}, locale="en-IN")
    await context.add_init_script(path=str(browser.AXE))
    console = browser.Console(platform.api_url, context)

    page = await console.open("/auth/signup")
    if language == "hi":
        await page.select_option("#login-language", "hi")
        await page.wait_for_selector("html[lang=hi]")
    await _looked_at(page, "signup", language)
    await page.fill("#signup-business", business)
    await page.fill("#signup-contact", "Ramesh Kumar")
    await page.fill("#signup-email", email)
    await page.fill("#signup-password", password)
    await page.click('form[action="/auth/signup"] button[type=submit]')
    await page.wait_for_selector('form[action="/auth/verify-email/resend"]')
    await _looked_at(page, "check-inbox", language)

    mail = await wait_mail(platform, email, contains="verify-email")
    link = re.search(r"(/auth/verify-email\?token=[^\s\"<]+)", mail["text"]).group(1)
    await page.goto(platform.api_url + link)
    await page.click('form[action="/auth/verify-email"] button[type=submit]')
    await page.wait_for_selector(".notice-ok")
    await _looked_at(page, "email-confirmed", language)

    await page.goto(platform.api_url + "/auth/login")
    await page.fill("#login-email", email)
    await page.fill("#login-password", password)
    await page.click('form[action="/auth/login"] button[type=submit]')
    await page.wait_for_url(f"{platform.api_url}/dashboard/test")
    if language == "hi":
        await page.select_option("#pref-language", "hi")
        await page.wait_for_selector("html[lang=hi]")
    await page.goto(platform.api_url + PAGE)
    await page.wait_for_selector("#onboarding-steps")
    assert await page.get_attribute("html", "lang") == language
    await _looked_at(page, "start", language)

    # a webhook endpoint (the webhooks page is its own; here through the API the page calls), at the receiver
    csrf = await _csrf_of(page)
    hook = f"walk{language}{secrets.token_hex(3)}"
    r = await page.request.post(
        f"{platform.api_url}/api/v1/merchant/webhooks",
        data=json.dumps({"url": f"{platform.receiver_url}/webhooks/{hook}"}),
        headers={"X-CSRF-Token": csrf, "content-type": "application/json"},
    )
    assert r.status == 201, await r.text()
    async with httpx.AsyncClient() as c:
        await c.put(
            f"{platform.receiver_url}/_receiver/endpoints/{hook}", json={"secret": (await r.json())["secret"]}
        )

    # the test payment: started, paid by the payer's choice, followed live to paid, its webhook delivered
    await page.click('form[action="/dashboard/test/onboarding/test-payment"] button[type=submit]')
    payer = 'form[action$="/payer"]:has(input[value="success"]) button[type=submit]'
    await page.wait_for_selector(payer, timeout=20_000)
    await _looked_at(page, "test-payment-payer", language)
    await page.click(payer)
    await page.wait_for_selector('#test-payment-status[data-status="paid"]', timeout=20_000)
    await page.wait_for_function(
        "() => [...document.querySelectorAll('tr[data-event=\"payment.paid\"] .http-status')]"
        ".some(c => c.textContent.trim() === '200')",
        timeout=20_000,
    )
    await _looked_at(page, "test-payment", language)

    # KYC: a PAN mistyped is shown next to its field, then the details saved and the documents uploaded
    await page.select_option("#kyc-business_type", "partnership")
    for name, value in APPLICATION.items():
        if name != "business_type":
            await page.fill(f"#kyc-{name}", value)
    await page.fill("#kyc-legal_name", business)
    await page.fill("#kyc-business_pan", "AAPFU0939")
    await page.click("#kyc-form button[type=submit]")
    await page.wait_for_selector("#kyc-business_pan-error")
    assert await page.get_attribute("#kyc-business_pan", "aria-invalid") == "true"
    await _looked_at(page, "kyc-field-error", language)
    await page.fill("#kyc-business_pan", "AAPFU0939F")
    await page.fill("#kyc-bank_account_number", APPLICATION["bank_account_number"])
    await page.click("#kyc-form button[type=submit]")
    await page.wait_for_selector("#kyc .notice-ok")
    for kind, content, name, ctype in (
        ("pan_card", pdf(), "pan.pdf", "application/pdf"),
        ("address_proof", png(40, 28, (230, 240, 250)), "bill.png", "image/png"),
        ("gst_certificate", pdf(), "gst.pdf", "application/pdf"),
        ("cancelled_cheque", png(60, 28, (250, 245, 230)), "cheque.png", "image/png"),
    ):
        uploaded = await page.locator(".kyc-doc").count()
        await page.select_option("#doc-kind", kind)
        await page.set_input_files("#doc-file", {"name": name, "mimeType": ctype, "buffer": content})
        await page.click(".upload-form button[type=submit]")
        await page.wait_for_function(f"() => document.querySelectorAll('.kyc-doc').length > {uploaded}")
    await _looked_at(page, "kyc-filled", language)
    await page.click('form[action$="/kyc/submit"] button[type=submit]')
    await page.wait_for_selector("#kyc-form", state="detached")
    await _looked_at(page, "kyc-submitted", language)

    # the operator asks about the website; the merchant answers and submits again
    merchant_id = (
        await session.execute(select(Client.id).where(Client.company_name == business))
    ).scalar_one()
    await _penny_drop_verified(session, merchant_id)
    await _operator(session, merchant_id, "start_review")
    await _operator(
        session, merchant_id, "ask_clarification", items=[("website_url", "Add a refund policy page.")]
    )
    await page.reload()
    await page.wait_for_selector("textarea[name=response]")
    await _looked_at(page, "kyc-clarification", language)
    await page.fill("#kyc-website_url", "https://shreeji.example.in/refunds")
    await page.click("#kyc-form button[type=submit]")
    await page.wait_for_selector("#kyc .notice-ok")
    await page.fill("textarea[name=response]", "The refund policy is at /refunds now.")
    await page.click('form[action$="/answer"] button[type=submit]')
    await page.wait_for_selector("textarea[name=response]", state="detached")
    await page.click('form[action$="/kyc/submit"] button[type=submit]')
    await page.wait_for_selector("#kyc-form", state="detached")

    # approved: live mode opens; a live key secret, and a live payment through the API, paid by the payer
    await _operator(session, merchant_id, "start_review")
    await _operator(session, merchant_id, "approve", note="Documents and bank account checked.")
    await page.reload()
    await page.wait_for_selector('a[href="/dashboard/live/developers/keys"]')
    await _looked_at(page, "approved", language)
    await page.goto(platform.api_url + "/dashboard/live/onboarding")
    await page.wait_for_selector("#live-key-id")
    await _looked_at(page, "live", language)
    key_id = (await page.text_content("#live-key-id") or "").strip()
    r = await page.request.post(
        f"{platform.api_url}/api/v1/merchant/credentials/regenerate",
        data=json.dumps({"mode": "live"}),
        headers={"X-CSRF-Token": await _csrf_of(page), "X-Mode": "live", "content-type": "application/json"},
    )
    assert r.status == 201, await r.text()
    secret = (await r.json())["key_secret"]
    async with httpx.AsyncClient(timeout=30) as http:
        live = MerchantClient(platform.api_url, key_id, secret, http)
        txn = await paid_payment(live, amount=250_000)
    await page.goto(platform.api_url + "/dashboard/live")
    await page.wait_for_selector(f'tr[data-payment-id="{txn["payment_id"]}"]')
    assert "₹2,500.00" in await page.inner_text("main")
    await _looked_at(page, "live-payment", language)
    # the page on a phone
    await page.set_viewport_size({"width": 375, "height": 800})
    await page.goto(platform.api_url + "/dashboard/live/onboarding")
    await page.wait_for_selector("#live-key-id")
    assert await page.evaluate("document.documentElement.scrollWidth") <= 375
    await _looked_at(page, "phone", language)
    console.assert_clean()
    await context.close()
    elapsed = time.monotonic() - started
    print(f"the {language} walk took {elapsed:.1f} s")
    assert elapsed < 90, f"the {language} walk took {elapsed:.0f} s"


async def test_a_new_merchant_walks_from_signup_to_a_live_payment_in_english_and_hindi(platform, session):
    await create_sandbox_gateway(session, platform.simulator_url)
    async with browser.chromium() as chromium:
        for language in ("en", "hi"):
            await _walk(platform, session, chromium, language)


async def test_an_unconfirmed_address_is_sent_the_email_again_from_the_page(platform, session):
    new = await create_merchant(session, kyc_status="draft")
    user = await create_person(
        session, member_of=new.client.id, verified=False, email=new_email("unconfirmed")
    )
    headers = await log_in(session, user.id)
    async with client(platform.api_url, headers) as http:
        page = (await http.get(PAGE)).text
        assert '<li class="todo" id="step-email"' in page
        assert f"We sent a confirmation link to {user.email}." in page
        assert 'action="/auth/verify-email/resend"' in page
        r = await http.post("/auth/verify-email/resend", data={"email": user.email})
        assert r.status_code == 200 and "an email is on its way" in r.text
    mail = await wait_mail(platform, user.email, contains="verify-email")
    assert "/auth/verify-email?token=" in mail["text"]
