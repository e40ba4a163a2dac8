"""Issue 9, queues: the operator's control plane over the real platform (api, worker, scheduler, PSP simulator).
A paused queue holds payments `created` (the sweeper does not push them again) and resuming completes them; a
drain parks the intents and loses nothing; unpark, retry and discard bring failed or parked work back or give it
up visibly; every action is audited; bad input gets a coded 4xx."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import func, select

from lightspeedpay import schedule
from lightspeedpay.config import get_settings
from lightspeedpay.jobs import outbox, queues
from lightspeedpay.jobs.scheduler import Every
from lightspeedpay.models import JobIntent, QueueMetric, Transaction
from lightspeedpay.queue_admin.service import parse_range
from tests.factories import add_transaction, count, create_merchant, create_sandbox_gateway, wait_for
from tests.fixtures import Platform
from tests.ledger_support import admin_client
from tests.net import free_port, wait_answering
from tests.paying import open_shop, payer, settle, wait_status
from tests.queue_admin.support import (
    BASE,
    TP,
    audit_rows,
    bull_state,
    duplicated_pushes,
    intent_of,
    paused,
    set_intent,
    txn_status,
)

SWEEPS = 5  # seconds: past the sweeper's grace (3 s) and several of its 1 s intervals


async def test_every_queue_is_listed_with_both_sides(platform, session):
    async with admin_client(platform) as admin:
        r = await admin.get(BASE)
        assert r.status_code == 200, r.text
        items = {q["name"]: q for q in r.json()["items"]}
        assert set(items) == set(queues.QUEUE_NAMES)
        tp = items[TP]
        assert tp["redis_error"] is None
        assert set(tp["counts"]) == {
            "waiting",
            "active",
            "delayed",
            "prioritized",
            "completed",
            "failed",
            "paused",
        }
        assert tp["workers"] >= 1 and tp["worker_connections"]  # the platform's worker serves every queue
        assert set(tp["intents"]) == {"pending", "failed", "parked", "discarded"}

        one = await admin.get(f"{BASE}/{TP}")
        assert one.status_code == 200 and one.json()["name"] == TP


async def test_a_paused_queue_holds_payments_created_and_resuming_completes_them(platform, session):
    async with open_shop(platform, session) as shop, admin_client(platform) as admin:
        async with paused(admin):
            r = await shop.native.pay(amount=12_300)
            assert r.status_code == 201, r.text
            txn_id = r.json()["transaction_id"]
            intent_id = str((await intent_of(session, txn_id)).id)

            await asyncio.sleep(SWEEPS)
            assert await txn_status(session, txn_id) == "created"
            assert (await intent_of(session, txn_id)).status == "pending"
            # BullMQ holds the job waiting in the paused queue; the sweeper saw it there and left it alone
            assert await bull_state(TP, intent_id) == "waiting"
            assert await duplicated_pushes(TP, intent_id) == 0

            listed = (await admin.get(f"{BASE}/{TP}")).json()
            assert listed["paused"] is True
            assert listed["counts"]["paused"] >= 1 and listed["counts"]["waiting"] == 0
            assert listed["intents"]["pending"] >= 1
            assert listed["oldest_waiting_seconds"] >= SWEEPS - 1

            resumed = await admin.post(f"{BASE}/{TP}/resume", json={"reason": "incident over"})
            assert resumed.status_code == 200, resumed.text
            assert resumed.json()["paused"] is False

        paid = await settle(shop.native, txn_id, "success")
        assert paid["status"] == "paid"
        assert (await intent_of(session, txn_id)).status == "completed"

    pauses = await audit_rows(session, "queue.paused", TP)
    assert pauses and pauses[-1].actor == "admin:admin" and pauses[-1].after == {"paused": True}
    assert pauses[-1].before == {"paused": False} and pauses[-1].reason == "test"
    resumes = await audit_rows(session, "queue.resumed", TP)
    assert resumes and resumes[-1].reason == "incident over" and resumes[-1].request_id


async def test_the_sweeper_leaves_a_paused_queue_alone_and_pushes_its_lost_intents_on_resume(
    platform, session
):
    """An intent whose push never reached Redis, on a paused queue: the sweeper waits for the resume (a paused
    backlog must not fill its passes), then pushes it and the payment completes."""
    new = await create_merchant(session)
    gw = await create_sandbox_gateway(session, platform.simulator_url)
    async with admin_client(platform) as admin:
        async with paused(admin):
            txn = add_transaction(session, new.client.id, gw)
            intent = outbox.enqueue(session, "transaction.process", transaction_id=str(txn.id))
            await session.commit()
            intent_id, txn_id = str(intent.id), str(txn.id)
            outbox.forget(session)  # as if Redis had been down at commit time: nothing was pushed
            await asyncio.sleep(SWEEPS)
            assert await bull_state(TP, intent_id) == "unknown"
            assert await txn_status(session, txn_id) == "created"
        await wait_for(
            lambda: _is(txn_status(session, txn_id), "pending"), what="the sweeper's push after resume"
        )


async def test_pause_and_resume_every_queue_or_one_named_in_the_body(platform, session):
    async with admin_client(platform) as admin:
        try:
            r = await admin.post(f"{BASE}/pause", json={"reason": "maintenance"})
            assert r.status_code == 200, r.text
            assert {q["name"] for q in r.json()["items"] if q["paused"]} == set(queues.QUEUE_NAMES)
            r = await admin.post(f"{BASE}/resume")  # no body: every queue
            assert r.status_code == 200, r.text
            assert not any(q["paused"] for q in r.json()["items"])

            # seed 003: POST /api/v1/admin/queues/pause with a body naming the queue
            r = await admin.post(f"{BASE}/pause", json={"queue": queues.REFUNDS})
            assert r.status_code == 200, r.text
            assert [q["name"] for q in r.json()["items"]] == [queues.REFUNDS]
            assert await queues.queue(queues.REFUNDS).isPaused()
            assert not await queues.queue(TP).isPaused()
        finally:
            for name in queues.QUEUE_NAMES:
                await queues.queue(name).resume()
    assert len(await audit_rows(session, "queue.paused")) == len(queues.QUEUE_NAMES) + 1
    assert len(await audit_rows(session, "queue.resumed")) == len(queues.QUEUE_NAMES)


async def test_drain_parks_the_intents_loses_nothing_and_unpark_completes_them(platform, session):
    async with open_shop(platform, session) as shop, admin_client(platform) as admin:
        async with paused(admin):
            txn_ids = []
            for _ in range(4):
                r = await shop.native.pay(amount=5_000)
                assert r.status_code == 201, r.text
                txn_ids.append(r.json()["transaction_id"])
            intent_ids = {str((await intent_of(session, t)).id) for t in txn_ids}

            r = await admin.post(f"{BASE}/{TP}/drain", json={"reason": "stuck backlog"})
            assert r.status_code == 200, r.text
            drained = r.json()
            assert drained["parked"] == 4 and drained["removed"] >= 4
            assert set(drained["intent_ids"]) == intent_ids
            for i in intent_ids:
                assert await bull_state(TP, i) == "unknown"  # gone from Redis
        # resumed: nothing is left to run, and the sweeper must not bring parked intents back
        await asyncio.sleep(SWEEPS)
        assert [await txn_status(session, t) for t in txn_ids] == ["created"] * 4
        assert await count(session, Transaction) == 4
        assert await count(session, JobIntent, JobIntent.name == "transaction.process") == 4
        assert await count(session, JobIntent, JobIntent.status == "parked") == 4
        for i in intent_ids:
            assert await bull_state(TP, i) == "unknown"

        listed = await admin.get(f"{BASE}/{TP}/parked", params={"limit": 3})
        assert listed.status_code == 200, listed.text
        page = listed.json()
        assert len(page["items"]) == 3 and page["next_cursor"]
        rest = (await admin.get(f"{BASE}/{TP}/parked", params={"cursor": page["next_cursor"]})).json()
        parked = page["items"] + rest["items"]
        assert {p["id"] for p in parked} == intent_ids
        assert all(p["status"] == "parked" and p["parked_reason"] == "stuck backlog" for p in parked)
        overview = (await admin.get(f"{BASE}/{TP}")).json()
        assert overview["intents"]["parked"] == 4

        # one by id first (an unknown id is reported, not an error), then all the rest
        first = sorted(intent_ids)[0]
        stranger = str(uuid.uuid4())
        r = await admin.post(f"{BASE}/{TP}/unpark", json={"intent_ids": [first, stranger]})
        assert r.status_code == 200, r.text
        assert (
            r.json()["unparked"] == 1 and r.json()["not_parked"] == [stranger] and r.json()["remaining"] == 3
        )
        r = await admin.post(f"{BASE}/{TP}/unpark", json={"reason": "backlog cleared"})
        assert r.status_code == 200, r.text
        assert r.json()["unparked"] == 3 and r.json()["remaining"] == 0

        for t in txn_ids:
            assert (await settle(shop.native, t, "success"))["status"] == "paid"
        assert await count(session, Transaction) == 4
        assert await count(session, JobIntent, JobIntent.name == "transaction.process") == 4
        assert (
            await count(
                session, JobIntent, JobIntent.name == "transaction.process", JobIntent.status == "completed"
            )
            == 4
        )

    drains = await audit_rows(session, "queue.drained", TP)
    assert len(drains) == 1 and drains[0].after["parked"] == 4 and drains[0].reason == "stuck backlog"
    unparks = await audit_rows(session, "queue.unparked", TP)
    assert [u.after["unparked"] for u in unparks] == [1, 3]


async def test_a_job_that_reaches_a_worker_after_its_intent_was_parked_does_nothing(platform, session):
    """The drain's race: a job still in Redis (or taken by a worker) while its intent is parked runs as a no-op;
    unpark removes that finished job and pushes it again, so the intent runs once, then."""
    async with open_shop(platform, session) as shop, admin_client(platform) as admin:
        async with paused(admin):
            r = await shop.native.pay(amount=7_000)
            txn_id = r.json()["transaction_id"]
            intent_id = (await intent_of(session, txn_id)).id
            # parked as a drain that lost the race would leave it: the job itself still waiting in Redis
            await set_intent(session, intent_id, status="parked", parked_reason="race")
        await wait_for(
            lambda: _is(bull_state(TP, str(intent_id)), "completed"), what="the no-op run of the parked job"
        )
        assert await txn_status(session, txn_id) == "created"
        job = (await admin.get(f"{BASE}/jobs/{intent_id}")).json()
        assert job["job"]["return_value"] == "already_parked" and job["intent"]["status"] == "parked"

        r = await admin.post(f"{BASE}/{TP}/unpark", json={"intent_ids": [str(intent_id)]})
        assert r.status_code == 200 and r.json()["unparked"] == 1, r.text
        assert (await settle(shop.native, txn_id, "success"))["status"] == "paid"
        job = (await admin.get(f"{BASE}/jobs/{intent_id}")).json()
        assert job["intent"]["status"] == "completed" and job["intent"]["attempts"] == 1
        assert job["job"]["return_value"] == "completed"


async def _is(value, expected) -> bool:
    return (await value) == expected


async def test_retry_and_discard_of_failed_intents(platform, session):
    max_attempts = get_settings().job_max_attempts
    async with open_shop(platform, session) as shop, admin_client(platform) as admin:
        async with paused(admin):
            r1, r2 = await shop.native.pay(amount=4_000), await shop.native.pay(amount=4_100)
            t1, t2 = r1.json()["transaction_id"], r2.json()["transaction_id"]
            i1, i2 = (await intent_of(session, t1)).id, (await intent_of(session, t2)).id
            # failed for good, as an outage of hours leaves them
            for i in (i1, i2):
                await set_intent(
                    session, i, status="failed", attempts=max_attempts, last_error="PspTechnicalError: down"
                )
        # their waiting jobs ran as no-ops (a failed intent is not run) and BullMQ holds them completed
        for i in (i1, i2):
            await wait_for(lambda i=i: _is(bull_state(TP, str(i)), "completed"), what="the no-op runs")
        assert {await txn_status(session, t1), await txn_status(session, t2)} == {"created"}

        # a reason is required
        r = await admin.post(f"{BASE}/jobs/{i1}/retry", json={})
        assert r.status_code == 422 and r.json()["error"]["field"] == "reason", r.text
        r = await admin.post(f"{BASE}/jobs/{i1}/retry")
        assert r.status_code == 400 and r.json()["error"]["field"] == "reason", r.text

        r = await admin.post(f"{BASE}/jobs/{i1}/retry", json={"reason": "PSP is back"})
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "pending" and r.json()["attempts"] == 0
        assert (await settle(shop.native, t1, "success"))["status"] == "paid"
        r = await admin.post(f"{BASE}/jobs/{i1}/retry", json={"reason": "again"})
        assert r.status_code == 409 and r.json()["error"]["code"] == "INTENT_NOT_FAILED", r.text

        r = await admin.post(f"{BASE}/jobs/{i2}/discard", json={"reason": "customer gave up"})
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "discarded" and r.json()["discarded_reason"] == "customer gave up"
        await asyncio.sleep(SWEEPS)  # the sweeper leaves a discarded intent alone
        assert await txn_status(session, t2) == "created"
        detail = (await admin.get(f"{BASE}/jobs/{i2}")).json()
        assert detail["intent"]["status"] == "discarded"  # kept, never deleted
        r = await admin.post(f"{BASE}/jobs/{i2}/discard", json={"reason": "twice"})
        assert r.status_code == 409 and r.json()["error"]["code"] == "INTENT_NOT_FAILED"

    retried = await audit_rows(session, "job_intent.retried", str(i1))
    assert len(retried) == 1 and retried[0].reason == "PSP is back"
    assert retried[0].before["status"] == "failed" and retried[0].after == {
        "status": "pending",
        "attempts": 0,
        "last_error": "PspTechnicalError: down",
    }
    discarded = await audit_rows(session, "job_intent.discarded", str(i2))
    assert len(discarded) == 1 and discarded[0].after["status"] == "discarded"


async def test_a_failed_job_shows_its_reason_stack_trace_and_intent(platform, session):
    """A job that BullMQ failed (its one attempt raised): state, failure reason, stack trace, the intent."""
    intent_id = uuid.uuid4()
    session.add(
        JobIntent(
            id=intent_id,
            queue=TP,
            name="transaction.process",
            payload={"transaction_id": "not-a-uuid"},  # the handler raises on it, every time
            status="pending",
            attempts=get_settings().job_max_attempts - 1,  # its last attempt
        )
    )
    await session.commit()
    await queues.queue(TP).add(
        "transaction.process", {"intent_id": str(intent_id)}, {"jobId": str(intent_id), "attempts": 1}
    )
    await wait_for(lambda: _is(bull_state(TP, str(intent_id)), "failed"), what="the job to fail")
    async with admin_client(platform) as admin:
        r = await admin.get(f"{BASE}/jobs/{intent_id}")
        assert r.status_code == 200, r.text
        detail = r.json()
        assert detail["queue"] == TP and detail["id"] == str(intent_id)
        assert detail["job"]["state"] == "failed" and detail["job"]["attempts_made"] == 1
        assert "badly formed" in detail["job"]["failed_reason"]
        assert detail["job"]["stacktrace"] and detail["job"]["data"] == {"intent_id": str(intent_id)}
        assert detail["job"]["logs"] == [] and detail["job"]["log_count"] == 0
        assert detail["intent"]["status"] == "failed" and "badly formed" in detail["intent"]["last_error"]

        listed = (await admin.get(f"{BASE}/{TP}")).json()
        assert listed["intents"]["failed"] == 1 and listed["counts"]["failed"] >= 1

        # a queue-wide retry takes it too (it fails again: its payload is bad), and is audited
        r = await admin.post(f"{BASE}/retry", json={"queue": TP, "count": 10, "reason": "try once more"})
        assert r.status_code == 200, r.text
        assert r.json()["items"] == [{"queue": TP, "retried": 1, "intent_ids": [str(intent_id)]}]
        retried = await audit_rows(session, "queue.retried", TP)
        assert len(retried) == 1 and retried[0].reason == "try once more"
        assert retried[0].details["intent_ids"] == [str(intent_id)]

        r = await admin.get(f"{BASE}/jobs/{uuid.uuid4()}")
        assert r.status_code == 404 and r.json()["error"]["code"] == "JOB_NOT_FOUND"
        r = await admin.get(f"{BASE}/jobs/not-an-id")
        assert r.status_code == 404 and r.json()["error"]["code"] == "JOB_NOT_FOUND"

    async def failed_again() -> bool:
        await session.rollback()
        intent = await session.get(JobIntent, intent_id, populate_existing=True)
        return intent is not None and intent.attempts >= 1

    await wait_for(failed_again, what="the retried job to run and fail again")
    await set_intent(session, intent_id, status="discarded")  # its later retries are no-ops


async def test_clean_removes_finished_jobs_and_refuses_a_negative_grace(platform, session):
    async with open_shop(platform, session) as shop, admin_client(platform) as admin:
        r = await shop.native.pay(amount=3_000)
        txn_id = r.json()["transaction_id"]
        await wait_status(shop.native, txn_id, "pending")
        intent_id = str((await intent_of(session, txn_id)).id)
        await wait_for(lambda: _is(bull_state(TP, intent_id), "completed"), what="the job to complete")

        r = await admin.post(f"{BASE}/{TP}/clean", json={"status": "completed", "grace_seconds": -1})
        assert r.status_code == 400, r.text
        assert r.json()["error"] == {
            "code": "BAD_REQUEST",
            "message": r.json()["error"]["message"],
            "field": "grace_seconds",
        }
        r = await admin.delete(f"{BASE}/clean", params={"queue": TP, "grace_seconds": -5})
        assert r.status_code == 400 and r.json()["error"]["field"] == "grace_seconds", r.text

        # an hour's grace keeps it; none removes it (and every other finished job of the queue)
        r = await admin.post(f"{BASE}/{TP}/clean", json={"grace_seconds": 3600})
        assert r.status_code == 200, r.text
        assert await bull_state(TP, intent_id) == "completed"
        r = await admin.delete(f"{BASE}/clean", params={"queue": TP, "status": "completed", "limit": 100000})
        assert r.status_code == 200, r.text
        assert r.json()["items"][0]["removed"] >= 1
        assert await bull_state(TP, intent_id) == "unknown"
        # BullMQ's housekeeping only: the intent, the history, stays
        assert (await intent_of(session, txn_id)).status == "completed"

        # seed 003's POST /clean with the queue in the body
        r = await admin.post(f"{BASE}/clean", json={"queue": TP, "status": "failed"})
        assert r.status_code == 200, r.text
        await payer((await wait_status(shop.native, txn_id, "pending"))["checkout_url"], "success")
        await wait_status(shop.native, txn_id, "paid")
    cleaned = await audit_rows(session, "queue.cleaned", TP)
    assert len(cleaned) == 3
    assert cleaned[1].details == {"status": "completed", "grace_seconds": 0, "limit": 100000}


async def test_unknown_queue_and_bad_input_get_coded_4xx(platform, session):
    async with admin_client(platform) as admin:
        for method, path, body in [
            ("POST", f"{BASE}/nope/pause", None),
            ("POST", f"{BASE}/nope/resume", None),
            ("POST", f"{BASE}/nope/drain", None),
            ("POST", f"{BASE}/nope/unpark", None),
            ("POST", f"{BASE}/nope/retry", None),
            ("POST", f"{BASE}/nope/clean", None),
            ("GET", f"{BASE}/nope", None),
            ("GET", f"{BASE}/nope/parked", None),
            ("POST", f"{BASE}/pause", {"queue": "nope"}),
            ("POST", f"{BASE}/retry", {"queue": "nope"}),
            ("DELETE", f"{BASE}/clean?queue=nope", None),
            ("GET", f"{BASE}/stats?queue=nope", None),
        ]:
            r = await admin.request(method, path, json=body)
            assert r.status_code == 404, (method, path, r.text)
            assert r.json()["error"]["code"] == "QUEUE_NOT_FOUND", (method, path, r.text)
            assert r.json()["error"]["field"] == "queue"

        for bad in ["", "1", "h", "0h", "5s", "31d", "1w", "-1h", "1.5h"]:
            r = await admin.get(f"{BASE}/stats", params={"range": bad})
            assert r.status_code == 400, (bad, r.text)
            assert r.json()["error"]["field"] == "range"

        r = await admin.post(f"{BASE}/{TP}/retry", json={"count": 0})
        assert r.status_code == 400 and r.json()["error"]["field"] == "count"
        r = await admin.post(f"{BASE}/{TP}/pause", json={"queue": queues.REFUNDS})
        assert r.status_code == 400 and r.json()["error"]["field"] == "queue"
        r = await admin.post(f"{BASE}/{TP}/drain", json={"delayed": "soon"})
        assert r.status_code == 422 and r.json()["error"]["field"] == "delayed"
        r = await admin.post(f"{BASE}/{TP}/pause", content=b"{", headers={"content-type": "application/json"})
        assert r.status_code == 400
        r = await admin.post(f"{BASE}/jobs/{uuid.uuid4()}/discard", json={"reason": "x"})
        assert r.status_code == 404 and r.json()["error"]["code"] == "JOB_NOT_FOUND"
        r = await admin.get(f"{BASE}/{TP}/parked", params={"cursor": "garbage"})
        assert r.status_code == 422 and r.json()["error"]["field"] == "cursor"

    async with admin_client(platform) as anonymous:
        anonymous.headers.pop("Authorization")
        assert (await anonymous.get(BASE)).status_code == 401
        assert (await anonymous.post(f"{BASE}/{TP}/pause")).status_code == 401
    assert not await queues.queue(TP).isPaused()


async def test_the_sampler_records_every_queue_and_stats_read_the_series(platform, session):
    assert ("queue_metrics", Every(60.0)) in [(name, when) for name, when, _ in schedule.periodic_tasks()]
    # the scheduler's own task, run here twice (it runs every minute)
    await schedule.queue_metrics()
    await schedule.queue_metrics()
    await session.rollback()
    rows = dict(
        (
            await session.execute(
                select(QueueMetric.queue_name, func.count()).group_by(QueueMetric.queue_name)
            )
        ).all()
    )
    # (the platform's scheduler may add its own minute's sample meanwhile)
    assert set(rows) == set(queues.QUEUE_NAMES) and min(rows.values()) >= 2

    # samples past the retention are purged by the same task
    old = QueueMetric(
        id=uuid.uuid4(),
        queue_name=TP,
        waiting=9,
        recorded_at=_days_ago(get_settings().queue_metrics_retention_days + 1),
    )
    session.add(old)
    await session.commit()
    await schedule.queue_metrics()
    assert await count(session, QueueMetric, QueueMetric.id == old.id) == 0

    async with admin_client(platform) as admin:
        r = await admin.get(f"{BASE}/stats", params={"queue": TP, "range": "1h"})
        assert r.status_code == 200, r.text
        stats = r.json()
        assert stats["bucket_seconds"] == 60 and [s["queue"] for s in stats["series"]] == [TP]
        points = stats["series"][0]["points"]
        assert sum(p["samples"] for p in points) >= 3
        assert all(p["workers"] >= 1 for p in points)

        every = (await admin.get(f"{BASE}/stats", params={"range": "30d"})).json()
        assert {s["queue"] for s in every["series"]} == set(queues.QUEUE_NAMES)
        assert every["bucket_seconds"] == 3 * 3600
        assert (await admin.get(f"{BASE}/stats")).json()["range"] == "1h"


def test_ranges_are_a_number_and_a_unit_up_to_the_retention() -> None:
    assert parse_range("1h") == 3600 and parse_range("24h") == 86400
    assert parse_range("7d") == 7 * 86400 and parse_range("30d") == 30 * 86400 and parse_range("1m") == 60


def _days_ago(days: int):
    from datetime import UTC, datetime, timedelta

    return datetime.now(UTC) - timedelta(days=days)


async def test_a_drained_merchant_webhook_is_parked_not_requeued_and_delivered_once_unparked(
    platform, session
):
    """No admin action loses a webhook: a drain parks the delivery's intent, webhook housekeeping (which gives a
    job back to a delivery that has none) leaves it parked, and unpark delivers it once."""
    from lightspeedpay.webhooks.tasks import housekeeping
    from tests.ledger_support import open_shop as open_paying_shop

    async with open_paying_shop(platform, session) as shop, admin_client(platform) as admin:
        async with paused(admin, queues.MERCHANT_WEBHOOKS):
            await shop.pay(6_000)
            await wait_for(
                lambda: _count_pending(session, queues.MERCHANT_WEBHOOKS), what="the delivery's intent"
            )
            r = await admin.post(
                f"{BASE}/{queues.MERCHANT_WEBHOOKS}/drain", json={"reason": "endpoint outage"}
            )
            assert r.status_code == 200, r.text
            parked = r.json()["parked"]
            assert parked >= 1
        assert "requeued" not in await housekeeping(stalled_after_seconds=0)
        await asyncio.sleep(SWEEPS)
        assert await shop.events() == []
        assert await count(session, JobIntent, JobIntent.status == "parked") == parked

        r = await admin.post(f"{BASE}/{queues.MERCHANT_WEBHOOKS}/unpark")
        assert r.status_code == 200 and r.json()["unparked"] == parked, r.text
        paid = await shop.wait_event("payment.paid")
        await asyncio.sleep(2)
        assert len([e for e in await shop.events() if e["type"] == "payment.paid"]) == len(paid) == 1


async def _count_pending(session, queue: str) -> int:
    return await count(session, JobIntent, JobIntent.queue == queue, JobIntent.status == "pending")


async def test_without_redis_the_list_says_so_and_actions_are_a_coded_503(platform, session):
    """An API whose Redis does not answer: the list still shows PostgreSQL's side, an action is refused with a
    code (never a 500) and leaves no audit row."""
    port, dead = free_port(), free_port()  # nothing listens on `dead`
    api = Platform(
        env={
            **platform.env,
            "LSP_API_PORT": str(port),
            "LSP_REDIS_URL": f"redis://127.0.0.1:{dead}/0",
            "LSP_REDIS_CONNECT_TIMEOUT_SECONDS": "0.5",
            "LSP_REDIS_SOCKET_TIMEOUT_SECONDS": "0.5",
        }
    )
    api.start(f"api-no-redis-{port}", "api")
    try:
        await wait_answering(f"http://127.0.0.1:{port}/openapi.json", status_below=300)
        async with admin_client(platform) as admin:
            base = f"http://127.0.0.1:{port}{BASE}"
            r = await admin.get(base)
            assert r.status_code == 200, r.text
            assert all(q["counts"] is None and q["redis_error"] for q in r.json()["items"])
            for path in (f"{base}/{TP}/pause", f"{base}/resume", f"{base}/{TP}/drain", f"{base}/{TP}/clean"):
                r = await admin.post(path)
                assert r.status_code == 503, (path, r.text)
                assert r.json()["error"]["code"] == "QUEUE_BACKEND_UNAVAILABLE"
    finally:
        api.stop_all()
    assert await audit_rows(session, "queue.paused") == []
    assert await audit_rows(session, "queue.drained") == []
