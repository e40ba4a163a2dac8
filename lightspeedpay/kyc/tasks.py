"""kyc queue: the penny drop that verifies a submitted application's settlement account."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.jobs.queues import KYC
from lightspeedpay.jobs.registry import task
from lightspeedpay.kyc.service import PENNY_DROP_TASK, kyc_service


@task(PENNY_DROP_TASK, queue=KYC)
async def penny_drop(session: AsyncSession, verification_id: str) -> None:
    await kyc_service.run_penny_drop(session, uuid.UUID(verification_id))
