"""The pool of PSP accounts the platform routes payments to."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Integer,
    Numeric,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from lightspeedpay.models.base import Base, created_at, sql_in, updated_at, uuid_pk


class Provider(StrEnum):
    SANDBOX = "sandbox"
    RAZORPAY = "razorpay"
    PAYU = "payu"
    PHONEPE = "phonepe"


class PaymentGateway(Base):
    __tablename__ = "payment_gateways"
    __table_args__ = (
        CheckConstraint(f"provider IN {sql_in(Provider)}", name="ck_gateways_provider"),
        CheckConstraint("monthly_limit > 0", name="ck_gateways_monthly_limit"),
        CheckConstraint("current_volume >= 0", name="ck_gateways_current_volume"),
        CheckConstraint("success_rate >= 0 AND success_rate <= 100", name="ck_gateways_success_rate"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    provider: Mapped[str] = mapped_column(String(50), nullable=False)
    base_url: Mapped[str] = mapped_column(String(500), nullable=False)
    credentials_enc: Mapped[str] = mapped_column(Text, nullable=False)
    credentials_hint: Mapped[str] = mapped_column(String(100), nullable=False, server_default="")
    monthly_limit: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="100000000")
    current_volume: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")
    # the calendar month (Asia/Kolkata) current_volume counts; a new month starts from zero
    volume_month: Mapped[date] = mapped_column(Date, nullable=False)
    success_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2), nullable=False, server_default="100.00")
    priority: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="true")
    temp_failed: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    # technical failures (timeouts, 5xx) in a row; the breaker trips at LSP_BREAKER_THRESHOLD
    consecutive_failures: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    temp_failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
