"""The operator console's Gateways and Queues pages: what each role sees and may do over HTTP, and in a real
browser a gateway switched off (the API and a real payment's routing honour it) and on again, a paused queue whose
waiting count rises live as payments arrive, screenshots in English and Hindi and at 375 px, and axe scans."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime

from sqlalchemy import select

from lightspeedpay.jobs import queues
from lightspeedpay.models import AuditLog, JobIntent, Transaction
from tests.dashboard import browser
from tests.dashboard.support import PASSWORD, client, operator
from tests.factories import create_sandbox_gateway, wait_for
from tests.paying import open_shop, wait_status
from tests.people.support import create_person, new_email

TP = queues.TRANSACTION_PROCESSING


async def test_each_role_sees_what_it_may_do_and_a_role_without_the_permission_gets_the_403_page(
    platform, session
):
    gateway = await create_sandbox_gateway(session, platform.simulator_url, name="sbx_roles")
    _, owner = await operator(session, "owner")
    _, viewer = await operator(session, "viewer")
    _, support = await operator(session, "support")
    _, finance = await operator(session, "finance")
    async with client(platform.api_url, owner) as http:
        r = await http.get("/admin/gateways")
        assert r.status_code == 200 and "sbx_roles" in r.text
        assert 'role="switch"' in r.text and "Add a gateway" in r.text and "Test connection" in r.text
        r = await http.get("/admin/queues")
        assert r.status_code == 200 and f'id="queue-live-{TP}"' in r.text
        assert f'action="/admin/queues/{TP}/pause"' in r.text and "Drain" in r.text
        # the live parts answer too
        r = await http.get("/admin/queues/live", headers={"HX-Request": "true"})
        assert r.status_code == 200 and r.text.count('hx-swap-oob="true"') == len(queues.QUEUE_NAMES)
        r = await http.get("/admin/gateways/live", headers={"HX-Request": "true"})
        assert r.status_code == 200 and f'id="gw-{gateway.id}"' in r.text
    async with client(platform.api_url, viewer) as http:
        r = await http.get("/admin/gateways")
        assert r.status_code == 200 and "sbx_roles" in r.text
        assert (
            'role="switch"' not in r.text
            and "Add a gateway" not in r.text
            and "Test connection" not in r.text
        )
        assert "/retire" not in r.text and "/priority" not in r.text
        r = await http.get("/admin/queues")
        assert r.status_code == 200 and f'id="queue-live-{TP}"' in r.text
        assert "/pause" not in r.text and "/drain" not in r.text and "/retry" not in r.text
        # and the actions themselves refuse, as pages (or a notice for htmx)
        r = await http.post(
            f"/admin/gateways/{gateway.id}/active", data={"csrf_token": viewer["X-CSRF-Token"]}
        )
        assert r.status_code == 403 and "Your role does not allow this" in r.text
        r = await http.post(f"/admin/queues/{TP}/pause", headers={"HX-Request": "true"})
        assert r.status_code == 403 and r.headers["hx-retarget"] == "#notices"
        r = await http.get(f"/admin/gateways/{gateway.id}/edit")
        assert r.status_code == 403
    async with client(platform.api_url, support) as http:
        r = await http.get("/admin/gateways")
        assert r.status_code == 403 and "Your role does not allow this" in r.text and "<nav" in r.text
        r = await http.get("/admin/queues")  # support reads queues, without the controls
        assert r.status_code == 200 and "/pause" not in r.text
    async with client(platform.api_url, finance) as http:
        for path in ("/admin/gateways", "/admin/queues", f"/admin/queues/{TP}/drain"):
            r = await http.get(path)
            assert r.status_code == 403, path
    assert not await queues.queue(TP).isPaused()


async def test_add_and_edit_a_gateway_with_masked_credentials_that_an_empty_field_keeps(platform, session):
    _, owner = await operator(session, "owner")
    csrf = owner["X-CSRF-Token"]
    secret = "sk_" + uuid.uuid4().hex
    async with client(platform.api_url, owner) as http:
        r = await http.get("/admin/gateways/new?provider=razorpay")
        assert r.status_code == 200 and 'name="credential_key_secret"' in r.text
        form = {
            "csrf_token": csrf,
            "provider": "razorpay",
            "name": "rzp_console",
            "base_url": "https://api.razorpay.example",
            "monthly_limit": "5,00,000",
            "priority": "3",
            "is_active": "true",
            "credential_key_id": "rzp_live_ABCDEFGH1234",
            "credential_key_secret": secret,
            "credential_webhook_secret": "whsec_" + uuid.uuid4().hex,
        }
        # a refusal draws the form again with the message, and never the secrets
        r = await http.post("/admin/gateways", data={**form, "base_url": "not a url"})
        assert r.status_code == 422 and "base_url" in r.text and secret not in r.text
        assert 'value="rzp_console"' in r.text
        r = await http.post("/admin/gateways", data=form)
        assert r.status_code == 303, r.text
        listed = (await http.get("/api/v1/admin/gateways")).json()["items"]
        gw = next(g for g in listed if g["name"] == "rzp_console")
        assert gw["monthly_limit"] == 500_000_00 and gw["priority"] == 3 and gw["is_active"] is True

        r = await http.get(f"/admin/gateways/{gw['id']}/edit")
        assert r.status_code == 200
        assert secret not in r.text and "ABCDEFGH1234" not in r.text
        assert "••••1234" in r.text and "••••" + secret[-4:] in r.text
        # a new name and key id; the empty secrets are kept
        r = await http.post(
            f"/admin/gateways/{gw['id']}",
            data={
                "csrf_token": csrf,
                "name": "rzp_console_2",
                "base_url": "https://api.razorpay.example",
                "monthly_limit": "500000",
                "priority": "3",
                "credential_key_id": "rzp_live_ZYXWVUTS9876",
                "credential_key_secret": "",
                "credential_webhook_secret": "",
            },
        )
        assert r.status_code == 303, r.text
        r = await http.get(f"/admin/gateways/{gw['id']}/edit")
        assert "rzp_console_2" in r.text and "••••9876" in r.text and "••••" + secret[-4:] in r.text
    rows = (
        await session.scalars(
            select(AuditLog).where(AuditLog.target_id == gw["id"]).order_by(AuditLog.created_at)
        )
    ).all()
    assert [a.action for a in rows] == ["gateway.created", "gateway.updated"]
    assert rows[1].after["name"] == "rzp_console_2" and rows[1].after["credentials"] == "(replaced)"
    assert secret not in str(rows[1].after) + str(rows[1].before)


async def test_a_failed_job_is_shown_with_its_detail_and_retried_or_discarded_with_a_reason(
    platform, session
):
    _, owner = await operator(session, "owner")
    intents = [
        JobIntent(
            id=uuid.uuid4(),
            queue=queues.EMAIL_NOTIFICATIONS,
            name="email.send",
            payload={
                "email_id": str(uuid.uuid4()),
                "note": "console test",
            },  # no such email: a no-op when run
            status="failed",
            attempts=5,
            last_error="RuntimeError: SMTP said no",
            run_after=datetime.now(UTC),
        )
        for _ in range(2)
    ]
    session.add_all(intents)
    await session.commit()
    a, b = (str(i.id) for i in intents)
    async with client(platform.api_url, owner) as http:
        r = await http.get("/admin/queues?status=failed")
        assert r.status_code == 200 and f'id="intent-{a}"' in r.text and "SMTP said no" in r.text
        r = await http.get(f"/admin/queues/jobs/{a}")
        assert r.status_code == 200 and "SMTP said no" in r.text and "console test" in r.text
        r = await http.post(
            f"/admin/queues/jobs/{a}/discard", headers={"HX-Request": "true"}, data={"reason": ""}
        )
        assert r.status_code == 400  # a reason is asked
        r = await http.post(
            f"/admin/queues/jobs/{a}/discard", headers={"HX-Request": "true"}, data={"reason": "not needed"}
        )
        assert r.status_code == 200 and f'id="intent-{a}"' in r.text and "Discarded" in r.text
        r = await http.post(
            f"/admin/queues/jobs/{b}/retry", headers={"HX-Request": "true"}, data={"reason": "PSP fixed"}
        )
        assert r.status_code == 200 and ("Pending" in r.text or "Completed" in r.text)
    await session.rollback()
    found = {
        str(i.id): i
        for i in (
            await session.scalars(
                select(JobIntent)
                .where(JobIntent.id.in_([uuid.UUID(a), uuid.UUID(b)]))
                .execution_options(populate_existing=True)
            )
        ).all()
    }
    assert found[a].status == "discarded" and found[a].discarded_reason == "not needed"
    assert found[b].status in ("pending", "completed")  # queued again; the worker finds no email and is done


async def test_gateways_page_in_a_browser_toggle_off_and_on_with_routing_honouring_it(platform, session):
    email = new_email("owner")
    await create_person(session, operator_role="owner", password=PASSWORD, email=email)
    _, api = await operator(session, "owner")
    async with open_shop(platform, session) as shop:
        # open_shop's gateway and a better one (tried first): switched off, it must not take a payment
        best_id = (
            await create_sandbox_gateway(session, platform.simulator_url, name="sbx_best", priority=50)
        ).id
        async with browser.chromium() as chromium, client(platform.api_url, api) as http:
            console = await browser.logged_in(chromium, platform.api_url, email, PASSWORD)
            page = await console.open("/admin/gateways")
            switch = page.get_by_role("switch", name="sbx_best takes payments")
            assert await switch.is_checked()
            await browser.screenshot(page, "gateways-en")
            assert await browser.axe_violations(page) == []

            async with page.expect_response(lambda r: r.url.endswith(f"/{best_id}/active")) as answered:
                await switch.click()
            assert (await answered.value).status == 200
            await page.wait_for_selector(f"#gw-{best_id} input[role=switch]:not(:checked)")
            r = await http.get(f"/api/v1/admin/gateways/{best_id}")
            assert r.status_code == 200 and r.json()["is_active"] is False
            used = set()
            for _ in range(4):
                r = await shop.native.pay(amount=10_000)
                assert r.status_code == 201, r.text
                used.add(r.json()["transaction_id"])
            await session.rollback()
            routed = set(
                (await session.scalars(select(Transaction.gateway_id).where(Transaction.id.in_(used)))).all()
            )
            assert routed and best_id not in routed

            async with page.expect_response(lambda r: r.url.endswith(f"/{best_id}/active")) as answered:
                await page.get_by_role("switch", name="sbx_best takes payments").click()
            assert (await answered.value).status == 200
            await page.wait_for_selector(f"#gw-{best_id} input[role=switch]:checked")
            r = await http.get(f"/api/v1/admin/gateways/{best_id}")
            assert r.json()["is_active"] is True
            again = set()
            for _ in range(4):
                r = await shop.native.pay(amount=10_000)
                assert r.status_code == 201, r.text
                again.add(r.json()["transaction_id"])
            await session.rollback()
            routed = set(
                (await session.scalars(select(Transaction.gateway_id).where(Transaction.id.in_(again)))).all()
            )
            assert (
                best_id in routed
            )  # the best gateway is tried first again (exploration sends some elsewhere)

            # test connection answers in place
            await page.locator(f"#gw-{best_id}").get_by_role("button", name="Test connection").click()
            await page.wait_for_selector(f"#test-{best_id} .badge-ok")

            await page.select_option("#pref-language", "hi")
            await page.wait_for_selector("html[lang=hi]")
            await browser.screenshot(page, "gateways-hi")
            assert await browser.axe_violations(page) == []
            await page.set_viewport_size({"width": 375, "height": 800})
            await browser.screenshot(page, "gateways-hi-375")
            assert await page.evaluate("document.documentElement.scrollWidth") <= 375
            console.assert_clean()
    actions = (
        await session.scalars(
            select(AuditLog.action).where(AuditLog.target_id == str(best_id)).order_by(AuditLog.created_at)
        )
    ).all()
    assert list(actions) == ["gateway.disabled", "gateway.enabled"]


async def _waiting(page) -> int:
    text = await page.locator(f"#queue-live-{TP} [data-count=waiting]").inner_text()
    return int(re.sub(r"\D", "", text) or "0")


async def test_queues_page_in_a_browser_pause_watch_the_backlog_rise_live_and_resume(platform, session):
    email = new_email("owner")
    await create_person(session, operator_role="owner", password=PASSWORD, email=email)
    async with open_shop(platform, session) as shop, browser.chromium() as chromium:
        console = await browser.logged_in(chromium, platform.api_url, email, PASSWORD)
        page = await console.open("/admin/queues")
        await page.wait_for_selector(".chart canvas")
        page.on("dialog", lambda d: asyncio.ensure_future(d.accept()))  # hx-confirm
        try:
            await page.locator(f"#queue-live-{TP}").get_by_role("button", name="Pause").click()
            await page.wait_for_selector(f"#queue-live-{TP} .badge-warn")
            assert await queues.queue(TP).isPaused()
            before = await _waiting(page)
            points = await page.evaluate("() => document.querySelectorAll('.chart').length")
            assert points == len(queues.QUEUE_NAMES)
            txns = []
            for _ in range(3):
                r = await shop.native.pay(amount=10_000)
                assert r.status_code == 201, r.text
                txns.append(r.json()["transaction_id"])
            # no reload: the stream's samples (every 5 s) bring the count
            await page.wait_for_function(
                f"() => Number(document.querySelector('#queue-live-{TP} [data-count=waiting]')"
                f".textContent.replace(/\\D/g, '')) >= {before + 3}",
                timeout=20_000,
            )
            await browser.screenshot(page, "queues-en")
            assert await browser.axe_violations(page) == []

            await page.locator(f"#queue-live-{TP}").get_by_role("button", name="Resume").click()
            await page.wait_for_selector(f"#queue-live-{TP} .badge-ok")
            assert not await queues.queue(TP).isPaused()

            async def drained() -> bool:
                return await _waiting(page) == 0 or None

            await wait_for(drained, timeout=20, what="the backlog to be worked off, shown live")

            await page.select_option("#pref-language", "hi")
            await page.wait_for_selector("html[lang=hi]")
            await page.wait_for_selector(".chart canvas")
            await browser.screenshot(page, "queues-hi")
            assert await browser.axe_violations(page) == []
            await page.set_viewport_size({"width": 375, "height": 800})
            await browser.screenshot(page, "queues-hi-375")
            assert await page.evaluate("document.documentElement.scrollWidth") <= 375

            # the drain preview lists what it would park (nothing now), and a job page opens
            drain = await console.open(f"/admin/queues/{TP}/drain")
            assert await browser.axe_violations(drain) == []
            job = await console.open(f"/admin/queues/jobs/{await _intent_id(session, txns[0])}")
            await job.wait_for_selector("h1 .job-id")
            assert await browser.axe_violations(job) == []
            console.assert_clean()
        finally:
            await queues.queue(TP).resume()
    pauses = (
        await session.scalars(select(AuditLog).where(AuditLog.action.in_(("queue.paused", "queue.resumed"))))
    ).all()
    assert sorted(a.action for a in pauses) == ["queue.paused", "queue.resumed"]
    assert all(a.actor == f"user:{email}" for a in pauses)


async def _intent_id(session, txn_id: str) -> str:
    await session.rollback()
    rows = (await session.scalars(select(JobIntent).where(JobIntent.queue == TP))).all()
    return str(next(i.id for i in rows if i.payload.get("transaction_id") == txn_id))


async def test_drain_shows_the_intents_it_would_park_then_parks_them_and_unpark_brings_them_back(
    platform, session
):
    _, owner = await operator(session, "owner")
    csrf = owner["X-CSRF-Token"]
    async with open_shop(platform, session) as shop, client(platform.api_url, owner) as http:
        try:
            r = await http.post(f"/admin/queues/{TP}/pause", data={"csrf_token": csrf})
            assert r.status_code == 303
            txns = []
            for _ in range(2):
                r = await shop.native.pay(amount=10_000)
                assert r.status_code == 201, r.text
                txns.append(r.json()["transaction_id"])
            held = [await _intent_id(session, t) for t in txns]

            r = await http.get(f"/admin/queues/{TP}/drain")
            assert r.status_code == 200 and "2 jobs are waiting in Redis." in r.text
            assert all(i in r.text for i in held)
            r = await http.post(f"/admin/queues/{TP}/drain", data={"csrf_token": csrf, "reason": "stuck"})
            assert r.status_code == 200 and "2 intents parked" in r.text
            r = await http.get("/admin/queues?status=parked")
            assert all(f'id="intent-{i}"' in r.text for i in held) and "stuck" in r.text

            r = await http.post(f"/admin/queues/{TP}/resume", data={"csrf_token": csrf})
            r = await http.post(
                f"/admin/queues/{TP}/unpark", data={"csrf_token": csrf}, headers={"HX-Request": "true"}
            )
            assert r.status_code == 200 and "2 parked intents" in r.text
        finally:
            await queues.queue(TP).resume()
        for t in txns:
            await wait_status(shop.native, t, "pending")  # processed once unparked: the PSP order exists
    await session.rollback()
    rows = (await session.scalars(select(JobIntent).where(JobIntent.queue == TP))).all()
    assert {str(i.id) for i in rows if i.status == "completed"} >= set(held)
