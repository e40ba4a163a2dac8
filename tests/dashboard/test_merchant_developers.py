"""The merchant console's Developers, Team, Settings and WhatsApp pages: API keys (masked, regenerated with a grace
period after a recent login, the new secret shown once, the IP allowlist), webhooks (add, edit, switch, delete,
rotate, test events, the delivery log and resending), API usage, checkout origins, the team, settings and WhatsApp
notices; each role sees and does only what it may, and a merchant never sees another's endpoints or deliveries."""

from __future__ import annotations

import html
import re
import uuid

import httpx
from sqlalchemy import select

from lightspeedpay.kit import crypto
from lightspeedpay.merchants.credentials import credential_service
from lightspeedpay.models import AuditLog, MerchantMembership, WebhookDeliveryAttempt, WebhookEndpoint
from tests.dashboard.support import PASSWORD, client, merchant_person
from tests.factories import create_merchant, merchant_client, wait_for
from tests.people.support import create_person, log_in, mails, new_email
from tests.webhooks.helpers import configure, receiver_name

KEYS = "/dashboard/test/developers/keys"
HOOKS = "/dashboard/test/developers/webhooks"


def shown_secret(page: str) -> str:
    """The secret a page shows once (its copy field)."""
    found = re.search(r'id="secret-value-1"[^>]*value="([^"]+)"', page)
    assert found, "no secret on the page"
    return html.unescape(found.group(1))


async def audit_actions(session, client_id: uuid.UUID) -> list[str]:
    await session.rollback()
    rows = await session.execute(
        select(AuditLog.action, AuditLog.actor).where(AuditLog.client_id == client_id)
    )
    return [f"{action} {actor}" for action, actor in rows]


# ---- API keys --------------------------------------------------------------------------------------------------


async def test_the_keys_page_shows_this_modes_key_masked_and_regenerates_it_once(platform, session):
    merchant, owner, headers = await merchant_person(session, "owner")
    client_id, email = merchant.client.id, owner.email
    test_last4 = merchant.test_secret[-4:]
    async with client(platform.api_url, headers) as http:
        page = await http.get(KEYS)
        assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
        assert merchant.test_key_id in page.text and merchant.client.client_key not in page.text
        assert f"••••••••••••{test_last4}" in page.text and merchant.test_secret not in page.text
        live = (await http.get("/dashboard/live/developers/keys")).text
        assert merchant.client.client_key in live and merchant.test_key_id not in live
        assert merchant.client_salt not in live

        r = await http.post(f"{KEYS}/regenerate", data={"grace_period_seconds": "3600"})
        assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
        secret = shown_secret(r.text)
        assert "you will not see it again" in r.text
        assert "The previous secret keeps working until" in r.text
        # what was shown is the key's secret now, and the old one is in its grace period
        assert secret == await credential_service.current_secret(session, merchant.client.id, "test")
        assert secret != merchant.test_secret and 'badge-warn">Grace period' in r.text
        again = (await http.get(KEYS)).text
        assert secret not in again and f"••••••••••••{secret[-4:]}" in again
        assert 'badge-warn">Grace period' in again

        # with htmx: the page's body, the secret in it, nothing cached
        r = await http.post(
            f"{KEYS}/regenerate", data={"grace_period_seconds": "0"}, headers={"HX-Request": "true"}
        )
        assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
        assert "<html" not in r.text and shown_secret(r.text) != secret
        r = await http.post(f"{KEYS}/regenerate", data={"grace_period_seconds": "90000"})
        assert r.status_code == 422 and "grace_period_seconds" in r.text

        r = await http.post(
            f"{KEYS}/ip-allowlist", data={"cidrs": "203.0.113.7\n198.51.100.0/24, 2001:db8::/32"}
        )
        assert r.status_code == 303 and r.headers["location"] == f"{KEYS}?done=allowlist"
        page = (await http.get(r.headers["location"])).text
        assert "The IP allowlist is saved." in page
        assert "203.0.113.7/32\n198.51.100.0/24\n2001:db8::/32</textarea>" in page
        r = await http.post(f"{KEYS}/ip-allowlist", data={"cidrs": "10.0.0.0/8\nnot-an-address"})
        assert r.status_code == 422 and "not-an-address" in html.unescape(r.text)
    actions = await audit_actions(session, client_id)
    assert actions.count(f"credentials.regenerated user:{email}") == 2
    assert f"credentials.ip_allowlist_updated user:{email}" in actions


