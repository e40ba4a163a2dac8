"""refunds queue: carry out a pending refund at the PSP that took the payment."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.jobs.queues import REFUNDS
from lightspeedpay.jobs.registry import task
from lightspeedpay.refunds.service import refund_service


@task("refund.process", queue=REFUNDS)
async def process_refund(session: AsyncSession, refund_id: str) -> None:
    await refund_service.process(session, uuid.UUID(refund_id))
