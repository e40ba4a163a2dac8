"""Each try to create a payment's PSP order on one gateway, so a person can see why a payment went where it went."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from lightspeedpay.models.base import Base, created_at, sql_in, uuid_pk


class GatewayAttemptOutcome(StrEnum):
    CREATED = "created"
    DECLINED = "declined"
    TECHNICAL_ERROR = "technical_error"


class GatewayAttempt(Base):
    __tablename__ = "gateway_attempts"
    __table_args__ = (
        CheckConstraint(f"outcome IN {sql_in(GatewayAttemptOutcome)}", name="ck_gateway_attempts_outcome"),
        Index("ix_gateway_attempts_gateway_created", "gateway_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    # in transactions or archived_transactions: no foreign key (models/archived_transaction.py)
    transaction_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False, index=True)
    gateway_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("payment_gateways.id"), nullable=False
    )
    attempt: Mapped[int] = mapped_column(Integer, nullable=False)
    outcome: Mapped[str] = mapped_column(String(30), nullable=False)
    error_code: Mapped[str | None] = mapped_column(String(100))
    error_message: Mapped[str | None] = mapped_column(Text)
    latency_ms: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = created_at()
