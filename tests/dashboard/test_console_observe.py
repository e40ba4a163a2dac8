"""The console's observing pages: alerts (tabs, filters, pages, a new alert arriving live, acknowledged from the
page), system status and workers (live from their streams), and analytics (counts of a range beside the previous
period); each refused to a role without its permission, and each in a real browser in English and Hindi, at
375 px, scanned by axe-core."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from lightspeedpay.alerts.service import alert_service
from lightspeedpay.jobs.unit_of_work import unit_of_work
from lightspeedpay.models import AuditLog
from tests.analytics.support import UNTOUCHED, fold_all
from tests.dashboard import browser
from tests.dashboard.support import PASSWORD, client, operator
from tests.factories import add_transaction, create_merchant, create_sandbox_gateway, wait_for
from tests.people.support import create_person, new_email

PAGES = ("/admin/alerts", "/admin/status", "/admin/workers", "/admin/analytics")


async def _raise(kind: str, key: str | None = None, **fields) -> uuid.UUID:
    """An alert as a rule raises it: in a unit of work, so it reaches the alerts stream after the commit."""
    async with unit_of_work() as s:
        alert = await alert_service.raise_(
            s,
            kind,
            key or f"{kind}:{uuid.uuid4().hex[:8]}",
            title=fields.pop("title", "Test alert from the console tests"),
            message=fields.pop("message", "raised by a test"),
            **fields,
        )
        return alert.id


def _kind() -> str:
    # a kind no rule evaluates: the platform's scheduler leaves these alerts alone
    return f"test.console_{uuid.uuid4().hex[:8]}"


async def test_a_role_without_the_read_permission_gets_the_403_page(platform, session):
    _, finance = await operator(session, "finance")  # no alerts:read, no system:read; analytics:read
    _, support = await operator(session, "support")  # alerts and system read, no analytics
    async with client(platform.api_url, finance) as http:
        for path in ("/admin/alerts", "/admin/status", "/admin/workers"):
            r = await http.get(path)
            assert r.status_code == 403 and "Your role does not allow this" in r.text, path
        assert (await http.get("/admin/analytics")).status_code == 200
    async with client(platform.api_url, support) as http:
        r = await http.get("/admin/analytics")
        assert r.status_code == 403 and "Your role does not allow this" in r.text
        for path in ("/admin/alerts", "/admin/status", "/admin/workers"):
            assert (await http.get(path)).status_code == 200, path


async def test_without_alerts_write_no_acknowledge_button_and_the_action_is_refused(platform, session):
    kind = _kind()
    alert_id = await _raise(kind, severity="critical")
    _, viewer = await operator(session, "viewer")
    _, ops = await operator(session, "operations")
    async with client(platform.api_url, viewer) as http:
        r = await http.get("/admin/alerts", params={"kind": kind})
        assert r.status_code == 200 and f'id="alert-{alert_id}"' in r.text
        assert "Acknowledge or resolve" not in r.text and f"/admin/alerts/{alert_id}/ack" not in r.text
        r = await http.post(
            f"/admin/alerts/{alert_id}/ack", data={"note": "x"}, headers={"HX-Request": "true"}
        )
        assert r.status_code == 403 and r.headers["hx-retarget"] == "#notices"
        # nor may a viewer run a status check
        assert "Check now" not in (await http.get("/admin/status")).text
    async with client(platform.api_url, ops) as http:
        r = await http.get("/admin/alerts", params={"kind": kind})
        assert f'action="/admin/alerts/{alert_id}/ack"' in r.text and ">Acknowledge</button>" in r.text
        assert "Check now" in (await http.get("/admin/status")).text


async def test_tabs_filters_and_keyset_pages(platform, session):
    kind = _kind()
    gateway = await create_sandbox_gateway(session, platform.simulator_url)
    merchant = await create_merchant(session)
    await session.commit()
    critical = await _raise(kind, severity="critical", gateway_id=gateway.id, title="Gateway is down")
    about_merchant = await _raise(kind, severity="info", client_id=merchant.client.id, title="Merchant thing")
    many = [await _raise(kind, severity="warning") for _ in range(26)]
    _, ops = await operator(session, "operations")
    async with client(platform.api_url, ops) as http:

        async def ids(**params) -> list[str]:
            r = await http.get("/admin/alerts", params={"kind": kind, **params})
            assert r.status_code == 200, r.text
            return re.findall(r'data-alert-id="([0-9a-f-]+)"', r.text)

        shown = await ids(severity="critical")
        assert shown == [str(critical)]
        r = await http.get("/admin/alerts", params={"kind": kind, "gateway": str(gateway.id)})
        assert re.findall(r'data-alert-id="([0-9a-f-]+)"', r.text) == [str(critical)]
        assert gateway.name in r.text  # named, not an id
        r = await http.get("/admin/alerts", params={"kind": kind, "merchant": str(merchant.client.id)})
        assert re.findall(r'data-alert-id="([0-9a-f-]+)"', r.text) == [str(about_merchant)]
        assert merchant.client.company_name in r.text
        # 28 open alerts: 25 on the first page, newest first, and a link to the rest
        r = await http.get("/admin/alerts", params={"kind": kind})
        first = re.findall(r'data-alert-id="([0-9a-f-]+)"', r.text)
        assert len(first) == 25 and first[0] == str(many[-1])
        cursor = re.search(r'href="\?([^"]*cursor=[^"]+)" rel="next"', r.text).group(1).replace("&amp;", "&")
        r = await http.get("/admin/alerts?" + cursor)
        second = re.findall(r'data-alert-id="([0-9a-f-]+)"', r.text)
        assert len(second) == 3 and not set(first) & set(second)
        assert set(first + second) == {str(a) for a in [critical, about_merchant, *many]}
        # acknowledged without JavaScript (a plain form post): it leaves the open tab for the acknowledged one
        r = await http.post(
            f"/admin/alerts/{critical}/ack",
            data={"csrf_token": ops["X-CSRF-Token"], "note": "on it", "next": f"/admin/alerts?kind={kind}"},
        )
        assert r.status_code == 303 and r.headers["location"] == f"/admin/alerts?kind={kind}"
        assert str(critical) not in await ids(cursor=None)
        assert await ids(status="acknowledged") == [str(critical)]
        assert await ids(status="resolved") == []
        # a malformed id in a filter is a page saying which field
        r = await http.get("/admin/alerts", params={"merchant": "not-a-uuid"})
        assert r.status_code == 422 and "merchant" in r.text


async def test_a_new_alert_appears_live_and_is_acknowledged_from_the_page(platform, session):
    email = new_email("ops")
    user = await create_person(session, operator_role="operations", password=PASSWORD, email=email)
    kind = _kind()
    key = f"{kind}:live"
    async with browser.chromium() as chromium:
        console = await browser.logged_in(chromium, platform.api_url, email, PASSWORD)
        page = await console.open(f"/admin/alerts?kind={kind}")
        await page.wait_for_function(
            "() => { const el = document.querySelector('[sse-connect]');"
            " const d = el && el['htmx-internal-data']; return d && d.sseEventSource"
            " && d.sseEventSource.readyState === 1; }"
        )
        await page.evaluate("window.lspNoReload = true")
        assert await page.locator("[data-alert-id]").count() == 0
        # the stream is open; a raise published before the hub subscribed would be missed, so raise again (the
        # same condition: one alert, seen again) until the page shows it
        alert_id = None
        for _ in range(5):
            alert_id = await _raise(kind, key, severity="critical", title="PSP razorpay_1 is down")
            try:
                await page.wait_for_selector(f"#alert-{alert_id}", timeout=4000)
                break
            except Exception:  # noqa: BLE001 - not yet: raise it again
                continue
        row = page.locator(f"#alert-{alert_id}")
        await row.wait_for()
        assert await page.evaluate("window.lspNoReload") is True  # arrived without a reload
        await browser.screenshot(page, "alerts-en")
        assert await browser.axe_violations(page) == []

        await page.wait_for_timeout(2500)  # past the throttle of the refreshes the raises above asked for
        await row.get_by_text("Acknowledge or resolve").click()
        await row.get_by_label("Note (optional)").fill("looking at the PSP")
        await row.get_by_role("button", name="Acknowledge", exact=True).click()
        # the answer says so in the notices; the row turns acknowledged, and the live refresh (the acknowledgement
        # is an alert event too) takes it off the open tab
        await page.get_by_role("status").get_by_text("Alert acknowledged: PSP razorpay_1 is down").wait_for()

        # the JSON API sees the same alert acknowledged, by this person, with the note; and the audit row
        cookies = {c["name"]: c["value"] for c in await console.context.cookies()}
        async with client(platform.api_url, {"Cookie": f"lsp_session={cookies['lsp_session']}"}) as http:
            shown = (await http.get(f"/api/v1/admin/alerts/{alert_id}")).json()
        assert shown["status"] == "acknowledged"
        assert (shown["acknowledged_by"], shown["acknowledged_note"]) == (
            f"user:{email}",
            "looking at the PSP",
        )
        audit = (await session.scalars(select(AuditLog).where(AuditLog.target_id == str(alert_id)))).all()
        assert [a.action for a in audit] == ["alert.acknowledged"] and audit[0].actor == f"user:{user.email}"

        # the live refresh took it off the open tab
        await page.wait_for_selector(f"#alert-{alert_id}", state="detached", timeout=10_000)
        page = await console.open(f"/admin/alerts?kind={kind}&status=acknowledged")
        await page.select_option("#pref-language", "hi")
        await page.wait_for_selector("html[lang=hi]")
        page = await console.open(
            f"/admin/alerts?kind={kind}&status=acknowledged"
        )  # the switch kept no query
        await page.wait_for_selector(f"#alert-{alert_id}")
        await browser.screenshot(page, "alerts-hi")
        assert await browser.axe_violations(page) == []
        await page.set_viewport_size({"width": 375, "height": 800})
        await browser.screenshot(page, "alerts-hi-375")
        assert await page.evaluate("document.documentElement.scrollWidth") <= 375
        console.assert_clean()


def _ist(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of March 2026 given in IST, as UTC."""
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC) - timedelta(hours=5, minutes=30)


