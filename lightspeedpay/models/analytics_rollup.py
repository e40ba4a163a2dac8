"""Payment counts and amounts per time bucket (5 min, 1 h, 1 day in IST) and dimensions: what the analytics API
reads instead of scanning transactions. Rows are kept when their transactions are archived or deleted."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Index, String, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from lightspeedpay.models.base import Base, sql_in

# a dimension a cut rolls away holds this value (a primary key column cannot be NULL)
ALL_IDS = uuid.UUID(int=0)
ALL = ""


class RollupGrain(StrEnum):
    FIVE_MINUTES = "5m"
    HOUR = "1h"  # an hour of IST (it starts at :30 UTC)
    DAY = "1d"  # a calendar day of IST


class RollupCut(StrEnum):
    """Which dimensions a row keeps. The narrower cuts exist so that the operator's questions over long ranges
    read few rows: all merchants' payments by gateway or method (platform), or per merchant (merchant)."""

    FULL = "full"  # merchant, gateway, provider, method
    PLATFORM = "platform"  # gateway, provider, method (the merchant rolled away)
    MERCHANT = "merchant"  # merchant only (gateway, provider and method rolled away)


class AnalyticsRollup(Base):
    __tablename__ = "analytics_rollups"
    __table_args__ = (
        CheckConstraint(f"grain IN {sql_in(RollupGrain)}", name="ck_analytics_rollups_grain"),
        CheckConstraint(f"cut IN {sql_in(RollupCut)}", name="ck_analytics_rollups_cut"),
        Index("ix_analytics_rollups_bucket", "grain", "cut", "bucket_at"),
        # rows whose counts came back to zero (every payment of the bucket moved on), deleted after each fold
        Index(
            "ix_analytics_rollups_empty",
            "grain",
            postgresql_where=text("txn_count = 0 AND amount = 0 AND refunded = 0"),
        ),
    )

    grain: Mapped[str] = mapped_column(String(2), primary_key=True)
    cut: Mapped[str] = mapped_column(String(10), primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    bucket_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    gateway_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    provider: Mapped[str] = mapped_column(String(50), primary_key=True)
    method: Mapped[str] = mapped_column(String(20), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    failure_code: Mapped[str] = mapped_column(String(100), primary_key=True)
    # payments created in the bucket that are in this status now, their amount, and what was refunded of it
    txn_count: Mapped[int] = mapped_column(BigInteger, nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    refunded: Mapped[int] = mapped_column(BigInteger, nullable=False)
