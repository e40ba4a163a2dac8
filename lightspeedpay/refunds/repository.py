"""Every query on refunds; merchant reads are scoped to the merchant in one place."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.kit.pagination import OffsetWindow, newest_first
from lightspeedpay.models import Refund
from lightspeedpay.models.refund import RefundStatus
from lightspeedpay.payments.repository import ALL_TXN


class RefundRepository:
    def readable(self, client_id: uuid.UUID, *, mode: str | None = None) -> Select[Refund]:
        """A merchant's refunds; of one `mode` only when given (what a merchant's request reads)."""
        stmt = select(Refund).where(Refund.client_id == client_id)
        return stmt if mode is None else stmt.where(Refund.mode == mode)

    async def by_public_id(
        self, session: AsyncSession, client_id: uuid.UUID, public_id: str, *, mode: str | None = None
    ) -> Refund | None:
        stmt = self.readable(client_id, mode=mode).where(Refund.public_id == public_id)
        return (await session.execute(stmt)).scalar_one_or_none()

    async def page(
        self,
        session: AsyncSession,
        client_id: uuid.UUID,
        window: OffsetWindow,
        *,
        transaction_id: uuid.UUID | None = None,
        mode: str | None = None,
    ) -> list[Refund]:
        stmt = self.readable(client_id, mode=mode)
        if transaction_id is not None:
            stmt = stmt.where(Refund.transaction_id == transaction_id)
        return list((await session.execute(window.apply(stmt, Refund))).scalars())

    async def list_for_merchant(
        self,
        session: AsyncSession,
        client_id: uuid.UUID,
        *,
        mode: str,
        status: str | None,
        created_from: datetime | None,
        created_to: datetime | None,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None,
    ) -> list[Refund]:
        """A merchant's refunds of one mode, newest first (ix_refunds_client_created)."""
        stmt = self.readable(client_id, mode=mode)
        if status is not None:
            stmt = stmt.where(Refund.status == status)
        if created_from is not None:
            stmt = stmt.where(Refund.created_at >= created_from)
        if created_to is not None:
            stmt = stmt.where(Refund.created_at < created_to)
        stmt = newest_first(stmt, Refund, after=after, limit=limit)
        return list((await session.execute(stmt)).scalars())

    async def list_for_transaction(
        self,
        session: AsyncSession,
        client_id: uuid.UUID,
        transaction_id: uuid.UUID,
        *,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None,
    ) -> list[Refund]:
        stmt = self.readable(client_id).where(Refund.transaction_id == transaction_id)
        stmt = newest_first(stmt, Refund, after=after, limit=limit)
        return list((await session.execute(stmt)).scalars())

    async def all_of_transaction(
        self, session: AsyncSession, client_id: uuid.UUID, transaction_id: uuid.UUID
    ) -> list[Refund]:
        """A payment's refunds, oldest first (a payment has a handful)."""
        stmt = self.readable(client_id).where(Refund.transaction_id == transaction_id)
        return list((await session.execute(stmt.order_by(Refund.created_at, Refund.id))).scalars())

    async def committed_total(self, session: AsyncSession, transaction_id: uuid.UUID) -> int:
        """What refunds already take of the payment: processed ones and those still pending."""
        stmt = select(func.coalesce(func.sum(Refund.amount), 0)).where(
            Refund.transaction_id == transaction_id, Refund.status != RefundStatus.FAILED
        )
        return int((await session.execute(stmt)).scalar_one())

    async def has_open(self, session: AsyncSession, transaction_id: uuid.UUID) -> bool:
        stmt = (
            select(Refund.id)
            .where(Refund.transaction_id == transaction_id, Refund.status == RefundStatus.PENDING)
            .limit(1)
        )
        return (await session.execute(stmt)).first() is not None

    async def get_for_update(self, session: AsyncSession, refund_id: uuid.UUID) -> Refund | None:
        return await session.get(Refund, refund_id, with_for_update=True, populate_existing=True)

    async def by_gateway_refund(
        self, session: AsyncSession, gateway_id: uuid.UUID, gateway_refund_id: str
    ) -> Refund | None:
        stmt = (
            select(Refund)
            .join(ALL_TXN, ALL_TXN.id == Refund.transaction_id)  # the payment may be archived
            .where(ALL_TXN.gateway_id == gateway_id, Refund.gateway_refund_id == gateway_refund_id)
            .with_for_update(of=Refund)
        )
        return (await session.execute(stmt)).scalar_one_or_none()


refund_repo = RefundRepository()
