"""Every message to the operator's Slack (incoming webhook): queued in the transaction that caused it, then sent
or failed with the error. An alert has at most one message per event (opened, resolved)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from lightspeedpay.models.base import Base, created_at, sql_in, updated_at, uuid_pk


class SlackMessageStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


class SlackMessageEvent(StrEnum):
    """What the message announces about its alert."""

    OPENED = "opened"
    RESOLVED = "resolved"


class SlackMessage(Base):
    __tablename__ = "slack_messages"
    __table_args__ = (
        CheckConstraint(f"status IN {sql_in(SlackMessageStatus)}", name="ck_slack_messages_status"),
        CheckConstraint(f"event IN {sql_in(SlackMessageEvent)}", name="ck_slack_messages_event"),
        # sent once when the alert opens and once when it is resolved, however often either is raised
        Index(
            "uq_slack_messages_alert_event",
            "alert_id",
            "event",
            unique=True,
            postgresql_where=text("alert_id IS NOT NULL"),
        ),
        Index("ix_slack_messages_created", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    alert_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("alerts.id", ondelete="CASCADE")
    )
    event: Mapped[str | None] = mapped_column(String(20))
    # the incoming webhook's body: `text` (the notification's fallback) and Block Kit `blocks`
    text: Mapped[str] = mapped_column(Text, nullable=False)
    blocks: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(20), nullable=False, server_default="queued")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    next_retry_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
