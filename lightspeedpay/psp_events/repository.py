"""Every query on stored PSP events."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.models import PspEvent


class PspEventRepository:
    async def insert_once(
        self,
        session: AsyncSession,
        *,
        provider: str,
        gateway_id: uuid.UUID,
        external_id: str,
        event_type: str | None,
        raw_body: str,
        parsed: dict[str, Any],
    ) -> uuid.UUID | None:
        """The new event's id, or None when this (provider, PSP event id) is already stored."""
        result: uuid.UUID | None = (
            await session.execute(
                insert(PspEvent)
                .values(
                    id=uuid.uuid4(),
                    provider=provider,
                    gateway_id=gateway_id,
                    external_id=external_id,
                    event_type=event_type,
                    raw_body=raw_body,
                    parsed=parsed,
                )
                .on_conflict_do_nothing(constraint="uq_psp_events_provider_external")
                .returning(PspEvent.id)
            )
        ).scalar_one_or_none()
        return result

    async def lock(self, session: AsyncSession, psp_event_id: uuid.UUID) -> PspEvent | None:
        return await session.get(PspEvent, psp_event_id, with_for_update=True)

    async def of_transaction(self, session: AsyncSession, transaction_id: uuid.UUID) -> list[PspEvent]:
        """The PSP's webhooks about a payment, as received (ix_psp_events_transaction)."""
        stmt = (
            select(PspEvent)
            .where(PspEvent.transaction_id == transaction_id)
            .order_by(PspEvent.received_at, PspEvent.id)
        )
        return list((await session.execute(stmt)).scalars())


psp_event_repo = PspEventRepository()
