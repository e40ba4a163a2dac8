"""A Razorpay-style order: what the payer is asked to pay; its payments are transactions that point to it."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from lightspeedpay.kit.ids import new_id
from lightspeedpay.models.base import Base, created_at, mode_column, sql_in, updated_at, uuid_pk


class OrderStatus(StrEnum):
    CREATED = "created"
    ATTEMPTED = "attempted"
    PAID = "paid"


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("amount > 0", name="ck_orders_amount_positive"),
        CheckConstraint("currency IN ('INR')", name="ck_orders_currency"),
        CheckConstraint(f"status IN {sql_in(OrderStatus)}", name="ck_orders_status"),
        CheckConstraint("attempts >= 0", name="ck_orders_attempts"),
        Index("ix_orders_client_created", "client_id", "created_at", "id"),
        # a merchant's payment search by the order's receipt (payments/repository.py `_search_conditions`)
        Index(
            "ix_orders_client_receipt", "client_id", "receipt", postgresql_where=text("receipt IS NOT NULL")
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    # the id merchants see: "order_" + 14 base62 characters, as Razorpay's
    public_id: Mapped[str] = mapped_column(
        String(20), nullable=False, unique=True, default=lambda: new_id("order")
    )
    client_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("clients.id"), nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False, server_default="INR")
    receipt: Mapped[str | None] = mapped_column(String(40))
    notes: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(20), nullable=False, server_default="created")
    # payment attempts started for this order (each is a transaction)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
    mode: Mapped[str] = mode_column()
