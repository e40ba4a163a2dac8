"""The scheduler's health probe brings a tripped gateway back once its PSP answers, and writes the recovery
in its own short unit of work (the PSP is asked with no transaction open); a PSP that still hangs stays
tripped without holding up the others."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from sqlalchemy import select

from lightspeedpay.gateways.service import gateway_service
from lightspeedpay.models import PaymentGateway
from tests.factories import create_sandbox_gateway, wait_for


async def test_the_probe_clears_a_tripped_gateway_that_answers_and_keeps_a_hanging_one_tripped(
    platform, session
):
    back = await create_sandbox_gateway(session, platform.simulator_url, name="back")
    hanging = await create_sandbox_gateway(session, platform.simulator_url, name="still-hanging")
    async with httpx.AsyncClient(timeout=10) as sim:
        key_id = gateway_service.account(hanging).credentials["key_id"]
        r = await sim.put(
            f"{platform.simulator_url}/_sim/accounts/{key_id}/faults",
            json={"timeout": True, "timeout_seconds": 30},
        )
        assert r.status_code == 200, r.text
    for gw in (back, hanging):
        gw.temp_failed, gw.consecutive_failures, gw.temp_failed_at = True, 5, datetime.now(UTC)
    await session.commit()
    back_id, hanging_id = back.id, hanging.id

    try:

        async def recovered():
            await session.rollback()
            return not await session.scalar(
                select(PaymentGateway.temp_failed).where(PaymentGateway.id == back_id)
            )

        await wait_for(recovered, timeout=30, what="the probe to clear the breaker of the answering gateway")
        rows = {g.id: g for g in (await session.execute(select(PaymentGateway))).scalars()}
        assert (
            rows[back_id].temp_failed,
            rows[back_id].consecutive_failures,
            rows[back_id].temp_failed_at,
        ) == (False, 0, None)
        assert rows[hanging_id].temp_failed is True
    finally:
        async with httpx.AsyncClient(timeout=10) as sim:
            await sim.put(f"{platform.simulator_url}/_sim/accounts/{key_id}/faults", content=b"")
