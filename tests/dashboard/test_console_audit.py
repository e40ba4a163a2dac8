"""The console's audit log: each filter (actor, action, target, merchant, time in the person's zone) shows
exactly the matching entries, an entry opens to its before/after diff with the changed keys marked, the CSV of a
filter parses and holds the same rows; per role; and the page in a browser (English, Hindi, 375 px, axe)."""

from __future__ import annotations

import csv
import io
import re
import secrets
import uuid
from datetime import UTC, datetime, timedelta

from lightspeedpay.models import AuditLog
from tests.dashboard import browser
from tests.dashboard.support import PASSWORD, client, operator
from tests.factories import create_merchant
from tests.people.support import create_person, new_email


def _ids(html: str) -> set[str]:
    return set(re.findall(r'data-audit-id="([^"]+)"', html))


async def _entries(session, merchant_id) -> tuple[str, dict[str, AuditLog]]:
    """Five entries of a namespace of their own, an hour apart (newest first): a gateway change by one person,
    two ledger changes of one merchant, a settlement by the platform, a login by another person."""
    ns = f"t{secrets.token_hex(3)}"
    now = datetime.now(UTC).replace(microsecond=0)
    made = {
        "gateway": dict(
            actor=f"user:{ns}-ops@example.in",
            action=f"{ns}gateway.updated",
            target_type="gateway",
            target_id=str(uuid.uuid4()),
            before={"is_active": True, "priority": 3, "name": "Razorpay A"},
            after={"is_active": False, "priority": 3, "name": "Razorpay A"},
            reason="PSP outage",
            ip="10.1.2.3",
            request_id=f"req-{ns}-1",
        ),
        "adjustment": dict(
            actor=f"user:{ns}-fin@example.in",
            action=f"{ns}ledger.adjustment_recorded",
            client_id=merchant_id,
            target_type="ledger_posting",
            target_id=str(uuid.uuid4()),
            before={"balance_due": 1000},
            after={"balance_due": 500},
            reason="goodwill",
        ),
        "payout": dict(
            actor=f"user:{ns}-fin@example.in",
            action=f"{ns}ledger.payout_recorded",
            client_id=merchant_id,
            target_type="ledger_posting",
            target_id=str(uuid.uuid4()),
            before={"balance_due": 500},
            after={"balance_due": 0},
        ),
        "settlement": dict(
            actor=f"{ns}settlement", action=f"{ns}settlement.completed", target_type="settlement"
        ),
        "login": dict(actor=f"user:{ns}-ops@example.in", action=f"{ns}user.logged_in", target_type="user"),
    }
    rows = {}
    for i, (name, fields) in enumerate(made.items()):
        row = AuditLog(id=uuid.uuid4(), created_at=now - timedelta(hours=i), **fields)
        session.add(row)
        rows[name] = row
    await session.commit()
    return ns, {name: str(row.id) for name, row in rows.items()}