async def test_regenerating_with_an_old_login_asks_for_the_password_first(platform, session):
    merchant, owner, _fresh = await merchant_person(session, "admin", password=PASSWORD)
    headers = await log_in(session, owner.id, minutes_ago=60)
    async with client(platform.api_url, headers) as http:
        r = await http.post(f"{KEYS}/regenerate", data={"grace_period_seconds": "86400"})
        assert r.status_code == 200 and "Confirm your password" in r.text
        assert 'name="grace_period_seconds" value="86400"' in r.text  # the action's own fields ride along
        assert "secret-value-1" not in r.text
        r = await http.post(
            f"{KEYS}/regenerate",
            data={"grace_period_seconds": "86400", "reauth_password": "wrong password 1"},
        )
        assert "did not match" in r.text and "secret-value-1" not in r.text
        r = await http.post(
            f"{KEYS}/regenerate",
            data={"grace_period_seconds": "86400", "reauth_password": PASSWORD},
            headers={"HX-Request": "true"},
        )
        assert r.status_code == 200
        assert shown_secret(r.text) == await credential_service.current_secret(
            session, merchant.client.id, "test"
        )
        # the allowlist needs it too
        old = await log_in(session, owner.id, minutes_ago=60)
    async with client(platform.api_url, old) as http:
        r = await http.post(f"{KEYS}/ip-allowlist", data={"cidrs": "203.0.113.9"})
        assert r.status_code == 200 and "Confirm your password" in r.text
        # so does showing a webhook endpoint's secret (adding one does not: its secret is new)
        endpoint_id, secret = await add_endpoint(http, platform, receiver_name())
        r = await http.post(f"{HOOKS}/{endpoint_id}/reveal", headers={"HX-Request": "true"})
        assert "Confirm your password" in r.text and secret not in r.text
        r = await http.post(
            f"{HOOKS}/{endpoint_id}/reveal",
            data={"reauth_password": PASSWORD},
            headers={"HX-Request": "true"},
        )
        assert shown_secret(r.text) == secret


async def test_a_key_secret_is_shown_once_after_a_recent_login(platform, session):
    merchant, owner, _fresh = await merchant_person(session, "owner", password=PASSWORD)
    client_id, email, user_id = merchant.client.id, owner.email, owner.id
    old = await log_in(session, user_id, minutes_ago=60)
    async with client(platform.api_url, old) as http:
        page = (await http.get(KEYS)).text
        assert "Show once" in page and merchant.test_secret not in page
        r = await http.post(f"{KEYS}/reveal", headers={"HX-Request": "true"})
        assert (
            r.status_code == 200 and "Confirm your password" in r.text and merchant.test_secret not in r.text
        )
        r = await http.post(f"{KEYS}/reveal", data={"reauth_password": PASSWORD})
        assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
        assert shown_secret(r.text) == merchant.test_secret and "you will not see it again" in r.text
        page = (await http.get(KEYS)).text
        assert merchant.test_secret not in page and "Show once" not in page
        r = await http.post(f"{KEYS}/reveal")
        assert r.status_code == 409 and "already shown once" in r.text and merchant.test_secret not in r.text
        # a regenerated secret was shown by its own answer: no second showing of it either
        r = await http.post(f"{KEYS}/regenerate", data={"grace_period_seconds": "0"})
        assert "Show once" not in (await http.get(KEYS)).text
    for role in ("developer", "viewer"):
        _m, _p, headers = await merchant_person(session, role, merchant=merchant)
        async with client(platform.api_url, headers) as http:
            assert (await http.post(f"{KEYS}/reveal")).status_code == 403
    assert f"credential.secret_revealed user:{email}" in await audit_actions(session, client_id)


async def test_only_owners_and_admins_see_keys(platform, session):
    merchant, _owner, _h = await merchant_person(session, "owner")
    for role in ("viewer", "developer", "finance", "support"):
        _m, _p, headers = await merchant_person(session, role, merchant=merchant)
        async with client(platform.api_url, headers) as http:
            page = await http.get(KEYS)
            assert page.status_code == 403, role
            assert merchant.test_key_id not in page.text
            r = await http.post(f"{KEYS}/regenerate", data={"grace_period_seconds": "0"})
            assert r.status_code == 403, role
    assert (
        await credential_service.current_secret(session, merchant.client.id, "test") == merchant.test_secret
    )


# ---- webhooks ----------------------------------------------------------------------------------------------------


async def add_endpoint(http: httpx.AsyncClient, platform, name: str, **fields) -> tuple[str, str]:
    """An endpoint added through the page: (its id, its secret as shown once)."""
    data = {"url": f"{platform.receiver_url}/webhooks/{name}", "description": "orders service", **fields}
    r = await http.post(HOOKS, data=data)
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store" and "Keep it secret." in r.text
    secret = shown_secret(r.text)
    endpoint_id = re.search(rf'href="{HOOKS}/([0-9a-f-]{{36}})"', r.text).group(1)
    return endpoint_id, secret


