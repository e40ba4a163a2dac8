"""kit.db_conflicts: a real PostgreSQL deadlock between two sessions; the victim's savepoint is rolled back
and redone, and both units of work take effect exactly once."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import select, update

from lightspeedpay.db import sessionmaker
from lightspeedpay.kit.db_conflicts import retry_on_conflict
from lightspeedpay.models import PaymentGateway
from tests.factories import create_sandbox_gateway


async def test_the_victim_of_a_deadlock_is_redone_in_its_savepoint(platform, session):
    first = (await create_sandbox_gateway(session, platform.simulator_url)).id
    second = (await create_sandbox_gateway(session, platform.simulator_url)).id
    holding = {"a": asyncio.Event(), "b": asyncio.Event()}
    runs = {"a": 0, "b": 0}

    async def bump(s, gateway_id: uuid.UUID) -> None:
        await s.execute(
            update(PaymentGateway)
            .where(PaymentGateway.id == gateway_id)
            .values(consecutive_failures=PaymentGateway.consecutive_failures + 1)
        )

    async def unit(me: str, other: str, mine: uuid.UUID, theirs: uuid.UUID) -> None:
        async with sessionmaker()() as s:

            async def work() -> None:
                runs[me] += 1
                await bump(s, mine)
                holding[me].set()
                await holding[other].wait()
                await bump(s, theirs)  # the two sessions now wait for each other: PostgreSQL picks a victim

            await retry_on_conflict(work, what="test", session=s)
            await s.commit()

    await asyncio.wait_for(asyncio.gather(unit("a", "b", first, second), unit("b", "a", second, first)), 30)

    assert sorted(runs.values()) == [1, 2]  # the victim ran twice, the other once
    await session.rollback()
    failures = (
        (
            await session.execute(
                select(PaymentGateway.consecutive_failures).where(PaymentGateway.id.in_([first, second]))
            )
        )
        .scalars()
        .all()
    )
    assert failures == [2, 2]  # each unit's two updates took effect once
