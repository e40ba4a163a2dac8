"""Every query on the gateway pool, including the one-statement selection and reservation."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from lightspeedpay.models import PaymentGateway


class GatewayRepository:
    async def get(self, session: AsyncSession, gateway_id: uuid.UUID) -> PaymentGateway | None:
        return await session.get(PaymentGateway, gateway_id)

    async def by_name(self, session: AsyncSession, name: str) -> PaymentGateway | None:
        return (await session.execute(select(PaymentGateway).where(PaymentGateway.name == name))).scalar_one_or_none()

    async def all(self, session: AsyncSession) -> list[PaymentGateway]:
        return list((await session.execute(select(PaymentGateway).order_by(PaymentGateway.priority.desc(),
                                                                           PaymentGateway.name))).scalars())

    async def release(self, session: AsyncSession, gateway_id: uuid.UUID, amount: int, month: date) -> None:
        """Give a failed payment's amount back to the gateway's monthly volume (only within the same month)."""
        await session.execute(
            update(PaymentGateway)
            .where(PaymentGateway.id == gateway_id, PaymentGateway.volume_month == month)
            .values(current_volume=PaymentGateway.current_volume - amount)
        )

    async def any_eligible(self, conn: AsyncConnection, amount: int, month: date) -> bool:
        return bool((await conn.execute(text(
            "SELECT EXISTS (SELECT 1 FROM payment_gateways WHERE is_active AND NOT temp_failed AND "
            "(CASE WHEN volume_month = :month THEN current_volume ELSE 0 END) + :amount <= monthly_limit)"),
            {"amount": amount, "month": month})).scalar())


gateway_repo = GatewayRepository()
