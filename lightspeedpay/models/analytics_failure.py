"""Failed and expired payments per time bucket, dimensions and failure code: the analytics' top failure reasons,
kept incrementally beside the rollups."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Index, String
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from lightspeedpay.models.analytics_rollup import RollupCut, RollupGrain
from lightspeedpay.models.base import Base, sql_in


class AnalyticsFailure(Base):
    """Failed and expired payments created in the bucket, by failure code (the transaction's error_code; '' when
    none was given), with the same grains, cuts and dimensions as the rollups."""

    __tablename__ = "analytics_failures"
    __table_args__ = (
        CheckConstraint(f"grain IN {sql_in(RollupGrain)}", name="ck_analytics_failures_grain"),
        CheckConstraint(f"cut IN {sql_in(RollupCut)}", name="ck_analytics_failures_cut"),
        Index("ix_analytics_failures_bucket", "grain", "cut", "bucket_at"),
    )

    grain: Mapped[str] = mapped_column(String(2), primary_key=True)
    cut: Mapped[str] = mapped_column(String(10), primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    bucket_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    gateway_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    provider: Mapped[str] = mapped_column(String(50), primary_key=True)
    method: Mapped[str] = mapped_column(String(20), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    failure_code: Mapped[str] = mapped_column(String(100), primary_key=True)
    txn_count: Mapped[int] = mapped_column(BigInteger, nullable=False)
