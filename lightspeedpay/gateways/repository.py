"""Every query on the gateway pool, including the one-statement selection and reservation."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Row, delete, exists, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from lightspeedpay.models import Alert, GatewayAttempt, PaymentGateway, PspEvent, Transaction


class GatewayRepository:
    async def get(self, session: AsyncSession, gateway_id: uuid.UUID) -> PaymentGateway | None:
        return await session.get(PaymentGateway, gateway_id)

    async def by_name(self, session: AsyncSession, name: str) -> PaymentGateway | None:
        return (await session.execute(select(PaymentGateway).where(PaymentGateway.name == name))).scalar_one_or_none()

    async def all(self, session: AsyncSession, *, fresh: bool = False) -> list[PaymentGateway]:
        """Every gateway, best first; `fresh` re-reads rows this session has already loaded and changed."""
        stmt = select(PaymentGateway).order_by(PaymentGateway.priority.desc(), PaymentGateway.name)
        if fresh:
            stmt = stmt.execution_options(populate_existing=True)
        return list((await session.execute(stmt)).scalars())

    async def lock(self, session: AsyncSession, gateway_id: uuid.UUID) -> PaymentGateway | None:
        stmt = (select(PaymentGateway).where(PaymentGateway.id == gateway_id).with_for_update()
                .execution_options(populate_existing=True))
        return (await session.execute(stmt)).scalar_one_or_none()

    async def lock_many(self, session: AsyncSession, gateway_ids: Sequence[uuid.UUID]) -> list[PaymentGateway]:
        """Lock in id order, so two bulk changes cannot deadlock on each other."""
        stmt = (select(PaymentGateway).where(PaymentGateway.id.in_(gateway_ids)).order_by(PaymentGateway.id)
                .with_for_update().execution_options(populate_existing=True))
        return list((await session.execute(stmt)).scalars())

    async def has_history(self, session: AsyncSession, gateway_id: uuid.UUID) -> bool:
        """Whether any payment, PSP event, attempt or alert refers to the gateway (it must then be kept)."""
        checks = [exists().where(model.gateway_id == gateway_id)
                  for model in (Transaction, PspEvent, GatewayAttempt, Alert)]
        return bool((await session.execute(select(checks[0] | checks[1] | checks[2] | checks[3]))).scalar())

    async def delete(self, session: AsyncSession, gateway_id: uuid.UUID) -> None:
        await session.execute(delete(PaymentGateway).where(PaymentGateway.id == gateway_id))

    async def attempt_figures(self, session: AsyncSession, *, window_minutes: int) -> dict[uuid.UUID, Row[Any]]:
        """Per gateway over the last `window_minutes`: attempts by outcome and latency percentiles (ms)."""
        a = GatewayAttempt
        stmt = (
            select(
                a.gateway_id,
                func.count().label("attempts"),
                func.count().filter(a.outcome == "created").label("created"),
                func.count().filter(a.outcome == "declined").label("declines"),
                func.count().filter(a.outcome == "technical_error").label("technical_errors"),
                func.percentile_cont(0.5).within_group(a.latency_ms).label("p50"),
                func.percentile_cont(0.95).within_group(a.latency_ms).label("p95"),
            )
            .where(a.created_at > func.now() - timedelta(minutes=window_minutes))
            .group_by(a.gateway_id)
        )
        return {row.gateway_id: row for row in (await session.execute(stmt)).all()}

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
