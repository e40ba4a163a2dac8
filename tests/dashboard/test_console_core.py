"""The operator console's frame: logging in and out, the language and time zone a person picks, the navigation a
role is shown, refusals as pages, and the overview in a real browser (English and Hindi, scanned by axe-core)."""

from __future__ import annotations

import re

from sqlalchemy import select

from lightspeedpay.models import AuditLog, User
from tests.dashboard import browser
from tests.dashboard.support import PASSWORD, client, operator
from tests.factories import create_merchant, create_sandbox_gateway
from tests.people.support import create_person, new_email


async def test_a_visitor_is_sent_to_the_login_form_and_comes_back(platform):
    async with client(platform.api_url, {}) as http:
        r = await http.get("/admin?range=1h")
        assert r.status_code == 303
        assert r.headers["location"] == "/admin/login?next=%2Fadmin%3Frange%3D1h"
        r = await http.get("/admin/login?next=https://evil.example/")
        assert r.status_code == 200 and 'name="next" value="/admin"' in r.text  # never another site
        # htmx asks for the login page instead of a redirect it would follow silently
        r = await http.get("/admin/overview/live", headers={"HX-Request": "true"})
        assert r.status_code == 401 and r.headers["hx-redirect"].startswith("/admin/login")


async def test_login_form_wrong_password_and_merchant_staff_are_refused_in_words(platform, session):
    user = await create_person(session, operator_role="viewer", password=PASSWORD, email=new_email("op"))
    merchant = await create_merchant(session)
    member = await create_person(
        session, password=PASSWORD, member_of=merchant.client.id, email=new_email("m")
    )
    async with client(platform.api_url, {}) as http:
        r = await http.post("/admin/login", data={"email": user.email, "password": "wrong-password"})
        assert r.status_code == 401 and "The email or password is wrong" in r.text
        assert "set-cookie" not in r.headers
        r = await http.post("/admin/login", data={"email": member.email, "password": PASSWORD})
        assert r.status_code == 403 and "not operator staff" in r.text and "set-cookie" not in r.headers
        r = await http.post(
            "/admin/login", data={"email": user.email, "password": PASSWORD, "next": "/admin/audit"}
        )
        assert r.status_code == 303 and r.headers["location"] == "/admin/audit"
        assert "lsp_session=" in r.headers["set-cookie"]
        # the session works for pages, and logging out ends it
        r = await http.get("/admin")
        assert r.status_code == 200 and "Overview" in r.text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', r.text).group(1)
        r = await http.post("/admin/logout", data={"csrf_token": csrf})
        assert r.status_code == 303 and r.headers["location"] == "/admin/login"
        r = await http.get("/admin")
        assert r.status_code == 303


async def test_navigation_shows_only_what_the_role_may_open_and_other_pages_answer_403(platform, session):
    _, finance = await operator(session, "finance")
    async with client(platform.api_url, finance) as http:
        r = await http.get("/admin")
        assert r.status_code == 200
        nav = re.search(r'<nav class="sidenav".*?</nav>', r.text, re.S).group(0)
        assert 'href="/admin/commission"' in nav and 'href="/admin/settlements"' in nav
        assert 'href="/admin/gateways"' not in nav and 'href="/admin/queues"' not in nav
        assert 'href="/admin/users"' not in nav
        # finance may not read gateways or queues: the overview leaves those figures out
        assert "Gateways at a glance" not in r.text and "Queue backlog" not in r.text
        r = await http.get("/api/v1/admin/streams/queues")
        assert r.status_code == 403


async def test_a_form_without_its_csrf_token_changes_nothing(platform, session):
    user, headers = await operator(session, "viewer")
    cookie_only = {"Cookie": headers["Cookie"]}
    async with client(platform.api_url, cookie_only) as http:
        r = await http.post("/admin/preferences", data={"language": "hi"})
        assert r.status_code == 403 and "This form has expired" in r.text
    await session.refresh(user)
    assert user.locale == "en"


async def test_language_and_zone_are_remembered_per_person_and_audited(platform, session):
    user, headers = await operator(session, "viewer")
    csrf = headers["X-CSRF-Token"]
    async with client(platform.api_url, {"Cookie": headers["Cookie"]}) as http:
        r = await http.post(
            "/admin/preferences",
            data={"csrf_token": csrf, "language": "hi", "time_zone": "UTC", "next": "/admin"},
        )
        assert r.status_code == 303 and r.headers["location"] == "/admin"
        r = await http.get("/admin")
        assert '<html lang="hi">' in r.text and "अवलोकन" in r.text
        assert "UTC" in r.text
        # a zone that does not exist is refused by the same service the API uses
        r = await http.patch(
            "/api/v1/auth/me", json={"time_zone": "Mars/Olympus"}, headers={"X-CSRF-Token": csrf}
        )
        assert r.status_code == 422 and r.json()["error"]["field"] == "time_zone"
    await session.refresh(user)
    assert (user.locale, user.time_zone) == ("hi", "UTC")
    rows = (
        await session.scalars(
            select(AuditLog).where(
                AuditLog.target_id == str(user.id), AuditLog.action == "user.preferences_changed"
            )
        )
    ).all()
    assert rows and rows[0].after == {"locale": "hi", "time_zone": "UTC"}


async def test_overview_in_a_browser_in_english_and_hindi_with_no_accessibility_violation(platform, session):
    email = new_email("owner")
    await create_person(session, operator_role="owner", password=PASSWORD, email=email)
    await create_sandbox_gateway(session, platform.simulator_url)
    async with browser.chromium() as chromium:
        console = await browser.logged_in(chromium, platform.api_url, email, PASSWORD)
        page = await console.open("/admin")
        await page.wait_for_selector(".chart canvas")  # uPlot drew the charts
        await browser.screenshot(page, "overview-en")
        assert await browser.axe_violations(page) == []
        await page.select_option("#pref-language", "hi")
        await page.wait_for_selector("html[lang=hi]")
        await page.wait_for_selector(".chart canvas")
        await browser.screenshot(page, "overview-hi")
        assert await browser.axe_violations(page) == []
        # phone width: the navigation and the figures still fit
        await page.set_viewport_size({"width": 375, "height": 800})
        await browser.screenshot(page, "overview-hi-375")
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, width
        console.assert_clean()
    user = (await session.scalars(select(User).where(User.email == email))).one()
    await session.refresh(user)
    assert user.locale == "hi"
