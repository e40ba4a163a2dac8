"""The daily system health report (seed 003's "System Health Report", 06:00 IST): yesterday's payments,
commission, failures, alerts, backlog and deliveries, stored once per IST day (reports/)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, Index
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from lightspeedpay.models.base import Base, created_at, uuid_pk


class HealthReport(Base):
    __tablename__ = "health_reports"
    __table_args__ = (Index("ix_health_reports_period_date", "period_date", unique=True),)

    id: Mapped[uuid.UUID] = uuid_pk()
    period_date: Mapped[date] = mapped_column(Date, nullable=False)  # the IST day it reports on
    period_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    period_end: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    generated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    body: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    created_at: Mapped[datetime] = created_at()