async def _seed_payments(session, platform):
    m = await create_merchant(session)
    gw = await create_sandbox_gateway(session, platform.simulator_url)
    for at, amount, status, code in (
        (_ist(10, 9), 10_000, "authorized", None),  # this period: 10 and 11 March (IST)
        (_ist(11, 23, 59), 30_000, "authorized", None),
        (_ist(11, 12), 5_000, "failed", "BAD_VPA"),
        (_ist(9, 10), 20_000, "authorized", None),  # the previous period: 8 and 9 March
        (_ist(8, 0, 1), 7_000, "expired", "PAYMENT_EXPIRED"),
        (_ist(12, 0), 99_000, "authorized", None),  # after the range
        (_ist(7, 23, 59), 99_000, "authorized", None),  # before the previous period
    ):
        add_transaction(
            session,
            m.client.id,
            gw,
            amount=amount,
            status=status,
            error_code=code,
            created_at=at,
            updated_at=UNTOUCHED,
        )
    await session.commit()
    await fold_all()
    return m, gw


ANALYTICS_RANGE = (
    "/admin/analytics?range=custom&from=2026-03-10T00:00&to=2026-03-12T00:00&bucket=1d&group=gateway"
)


async def test_analytics_counts_a_custom_range_in_ist_beside_the_previous_period(platform, session):
    _, gw = await _seed_payments(session, platform)
    _, finance = await operator(session, "finance")
    async with client(platform.api_url, finance) as http:
        r = await http.get(ANALYTICS_RANGE)
        assert r.status_code == 200, r.text
        tiles = dict(re.findall(r'data-figure="(\w+)">.*?class="tile-value">([^<]*)<', r.text, re.S))
        assert tiles["count"] == "3" and tiles["failed"] == "1"
        assert tiles["volume"] == "₹400.00" and tiles["success_rate"] == "66.7%"
        assert "previous: 2" in r.text and "previous: ₹200.00" in r.text
        assert "▲ 50.0%" in r.text  # three payments against two
        row = re.search(rf'data-group="{gw.id}">(.*?)</tr>', r.text, re.S).group(1)
        assert re.search(r"data-count>3<", row) and re.search(r"data-previous-count>2<", row)
        assert "BAD_VPA" in r.text
        # the chart carries both periods, a bucket a day
        spec = (
            re.search(r"data-chart='([^']+)'", r.text).group(1).replace("&#34;", '"').replace("&quot;", '"')
        )
        assert '"data":[[' in spec and "[1,2]" in spec and "[1,1]" in spec
        # a bad question keeps the form and says why
        r = await http.get("/admin/analytics?range=custom&from=")
        assert r.status_code == 200 and 'role="alert"' in r.text and 'name="from"' in r.text
        r = await http.get("/admin/analytics?merchant=nope")
        assert 'role="alert"' in r.text and "merchant_id" in r.text


