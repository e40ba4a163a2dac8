"""The console's users and roles: who may see and change operator staff, inviting and changing a role in a real
browser (English and Hindi, 375 px, axe-core), disabling with the people service's rules, and the two-factor
requirement shown as the server's setting."""

from __future__ import annotations

from lightspeedpay.config import get_settings
from tests.dashboard import browser
from tests.dashboard.support import PASSWORD, client, operator
from tests.people.support import create_person, log_in, new_email

HTMX = {"HX-Request": "true"}


def _admin(base_url: str):
    return client(base_url, {"Authorization": f"Bearer {get_settings().admin_token}"})


async def _staff(base_url: str) -> dict[str, dict]:
    async with _admin(base_url) as admin:
        body = (await admin.get("/api/v1/admin/users")).json()
    return {u["email"]: u for u in body["items"]} | {i["email"]: i for i in body["invitations"]}


async def test_roles_without_users_read_get_403_and_admins_cannot_touch_owners(platform, session):
    for role in ("finance", "support", "viewer"):
        _, headers = await operator(session, role)
        async with client(platform.api_url, headers) as http:
            r = await http.get("/admin/users")
            assert r.status_code == 403, role
            assert "You do not have access to this page" in r.text
    owner = await create_person(session, operator_role="owner", email=new_email("own"))
    _, admin_headers = await operator(session, "admin")
    async with client(platform.api_url, admin_headers) as http:
        r = await http.get("/admin/users")
        assert r.status_code == 200 and owner.email in r.text
        assert "LSP_OPERATORS_REQUIRE_2FA" in r.text and "Not required" in r.text
        # an admin is offered no owner role and no control over an owner's row
        assert '<option value="owner"' not in r.text
        assert f"/admin/users/{owner.id}/disable" not in r.text
        r = await http.post(f"/admin/users/{owner.id}/disable", headers=HTMX)
        assert r.status_code == 403 and "Only an owner can disable an owner." in r.text
        r = await http.post(
            "/admin/users/invitations", data={"email": new_email("x"), "role": "owner"}, headers=HTMX
        )
        assert r.status_code == 403


async def test_disable_ends_the_persons_sessions(platform, session):
    staff = await create_person(session, operator_role="support", email=new_email("sup"))
    their_session = await log_in(session, staff.id)
    _, headers = await operator(session, "admin")
    async with client(platform.api_url, headers) as http:
        r = await http.post(f"/admin/users/{staff.id}/disable", headers=HTMX)
        assert r.status_code == 200 and "is disabled and logged out everywhere" in r.text
        me = (await _staff(platform.api_url))[staff.email]
        assert me["disabled"] is True
    async with client(platform.api_url, their_session) as http:
        assert (await http.get("/admin")).status_code == 303  # back to the login form


async def test_invite_and_change_a_role_in_a_browser(platform, session):
    email = new_email("owner")
    await create_person(session, operator_role="owner", password=PASSWORD, email=email)
    colleague = await create_person(session, operator_role="viewer", email=new_email("col"))
    invitee = new_email("new")
    async with browser.chromium() as chromium:
        console = await browser.logged_in(chromium, platform.api_url, email, PASSWORD)
        page = await console.open("/admin/users")
        await browser.screenshot(page, "users-en")
        assert await browser.axe_violations(page) == []
        await page.get_by_label("Email", exact=True).fill(invitee)
        await page.get_by_label("Role", exact=True).select_option("finance")
        await page.get_by_role("button", name="Send invitation").click()
        await page.wait_for_selector(f"text=Invitation sent to {invitee}.")
        assert (await _staff(platform.api_url))[invitee]["role"] == "finance"
        await page.get_by_label(f"Role of {colleague.email}").select_option("operations")
        await page.locator(f"#user-{colleague.id}").get_by_role("button", name="Change").click()
        await page.wait_for_selector(f"text={colleague.email} is now Operations.")
        assert (await _staff(platform.api_url))[colleague.email]["role"] == "operations"
        page.on("dialog", lambda dialog: dialog.accept())
        await page.locator(f"#user-{colleague.id}").get_by_role("button", name="Disable").click()
        await page.wait_for_selector("text=is disabled and logged out everywhere")
        assert (await _staff(platform.api_url))[colleague.email]["disabled"] is True
        await page.select_option("#pref-language", "hi")
        await page.wait_for_selector("html[lang=hi]")
        await browser.screenshot(page, "users-hi")
        assert await browser.axe_violations(page) == []
        await page.set_viewport_size({"width": 375, "height": 800})
        await browser.screenshot(page, "users-hi-375")
        assert await page.evaluate("document.documentElement.scrollWidth") <= 375
        console.assert_clean()
