"""Migration 0005 on a database that already has merchants, events and attempts (a database of its own):
each webhook_url becomes the merchant's default endpoint with its existing secret, past events become
deliveries to it, attempts are linked; a job intent written before 0005 still delivers."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from alembic import command
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from standardwebhooks import Webhook

from lightspeedpay.db_admin import alembic_config, create_database_if_missing
from lightspeedpay.kit import crypto, standard_webhooks
from lightspeedpay.models import WebhookDelivery
from lightspeedpay.webhooks.tasks import deliver
from tests.webhooks.helpers import configure, receiver_name, wait_received


@pytest.fixture
async def old_database(platform):
    url = platform.env["LSP_DATABASE_URL"] + "_migration"
    await create_database_if_missing(url)
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    await conn.close()
    await asyncio.to_thread(command.upgrade, alembic_config(url), "0004")
    yield url


async def test_0005_turns_webhook_urls_into_default_endpoints_and_keeps_history(platform, old_database):
    url = old_database
    name = receiver_name()
    secret = standard_webhooks.new_secret()
    with_url, without_url = uuid.uuid4(), uuid.uuid4()
    ev_delivered, ev_pending, ev_failed, ev_orphan = (uuid.uuid4() for _ in range(4))
    t0 = datetime.now(UTC) - timedelta(hours=1)
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        for cid, hook in ((with_url, f"{platform.receiver_url}/webhooks/{name}"), (without_url, None)):
            await conn.execute(
                "INSERT INTO clients (id, client_key, client_salt_enc, webhook_secret_enc, company_name, webhook_url)"
                " VALUES ($1, $2, $3, $4, $5, $6)",
                cid,
                f"lsp_{cid.hex[:12]}",
                crypto.encrypt("salt"),
                crypto.encrypt(secret),
                f"Shop {cid.hex[:4]}",
                hook,
            )
        for i, (eid, cid, status, attempts, retry) in enumerate(
            (
                (ev_delivered, with_url, "delivered", 2, None),
                (ev_pending, with_url, "pending", 1, t0 + timedelta(hours=2)),
                (ev_failed, with_url, "failed", 5, None),
                (ev_orphan, without_url, "failed", 0, None),
            )
        ):
            payload = f'{{"id": "evt_{eid.hex}", "type": "payment.paid", "data": {{"n": {i}}}}}'
            await conn.execute(
                "INSERT INTO webhook_events (id, client_id, type, payload, status, attempts, next_retry_at,"
                " created_at, delivered_at) VALUES ($1, $2, 'payment.paid', $3::jsonb, $4, $5, $6, $7, $8)",
                eid,
                cid,
                payload,
                status,
                attempts,
                retry,
                t0 + timedelta(minutes=i),
                t0 + timedelta(minutes=i, seconds=5) if status == "delivered" else None,
            )
        for eid, attempt, code in (
            (ev_delivered, 1, 500),
            (ev_delivered, 2, 200),
            (ev_pending, 1, 503),
            (ev_failed, 1, 400),
        ):
            await conn.execute(
                "INSERT INTO webhook_deliveries (event_id, attempt, url, status_code, latency_ms, error)"
                " VALUES ($1, $2, 'http://old.example/h', $3, 12, $4)",
                eid,
                attempt,
                code,
                None if code == 200 else f"HTTP {code}",
            )
    finally:
        await conn.close()

    await asyncio.to_thread(command.upgrade, alembic_config(url), "head")

    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        endpoints = await conn.fetch("SELECT * FROM webhook_endpoints")
        assert len(endpoints) == 1
        [endpoint] = endpoints
        assert endpoint["client_id"] == with_url and endpoint["is_default"] and endpoint["enabled"]
        assert endpoint["url"] == f"{platform.receiver_url}/webhooks/{name}"
        assert crypto.decrypt(endpoint["secret_enc"]) == secret
        deliveries = await conn.fetch("SELECT * FROM webhook_deliveries ORDER BY seq")  # the name since 0007
        assert [(d["event_id"], d["status"], d["attempts"]) for d in deliveries] == [
            (ev_delivered, "delivered", 2),
            (ev_pending, "pending", 1),
            (ev_failed, "failed", 5),
        ]
        assert deliveries[1]["next_attempt_at"] == t0 + timedelta(hours=2)
        assert deliveries[0]["finished_at"] is not None and deliveries[1]["finished_at"] is None
        attempts = await conn.fetch(
            "SELECT event_id, attempt, status, endpoint_id, delivery_id "
            "FROM webhook_delivery_attempts ORDER BY event_id, attempt"
        )
        by_event = {d["event_id"]: d["id"] for d in deliveries}
        for a in attempts:
            assert a["endpoint_id"] == endpoint["id"] and a["delivery_id"] == by_event[a["event_id"]]
        assert sorted((a["attempt"], a["status"]) for a in attempts if a["event_id"] == ev_delivered) == [
            (1, "failed"),
            (2, "succeeded"),
        ]
    finally:
        await conn.close()

    # an intent written before 0005 names only its event; it still delivers, as attempt 2, to the default
    await configure(platform.receiver_url, name, secret=secret)
    engine = create_async_engine(url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            outcome = await deliver(session, event_id=str(ev_pending), attempt=2)
            await session.commit()
            assert outcome == "delivered"
            delivery = await session.get(WebhookDelivery, by_event[ev_pending])
            assert delivery is not None and (delivery.status, delivery.attempts) == ("delivered", 2)
    finally:
        await engine.dispose()
    [got] = await wait_received(platform.receiver_url, name, 1)
    assert Webhook(secret).verify(got["body"], got["headers"])["data"] == {"n": 1}

    await asyncio.to_thread(command.downgrade, alembic_config(url), "0004")
    await asyncio.to_thread(command.upgrade, alembic_config(url), "head")