async def test_status_workers_and_analytics_in_a_browser_in_english_and_hindi(platform, session):
    await _seed_payments(session, platform)
    email = new_email("owner")
    await create_person(session, operator_role="owner", password=PASSWORD, email=email)
    async with browser.chromium() as chromium:
        console = await browser.logged_in(chromium, platform.api_url, email, PASSWORD)
        page = await console.open("/admin/status")
        await page.get_by_role("button", name="Check now").click()
        await page.wait_for_selector("#status-live tr[data-component=redis]", timeout=30_000)
        # its state as this check saw it (on a busy machine a slow answer reads as degraded)
        assert await page.locator("#status-live tr[data-component=postgresql] .badge").count() == 1
        await browser.screenshot(page, "status-en")
        assert await browser.axe_violations(page) == []

        page = await console.open("/admin/workers")
        # the platform's worker beats every 2 s: its row is there, alive
        await page.wait_for_selector("tr[data-worker] .badge-ok", timeout=15_000)
        await browser.screenshot(page, "workers-en")
        assert await browser.axe_violations(page) == []

        page = await console.open(ANALYTICS_RANGE)
        await page.wait_for_selector(".chart canvas")
        await browser.screenshot(page, "analytics-en")
        assert await browser.axe_violations(page) == []

        await page.select_option("#pref-language", "hi")
        await page.wait_for_selector("html[lang=hi]")
        for path, name in (
            (ANALYTICS_RANGE, "analytics"),
            ("/admin/status", "status"),
            ("/admin/workers", "workers"),
        ):
            page = await console.open(path)
            if name == "analytics":
                await page.wait_for_selector(".chart canvas")
            await browser.screenshot(page, f"{name}-hi")
            assert await browser.axe_violations(page) == [], name
            await page.set_viewport_size({"width": 375, "height": 800})
            await page.wait_for_timeout(200)
            await browser.screenshot(page, f"{name}-hi-375")
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, (name, width)
        console.assert_clean()