async def attempts(session, endpoint_id: str) -> list[WebhookDeliveryAttempt]:
    await session.rollback()
    rows = await session.execute(
        select(WebhookDeliveryAttempt)
        .where(WebhookDeliveryAttempt.endpoint_id == uuid.UUID(endpoint_id))
        .order_by(WebhookDeliveryAttempt.created_at)
    )
    return list(rows.scalars())


async def test_a_developer_adds_edits_tests_rotates_and_deletes_an_endpoint(platform, session):
    merchant, dev, headers = await merchant_person(session, "developer")
    client_id, email = merchant.client.id, dev.email
    name = receiver_name()
    async with client(platform.api_url, headers) as http:
        page = (await http.get(HOOKS)).text
        assert "Add an endpoint" in page and 'value="payment.paid"' in page
        endpoint_id, secret = await add_endpoint(
            http, platform, name, event_types=["payment.paid", "refund.processed"]
        )
        assert secret.startswith("whsec_")
        row = await session.get(WebhookEndpoint, uuid.UUID(endpoint_id))
        assert crypto.decrypt(row.secret_enc) == secret and row.event_types == [
            "payment.paid",
            "refund.processed",
        ]
        await configure(platform.receiver_url, name, secret=secret)
        listing = (await http.get(HOOKS)).text
        assert secret not in listing and f"whsec_…{secret[-4:]}" in listing
        assert "payment.paid, refund.processed" in listing

        r = await http.post(HOOKS, data={"url": "ftp://example.in/x"})
        assert r.status_code == 422 and "http:// or https://" in r.text
        r = await http.post(HOOKS, data={"url": "https://shop.example.in/h", "event_types": ["payment.nope"]})
        assert r.status_code == 422

        here = f"{HOOKS}/{endpoint_id}"
        r = await http.post(
            here,
            data={
                "url": f"{platform.receiver_url}/webhooks/{name}",
                "description": "orders v2",
                "event_types": [],
            },
        )
        assert r.status_code == 303 and r.headers["location"] == f"{here}?done=updated"
        page = (await http.get(r.headers["location"])).text
        assert "The endpoint is saved." in page and "orders v2" in page and "All events" in page

        r = await http.post(f"{here}/test")
        assert r.status_code == 303 and r.headers["location"] == f"{here}?done=test"
        await wait_for(lambda: _attempts_with(session, endpoint_id, 1), what="the test event's attempt")
        log = (await http.get(f"{here}/deliveries")).text
        assert log.startswith('<div id="delivery-log"') and 'hx-trigger="every 5s"' in log
        assert "<code>ping</code>" in log and "webhook-signature" in log and "v1," in log
        assert "A test event from LightSpeedPay" in log and "Succeeded" in log

        r = await http.post(f"{here}/rotate", headers={"HX-Request": "true"})
        rotated = shown_secret(r.text)
        assert rotated.startswith("whsec_") and rotated != secret
        assert "we sign each delivery with both the new and the old secret" in r.text
        row = await session.get(WebhookEndpoint, uuid.UUID(endpoint_id))
        await session.refresh(row)
        assert crypto.decrypt(row.secret_enc) == rotated and crypto.decrypt(row.previous_secret_enc) == secret
        page = (await http.get(here)).text
        assert rotated not in page and "Old secret signs until" in page
        # both secrets that sign now, shown again on asking (a fresh login here)
        r = await http.post(f"{here}/reveal")
        assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
        assert shown_secret(r.text) == rotated and f'value="{secret}"' in r.text
        assert "Previous signing secret of" in r.text and "it signs deliveries too until" in r.text

        r = await http.post(f"{here}/enabled", data={"enabled": "false"})
        assert r.headers["location"] == f"{here}?done=disabled"
        assert "Switch on" in (await http.get(here)).text
        r = await http.post(f"{here}/enabled", data={"enabled": "true"}, headers={"HX-Request": "true"})
        assert "The endpoint is switched on." in r.text and "Switch off" in r.text

        r = await http.post(f"{here}/delete", data={})
        assert r.status_code == 422 and "confirm" in r.text
        r = await http.post(f"{here}/delete", data={"confirm": "yes"})
        assert r.status_code == 303 and r.headers["location"] == f"{HOOKS}?done=deleted"
        listing = (await http.get(r.headers["location"])).text
        assert "The endpoint is deleted." in listing and endpoint_id not in listing
        assert (await http.get(here)).status_code == 404
    actions = await audit_actions(session, client_id)
    for action in (
        "webhook_endpoint.created",
        "webhook_endpoint.updated",
        "webhook_event.ping_sent",
        "webhook_endpoint.secret_rotated",
        "webhook_endpoint.secret_revealed",
        "webhook_endpoint.disabled",
        "webhook_endpoint.enabled",
        "webhook_endpoint.deleted",
    ):
        assert f"{action} user:{email}" in actions, action


