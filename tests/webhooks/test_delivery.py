"""Merchant webhook delivery through the real processes: the API, the merchant-webhooks queue and worker,
PostgreSQL, and a receiver on loopback answering as each test tells it (retry schedule: 1 s per step)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from sqlalchemy import select, text, update
from standardwebhooks import Webhook

from lightspeedpay.config import get_settings
from lightspeedpay.jobs import outbox
from lightspeedpay.jobs.scheduler import every
from lightspeedpay.models import (
    Alert,
    Client,
    JobIntent,
    WebhookDelivery,
    WebhookDeliveryAttempt,
    WebhookEndpoint,
    WebhookEvent,
)
from lightspeedpay.schedule import periodic_tasks
from lightspeedpay.webhooks.service import webhook_service
from lightspeedpay.webhooks.tasks import housekeeping
from tests.factories import count, create_merchant, jobs_settled, merchant_client, wait_for
from tests.net import free_port as closed_port
from tests.webhooks.helpers import (
    add_endpoint,
    attempts_of,
    call,
    configure,
    delivery_of,
    emit,
    endpoint_row,
    fresh,
    received,
    wait_delivery,
    wait_received,
)

BASE = "/api/v1/merchant/webhooks"


@pytest.fixture
async def shop(platform, session):
    """A merchant without a default endpoint: each test adds the endpoints it needs."""
    new = await create_merchant(session)
    async with httpx.AsyncClient(timeout=15) as http:
        yield new, merchant_client(platform.api_url, new, http)


async def _waiting_for_a_lock(session) -> bool:
    await session.rollback()
    return bool(
        (
            await session.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
        ).scalar_one()
    )


def _event_id(delivery: dict) -> str:
    return json.loads(delivery["body"])["id"]


async def test_each_endpoint_gets_its_subscribed_events_signed_with_its_own_secret(platform, session):
    new = await create_merchant(session, receiver_url=platform.receiver_url)  # with its default endpoint
    default_name = new.client.webhook_url.rsplit("/", 1)[1]
    async with httpx.AsyncClient(timeout=15) as http:
        client = merchant_client(platform.api_url, new, http)
        paid_only, paid_name = await add_endpoint(client, platform.receiver_url, event_types=["payment.paid"])
        everything, all_name = await add_endpoint(client, platform.receiver_url)
        off, off_name = await add_endpoint(client, platform.receiver_url)
        assert (await call(client, "PATCH", f"{BASE}/{off['id']}", {"enabled": False})).status_code == 200

    paid = await emit(session, new.client, "payment.paid", {"amount": 49_900})
    failed = await emit(session, new.client, "payment.failed", {"amount": 100})

    got_default = await wait_received(platform.receiver_url, default_name, 2)
    got_paid = await wait_received(platform.receiver_url, paid_name, 1)
    got_all = await wait_received(platform.receiver_url, all_name, 2)
    await jobs_settled(session)
    assert await received(platform.receiver_url, off_name) == []
    assert len(await received(platform.receiver_url, paid_name)) == 1

    secrets = {
        default_name: new.webhook_secret,
        paid_name: paid_only["secret"],
        all_name: everything["secret"],
    }
    for name, deliveries in ((default_name, got_default), (paid_name, got_paid), (all_name, got_all)):
        for d in deliveries:
            assert d["verified"] is True and d["verified_with"] == "standardwebhooks" and d["answered"] == 200
            Webhook(secrets[name]).verify(d["body"], d["headers"])
    with pytest.raises(Exception, match="No matching signature"):
        Webhook(paid_only["secret"]).verify(got_all[0]["body"], got_all[0]["headers"])
    assert [json.loads(d["body"])["type"] for d in got_paid] == ["payment.paid"]
    assert [json.loads(d["body"])["type"] for d in got_all] == ["payment.paid", "payment.failed"]
    # one webhook-id per event, whatever the endpoint
    ids = {d["headers"]["webhook-id"] for d in (got_default[0], got_paid[0], got_all[0])}
    assert ids == {f"msg_{paid.id.hex}"}

    async def both_delivered():
        a, b = await fresh(session, WebhookEvent, paid.id), await fresh(session, WebhookEvent, failed.id)
        return (a, b) if a.status == b.status == "delivered" else None

    a, b = await wait_for(both_delivered, what="the events to be delivered everywhere")
    assert (a.attempts, b.attempts) == (3, 2)  # one attempt per subscribed endpoint


async def test_retryable_answers_are_retried_and_other_4xx_are_final(platform, session, shop):
    new, client = shop
    retry_statuses = [408, 429, 500, 502, 503, 504]
    final_statuses = [400, 401, 403, 404, 422]
    endpoints: dict[int, dict] = {}
    names: dict[int, str] = {}
    for status in retry_statuses + final_statuses:
        endpoints[status], names[status] = await add_endpoint(
            client, platform.receiver_url, responses=[{"status": status}]
        )
    # a redirect is not followed: the receiver it points at must see nothing
    target_name = f"target{uuid.uuid4().hex[:6]}"
    redirect, redirect_name = await add_endpoint(
        client,
        platform.receiver_url,
        responses=[{"location": f"{platform.receiver_url}/webhooks/{target_name}"}],
    )
    # nobody listens on this port: a network error, retried until the schedule runs out
    dead = (await call(client, "POST", BASE, {"url": f"http://127.0.0.1:{closed_port()}/hook"})).json()

    event = await emit(session, new.client)

    for status in retry_statuses:
        d = await wait_delivery(session, event.id, endpoints[status]["id"], "delivered")
        tries = await attempts_of(session, d.id)
        assert [(t.attempt, t.status_code, t.status) for t in tries] == [
            (1, status, "failed"),
            (2, 200, "succeeded"),
        ]
        assert tries[0].error == f"HTTP {status}" and tries[0].retry_at is not None
    d = await wait_delivery(session, event.id, redirect["id"], "delivered")
    tries = await attempts_of(session, d.id)
    assert [t.status_code for t in tries] == [302, 200]
    assert "not followed" in tries[0].error and target_name in tries[0].error
    assert await received(platform.receiver_url, target_name) == []

    for status in final_statuses:
        d = await wait_delivery(session, event.id, endpoints[status]["id"], "failed")
        tries = await attempts_of(session, d.id)
        assert [(t.attempt, t.status_code, t.retry_at) for t in tries] == [(1, status, None)]
        assert d.last_error == f"HTTP {status}"

    d = await wait_delivery(session, event.id, dead["id"], "failed", timeout=40)
    tries = await attempts_of(session, d.id)
    assert len(tries) == 1 + len(
        get_settings().retry_schedule
    )  # the first try and every retry of the schedule
    assert all(t.status_code is None and t.error.startswith("ConnectError") for t in tries)

    await jobs_settled(session)  # a final failure is not tried again: no job is left to try it
    for status in final_statuses:
        assert len(await received(platform.receiver_url, names[status])) == 1
    stored = await fresh(session, WebhookEvent, event.id)
    assert stored.status == "failed"  # not delivered to every endpoint


async def test_410_disables_the_endpoint_and_fails_what_waits_behind_it(platform, session, shop):
    new, client = shop
    endpoint, name = await add_endpoint(client, platform.receiver_url, responses=[{"status": 410}])
    first, second, third = [await emit(session, new.client, data={"n": i}) for i in range(3)]

    await wait_delivery(session, first.id, endpoint["id"], "failed")
    row = await endpoint_row(session, endpoint["id"])
    assert row.enabled is False and "410" in row.disabled_reason
    for later in (second, third):
        d = await wait_delivery(session, later.id, endpoint["id"], "failed")
        assert d.attempts == 0 and d.last_error.startswith("endpoint disabled")
        assert (await fresh(session, WebhookEvent, later.id)).status == "failed"
    assert len(await received(platform.receiver_url, name)) == 1

    await session.rollback()
    alert = (
        await session.execute(select(Alert).where(Alert.kind == "webhook_endpoint.disabled"))
    ).scalar_one()
    assert alert.details["endpoint_id"] == endpoint["id"] and "410" in alert.message
    shown = (await call(client, "GET", f"{BASE}/{endpoint['id']}")).json()
    assert shown["enabled"] is False and "410" in shown["disabled_reason"]

    after = await emit(session, new.client)
    assert await count(session, WebhookDelivery, WebhookDelivery.event_id == after.id) == 0
    assert (
        await fresh(session, WebhookEvent, after.id)
    ).last_error == "no enabled webhook endpoint subscribes to payment.paid"


async def test_retry_after_seconds_and_http_dates_are_honoured(platform, session, shop):
    new, client = shop
    configured_at = time.time()
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=8), usegmt=True)
    endpoint, name = await add_endpoint(
        client,
        platform.receiver_url,
        responses=[
            {"status": 429, "headers": {"Retry-After": "3"}},
            {"status": 503, "headers": {"Retry-After": later}},
        ],
    )
    event = await emit(session, new.client)
    got = await wait_received(platform.receiver_url, name, 3, timeout=30)
    t1, t2, t3 = (d["received_at"] for d in got)
    assert [d["answered"] for d in got] == [429, 503, 200]
    assert t2 - t1 >= 2.9, "Retry-After: 3 was not honoured (the schedule alone waits 1 s)"
    assert t3 >= configured_at + 7, "the Retry-After date was not honoured"
    d = await wait_delivery(session, event.id, endpoint["id"], "delivered")
    tries = await attempts_of(session, d.id)
    assert (tries[0].retry_at - tries[0].created_at).total_seconds() >= 2.9


async def test_events_for_one_endpoint_are_delivered_in_order_of_creation(platform, session, shop):
    new, client = shop
    # the receiver fails some answers; whatever it does, an event never overtakes the one before it
    script = [503, 503, 200, 200, 500, 429, 200, 200, 200, 502, 200, 200, 200, 200]
    flaky, flaky_name = await add_endpoint(
        client, platform.receiver_url, responses=[{"status": s} for s in script]
    )
    steady, steady_name = await add_endpoint(client, platform.receiver_url)
    events = [await emit(session, new.client, data={"n": i}) for i in range(10)]
    order = [f"evt_{e.id.hex}" for e in events]

    got_steady = await wait_received(platform.receiver_url, steady_name, 10)
    failures = sum(1 for s in script if s != 200)
    got = await wait_received(platform.receiver_url, flaky_name, len(events) + failures, timeout=60)
    assert [_event_id(d) for d in got_steady] == order
    # another endpoint's failures hold nobody else up
    assert got_steady[-1]["received_at"] < next(d["received_at"] for d in got if d["answered"] == 200)

    delivered = [_event_id(d) for d in got if d["answered"] == 200]
    assert delivered == order
    for i, d in enumerate(got):  # nothing of event k is sent before event k-1 is delivered
        k = order.index(_event_id(d))
        done_before = {_event_id(x) for x in got[:i] if x["answered"] == 200}
        assert set(order[:k]) <= done_before, f"{_event_id(d)} was sent before an earlier event was delivered"
    for e in events:
        await wait_delivery(session, e.id, flaky["id"], "delivered")


async def test_consecutive_failed_events_disable_the_endpoint_and_raise_an_alert(platform, session, shop):
    new, client = shop
    client_id = new.client.id
    limit = get_settings().webhook_disable_after_failures
    endpoint, name = await add_endpoint(client, platform.receiver_url, fail_next=999, status=400)
    secret = endpoint["secret"]
    for i in range(limit - 1):
        e = await emit(session, new.client, data={"n": i})
    await wait_delivery(session, e.id, endpoint["id"], "failed")
    row = await endpoint_row(session, endpoint["id"])
    assert (row.enabled, row.consecutive_failures) == (True, limit - 1)

    # a delivered event resets the count
    await configure(platform.receiver_url, name, secret=secret)
    ok = await emit(session, new.client)
    await wait_delivery(session, ok.id, endpoint["id"], "delivered")
    assert (await endpoint_row(session, endpoint["id"])).consecutive_failures == 0

    await configure(platform.receiver_url, name, secret=secret, fail_next=999, status=400)
    for i in range(limit):
        e = await emit(session, new.client, data={"n": i})
    await wait_delivery(session, e.id, endpoint["id"], "failed")

    async def disabled():
        r = await endpoint_row(session, endpoint["id"])
        return r if not r.enabled else None

    row = await wait_for(disabled, what="the endpoint to be disabled")
    assert row.disabled_reason == f"{limit} events in a row failed"
    await session.rollback()
    alert = (
        await session.execute(select(Alert).where(Alert.kind == "webhook_endpoint.disabled"))
    ).scalar_one()
    assert alert.client_id == client_id and alert.status == "open"
    assert alert.details == {
        "endpoint_id": endpoint["id"],
        "url": endpoint["url"],
        "reason": row.disabled_reason,
        "consecutive_failures": limit,
    }
    assert alert.severity == "warning"

    # re-enabling starts counting again
    on = (await call(client, "PATCH", f"{BASE}/{endpoint['id']}", {"enabled": True})).json()
    assert on["enabled"] is True and on["consecutive_failures"] == 0
    # and the operator's alert is resolved with it
    await session.refresh(alert)
    assert alert.status == "resolved" and alert.resolved_note == "the merchant enabled the endpoint again"


async def test_the_delivery_log_pages_and_filters_with_request_and_response(platform, session, shop):
    new, client = shop
    endpoint, name = await add_endpoint(
        client, platform.receiver_url, responses=[{"status": 500, "body": "database is down"}], delay_ms=0
    )
    paid = await emit(session, new.client, "payment.paid", {"amount": 1})
    await wait_delivery(session, paid.id, endpoint["id"], "delivered")
    refund = await emit(session, new.client, "refund.processed", {"amount": 1})
    await wait_delivery(session, refund.id, endpoint["id"], "delivered")
    path = f"{BASE}/{endpoint['id']}/deliveries"

    seen, cursor = [], None
    while True:
        page = await call(client, "GET", path + "?limit=2" + (f"&cursor={cursor}" if cursor else ""))
        assert page.status_code == 200, page.text
        seen += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if not cursor:
            break
    assert [(d["event_type"], d["attempt"], d["status"]) for d in seen] == [
        ("refund.processed", 1, "succeeded"),
        ("payment.paid", 2, "succeeded"),
        ("payment.paid", 1, "failed"),
    ]

    only_paid = (await call(client, "GET", path + "?event_type=payment.paid")).json()["items"]
    assert [d["attempt"] for d in only_paid] == [2, 1]
    [failure] = (await call(client, "GET", path + "?status=failed")).json()["items"]
    assert failure["response"] == {"status_code": 500, "body_excerpt": "database is down"}
    assert failure["error"] == "HTTP 500" and failure["retry_at"] is not None
    assert failure["delivery_status"] == "delivered" and failure["trigger"] == "scheduled"
    assert failure["latency_ms"] >= 0 and failure["request"]["url"] == endpoint["url"]
    headers = failure["request"]["headers"]
    assert headers["webhook-id"] == f"msg_{paid.id.hex}" and headers["content-type"] == "application/json"
    assert headers["webhook-signature"].startswith("v1,") and "webhook-timestamp" in headers
    assert json.loads(failure["request"]["body"]) == paid.payload
    # the log a merchant reads carries the signature (to compare with theirs), never the secret
    Webhook(endpoint["secret"]).verify(failure["request"]["body"], headers)
    log_text = (await call(client, "GET", path)).text
    assert endpoint["secret"] not in log_text and endpoint["secret"].removeprefix("whsec_") not in log_text
    assert (await call(client, "GET", path + "?status=failed&event_type=refund.processed")).json()[
        "items"
    ] == []

    bad = await call(client, "GET", path + "?status=maybe")
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "status"
    bad = await call(client, "GET", path + "?cursor=garbage")
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "cursor"


async def test_manual_retry_of_a_finished_delivery(platform, session, shop):
    new, client = shop
    endpoint, name = await add_endpoint(client, platform.receiver_url, responses=[{"status": 400}])
    event = await emit(session, new.client)
    d = await wait_delivery(session, event.id, endpoint["id"], "failed")
    assert (await fresh(session, WebhookEvent, event.id)).status == "failed"
    [logged] = (await call(client, "GET", f"{BASE}/{endpoint['id']}/deliveries")).json()["items"]

    r = await call(client, "POST", f"{BASE}/{endpoint['id']}/deliveries/{logged['id']}/retry")
    assert r.status_code == 202, r.text
    assert r.json() == {
        "delivery_id": logged["id"],
        "event_id": str(event.id),
        "endpoint_id": endpoint["id"],
        "attempt": 2,
        "status": "queued",
    }
    d = await wait_delivery(session, event.id, endpoint["id"], "delivered")
    tries = await attempts_of(session, d.id)
    assert [(t.attempt, t.trigger, t.status_code) for t in tries] == [
        (1, "scheduled", 400),
        (2, "manual", 200),
    ]
    assert (await fresh(session, WebhookEvent, event.id)).status == "delivered"
    got = await received(platform.receiver_url, name)
    assert len(got) == 2 and got[0]["headers"]["webhook-id"] == got[1]["headers"]["webhook-id"]

    missing = await call(client, "POST", f"{BASE}/{endpoint['id']}/deliveries/{uuid.uuid4()}/retry")
    assert missing.status_code == 404

    # a delivery still on its schedule keeps its place: it cannot be retried by hand
    await configure(
        platform.receiver_url,
        name,
        secret=endpoint["secret"],
        responses=[{"status": 503, "headers": {"Retry-After": "60"}}],
    )
    waiting = await emit(session, new.client)

    async def logged_failure():
        items = (await call(client, "GET", f"{BASE}/{endpoint['id']}/deliveries?status=failed")).json()[
            "items"
        ]
        return next((i for i in items if i["event_id"] == str(waiting.id)), None)

    pending = await wait_for(logged_failure, what="the first failed attempt")
    r = await call(client, "POST", f"{BASE}/{endpoint['id']}/deliveries/{pending['id']}/retry")
    assert r.status_code == 409 and r.json()["error"]["code"] == "DELIVERY_NOT_RETRYABLE"

    assert (await call(client, "PATCH", f"{BASE}/{endpoint['id']}", {"enabled": False})).status_code == 200
    r = await call(client, "POST", f"{BASE}/{endpoint['id']}/deliveries/{logged['id']}/retry")
    assert r.status_code == 409 and "disabled" in r.json()["error"]["message"]
    # disabling ended the pending delivery
    assert (await delivery_of(session, waiting.id, endpoint["id"])).status == "failed"


async def test_a_test_ping_is_signed_sent_once_and_counts_for_nothing(platform, session):
    new = await create_merchant(session, receiver_url=platform.receiver_url)
    default_name = new.client.webhook_url.rsplit("/", 1)[1]
    async with httpx.AsyncClient(timeout=15) as http:
        client = merchant_client(platform.api_url, new, http)
        endpoint, name = await add_endpoint(client, platform.receiver_url, responses=[{"status": 500}])
        r = await call(client, "POST", f"{BASE}/test", {"endpoint_id": endpoint["id"]})
        assert r.status_code == 202, r.text
        assert r.json()["type"] == "ping" and r.json()["endpoint_ids"] == [endpoint["id"]]
        [failed_ping] = await wait_received(platform.receiver_url, name, 1)
        ping = Webhook(endpoint["secret"]).verify(failed_ping["body"], failed_ping["headers"])
        assert ping["type"] == "ping" and failed_ping["answered"] == 500
        await jobs_settled(session)  # a ping is not retried, and its failure is not held against the endpoint
        assert len(await received(platform.receiver_url, name)) == 1
        row = await endpoint_row(session, endpoint["id"])
        assert row.consecutive_failures == 0 and row.enabled
        [logged] = (await call(client, "GET", f"{BASE}/{endpoint['id']}/deliveries?event_type=ping")).json()[
            "items"
        ]
        assert (logged["trigger"], logged["status"], logged["delivery_status"]) == (
            "test",
            "failed",
            "failed",
        )

        # no body: every enabled endpoint
        default_id = next(
            e["id"] for e in (await call(client, "GET", BASE)).json()["items"] if e["is_default"]
        )
        r = await call(client, "POST", f"{BASE}/test")
        assert r.status_code == 202 and set(r.json()["endpoint_ids"]) == {endpoint["id"], default_id}
        [default_ping] = await wait_received(platform.receiver_url, default_name, 1)
        assert json.loads(default_ping["body"])["type"] == "ping" and default_ping["verified"] is True
        await wait_received(platform.receiver_url, name, 2)

        assert (
            await call(client, "PATCH", f"{BASE}/{endpoint['id']}", {"enabled": False})
        ).status_code == 200
        r = await call(client, "POST", f"{BASE}/test", {"endpoint_id": endpoint["id"]})
        assert r.status_code == 409 and r.json()["error"]["code"] == "NO_ENABLED_ENDPOINT"


async def test_a_receiver_on_the_reference_library_accepts_every_delivery_through_a_rotation(
    platform, session, shop
):
    new, client = shop
    endpoint, name = await add_endpoint(client, platform.receiver_url)
    old_secret = endpoint["secret"]
    before = await emit(session, new.client, data={"when": "before"})
    await wait_delivery(session, before.id, endpoint["id"], "delivered")
    rotated = (await call(client, "POST", f"{BASE}/{endpoint['id']}/rotate")).json()
    new_secret = rotated["secret"]
    # the receiver still has the old secret: deliveries carry both signatures, so it keeps accepting
    during_old = await emit(session, new.client, data={"when": "during, receiver on the old secret"})
    await wait_delivery(session, during_old.id, endpoint["id"], "delivered")
    await configure(platform.receiver_url, name, secret=new_secret)  # the merchant switches when it likes
    during_new = await emit(session, new.client, data={"when": "during, receiver on the new secret"})
    await wait_delivery(session, during_new.id, endpoint["id"], "delivered")

    got = await wait_received(platform.receiver_url, name, 3)
    assert [d["answered"] for d in got] == [200, 200, 200]
    assert all(d["verified"] is True and d["verified_with"] == "standardwebhooks" for d in got)
    first, *rotating = got
    assert len(first["headers"]["webhook-signature"].split(" ")) == 1
    for d in rotating:
        signatures = d["headers"]["webhook-signature"].split(" ")
        assert len(signatures) == 2
        assert Webhook(new_secret).verify(d["body"], d["headers"])
        assert Webhook(old_secret).verify(d["body"], d["headers"])
        # the new secret's signature comes first
        Webhook(new_secret).verify(d["body"], {**d["headers"], "webhook-signature": signatures[0]})
        Webhook(old_secret).verify(d["body"], {**d["headers"], "webhook-signature": signatures[1]})

    # the grace period ends (as 24 h later): only the new secret signs
    await session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == uuid.UUID(endpoint["id"]))
        .values(previous_secret_expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    await session.commit()
    after = await emit(session, new.client, data={"when": "after"})
    await wait_delivery(session, after.id, endpoint["id"], "delivered")
    last = (await received(platform.receiver_url, name))[-1]
    assert last["verified"] is True and len(last["headers"]["webhook-signature"].split(" ")) == 1
    Webhook(new_secret).verify(last["body"], last["headers"])
    with pytest.raises(Exception, match="No matching signature"):
        Webhook(old_secret).verify(last["body"], last["headers"])
    assert (await call(client, "GET", f"{BASE}/{endpoint['id']}")).json()[
        "previous_secret_expires_at"
    ] is None


async def test_slow_receivers_are_waited_for_and_their_latency_logged(platform, session, shop):
    new, client = shop
    endpoint, name = await add_endpoint(client, platform.receiver_url, delay_ms=1500)
    event = await emit(session, new.client)
    d = await wait_delivery(session, event.id, endpoint["id"], "delivered")
    [attempt] = await attempts_of(session, d.id)
    assert attempt.latency_ms >= 1500 and attempt.status_code == 200


async def test_retention_purges_old_deliveries_on_schedule(platform, session, shop):
    new, client = shop
    scheduled = {name: (every, work) for name, every, work in periodic_tasks()}
    assert scheduled["webhook_housekeeping"][0] == every(get_settings().webhook_housekeeping_seconds)
    endpoint, name = await add_endpoint(
        client,
        platform.receiver_url,
        responses=[{"status": 500}, {"status": 200}, {"status": 400}, {"status": 400}],
    )
    events = [await emit(session, new.client, data={"n": i}) for i in range(5)]
    # in order: 500 then 200 (delivered), 400 (failed), 400 (failed), 200, 200
    for e, status in zip(events, ["delivered", "failed", "failed", "delivered", "delivered"], strict=True):
        await wait_delivery(session, e.id, endpoint["id"], status)
    ages = {events[0].id: 8, events[3].id: 6, events[1].id: 29, events[2].id: 31, events[4].id: 0}
    for event_id, days in ages.items():
        await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.event_id == event_id)
            .values(finished_at=datetime.now(UTC) - timedelta(days=days))
        )
    await session.commit()

    result = await housekeeping()
    assert result.get("purged_delivered") == 1 and result.get("purged_failed") == 1
    assert result.get("purged_events") == 2  # an event goes with its last delivery (issue 9)
    await session.rollback()
    left = set((await session.execute(select(WebhookDelivery.event_id))).scalars())
    assert left == {events[1].id, events[3].id, events[4].id}
    attempts_left = set((await session.execute(select(WebhookDeliveryAttempt.event_id))).scalars())
    assert attempts_left == left  # the attempts went with their delivery (the first event had two)
    events_left = set((await session.execute(select(WebhookEvent.id))).scalars())
    assert events_left == left


async def test_a_stalled_queue_head_gets_its_job_back(platform, session, shop):
    new, client = shop
    endpoint, name = await add_endpoint(client, platform.receiver_url)
    merchant = await session.get(Client, new.client.id, populate_existing=True)
    event_id = (await webhook_service.emit(session, merchant, "payment.paid", {"n": 1})).id
    await session.commit()
    outbox.forget(session)  # never pushed, and its intent gave up (as after LSP_JOB_MAX_ATTEMPTS failures)
    await session.execute(
        text(
            "UPDATE job_intents SET status = 'failed', last_error = 'boom' "
            "WHERE payload->>'delivery_id' IS NOT NULL AND status = 'pending'"
        )
    )
    await session.commit()
    # nothing is left to deliver it: no pending intent, so neither the sweeper nor a worker will
    assert await count(session, JobIntent, JobIntent.status == "pending") == 0
    d = await delivery_of(session, event_id, endpoint["id"])
    assert d.status == "pending" and await received(platform.receiver_url, name) == []

    result = await housekeeping(stalled_after_seconds=0)
    assert result.get("requeued") == 1
    await wait_delivery(session, event_id, endpoint["id"], "delivered")
    assert await count(session, JobIntent, JobIntent.status == "failed") == 1


async def test_a_job_queued_before_the_rename_still_delivers(platform, session, shop):
    """Intents written before migration 0007 name their delivery `dispatch_id`: housekeeping counts them as the
    delivery's job (it adds no second one), and the worker still delivers them."""
    from lightspeedpay.jobs import runner

    new, client = shop
    endpoint, name = await add_endpoint(client, platform.receiver_url)
    merchant = await session.get(Client, new.client.id, populate_existing=True)
    event_id = (await webhook_service.emit(session, merchant, "payment.paid", {"n": 1})).id
    await session.commit()
    outbox.forget(session)  # left for the test to run, as a job still queued from before the upgrade
    renamed = await session.execute(
        text(
            "UPDATE job_intents SET payload = payload - 'delivery_id' || jsonb_build_object('dispatch_id', "
            "payload->'delivery_id') WHERE payload ? 'delivery_id' AND status = 'pending' RETURNING id"
        )
    )
    [intent_id] = renamed.scalars().all()
    await session.commit()

    assert "requeued" not in await housekeeping(stalled_after_seconds=0)
    # the sweeper may have pushed it to a worker meanwhile; either way it runs once
    assert await runner.run_intent(intent_id) in ("completed", "already_completed")
    await wait_delivery(session, event_id, endpoint["id"], "delivered")
    assert len(await received(platform.receiver_url, name)) == 1


