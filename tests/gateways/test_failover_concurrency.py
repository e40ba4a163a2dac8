"""Concurrent failovers with every PSP down (issue 8, defect 9): the worker's failovers and the API's
initiations touch the same gateway rows, and must neither deadlock nor lose a breaker trip."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from lightspeedpay.gateways.service import gateway_service
from lightspeedpay.models import Alert, GatewayAttempt, JobIntent, PaymentGateway, Transaction
from tests.factories import create_merchant, create_sandbox_gateway, merchant_client, wait_for
from tests.fixtures import LOG_DIR

PAYMENTS, CONCURRENCY, GATEWAYS = 200, 16, 4


class LogTail:
    """What the platform's processes log from now on (their log files are shared by the whole session)."""

    def __init__(self, *names: str) -> None:
        self.files = {name: LOG_DIR / f"{name}.log" for name in names}
        self.offsets = {name: _size(path) for name, path in self.files.items()}

    def lines(self, word: str) -> list[str]:
        found = []
        for name, path in self.files.items():
            with open(path, "rb") as f:
                f.seek(self.offsets[name])
                found += [
                    f"{name}: {line.strip()[:300]}"
                    for line in f.read().decode(errors="replace").splitlines()
                    if word.lower() in line.lower()
                ]
        return found


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


@pytest.fixture
async def http():
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(timeout=60, limits=limits) as c:
        yield c


async def test_every_gateway_failing_at_once_gives_no_500_no_deadlock_and_one_alert_per_trip(
    platform, session, http
):
    logs = LogTail("api", "worker", "scheduler")
    new = await create_merchant(session)
    down = [
        await create_sandbox_gateway(session, platform.simulator_url, name=f"down{i}")
        for i in range(GATEWAYS)
    ]
    down_ids = [gw.id for gw in down]
    async with httpx.AsyncClient() as c:
        for gw in down:
            key_id = gateway_service.account(gw).credentials["key_id"]
            r = await c.put(f"{platform.simulator_url}/_sim/accounts/{key_id}/faults", json={"http_5xx": 502})
            assert r.status_code == 200, r.text
    client = merchant_client(platform.api_url, new, http)
    slots = asyncio.Semaphore(CONCURRENCY)

    async def pay() -> httpx.Response:
        async with slots:
            return await client.pay(amount=10_000)

    responses = await asyncio.gather(*(pay() for _ in range(PAYMENTS)))

    # 201 while some gateway could still take the payment, 503 once every breaker is open; never a 500
    codes = Counter(r.status_code for r in responses)
    assert set(codes) <= {201, 503}, (
        codes,
        [r.text[:300] for r in responses if r.status_code not in (201, 503)][:3],
    )
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 503} <= {"NO_GATEWAY_AVAILABLE"}
    started = codes[201]
    assert started > 0

    async def all_failed() -> bool:
        await session.rollback()
        statuses = Counter((await session.execute(select(Transaction.status))).scalars())
        return statuses == Counter({"failed": started})

    await wait_for(all_failed, timeout=180, every=1, what=f"all {started} started payments to fail")
    await session.rollback()
    # each failed because no PSP could create its order, after technical errors only (never a decline)
    assert set((await session.execute(select(Transaction.error_code))).scalars()) == {"PSP_UNAVAILABLE"}
    assert set((await session.execute(select(GatewayAttempt.outcome))).scalars()) == {"technical_error"}
    # the reservations moved with their payments and were all given back
    volumes = dict((await session.execute(select(PaymentGateway.id, PaymentGateway.current_volume))).all())
    assert volumes == dict.fromkeys(down_ids, 0)

    # every breaker tripped, and each trip left exactly one alert
    tripped = (
        (await session.execute(select(PaymentGateway.id).where(PaymentGateway.temp_failed))).scalars().all()
    )
    assert set(tripped) == set(down_ids)
    alerts = Counter(
        (await session.execute(select(Alert.gateway_id).where(Alert.kind == "gateway.down"))).scalars()
    )
    assert alerts == Counter(dict.fromkeys(down_ids, 1))

    # every job ran to completion without a deadlock victim on the way
    intents = (
        await session.execute(
            select(JobIntent.status, func.count())
            .where(JobIntent.name == "transaction.process")
            .group_by(JobIntent.status)
        )
    ).all()
    assert {status for status, _ in intents} == {"completed"}, intents
    victims = (
        await session.execute(
            select(func.count()).select_from(JobIntent).where(JobIntent.last_error.ilike("%deadlock%"))
        )
    ).scalar_one()
    assert victims == 0
    assert logs.lines("deadlock") == []