async def _attempts_with(session, endpoint_id: str, n: int, **where) -> list[WebhookDeliveryAttempt] | None:
    found = [
        a for a in await attempts(session, endpoint_id) if all(getattr(a, k) == v for k, v in where.items())
    ]
    return found if len(found) >= n else None


async def test_a_failed_delivery_shows_request_and_response_and_is_resent(platform, session):
    merchant, _owner, headers = await merchant_person(session, "owner")
    name = receiver_name()
    async with client(platform.api_url, headers) as http:
        endpoint_id, secret = await add_endpoint(http, platform, name)
        await configure(
            platform.receiver_url,
            name,
            secret=secret,
            responses=[{"status": 500, "body": "database is down"}],
        )
        here = f"{HOOKS}/{endpoint_id}"
        await http.post(f"{here}/test")
        [failed] = await wait_for(
            lambda: _attempts_with(session, endpoint_id, 1, status="failed"), what="the failed attempt"
        )
        page = (await http.get(f"{here}?status=failed")).text
        assert f'data-attempt-id="{failed.id}"' in page and "database is down" in page
        assert ">500<" in page and "HTTP 500" in page and "Resend" in page
        r = await http.post(f"{here}/deliveries/{failed.id}/retry", headers={"HX-Request": "true"})
        assert r.status_code == 200 and "The delivery is resent" in r.text
        [resent] = await wait_for(
            lambda: _attempts_with(session, endpoint_id, 1, trigger="manual"), what="the resent attempt"
        )
        assert resent.status == "succeeded" and resent.attempt == 2
        log = (await http.get(f"{here}/deliveries")).text
        assert "Resent" in log and f'data-attempt-id="{resent.id}"' in log
        # a delivery log of one mode only: the test event is not in live mode's
        assert (
            f'data-attempt-id="{resent.id}"'
            not in (await http.get(f"/dashboard/live/developers/webhooks/{endpoint_id}")).text
        )


async def test_who_may_change_webhooks(platform, session):
    merchant, _owner, owner_headers = await merchant_person(session, "owner")
    async with client(platform.api_url, owner_headers) as http:
        endpoint_id, _secret = await add_endpoint(http, platform, receiver_name())
    here = f"{HOOKS}/{endpoint_id}"
    for role in ("viewer", "support"):
        _m, _p, headers = await merchant_person(session, role, merchant=merchant)
        async with client(platform.api_url, headers) as http:
            page = await http.get(here)
            assert page.status_code == 200 and "Rotate secret" not in page.text and "Resend" not in page.text
            assert "Add an endpoint" not in (await http.get(HOOKS)).text
            for path in (here, f"{here}/rotate", f"{here}/reveal", f"{here}/test", f"{here}/delete", HOOKS):
                assert (await http.post(path, data={"confirm": "yes"})).status_code == 403, (role, path)
    _m, _p, headers = await merchant_person(session, "finance", merchant=merchant)
    async with client(platform.api_url, headers) as http:
        assert (await http.get(HOOKS)).status_code == 403
    row = await session.get(WebhookEndpoint, uuid.UUID(endpoint_id))
    assert row.deleted_at is None


async def test_a_merchant_never_sees_anothers_endpoints_or_deliveries(platform, session):
    _a, _owner_a, headers_a = await merchant_person(session, "owner")
    _b, _owner_b, headers_b = await merchant_person(session, "owner")
    name = receiver_name()
    async with client(platform.api_url, headers_a) as http:
        theirs, _secret = await add_endpoint(http, platform, name)
        await http.post(f"{HOOKS}/{theirs}/test")
    [attempt] = await wait_for(lambda: _attempts_with(session, theirs, 1), what="merchant A's attempt")
    async with client(platform.api_url, headers_b) as http:
        mine, _secret = await add_endpoint(http, platform, receiver_name())
        assert name not in (await http.get(HOOKS)).text
        for method, path in (
            ("GET", f"{HOOKS}/{theirs}"),
            ("GET", f"{HOOKS}/{theirs}/deliveries"),
            ("POST", f"{HOOKS}/{theirs}"),
            ("POST", f"{HOOKS}/{theirs}/rotate"),
            ("POST", f"{HOOKS}/{theirs}/reveal"),
            ("POST", f"{HOOKS}/{theirs}/test"),
            ("POST", f"{HOOKS}/{theirs}/enabled"),
            ("POST", f"{HOOKS}/{theirs}/delete"),
            ("POST", f"{HOOKS}/{theirs}/deliveries/{attempt.id}/retry"),
            ("POST", f"{HOOKS}/{mine}/deliveries/{attempt.id}/retry"),  # their attempt under my endpoint
            ("GET", f"{HOOKS}/not-an-id"),
        ):
            data = (
                {"url": "https://x.example.in/", "enabled": "false", "confirm": "yes"}
                if method == "POST"
                else None
            )
            r = await http.request(method, path, data=data)
            assert r.status_code == 404, (method, path, r.status_code)
            assert name not in r.text
    row = await session.get(WebhookEndpoint, uuid.UUID(theirs))
    assert row.enabled and row.deleted_at is None


