"""Alerts an operator should see: one row per condition while it lasts (a gateway down, a failure rate over its
threshold, a broken ledger…), acknowledged by a person and resolved when the condition clears.

`dedup_key` names the condition: at most one alert per key is not resolved (a partial unique index), so a
condition raised again only bumps `last_seen_at` and `occurrences`; once resolved, the same condition opens a
new row."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from lightspeedpay.models.base import Base, sql_in, updated_at, uuid_pk


class AlertSeverity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class AlertKind(StrEnum):
    """The kinds the platform raises. Not a CHECK constraint: a new rule needs no migration."""

    GATEWAY_DOWN = "gateway.down"
    PAYMENT_FAILURE_RATE = "payments.failure_rate"
    PAYMENTS_PENDING = "payments.pending_too_long"
    QUEUE_BACKLOG = "queue.backlog"
    JOB_FAILED = "job.failed"
    LEDGER_INVARIANT = "ledger.invariant_broken"
    WEBHOOK_ENDPOINT_DISABLED = "webhook_endpoint.disabled"
    MERCHANT_SUSPENDED = "merchant.suspended"
    WORKER_DOWN = "worker.down"
    SCHEDULER_DOWN = "scheduler.down"


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (
        CheckConstraint(f"severity IN {sql_in(AlertSeverity)}", name="ck_alerts_severity"),
        CheckConstraint(f"status IN {sql_in(AlertStatus)}", name="ck_alerts_status"),
        CheckConstraint("occurrences >= 1", name="ck_alerts_occurrences"),
        # one alert per condition until it is resolved
        Index(
            "uq_alerts_unresolved_dedup_key",
            "dedup_key",
            unique=True,
            postgresql_where=text("status <> 'resolved'"),
        ),
        Index("ix_alerts_opened", "opened_at", "id"),
        Index("ix_alerts_unresolved_kind", "kind", postgresql_where=text("status <> 'resolved'")),
        Index("ix_alerts_gateway", "gateway_id"),
        Index("ix_alerts_client", "client_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    kind: Mapped[str] = mapped_column(String(100), nullable=False)
    severity: Mapped[str] = mapped_column(String(20), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, server_default="open")
    dedup_key: Mapped[str] = mapped_column(String(300), nullable=False)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    gateway_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("payment_gateways.id")
    )
    client_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("clients.id"))
    occurrences: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")
    opened_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    last_seen_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_by: Mapped[str | None] = mapped_column(String(100))
    acknowledged_note: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[str | None] = mapped_column(String(100))
    resolved_note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = updated_at()
