"""One sample per queue per minute (seed 004's `queue_metrics`): BullMQ's counts by state and the PostgreSQL
side (intents pending, failed, parked), recorded by the scheduler and kept LSP_QUEUE_METRICS_RETENTION_DAYS.
BullMQ's Python package has no getMetrics, so this table is the queues' history."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, Index, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from lightspeedpay.models.base import Base, uuid_pk


class QueueMetric(Base):
    __tablename__ = "queue_metrics"
    __table_args__ = (
        Index("ix_queue_metrics_queue_recorded", "queue_name", "recorded_at"),
        Index("ix_queue_metrics_recorded", "recorded_at"),  # the retention purge
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    queue_name: Mapped[str] = mapped_column(String(50), nullable=False)
    # BullMQ's counts (jobs it holds in each state; completed and failed are its bounded tails, not totals)
    waiting: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    active: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    delayed: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    prioritized: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    completed: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    failed: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    paused: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")  # jobs held by a pause
    is_paused: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    workers: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    oldest_waiting_seconds: Mapped[float | None] = mapped_column(Float)
    # PostgreSQL, the truth: intents of this queue not done
    intents_pending: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    intents_failed: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    intents_parked: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