async def test_concurrent_emitters_never_stall_the_queue_and_keep_each_ones_order(platform, session, shop):
    """Eight streams of transactions emit at once (as payment workers do). Every event arrives (no lost hand-over
    between a finishing delivery and a new one), and each stream's events, created one after the other, arrive
    in that order. Events of different streams were created concurrently and have no order between them."""
    from lightspeedpay.db import sessionmaker

    new, client = shop
    endpoint, name = await add_endpoint(client, platform.receiver_url)
    streams, per_stream = 8, 6

    async def stream(k: int) -> list[str]:
        ids = []
        async with sessionmaker()() as s:
            for i in range(per_stream):
                merchant = await s.get(Client, new.client.id)
                assert merchant is not None
                event = await webhook_service.emit(s, merchant, "payment.paid", {"stream": k, "i": i})
                ids.append(f"evt_{event.id.hex}")
                await s.commit()
                await outbox.push_after_commit(s)
        return ids

    orders = await asyncio.gather(*(stream(k) for k in range(streams)))
    got = await wait_received(platform.receiver_url, name, streams * per_stream, timeout=60)
    arrived = [_event_id(d) for d in got]
    assert sorted(arrived) == sorted(i for ids in orders for i in ids)  # each exactly once
    for ids in orders:
        assert [i for i in arrived if i in ids] == ids
    await session.rollback()
    pending = await count(session, WebhookDelivery, WebhookDelivery.status != "delivered")
    assert pending == 0


