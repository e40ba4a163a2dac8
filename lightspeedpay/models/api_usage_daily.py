"""API usage per merchant, IST day, route and status: request counts and a fixed latency histogram (issue 10).
Each API process counts in memory and adds its counts here every few seconds (no row per request)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, SmallInteger, String
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from lightspeedpay.models.base import Base, updated_at


class ApiUsageDaily(Base):
    __tablename__ = "api_usage_daily"

    client_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)  # a calendar day of IST
    # the route's template with its method ("GET /api/v1/transactions/{transaction_id}"), never the raw path
    route: Mapped[str] = mapped_column(String(200), primary_key=True)
    status: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, nullable=False)
    duration_ms_sum: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # requests per latency bucket; the bucket bounds are lightspeedpay.usage.histogram.BOUNDS_MS
    latency_buckets: Mapped[list[int]] = mapped_column(ARRAY(BigInteger), nullable=False)
    bucket_layout: Mapped[int] = mapped_column(Integer, nullable=False)  # the histogram's version
    updated_at: Mapped[datetime] = updated_at()