# ---- usage, checkout origins -------------------------------------------------------------------------------------


async def test_api_usage_by_day_route_and_status(platform, session):
    merchant, _dev, headers = await merchant_person(session, "developer")
    other = await create_merchant(session)
    async with httpx.AsyncClient(timeout=30) as raw:
        api = merchant_client(platform.api_url, merchant, raw)
        for _ in range(3):
            assert (await api.get("/api/v1/wallet")).status_code == 200
        assert (await api.get(f"/api/v1/transactions/{uuid.uuid4()}")).status_code == 404
        await merchant_client(platform.api_url, other, raw).get("/api/v1/merchant/webhooks")

    async with client(platform.api_url, headers) as http:

        async def counted() -> str | None:
            page = (await http.get("/dashboard/test/developers/usage")).text
            return page if "GET /api/v1/transactions/{transaction_id}" in page else None

        page = await wait_for(counted, what="the usage rollup")
        assert "<code>GET /api/v1/wallet</code>" in page
        assert "GET /api/v1/merchant/webhooks" not in page  # the other merchant's request
        assert "/dashboard/{mode}" not in page  # the console's own pages are no API requests
        assert "data-chart=" in page and "Requests and errors per day" in page
        assert '<div class="tile-value">4</div>' in page and "25.0%" in page
        r = await http.get(
            "/dashboard/test/developers/usage", params={"from": "2026-01-10", "to": "2026-01-01"}
        )
        assert r.status_code == 422
    _m, _p, finance = await merchant_person(session, "finance", merchant=merchant)
    async with client(platform.api_url, finance) as http:
        assert (await http.get("/dashboard/test/developers/usage")).status_code == 403


async def test_checkout_origins_are_shown_and_changed_by_owners_and_admins(platform, session):
    merchant = await create_merchant(session, checkout_origins=["https://shop.example.in"])
    client_id = merchant.client.id
    _m, _p, viewer = await merchant_person(session, "viewer", merchant=merchant)
    async with client(platform.api_url, viewer) as http:
        page = (await http.get("/dashboard/test/developers/checkout")).text
        assert "<code>https://shop.example.in</code>" in page and "Save origins" not in page
        r = await http.post("/dashboard/test/developers/checkout", data={"origins": "https://evil.example"})
        assert r.status_code == 403
    _m, admin, headers = await merchant_person(session, "admin", merchant=merchant)
    email = admin.email
    async with client(platform.api_url, headers) as http:
        r = await http.post(
            "/dashboard/test/developers/checkout",
            data={"origins": "https://Shop.Example.in:443\nhttp://localhost:3000"},
        )
        assert r.status_code == 303
        page = (await http.get(r.headers["location"])).text
        assert "The allowed origins are saved." in page
        assert "https://shop.example.in\nhttp://localhost:3000</textarea>" in page  # normalised
        r = await http.post(
            "/dashboard/test/developers/checkout",
            data={"origins": "https://shop.example.in/checkout"},
            headers={"HX-Request": "true"},
        )
        assert r.status_code == 422 and r.headers["hx-retarget"] == "#notices" and "origin" in r.text
    assert f"merchant.settings_changed user:{email}" in await audit_actions(session, client_id)


# ---- team --------------------------------------------------------------------------------------------------------


