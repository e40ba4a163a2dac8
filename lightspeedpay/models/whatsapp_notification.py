"""Every WhatsApp message to a merchant: queued, then sent or failed with the error."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from lightspeedpay.models.base import Base, created_at, sql_in, updated_at, uuid_pk


class WhatsAppNotificationType(StrEnum):
    LOW_BALANCE = "LOW_BALANCE"
    TXN_UPDATE = "TXN_UPDATE"


class WhatsAppNotificationStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


class WhatsAppNotification(Base):
    __tablename__ = "whatsapp_notifications"
    __table_args__ = (
        CheckConstraint(f"type IN {sql_in(WhatsAppNotificationType)}", name="ck_whatsapp_notifications_type"),
        CheckConstraint(
            f"status IN {sql_in(WhatsAppNotificationStatus)}", name="ck_whatsapp_notifications_status"
        ),
        Index("ix_whatsapp_notifications_client_created", "client_id", "created_at", "id"),
        Index("ix_whatsapp_notifications_created", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    client_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("clients.id"), nullable=False)
    template: Mapped[str] = mapped_column(String(100), nullable=False)
    type: Mapped[str] = mapped_column(String(30), nullable=False)
    to_phone: Mapped[str | None] = mapped_column(String(20))
    # the template's body parameters, in order, and what they were made from
    payload_json: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, server_default="queued")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    provider_message_id: Mapped[str | None] = mapped_column(String(200))
    next_retry_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
