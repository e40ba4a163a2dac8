"""One event owed to one endpoint: its delivery state, attempts, and its place in that endpoint's order."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from lightspeedpay.models.base import Base, created_at, mode_column, sql_in, updated_at, uuid_pk


class WebhookDeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


# "event": part of the endpoint's ordered stream; "test": a ping, sent once and out of order
class WebhookDeliveryKind(StrEnum):
    EVENT = "event"
    TEST = "test"


class WebhookDelivery(Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint(f"status IN {sql_in(WebhookDeliveryStatus)}", name="ck_webhook_deliveries_status"),
        CheckConstraint(f"kind IN {sql_in(WebhookDeliveryKind)}", name="ck_webhook_deliveries_kind"),
        UniqueConstraint("event_id", "endpoint_id", name="uq_webhook_deliveries_event_endpoint"),
        # the head of an endpoint's queue: its pending event with the smallest seq
        Index(
            "ix_webhook_deliveries_endpoint_pending",
            "endpoint_id",
            "seq",
            postgresql_where=text("status = 'pending' AND kind = 'event'"),
        ),
        Index("ix_webhook_deliveries_finished", "status", "finished_at"),
    )
    __mapper_args__ = {"eager_defaults": True}

    id: Mapped[uuid.UUID] = uuid_pk()
    # the order of creation across all events; an endpoint delivers its events in this order
    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=False), nullable=False, unique=True)
    event_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("webhook_events.id"), nullable=False, index=True
    )
    endpoint_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("webhook_endpoints.id"), nullable=False
    )
    client_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("clients.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(10), nullable=False, server_default="event")
    status: Mapped[str] = mapped_column(String(20), nullable=False, server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
    mode: Mapped[str] = mode_column()
