"""Every page of the operator's navigation, for every role and in both languages: a role sees exactly the pages
its permissions open (the rest answer the 403 page), each page renders in a real browser in English and Hindi
with no serious or critical axe-core violation (screenshots kept), reads without JavaScript, and can be used from
the keyboard (skip link, visible focus)."""

from __future__ import annotations

import re

from lightspeedpay.auth.permissions import OPERATOR_ROLES
from lightspeedpay.dashboard.web import ADMIN_NAV
from tests.dashboard import browser
from tests.dashboard.support import PASSWORD, client, operator
from tests.people.support import create_person, new_email


async def test_each_role_sees_its_pages_and_gets_the_403_page_elsewhere(platform, session):
    for role, permissions in OPERATOR_ROLES.items():
        _, headers = await operator(session, role)
        async with client(platform.api_url, headers) as http:
            home = await http.get("/admin")
            nav = re.search(r'<nav class="sidenav".*?</nav>', home.text, re.S)
            shown = set(re.findall(r'href="(/admin[^"]*)"', nav.group(0))) if nav else set()
            for item in ADMIN_NAV:
                allowed = item.permission in permissions
                assert (item.path in shown) == allowed, (role, item.path)
                r = await http.get(item.path)
                if allowed:
                    assert r.status_code == 200, (role, item.path, r.status_code, r.text[:300])
                else:
                    assert r.status_code == 403, (role, item.path, r.status_code)
                    assert "You do not have access to this page" in r.text, (role, item.path)


async def test_every_page_in_english_and_hindi_without_accessibility_violations(platform, session):
    email = new_email("owner")
    await create_person(session, operator_role="owner", password=PASSWORD, email=email)
    failures: dict[str, list[dict[str, object]]] = {}
    async with browser.chromium() as chromium:
        console = await browser.logged_in(chromium, platform.api_url, email, PASSWORD)
        for language in ("en", "hi"):
            if language == "hi":
                page = await console.open("/admin")
                await page.select_option("#pref-language", "hi")
                await page.wait_for_selector("html[lang=hi]")
                await page.close()
            for item in ADMIN_NAV:
                page = await console.open(item.path)
                await page.wait_for_load_state("networkidle")
                name = item.path.strip("/").replace("/", "-")
                await browser.screenshot(page, f"page-{name}-{language}")
                violations = await browser.axe_violations(page)
                if violations:
                    failures[f"{item.path} ({language})"] = violations
                await page.close()
        console.assert_clean()
    assert not failures, failures


async def test_pages_read_without_javascript_and_work_from_the_keyboard(platform, session):
    email = new_email("viewer")
    await create_person(session, operator_role="owner", password=PASSWORD, email=email)
    async with browser.chromium() as chromium:
        console = await browser.logged_in(chromium, platform.api_url, email, PASSWORD)
        state = await console.context.storage_state()
        plain = await chromium.new_context(java_script_enabled=False, storage_state=state)
        for item in ADMIN_NAV:
            page = await plain.new_page()
            response = await page.goto(platform.api_url + item.path)
            assert response is not None and response.status == 200, item.path
            assert await page.locator("main h1").count() == 1, item.path
            await page.close()
        await plain.close()
        page = await console.open("/admin")
        await page.keyboard.press("Tab")
        focused = await page.evaluate("document.activeElement.className")
        assert focused == "skip"
        outline = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none"
        await page.keyboard.press("Enter")
        assert await page.evaluate("document.activeElement.id") == "main"