async def test_status_page_follows_the_status_stream(platform, session):
    """A check recorded elsewhere (the scheduler's, or the API's) reaches an open status page without a reload."""
    _, ops = await operator(session, "operations")
    email = new_email("viewer")
    await create_person(session, operator_role="viewer", password=PASSWORD, email=email)
    async with browser.chromium() as chromium:
        console = await browser.logged_in(chromium, platform.api_url, email, PASSWORD)
        page = await console.open("/admin/status")
        await page.wait_for_function(
            "() => { const el = document.querySelector('[sse-connect]');"
            " const d = el && el['htmx-internal-data']; return d && d.sseEventSource"
            " && d.sseEventSource.readyState === 1; }"
        )
        before = await page.locator("#status-live").inner_text()

        async def checked() -> bool:
            async with client(platform.api_url, ops) as http:
                r = await http.post(
                    "/api/v1/system/status/check", headers={"X-CSRF-Token": ops["X-CSRF-Token"]}
                )
                assert r.status_code == 200, r.text
            try:
                await page.wait_for_function(
                    "b => document.querySelector('#status-live').innerText !== b", arg=before, timeout=4000
                )
                return True
            except Exception:  # noqa: BLE001 - not yet
                return False

        await wait_for(checked, timeout=30, what="the status page to show a new check")
        assert await page.locator("#status-live tr[data-component=redis]").count() == 1
        console.assert_clean()
