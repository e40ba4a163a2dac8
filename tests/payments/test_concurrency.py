"""Gateway selection under 64 concurrent initiations: no spurious 503, no monthly limit overrun, and
current_volume equal to the sum of its reservations."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
from sqlalchemy import func, select

from lightspeedpay.models import JobIntent, PaymentGateway, Transaction
from tests.factories import create_merchant, create_sandbox_gateway, merchant_client


async def _burst(client, n: int, amount: int) -> Counter:
    responses = await asyncio.gather(*(client.pay(amount=amount) for _ in range(n)))
    return Counter(r.status_code for r in responses)


async def _volumes_match_reservations(session) -> list[PaymentGateway]:
    await session.rollback()
    gateways = (await session.execute(select(PaymentGateway))).scalars().all()
    for gw in gateways:
        reserved = (
            await session.execute(
                select(func.coalesce(func.sum(Transaction.amount), 0)).where(
                    Transaction.gateway_id == gw.id, Transaction.volume_released.is_(False)
                )
            )
        ).scalar_one()
        assert gw.current_volume == reserved, gw.name
        assert gw.current_volume <= gw.monthly_limit, gw.name
    return list(gateways)


async def test_64_concurrent_payments_never_get_a_spurious_503(platform, session):
    new = await create_merchant(session)
    for i in range(3):
        await create_sandbox_gateway(session, platform.simulator_url, name=f"gw{i}", monthly_limit=10**12)
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(timeout=30, limits=limits) as http:
        client = merchant_client(platform.api_url, new, http)
        for _ in range(3):
            statuses = await _burst(client, 64, 1_000)
            assert statuses == Counter({201: 64}), statuses
    gateways = await _volumes_match_reservations(session)
    assert sum(g.current_volume for g in gateways) == 192 * 1_000
    # equal priority: the least-recently-used rule spreads the load over all three
    assert all(g.current_volume > 0 for g in gateways)
    assert (await session.execute(select(func.count()).select_from(JobIntent))).scalar_one() == 192


async def test_64_concurrent_payments_fill_the_limits_exactly(platform, session):
    new = await create_merchant(session)
    # room for 10 + 7 + 3 = 20 payments of ₹100 in all
    for i, slots in enumerate((10, 7, 3)):
        await create_sandbox_gateway(
            session, platform.simulator_url, name=f"gw{i}", monthly_limit=slots * 10_000, priority=3 - i
        )
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(timeout=30, limits=limits) as http:
        statuses = await _burst(merchant_client(platform.api_url, new, http), 64, 10_000)
    assert statuses == Counter({201: 20, 503: 44}), statuses
    gateways = await _volumes_match_reservations(session)
    assert sorted(g.current_volume for g in gateways) == [30_000, 70_000, 100_000]
