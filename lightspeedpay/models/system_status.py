"""The status checker's history (seed 003's `system_status`): one row per component per check, each carrying
since when the component has been in its state, so the latest check alone answers "down since 10:42"."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, Index, String, Text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from lightspeedpay.models.base import Base, sql_in, uuid_pk


class ComponentStatus(StrEnum):
    OK = "ok"
    DEGRADED = "degraded"
    DOWN = "down"
    # nothing to check: an optional integration (Slack) without its setting
    NOT_CONFIGURED = "not_configured"


class SystemStatus(Base):
    __tablename__ = "system_status"
    __table_args__ = (
        CheckConstraint(f"status IN {sql_in(ComponentStatus)}", name="ck_system_status_status"),
        Index("ix_system_status_component_checked", "component", "checked_at"),
        Index("ix_system_status_checked", "checked_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    check_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)  # the rows of one check
    component: Mapped[str] = mapped_column(String(200), nullable=False)  # "redis", "queue:refunds", ...
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    since: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