async def test_the_team_page_invites_changes_roles_removes_and_revokes(platform, session):
    merchant, owner, headers = await merchant_person(session, "owner", password=PASSWORD)
    teammate = await create_person(
        session, member_of=merchant.client.id, role="developer", email=new_email("dev")
    )
    _outsider_merchant, outsider, _h = await merchant_person(session, "owner")
    invited = new_email("invitee")
    client_id, email, teammate_id = merchant.client.id, owner.email, teammate.id
    async with client(platform.api_url, headers) as http:
        page = (await http.get("/dashboard/test/team")).text
        assert owner.email in page and teammate.email in page and outsider.email not in page
        r = await http.post("/dashboard/test/team/invitations", data={"email": invited, "role": "finance"})
        assert r.status_code == 303 and r.headers["location"] == "/dashboard/test/team?done=invited"
        page = (await http.get(r.headers["location"])).text
        assert "The invitation is sent." in page and invited in page
        assert await mails(platform, invited, contains="invitation")
        r = await http.post(
            "/dashboard/test/team/invitations", data={"email": "not-an-email", "role": "finance"}
        )
        assert r.status_code == 422

        r = await http.post(
            f"/dashboard/test/team/{teammate.id}/role",
            data={"role": "support"},
            headers={"HX-Request": "true"},
        )
        assert r.status_code == 200 and "The role is changed." in r.text
        # another merchant's member is nobody here
        r = await http.post(f"/dashboard/test/team/{outsider.id}/remove")
        assert r.status_code == 404
        invitation = re.search(r"/dashboard/test/team/invitations/([0-9a-f-]{36})/revoke", page).group(1)
        r = await http.post(f"/dashboard/test/team/invitations/{invitation}/revoke")
        assert r.headers["location"] == "/dashboard/test/team?done=revoked"
        assert invited not in (await http.get("/dashboard/test/team")).text
        r = await http.post("/dashboard/test/team/settings", data={"require_2fa": "true"})
        assert r.status_code == 409 and "Turn on two-factor authentication for yourself first" in r.text
    # removing someone with an old login: the password first, then it is done
    old = await log_in(session, owner.id, minutes_ago=60)
    async with client(platform.api_url, old) as http:
        r = await http.post(f"/dashboard/test/team/{teammate.id}/remove", headers={"HX-Request": "true"})
        assert "Confirm your password" in r.text
        r = await http.post(
            f"/dashboard/test/team/{teammate.id}/remove",
            data={"reauth_password": PASSWORD},
            headers={"HX-Request": "true"},
        )
        assert "They are removed from the team." in r.text and teammate.email not in r.text
    await session.rollback()
    left = await session.execute(
        select(MerchantMembership.role).where(MerchantMembership.user_id == teammate_id)
    )
    assert left.first() is None
    actions = await audit_actions(session, client_id)
    for action in (
        "team.member_invited",
        "team.role_changed",
        "team.invitation_revoked",
        "team.member_removed",
    ):
        assert f"{action} user:{email}" in actions, action


async def test_the_team_page_is_for_owners_and_admins_to_change(platform, session):
    merchant, _owner, _h = await merchant_person(session, "owner")
    _m, _v, viewer = await merchant_person(session, "viewer", merchant=merchant)
    _m, _d, developer = await merchant_person(session, "developer", merchant=merchant)
    async with client(platform.api_url, viewer) as http:
        assert (await http.get("/dashboard/test/team")).status_code == 403
    async with client(platform.api_url, developer) as http:
        assert (await http.get("/dashboard/test/team")).status_code == 403
        r = await http.post("/dashboard/test/team/invitations", data={"email": new_email(), "role": "owner"})
        assert r.status_code == 403
    _m, _a, admin = await merchant_person(session, "admin", merchant=merchant)
    async with client(platform.api_url, admin) as http:
        page = (await http.get("/dashboard/test/team")).text
        assert 'value="owner"' not in page  # an admin cannot make owners
        r = await http.post("/dashboard/test/team/invitations", data={"email": new_email(), "role": "owner"})
        assert r.status_code == 403 and "Only an owner" in r.text


# ---- settings, WhatsApp notices ----------------------------------------------------------------------------------


async def test_settings_and_whatsapp_notices_of_this_merchant_only(platform, session):
    from lightspeedpay.merchants.service import merchant_service
    from lightspeedpay.notifications.service import notification_service

    merchant = await create_merchant(session, whatsapp_phone="919812345678", whatsapp_txn_updates=True)
    other = await create_merchant(session, whatsapp_phone="919811110042")  # not a phone test_whatsapp counts
    for new in (merchant, other):
        client_row, wallet = await merchant_service.account(session, new.client.id)
        await notification_service.queue_low_balance(session, client_row, wallet)
    await session.commit()
    _m, _p, headers = await merchant_person(session, "viewer", merchant=merchant)
    async with client(platform.api_url, headers) as http:
        page = (await http.get("/dashboard/test/settings")).text
        assert merchant.client.company_name in page and "919812345678" in page

        async def sent() -> str | None:
            page = (await http.get("/dashboard/test/whatsapp")).text
            return page if 'badge-ok">Delivered to WhatsApp' in page else None

        page = await wait_for(sent, what="the dues reminder sent")
        assert "Dues reminder" in page and f"{merchant.client.company_name}: your commission dues are" in page
        assert other.client.company_name not in page
        assert (await http.get("/dashboard/test/whatsapp?days=7")).status_code == 200
    _m, _p, developer = await merchant_person(session, "developer", merchant=merchant)
    async with client(platform.api_url, developer) as http:
        assert (await http.get("/dashboard/test/whatsapp")).status_code == 403
        page = await http.get("/dashboard/test/settings")
        assert page.status_code == 200 and "Save profile" not in page.text
        r = await http.post("/dashboard/test/settings/profile", data={"company_name": "Taken Over"})
        assert r.status_code == 403


