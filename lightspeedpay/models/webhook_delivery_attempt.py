"""One HTTP attempt to deliver an event to an endpoint: the delivery log a merchant reads."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from lightspeedpay.models.base import Base, created_at, sql_in, uuid_pk


class WebhookDeliveryAttemptStatus(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"


# "scheduled": the automatic delivery and its retries; "manual": a merchant's retry; "test": a ping
class WebhookDeliveryAttemptTrigger(StrEnum):
    SCHEDULED = "scheduled"
    MANUAL = "manual"
    TEST = "test"


class WebhookDeliveryAttempt(Base):
    """One HTTP attempt to deliver an event to an endpoint: the delivery log a merchant reads."""

    __tablename__ = "webhook_delivery_attempts"
    __table_args__ = (
        CheckConstraint(
            f"status IN {sql_in(WebhookDeliveryAttemptStatus)}", name="ck_webhook_delivery_attempts_status"
        ),
        CheckConstraint(
            f"trigger IN {sql_in(WebhookDeliveryAttemptTrigger)}", name="ck_webhook_delivery_attempts_trigger"
        ),
        Index("ix_webhook_delivery_attempts_endpoint_created", "endpoint_id", "created_at", "id"),
        Index("ix_webhook_delivery_attempts_created", "created_at"),
    )
    __mapper_args__ = {"eager_defaults": True}

    id: Mapped[uuid.UUID] = uuid_pk()
    event_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("webhook_events.id"), nullable=False, index=True
    )
    # null only on attempts recorded before endpoints existed (migration 0005 links them where it can)
    endpoint_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("webhook_endpoints.id")
    )
    # the delivery (event × endpoint) this attempt belongs to
    delivery_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    attempt: Mapped[int] = mapped_column(Integer, nullable=False)
    trigger: Mapped[str] = mapped_column(String(20), nullable=False, server_default="scheduled")
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    url: Mapped[str] = mapped_column(String(500), nullable=False)
    request_headers: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    request_body: Mapped[str | None] = mapped_column(Text)
    status_code: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int] = mapped_column(Integer, nullable=False)
    error: Mapped[str | None] = mapped_column(Text)
    response_excerpt: Mapped[str | None] = mapped_column(Text)
    # when this attempt failed and another was scheduled: when
    retry_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at()
