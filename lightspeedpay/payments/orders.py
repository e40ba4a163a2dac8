"""Orders (Razorpay's model): what a payer is asked to pay. Payments of an order are transactions started with
`payment_service.start_for_order`; the order moves created → attempted → paid and stays paid."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.auth.principal import MerchantAuth
from lightspeedpay.errors import NotFound
from lightspeedpay.kit.ids import new_id
from lightspeedpay.kit.pagination import OffsetWindow
from lightspeedpay.models import Order, Transaction
from lightspeedpay.models.order import OrderStatus
from lightspeedpay.payments.repository import order_repo, transaction_repo
from lightspeedpay.payments.schemas import OrderFilter


class OrderService:
    async def create(
        self,
        session: AsyncSession,
        merchant: MerchantAuth,
        *,
        amount: int,
        currency: str,
        receipt: str | None,
        notes: dict[str, Any] | None,
    ) -> Order:
        order = Order(
            id=uuid.uuid4(),
            public_id=new_id("order"),
            client_id=merchant.id,
            amount=amount,
            currency=currency,
            receipt=receipt,
            notes=notes,
            status=OrderStatus.CREATED,
            attempts=0,
            mode=merchant.mode,
        )
        session.add(order)
        await session.flush()
        await session.refresh(order)
        return order

    async def get(self, session: AsyncSession, merchant: MerchantAuth, public_id: str) -> Order:
        order = await order_repo.by_public_id(session, merchant.id, public_id, mode=merchant.mode)
        if order is None:
            raise NotFound("The id provided does not exist", field="order_id")
        return order

    async def page(
        self, session: AsyncSession, merchant: MerchantAuth, window: OffsetWindow, flt: OrderFilter
    ) -> list[Order]:
        return await order_repo.page(session, merchant.id, window, flt, mode=merchant.mode)

    async def payments(
        self, session: AsyncSession, merchant: MerchantAuth, public_id: str, window: OffsetWindow
    ) -> list[Transaction]:
        order = await self.get(session, merchant, public_id)
        return await transaction_repo.page(
            session, merchant.id, window, parent_order_id=order.id, mode=merchant.mode
        )

    async def public_ids(self, session: AsyncSession, txns: list[Transaction]) -> dict[uuid.UUID, str]:
        """order uuid -> order_… for the payments given (one query)."""
        return await order_repo.public_ids(
            session, {t.parent_order_id for t in txns if t.parent_order_id is not None}
        )


order_service = OrderService()
