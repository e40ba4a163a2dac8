"""Delivery settings that only a worker process started with them can show: a worker that may not reach
private addresses (production's default) refuses an endpoint on loopback, and a short timeout makes a slow
receiver a retried failure. The test platform's worker is swapped for one with the setting, then restored."""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import pytest

from lightspeedpay.config import Settings
from tests.factories import create_merchant, merchant_client
from tests.fixtures import Platform
from tests.webhooks.helpers import add_endpoint, attempts_of, call, configure, emit, received, wait_delivery

BASE = "/api/v1/merchant/webhooks"


@pytest.fixture
def worker_with(platform: Platform) -> Callable[..., object]:
    @asynccontextmanager
    async def swap(**env: str) -> AsyncIterator[None]:
        platform.kill("worker", signal.SIGTERM)
        variant = Platform(env={**platform.env, **env})
        variant.start("worker-variant", "worker")
        try:
            yield
        finally:
            variant.stop_all()
            platform.start("worker", "worker")

    return swap


@pytest.fixture
async def shop(platform, session):
    new = await create_merchant(session)
    async with httpx.AsyncClient(timeout=15) as http:
        yield new, merchant_client(platform.api_url, new, http)


def test_production_refuses_private_targets_by_default(monkeypatch):
    monkeypatch.delenv("LSP_WEBHOOK_ALLOW_PRIVATE_TARGETS", raising=False)  # the tests set it
    assert Settings(env="production").webhook_allow_private_targets is False
    assert Settings(env="development").webhook_allow_private_targets is True
    assert (
        Settings(env="production", webhook_allow_private_targets=True).webhook_allow_private_targets is True
    )


async def test_a_worker_that_may_not_reach_private_addresses_refuses_a_loopback_endpoint(
    platform, session, shop, worker_with
):
    new, client = shop
    port = platform.env["LSP_RECEIVER_PORT"]
    by_ip, ip_name = await add_endpoint(client, platform.receiver_url)  # http://127.0.0.1:<port>/webhooks/…
    assert by_ip["url"].startswith("http://127.0.0.1:")
    name = f"byname{ip_name}"
    by_name = (await call(client, "POST", BASE, {"url": f"http://localhost:{port}/webhooks/{name}"})).json()
    await configure(platform.receiver_url, name, secret=by_name["secret"])

    async with worker_with(LSP_WEBHOOK_ALLOW_PRIVATE_TARGETS="false"):
        event = await emit(session, new.client)
        refused_ip = await wait_delivery(session, event.id, by_ip["id"], "failed")
        refused_name = await wait_delivery(session, event.id, by_name["id"], "failed")

    for refused, host in ((refused_ip, "127.0.0.1"), (refused_name, "localhost")):
        [attempt] = await attempts_of(session, refused.id)  # refused once, not retried: it would not help
        assert attempt.status_code is None and attempt.status == "failed"
        assert attempt.error.startswith(f"refused: {host}")
        assert "loopback address; webhooks are only delivered to public addresses" in attempt.error
    assert await received(platform.receiver_url, ip_name) == []
    assert await received(platform.receiver_url, name) == []
    [logged] = (await call(client, "GET", f"{BASE}/{by_ip['id']}/deliveries")).json()["items"]
    assert logged["error"] == refused_ip.last_error and logged["response"]["status_code"] is None

    # the platform's own worker (private targets allowed, as in tests and the demo) delivers to it
    again = await emit(session, new.client)
    await wait_delivery(session, again.id, by_ip["id"], "delivered")


async def test_a_receiver_slower_than_the_timeout_is_retried(platform, session, shop, worker_with):
    new, client = shop
    endpoint, name = await add_endpoint(
        client, platform.receiver_url, responses=[{"status": 200, "delay_ms": 2500}]
    )
    async with worker_with(LSP_WEBHOOK_TIMEOUT_SECONDS="1"):
        event = await emit(session, new.client)
        d = await wait_delivery(session, event.id, endpoint["id"], "delivered")
    first, second = await attempts_of(session, d.id)
    assert first.status_code is None and first.error.startswith("ReadTimeout")
    assert 900 <= first.latency_ms < 2500 and first.retry_at is not None
    assert second.status_code == 200
    assert len(await received(platform.receiver_url, name)) == 2