async def test_filters_show_exactly_the_matching_entries_and_the_csv_matches(platform, session):
    _, headers = await operator(session, "finance")
    merchant = await create_merchant(session)
    merchant_id = merchant.client.id
    ns, ids = await _entries(session, merchant_id)
    everything = set(ids.values())
    cases = [
        ({"action": f"{ns}*"}, everything),
        ({"action": f"{ns}ledger."}, {ids["adjustment"], ids["payout"]}),
        ({"action": f"{ns}gateway.updated"}, {ids["gateway"]}),
        ({"actor": f"user:{ns}-ops@example.in"}, {ids["gateway"], ids["login"]}),
        ({"action": f"{ns}*", "target_type": "ledger_posting"}, {ids["adjustment"], ids["payout"]}),
        ({"action": f"{ns}*", "merchant_id": str(merchant_id)}, {ids["adjustment"], ids["payout"]}),
        ({"action": f"{ns}*", "request_id": f"req-{ns}-1"}, {ids["gateway"]}),
    ]
    async with client(platform.api_url, headers) as http:
        gateway_target = (await http.get("/admin/audit", params={"action": f"{ns}gateway.updated"})).text
        target_id = re.search(r'gateway <span class="mono">([^<]+)</span>', gateway_target).group(1)
        cases.append(({"target_type": "gateway", "target_id": target_id}, {ids["gateway"]}))
        # a time range in the person's zone (IST): from 2.5 hours ago to 30 minutes ago holds the 2nd and 3rd
        ist = datetime.now(UTC) + timedelta(hours=5, minutes=30)
        window = {
            "action": f"{ns}*",
            "from": (ist - timedelta(hours=2, minutes=30)).strftime("%Y-%m-%dT%H:%M"),
            "to": (ist - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M"),
        }
        cases.append((window, {ids["adjustment"], ids["payout"]}))
        for params, expected in cases:
            r = await http.get("/admin/audit", params=params)
            assert r.status_code == 200, (params, r.text[:300])
            assert _ids(r.text) == expected, params
            r = await http.get("/admin/audit.csv", params=params)
            assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
            rows = list(csv.DictReader(io.StringIO(r.text)))
            assert {row["id"] for row in rows} == expected, params
            assert all(row["action"].startswith(ns) for row in rows)

        # an entry shows its diff: the changed key marked on both sides, the unchanged ones not
        r = await http.get("/admin/audit", params={"action": f"{ns}gateway.updated"})
        entry = re.search(r'<li class="audit-entry".*?</li>', r.text, re.S).group(0)
        changed = re.findall(r'<tr class="diff-changed">\s*<th scope="row"><code>(\w+)</code>', entry)
        assert changed == ["is_active"]
        assert '<td class="diff-before">true</td>' in entry and '<td class="diff-after">false</td>' in entry
        assert "PSP outage" in entry and "10.1.2.3" in entry and f"req-{ns}-1" in entry

        # a malformed filter is refused in words, with the API's own rule
        r = await http.get("/admin/audit", params={"actor": "not a prefix*x"})
        assert r.status_code == 422 and "takes `*` only at its end" in r.text


async def test_audit_is_for_roles_that_may_read_it(platform, session):
    for role, status in (("finance", 200), ("admin", 200), ("viewer", 403), ("support", 403)):
        _, headers = await operator(session, role)
        async with client(platform.api_url, headers) as http:
            r = await http.get("/admin/audit")
            assert r.status_code == status, role
            r = await http.get("/admin/audit.csv")
            assert r.status_code == status, role
            nav = re.search(
                r'<nav class="sidenav".*?</nav>', (await http.get("/admin/commission")).text, re.S
            )
            if nav is not None:
                assert ('href="/admin/audit"' in nav.group(0)) is (status == 200), role


async def test_audit_page_in_a_browser_in_english_and_hindi_at_375_px(platform, session):
    email = new_email("owner")
    await create_person(session, operator_role="owner", password=PASSWORD, email=email)
    merchant = await create_merchant(session)
    ns, ids = await _entries(session, merchant.client.id)
    async with browser.chromium() as chromium:
        console = await browser.logged_in(chromium, platform.api_url, email, PASSWORD)
        page = await console.open(f"/admin/audit?action={ns}*")
        await page.click(f'[data-audit-id="{ids["gateway"]}"] summary')
        await page.wait_for_selector(f'[data-audit-id="{ids["gateway"]}"] .diff-after')
        await browser.screenshot(page, "audit-en")
        assert await browser.axe_violations(page) == []
        await page.select_option("#pref-language", "hi")
        await page.wait_for_selector("html[lang=hi]")
        await page.click(f'[data-audit-id="{ids["adjustment"]}"] summary')
        await browser.screenshot(page, "audit-hi")
        assert await browser.axe_violations(page) == []
        await page.set_viewport_size({"width": 375, "height": 800})
        await browser.screenshot(page, "audit-hi-375")
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, width
        assert await browser.axe_violations(page) == []
        console.assert_clean()


async def test_pages_follow_the_keyset_cursor_to_the_end(platform, session):
    _, headers = await operator(session, "admin")
    ns = f"p{secrets.token_hex(3)}"
    now = datetime.now(UTC)
    made = {str(uuid.uuid4()) for _ in range(57)}
    for i, row_id in enumerate(sorted(made)):
        # some share a moment: the id breaks the tie, nothing is shown twice or skipped
        session.add(
            AuditLog(
                id=uuid.UUID(row_id),
                actor="test",
                action=f"{ns}.x",
                created_at=now - timedelta(seconds=i // 3),
            )
        )
    await session.commit()
    seen: list[str] = []
    async with client(platform.api_url, headers) as http:
        url = f"/admin/audit?action={ns}."
        while url:
            r = await http.get(url)
            seen.extend(re.findall(r'data-audit-id="([^"]+)"', r.text))
            older = re.search(r'<a class="btn" href="(\?[^"]+)">Older</a>', r.text)
            url = "/admin/audit" + older.group(1).replace("&amp;", "&") if older else ""
    assert len(seen) == 57 and set(seen) == made