async def test_owners_change_the_business_profile_and_notices(platform, session):
    merchant = await create_merchant(session, whatsapp_phone="919812345678")
    client_id = merchant.client.id
    _m, owner, headers = await merchant_person(session, "owner", merchant=merchant)
    email = owner.email
    async with client(platform.api_url, headers) as http:
        r = await http.post(
            "/dashboard/test/settings/profile",
            data={
                "company_name": "Asha Handlooms",
                "website": "https://ashahandlooms.in",
                "support_email": "help@ashahandlooms.in",
                "support_phone": "",
            },
        )
        assert r.status_code == 303 and r.headers["location"] == "/dashboard/test/settings?done=profile"
        page = (await http.get(r.headers["location"])).text
        assert "The business profile is saved." in page and 'value="https://ashahandlooms.in"' in page
        assert "Asha Handlooms" in page  # the frame's name too
        r = await http.post(
            "/dashboard/test/settings/notices",
            data={"whatsapp_phone": "+91 98765 43210", "whatsapp_txn_updates": "true"},
            headers={"HX-Request": "true"},
        )
        assert r.status_code == 200 and "Your WhatsApp notices are saved." in r.text
        assert 'value="+919876543210"' in r.text
        assert 'name="whatsapp_dues_reminders" value="true">' in r.text  # unticked: off
        r = await http.post("/dashboard/test/settings/notices", data={"whatsapp_phone": "call me"})
        assert r.status_code == 422 and "whatsapp_phone" in r.text
        r = await http.post("/dashboard/test/settings/profile", data={"company_name": ""})
        assert r.status_code == 422
    await session.rollback()
    from lightspeedpay.models import Client

    row = await session.get(Client, client_id)
    await session.refresh(row)
    assert (row.whatsapp_phone, row.whatsapp_txn_updates, row.whatsapp_dues_reminders) == (
        "+919876543210",
        True,
        False,
    )
    assert row.support_phone is None and row.support_email == "help@ashahandlooms.in"
    assert f"merchant.settings_changed user:{email}" in await audit_actions(session, client_id)


# ---- in a browser ------------------------------------------------------------------------------------------------

PAGES = (
    ("keys", KEYS),
    ("webhooks", HOOKS),
    ("usage", "/dashboard/test/developers/usage"),
    ("checkout", "/dashboard/test/developers/checkout"),
    ("team", "/dashboard/test/team"),
    ("settings", "/dashboard/test/settings"),
    ("whatsapp", "/dashboard/test/whatsapp"),
)


async def _rotate_and_resend(page, platform, session, name: str, endpoint_id: str, language: str) -> None:
    """On the endpoint's page: rotate the secret (shown once, copied), then send a test event the receiver
    answers with 500 and resend it from the log once it shows there."""
    from tests.dashboard import browser

    await page.click('form[action$="/rotate"] button')
    field = page.locator("#secret-value-1")
    await field.wait_for()
    rotated = await field.input_value()
    assert rotated.startswith("whsec_")
    await page.click("button[data-copy=secret-value-1]")
    assert await page.evaluate("navigator.clipboard.readText()") == rotated
    assert await page.get_attribute("button[data-copy=secret-value-1]", "data-copied") == "true"
    assert await browser.axe_violations(page) == []
    await browser.screenshot(page, f"merchant-devs-webhook-rotated-{language}")
    row = await session.get(WebhookEndpoint, uuid.UUID(endpoint_id))
    await session.refresh(row)
    assert crypto.decrypt(row.secret_enc) == rotated

    await configure(
        platform.receiver_url, name, secret=rotated, responses=[{"status": 500, "body": "try later"}]
    )
    seen = await page.eval_on_selector_all(".delivery", "els => els.map(e => e.dataset.attemptId)")
    await page.click('form[action$="/test"] button')
    attempt_id = await _new_attempt(page, "failed", seen)  # the log refreshes itself
    failed = page.locator(f'.delivery[data-attempt-id="{attempt_id}"]')
    await failed.locator("summary").click()
    await failed.locator("details[open]").wait_for()
    await browser.screenshot(page, f"merchant-devs-webhook-failed-{language}")
    await failed.locator('form[action$="/retry"] button').click()
    resent_id = await _new_attempt(page, "succeeded", [*seen, attempt_id])
    found = await wait_for(
        lambda: _attempts_with(session, endpoint_id, 1, trigger="manual", status="succeeded"),
        what="the resent delivery",
    )
    assert resent_id in {str(a.id) for a in found} and all(a.attempt == 2 for a in found)
    assert await browser.axe_violations(page) == []
    await browser.screenshot(page, f"merchant-devs-webhook-resent-{language}")


