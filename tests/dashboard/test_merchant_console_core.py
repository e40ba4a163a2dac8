"""The merchant console's frame: logging in at /auth/login, the mode in the path (test data looks different from
live), the navigation a role is shown, the home page's figures, a merchant seeing only its own data, and the
account pages (signup, email confirmation, password reset) as a new merchant meets them."""

from __future__ import annotations

import re

from sqlalchemy import select

from lightspeedpay.models import Client, User
from tests.dashboard import browser
from tests.dashboard.support import PASSWORD, client, merchant_person
from tests.factories import create_merchant, create_sandbox_gateway, merchant_client
from tests.paying import paid_payment
from tests.people.support import mails


async def pay_and_settle(platform, merchant, *, amount: int) -> str:
    """A live payment of the merchant, paid by the payer on the sandbox: its payment id."""
    import httpx

    async with httpx.AsyncClient(timeout=30) as http:
        txn = await paid_payment(merchant_client(platform.api_url, merchant, http), amount=amount)
    return txn["payment_id"]


async def test_a_visitor_logs_in_and_lands_in_the_mode_the_merchant_works_in(platform, session):
    merchant, user, _headers = await merchant_person(session, "viewer", password=PASSWORD)
    async with client(platform.api_url, {}) as http:
        r = await http.get("/dashboard/test?from=email")
        assert r.status_code == 303
        assert r.headers["location"] == "/auth/login?next=%2Fdashboard%2Ftest%3Ffrom%3Demail"
        r = await http.get("/auth/login?next=https://evil.example/")
        assert 'name="next" value="/dashboard"' in r.text  # never another site
        r = await http.post("/auth/login", data={"email": user.email, "password": "not-the-password"})
        assert r.status_code == 401 and "The email or password is wrong" in r.text
        r = await http.post("/auth/login", data={"email": user.email, "password": PASSWORD})
        assert r.status_code == 303 and r.headers["location"] == "/dashboard"
        http.cookies = r.cookies
        r = await http.get("/dashboard")
        # an activated merchant works in live mode; a new one (KYC draft) in test mode
        assert r.status_code == 303 and r.headers["location"] == "/dashboard/live"
        r = await http.get("/dashboard/live")
        assert r.status_code == 200 and merchant.client.company_name in r.text
        assert "mode-test" not in r.text.split("<body", 1)[1].split(">", 1)[0]
        r = await http.get("/dashboard/test")
        assert r.status_code == 200 and 'class="merchant-console mode-test"' in r.text
        assert "you are looking at test data" in r.text
        r = await http.get("/dashboard/sandbox")
        assert r.status_code == 404 and "Page not found" in r.text


async def test_the_navigation_follows_the_role(platform, session):
    merchant, _owner, owner_headers = await merchant_person(session, "owner")
    _m, _viewer, viewer_headers = await merchant_person(session, "viewer", merchant=merchant)
    _m, _dev, dev_headers = await merchant_person(session, "developer", merchant=merchant)
    async with client(platform.api_url, owner_headers) as http:
        page = (await http.get("/dashboard/test")).text
        for path in (
            "/payments",
            "/developers/keys",
            "/developers/webhooks",
            "/team",
            "/settings",
            "/wallet",
        ):
            assert f'href="/dashboard/test{path}"' in page, path
    async with client(platform.api_url, viewer_headers) as http:
        page = (await http.get("/dashboard/test")).text
        assert 'href="/dashboard/test/payments"' in page
        assert (
            'href="/dashboard/test/developers/keys"' not in page and 'href="/dashboard/test/team"' not in page
        )
    async with client(platform.api_url, dev_headers) as http:
        page = (await http.get("/dashboard/test")).text
        assert 'href="/dashboard/test/developers/webhooks"' in page
        assert (
            'href="/dashboard/test/wallet"' not in page and 'href="/dashboard/test/settlements"' not in page
        )


