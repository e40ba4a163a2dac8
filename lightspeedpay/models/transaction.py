"""A merchant's payment, routed to one gateway; its status only moves forward."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from lightspeedpay.kit.ids import new_id
from lightspeedpay.models.base import Base, created_at, mode_column, sql_in, updated_at, uuid_pk


class TransactionStatus(StrEnum):
    CREATED = "created"
    PENDING = "pending"
    AUTHORIZED = "authorized"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    FAILED = "failed"
    EXPIRED = "expired"


class PaymentMethod(StrEnum):
    """How the payer paid, in our words whatever the PSP calls it (gateways.adapters.base.payment_method)."""

    UPI = "upi"
    CARD = "card"
    NETBANKING = "netbanking"
    WALLET = "wallet"
    EMI = "emi"
    PAYLATER = "paylater"
    OTHER = "other"


def search_indexes(table: str) -> tuple[Index, ...]:
    """The operator's payment search (payments/repository.py `search`), on the hot table and the archive alike:
    filters by status or gateway newest first, and the ids a person pastes into the search box."""
    return (
        Index(f"ix_{table}_status_created", "status", "created_at"),
        Index(f"ix_{table}_gateway_created", "gateway_id", "created_at"),
        Index(f"ix_{table}_order_id", "order_id"),
        Index(
            f"ix_{table}_gateway_txn_id",
            "gateway_txn_id",
            postgresql_where=text("gateway_txn_id IS NOT NULL"),
        ),
        Index(
            f"ix_{table}_customer_email",
            text("lower(customer ->> 'email')"),
            postgresql_where=text("customer ? 'email'"),
        ),
        Index(
            f"ix_{table}_customer_phone",
            text("(customer ->> 'phone')"),
            postgresql_where=text("customer ? 'phone'"),
        ),
    )


class TransactionColumns:
    """The columns of a payment, shared by the hot table and its archive (archived_transaction.py), so the two
    can never drift apart."""

    id: Mapped[uuid.UUID] = uuid_pk()
    # the public id of the payment, as Razorpay's: "pay_" + 14 base62 characters
    payment_id: Mapped[str] = mapped_column(String(20), nullable=False, default=lambda: new_id("pay"))
    # the merchant's own reference; for a payment of an order, "{order id}/{attempt}"
    order_id: Mapped[str] = mapped_column(String(100), nullable=False)
    # the order this payment is an attempt to pay, if it was started for one
    parent_order_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("orders.id"))
    client_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("clients.id"), nullable=False)
    gateway_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("payment_gateways.id"), nullable=False
    )
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False, server_default="INR")
    status: Mapped[str] = mapped_column(String(20), nullable=False, server_default="created")
    customer: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    notes: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    redirect_url: Mapped[str | None] = mapped_column(String(500))
    gateway_txn_id: Mapped[str | None] = mapped_column(String(100))
    gateway_payment_id: Mapped[str | None] = mapped_column(String(100))
    # how the payer paid, as the PSP's webhook said (NULL: not said, or the outcome came another way)
    method: Mapped[str | None] = mapped_column(String(20))
    checkout_url: Mapped[str | None] = mapped_column(String(1000))
    gateway_response: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    error_code: Mapped[str | None] = mapped_column(String(100))
    error_message: Mapped[str | None] = mapped_column(Text)
    # the amount stays reserved against the gateway's monthly volume unless the payment failed
    volume_released: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    # the sum of processed refunds; the status says whether that is part or all of the amount
    amount_refunded: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")
    authorized_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
    mode: Mapped[str] = mode_column()


class Transaction(TransactionColumns, Base):
    __tablename__ = "transactions"
    __table_args__ = (
        UniqueConstraint("client_id", "order_id", name="uq_transactions_client_order"),
        CheckConstraint("amount > 0", name="ck_transactions_amount_positive"),
        CheckConstraint("currency IN ('INR')", name="ck_transactions_currency"),
        CheckConstraint(f"status IN {sql_in(TransactionStatus)}", name="ck_transactions_status"),
        CheckConstraint(f"method IN {sql_in(PaymentMethod)}", name="ck_transactions_method"),
        Index("ix_transactions_client_created", "client_id", "created_at", "id"),
        Index("ix_transactions_gateway_txn", "gateway_id", "gateway_txn_id"),
        UniqueConstraint("payment_id", name="uq_transactions_payment_id"),
        Index("ix_transactions_parent_order", "parent_order_id"),
        Index("ix_transactions_authorized", "authorized_at", postgresql_where=text("status = 'authorized'")),
        # the alert rules: the failure rate of the last minutes, and payments waiting too long for an outcome;
        # the daily archive walks the payments oldest first by it too (payments/repository.py)
        Index("ix_transactions_created", "created_at"),
        Index(
            "ix_transactions_unfinished_created",
            "created_at",
            postgresql_where=text("status IN ('created', 'pending')"),
        ),
        CheckConstraint(
            "amount_refunded >= 0 AND amount_refunded <= amount", name="ck_transactions_amount_refunded"
        ),
        *search_indexes("transactions"),
    )