async def _new_attempt(page, status: str, seen: list[str]) -> str:
    """The id of an attempt with this outcome that the log did not show before, once it shows it."""
    found = await page.wait_for_function(
        """([status, seen]) => {
            const row = [...document.querySelectorAll(`.delivery[data-status="${status}"]`)]
                .find(e => !seen.includes(e.dataset.attemptId));
            return row ? row.dataset.attemptId : null;
        }""",
        arg=[status, seen],
        timeout=30_000,
    )
    return str(await found.json_value())


async def test_the_developer_pages_in_a_browser_in_english_and_hindi(platform, session):
    from lightspeedpay.merchants.service import merchant_service
    from lightspeedpay.notifications.service import notification_service
    from tests.dashboard import browser

    merchant = await create_merchant(
        session,
        whatsapp_phone="919812345678",
        whatsapp_txn_updates=True,
        checkout_origins=["https://shop.example.in", "http://localhost:3000"],
    )
    _m, owner, headers = await merchant_person(session, "owner", merchant=merchant, password=PASSWORD)
    email = owner.email  # the test's session is rolled back on the way: keep what is needed
    await create_person(session, member_of=merchant.client.id, role="developer", email=new_email("dev"))
    client_row, wallet = await merchant_service.account(session, merchant.client.id)
    await notification_service.queue_low_balance(session, client_row, wallet)
    await session.commit()
    name = receiver_name()
    async with client(platform.api_url, headers) as http:
        endpoint_id, secret = await add_endpoint(
            http, platform, name, event_types=["payment.paid", "payment.failed", "refund.processed"]
        )
        await configure(platform.receiver_url, name, secret=secret)
        await http.post(
            "/dashboard/test/team/invitations", data={"email": new_email("accounts"), "role": "finance"}
        )
    async with httpx.AsyncClient(timeout=30) as raw:
        api = merchant_client(platform.api_url, merchant, raw)
        for path in ("/api/v1/wallet", "/api/v1/merchant/webhooks", f"/api/v1/transactions/{uuid.uuid4()}"):
            await api.get(path)

    async with browser.chromium() as chromium:
        console = await browser.logged_in(
            chromium,
            platform.api_url,
            email,
            PASSWORD,
            login_path="/auth/login",
            lands_on="/dashboard/live",
        )
        await console.context.grant_permissions(["clipboard-read", "clipboard-write"])
        for language in ("en", "hi"):
            if language == "hi":
                page = await console.open(KEYS)
                await page.select_option("#pref-language", "hi")
                await page.wait_for_load_state("load")
                await page.close()
            for key, path in PAGES:
                page = await console.open(path)
                assert await page.get_attribute("html", "lang") == language
                assert await browser.axe_violations(page) == [], (key, language)
                await browser.screenshot(page, f"merchant-devs-{key}-{language}")
                await page.close()
            page = await console.open(KEYS)
            await page.check('input[name="grace_period_seconds"][value="3600"]')
            await page.click('form[action$="/regenerate"] button')
            await page.locator("#secret-value-1").wait_for()
            assert await browser.axe_violations(page) == []
            await browser.screenshot(page, f"merchant-devs-keys-regenerated-{language}")
            await page.close()
            page = await console.open(f"{HOOKS}/{endpoint_id}")
            assert await browser.axe_violations(page) == []
            await browser.screenshot(page, f"merchant-devs-webhook-{language}")
            await _rotate_and_resend(page, platform, session, name, endpoint_id, language)
            await page.close()
        console.assert_clean()

        phone = await browser.logged_in(
            chromium,
            platform.api_url,
            email,
            PASSWORD,
            width=375,
            height=800,
            login_path="/auth/login",
            lands_on="/dashboard/live",
        )
        for key, path in (("webhook", f"{HOOKS}/{endpoint_id}"), ("keys", KEYS)):
            page = await phone.open(path)
            assert await page.evaluate("document.documentElement.scrollWidth") <= 375, key
            await browser.screenshot(page, f"merchant-devs-{key}-375px")
        phone.assert_clean()