async def test_a_delivery_finishing_while_the_next_one_looks_still_hands_over(platform, session, shop):
    """The lost wake-up, staged step by step with the worker's own functions: delivery A finishes and finds no
    next delivery (B is not committed yet); B is committed and its job finds A still pending (A is not committed
    yet). B must not give up: it waits for the endpoint's queue lock, looks again once A committed, and goes."""
    from lightspeedpay.db import sessionmaker
    from lightspeedpay.webhooks import tasks
    from lightspeedpay.webhooks.repository import delivery_repo

    new, client = shop
    endpoint, name = await add_endpoint(client, platform.receiver_url)
    endpoint_id = uuid.UUID(endpoint["id"])

    async def create_event(n: int) -> uuid.UUID:  # committed; its job is not handed to the queue
        async with sessionmaker()() as s:
            merchant = await s.get(Client, new.client.id)
            event = await webhook_service.emit(s, merchant, "payment.paid", {"n": n})
            await s.commit()
            outbox.forget(s)
            return event.id

    async def delivery_id(s, event_id: uuid.UUID) -> uuid.UUID:
        return (
            await s.execute(select(WebhookDelivery.id).where(WebhookDelivery.event_id == event_id))
        ).scalar_one()

    first = await create_event(1)
    async with sessionmaker()() as finishing, sessionmaker()() as checking:
        a = await finishing.get(WebhookDelivery, await delivery_id(finishing, first), with_for_update=True)
        # A's worker after its HTTP attempt: queue lock, A delivered, look for the endpoint's next delivery
        await delivery_repo.lock_endpoint_queue(finishing, endpoint_id)
        tasks._delivered(a, datetime.now(UTC))
        await tasks._hand_over(finishing, a)
        await finishing.flush()
        assert outbox._PENDING not in finishing.info  # nothing to hand over to: B does not exist yet

        second = await create_event(2)
        b = await delivery_id(checking, second)

        async def b_job() -> str:
            outcome = await tasks.deliver(checking, delivery_id=str(b), attempt=1)
            await checking.commit()
            return outcome

        job = asyncio.create_task(b_job())
        await wait_for(lambda: _waiting_for_a_lock(session), what="B to wait for A's lock")
        assert not job.done(), "B gave up while A was finishing: nobody would ever hand over to it"
        await finishing.commit()
        assert await asyncio.wait_for(job, 15) == "delivered"
    got = await received(platform.receiver_url, name)
    assert [_event_id(d) for d in got] == [f"evt_{second.hex}"]
