"""webhook-processing queue: apply a stored PSP event to its transaction."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.jobs.registry import task
from lightspeedpay.psp_events.service import psp_event_service


@task("psp_event.process")
async def process_psp_event(session: AsyncSession, psp_event_id: str) -> None:
    await psp_event_service.process(session, uuid.UUID(psp_event_id))
