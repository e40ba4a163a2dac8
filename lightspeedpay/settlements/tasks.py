"""settlements queue: process a settlement, then (when the merchant settles dues from settlements) the
commission payout that deducts them."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.jobs.queues import SETTLEMENTS
from lightspeedpay.jobs.registry import task
from lightspeedpay.settlements.service import settlement_service


@task("settlement.process", queue=SETTLEMENTS)
async def process_settlement(session: AsyncSession, settlement_id: str) -> None:
    await settlement_service.process(session, uuid.UUID(settlement_id))


@task("commission.payout", queue=SETTLEMENTS)
async def commission_payout(session: AsyncSession, settlement_id: str) -> None:
    await settlement_service.commission_payout(session, uuid.UUID(settlement_id))