async def test_home_shows_todays_figures_of_this_merchant_and_mode_only(platform, session):
    merchant, _user, headers = await merchant_person(session, "owner")
    other = await create_merchant(session)
    await create_sandbox_gateway(session, platform.simulator_url)
    mine = await pay_and_settle(platform, merchant, amount=123_400)
    theirs = await pay_and_settle(platform, other, amount=987_600)
    async with client(platform.api_url, headers) as http:
        live = (await http.get("/dashboard/live")).text
        assert mine in live and theirs not in live
        assert "₹1,234.00" in live and "₹9,876.00" not in live
        test = (await http.get("/dashboard/test")).text
        assert mine not in test and "No payments yet in this mode." in test
        fragment = (await http.get("/dashboard/live/home/live")).text
        assert mine in fragment and fragment.startswith('<div id="home-live"')


async def test_signup_confirm_and_log_in_through_the_pages(platform, session):
    email = f"founder-{re.sub('[^a-z0-9]', '', str(id(session)))}@example.in"
    async with client(platform.api_url, {}) as http:
        r = await http.post(
            "/auth/signup",
            data={
                "business_name": "Asha Textiles",
                "contact_name": "Asha",
                "email": email,
                "password": "short",
            },
        )
        assert r.status_code == 422 and 'aria-invalid="true"' in r.text  # the password field, named
        assert 'value="Asha Textiles"' in r.text  # what was typed stays
        r = await http.post(
            "/auth/signup",
            data={
                "business_name": "Asha Textiles",
                "contact_name": "Asha",
                "email": email,
                "password": "violet harbour lantern 42",
            },
        )
        assert r.status_code == 200 and "Check your inbox" in r.text
        mail = (await mails(platform, email, contains="verify-email"))[0]
        link = re.search(r"(/auth/verify-email\?token=[^\s\"<]+)", mail["text"]).group(1)
        r = await http.get(link)  # a link scanner's GET spends nothing
        assert r.status_code == 200 and "Confirm my email" in r.text
        token = link.split("token=", 1)[1]
        r = await http.post("/auth/verify-email", data={"token": token})
        assert r.status_code == 200 and "is confirmed" in r.text
        r = await http.post("/auth/verify-email", data={"token": token})
        assert r.status_code == 400 and "is confirmed" not in r.text  # once
        r = await http.post("/auth/login", data={"email": email, "password": "violet harbour lantern 42"})
        assert r.status_code == 303
        http.cookies = r.cookies
        r = await http.get("/dashboard")
        assert r.headers["location"] == "/dashboard/test"  # KYC draft: test mode
        home = (await http.get("/dashboard/test")).text
        assert "What to do next" in home and "Welcome, Asha Textiles" in home
        live = await http.get("/dashboard/live")
        assert live.status_code == 403 and "Live mode opens once your KYC is approved" in live.text
        assert 'href="/dashboard/test/onboarding"' in live.text
    user = (await session.execute(select(User).where(User.email == email))).scalar_one()
    assert user.email_verified_at is not None
    assert (await session.execute(select(Client).where(Client.company_name == "Asha Textiles"))).scalar_one()


async def test_home_in_a_browser_in_english_and_hindi(platform, session):
    merchant, user, _headers = await merchant_person(session, "owner", password=PASSWORD)
    await create_sandbox_gateway(session, platform.simulator_url)
    await pay_and_settle(platform, merchant, amount=50_000)
    async with browser.chromium() as chromium:
        console = await browser.logged_in(
            chromium,
            platform.api_url,
            user.email,
            PASSWORD,
            login_path="/auth/login",
            lands_on="/dashboard/live",
        )
        page = await console.open("/dashboard/live")
        assert await browser.axe_violations(page) == []
        await browser.screenshot(page, "merchant-home-live-en")
        page = await console.open("/dashboard/test")
        assert await browser.axe_violations(page) == []
        await browser.screenshot(page, "merchant-home-test-en")
        await page.select_option("#pref-language", "hi")
        await page.wait_for_load_state("load")
        page = await console.open("/dashboard/test")
        assert await page.get_attribute("html", "lang") == "hi"
        assert await browser.axe_violations(page) == []
        await browser.screenshot(page, "merchant-home-test-hi")
        console.assert_clean()
