"""A refund of (part of) a captured payment, or the automatic refund of an authorization never captured."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from lightspeedpay.kit.ids import new_id
from lightspeedpay.models.base import Base, created_at, mode_column, sql_in, updated_at, uuid_pk


class RefundStatus(StrEnum):
    PENDING = "pending"
    PROCESSED = "processed"
    FAILED = "failed"


class RefundSpeed(StrEnum):
    NORMAL = "normal"
    OPTIMUM = "optimum"


# auto_refund: an authorization not captured within LSP_CAPTURE_WINDOW_SECONDS, given back to the payer
class RefundKind(StrEnum):
    REFUND = "refund"
    AUTO_REFUND = "auto_refund"


class Refund(Base):
    __tablename__ = "refunds"
    __table_args__ = (
        CheckConstraint("amount > 0", name="ck_refunds_amount_positive"),
        CheckConstraint(f"status IN {sql_in(RefundStatus)}", name="ck_refunds_status"),
        CheckConstraint(f"speed IN {sql_in(RefundSpeed)}", name="ck_refunds_speed"),
        CheckConstraint(f"kind IN {sql_in(RefundKind)}", name="ck_refunds_kind"),
        Index("ix_refunds_client_created", "client_id", "created_at", "id"),
        Index("ix_refunds_transaction", "transaction_id"),
        Index("ix_refunds_gateway_refund", "gateway_refund_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    # the id merchants see: "rfnd_" + 14 base62 characters, as Razorpay's
    public_id: Mapped[str] = mapped_column(
        String(20), nullable=False, unique=True, default=lambda: new_id("rfnd")
    )
    client_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("clients.id"), nullable=False)
    # in transactions or archived_transactions: no foreign key (models/archived_transaction.py)
    transaction_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False, server_default="INR")
    status: Mapped[str] = mapped_column(String(20), nullable=False, server_default="pending")
    kind: Mapped[str] = mapped_column(String(20), nullable=False, server_default="refund")
    speed: Mapped[str] = mapped_column(String(20), nullable=False, server_default="normal")
    notes: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    receipt: Mapped[str | None] = mapped_column(String(40))
    gateway_refund_id: Mapped[str | None] = mapped_column(String(100))
    error_code: Mapped[str | None] = mapped_column(String(100))
    error_message: Mapped[str | None] = mapped_column(Text)
    # calls to the PSP that did not get an answer (timeouts, 5xx); retried until LSP_REFUND_MAX_ATTEMPTS
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
    mode: Mapped[str] = mode_column()
