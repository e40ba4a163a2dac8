"""Stream events leave only with a commit: a unit of work that rolls back publishes nothing, one that commits
publishes after its commit (never before), a row changed twice in one unit is published once in its committed
state, and a Redis that does not answer costs the unit a bounded wait, never its commit."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis

from lightspeedpay.config import get_settings
from lightspeedpay.db import sessionmaker
from lightspeedpay.jobs import broadcast, queues
from lightspeedpay.jobs.unit_of_work import unit_of_work
from lightspeedpay.models import Transaction
from lightspeedpay.payments.service import payment_service
from tests.factories import add_transaction, create_merchant, create_sandbox_gateway
from tests.redis_proxy import FreezingRedisProxy


class Tap:
    """Every stream message published on this test's channels, as (topic, event, data)."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str, dict]] = []

    def about(self, txn_id: object) -> list[tuple[str, str, dict]]:
        return [m for m in self.messages if m[2].get("id") == str(txn_id)]


@contextlib.asynccontextmanager
async def _tap() -> AsyncIterator[Tap]:
    tap, prefix = Tap(), broadcast.channel_prefix()
    client = redis.Redis.from_url(get_settings().redis_url)
    pubsub = client.pubsub()
    await pubsub.psubscribe(prefix + "*")
    assert (await pubsub.get_message(timeout=5))["type"] == "psubscribe"

    async def read() -> None:
        while True:
            m = await pubsub.get_message(timeout=1)
            if m and m["type"] == "pmessage":
                event, _, data = m["data"].partition(b"\n")
                tap.messages.append((m["channel"].decode()[len(prefix) :], event.decode(), json.loads(data)))

    reader = asyncio.create_task(read())
    try:
        yield tap
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
        await pubsub.aclose()
        await client.aclose()


async def _created(session, platform) -> Transaction:
    new = await create_merchant(session)
    gateway = await create_sandbox_gateway(session, platform.simulator_url)
    txn = add_transaction(session, new.client.id, gateway)
    await session.commit()
    return txn


async def _status(txn_id) -> str:
    async with sessionmaker()() as s:
        txn = await s.get(Transaction, txn_id)
        assert txn is not None
        return txn.status


async def test_a_rolled_back_unit_publishes_nothing(platform, session):
    txn = await _created(session, platform)
    async with _tap() as tap:
        with pytest.raises(RuntimeError):
            async with unit_of_work() as s:
                row = await s.get(Transaction, txn.id)
                assert row is not None
                row.status = "pending"
                payment_service.announce(s, row)
                await s.flush()
                raise RuntimeError("the block failed")
        # a control event published afterwards arrives, so the tap was listening all along
        async with unit_of_work() as s:
            broadcast.publish(s, broadcast.TRANSACTIONS, "transaction", {"id": "control"})
        await _until(lambda: tap.about("control"))
    assert tap.about(txn.id) == []
    assert await _status(txn.id) == "created"


async def test_a_committed_unit_publishes_after_its_commit_once_per_row(platform, session):
    txn = await _created(session, platform)
    async with _tap() as tap:
        async with unit_of_work() as s:
            row = await s.get(Transaction, txn.id)
            assert row is not None
            row.status = "pending"
            payment_service.announce(s, row)
            row.status = "authorized"  # changed again in the same unit: published once, as committed
            payment_service.announce(s, row)
            await s.flush()
            await asyncio.sleep(0.5)
            assert tap.about(txn.id) == []  # not before the commit
        await _until(lambda: len(tap.about(txn.id)) >= 2)
        await asyncio.sleep(0.3)
        got = tap.about(txn.id)
    assert sorted((topic, event, data["status"]) for topic, event, data in got) == [
        (broadcast.merchant_transactions(txn.client_id), "transaction", "authorized"),
        (broadcast.TRANSACTIONS, "transaction", "authorized"),
    ]
    assert await _status(txn.id) == "authorized"


async def test_a_redis_that_does_not_answer_never_fails_the_unit(platform, session):
    txn = await _created(session, platform)
    settings = get_settings()
    real_url = settings.redis_url
    async with FreezingRedisProxy(b"", redis_url=real_url) as proxy:
        await queues.close()
        settings.redis_url = proxy.url(real_url)
        try:
            started = time.monotonic()
            async with unit_of_work() as s:
                row = await s.get(Transaction, txn.id)
                assert row is not None
                row.status = "pending"
                payment_service.announce(s, row)
            elapsed = time.monotonic() - started
        finally:
            await queues.close()
            settings.redis_url = real_url
    assert await _status(txn.id) == "pending"
    bound = settings.stream_publish_timeout_seconds
    assert elapsed < bound + 0.8, f"the commit waited {elapsed:.1f} s for a silent Redis (bound {bound} s)"


async def _until(condition, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)
