"""One payment captured or one refund processed, as it appears in a settlement. A ledger posting is
settled at most once (unique), so re-running a period or overlapping runs can never count money twice."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Index, String
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from lightspeedpay.models.base import Base, created_at, sql_in, uuid_pk


class SettlementLineKind(StrEnum):
    PAYMENT = "payment"
    REFUND = "refund"


class SettlementLineItem(Base):
    __tablename__ = "settlement_line_items"
    __table_args__ = (
        CheckConstraint(f"kind IN {sql_in(SettlementLineKind)}", name="ck_settlement_line_items_kind"),
        Index("ix_settlement_line_items_settlement", "settlement_id", "occurred_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    settlement_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("settlements.id"), nullable=False
    )
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    posting_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("ledger_postings.id"), nullable=False, unique=True
    )
    # in transactions or archived_transactions: no foreign key (models/archived_transaction.py)
    transaction_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    refund_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    gateway_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("payment_gateways.id"), nullable=False
    )
    # the payment's or the refund's amount, positive
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # commission charged on a payment (positive) or reversed by a refund (negative)
    commission: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # the line's effect on the merchant's net: amount - commission for a payment, -(amount) - commission for a refund
    net: Mapped[int] = mapped_column(BigInteger, nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    created_at: Mapped[datetime] = created_at()
