"""A merchant's settlement for one day: what was captured and refunded, the commission, the net, and the
dues deducted; one per merchant and period."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from lightspeedpay.models.base import Base, created_at, mode_column, sql_in, updated_at, uuid_pk


class SettlementStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"


class Settlement(Base):
    __tablename__ = "settlements"
    __table_args__ = (
        UniqueConstraint("client_id", "period_start", "period_end", name="uq_settlements_client_period"),
        CheckConstraint(f"status IN {sql_in(SettlementStatus)}", name="ck_settlements_status"),
        CheckConstraint("period_end > period_start", name="ck_settlements_period"),
        Index("ix_settlements_client_created", "client_id", "created_at", "id"),
        Index("ix_settlements_status", "status"),
        # the operator's runs (one per day) and a run's settlements, newest first
        Index("ix_settlements_period", "period_date", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    client_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("clients.id"), nullable=False)
    period_date: Mapped[date] = mapped_column(Date, nullable=False)
    period_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    period_end: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    # money movements before this instant that no earlier settlement took (end of period, or the run time)
    cutoff_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20), nullable=False, server_default="pending")
    failure_reason: Mapped[str | None] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(String(3), nullable=False, server_default="INR")
    payment_count: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    refund_count: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    gross_amount: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")
    refunds_amount: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")
    commission_amount: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")
    net_amount: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")
    dues_deducted: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")
    payable_amount: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")
    requested_by: Mapped[str] = mapped_column(String(100), nullable=False, server_default="scheduler")
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
    mode: Mapped[str] = mode_column()
