"""webhook-processing queue: apply a stored PSP event to its transaction."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.jobs.queues import WEBHOOK_PROCESSING
from lightspeedpay.jobs.registry import task
from lightspeedpay.psp_events.service import psp_event_service


@task("psp_event.process", queue=WEBHOOK_PROCESSING)
async def process_psp_event(session: AsyncSession, psp_event_id: str) -> None:
    await psp_event_service.process(session, uuid.UUID(psp_event_id))
