"""Who changed what, and when: every change of state made by a person (operator, merchant staff, the CLI) or by
the platform on its own (a settlement run, a suspension), written in the transaction that made the change.
Rows are never updated or deleted (a trigger refuses it)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from lightspeedpay.models.base import Base, created_at, uuid_pk


class AuditLog(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_client_created", "client_id", "created_at"),
        Index("ix_audit_log_action_created", "action", "created_at"),
        Index("ix_audit_log_actor_created", "actor", "created_at"),
        Index("ix_audit_log_target", "target_type", "target_id", "created_at"),
        Index("ix_audit_log_created", "created_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    # "admin" (the operator's token), "cli:<user>", "merchant:<client key>", or the platform's own part
    # ("settlement", "dues", "scheduler") when nobody asked
    actor: Mapped[str] = mapped_column(String(100), nullable=False)
    action: Mapped[str] = mapped_column(String(100), nullable=False)  # "<target>.<verb>": "gateway.updated"
    client_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("clients.id"))
    target_type: Mapped[str | None] = mapped_column(String(50))
    target_id: Mapped[str | None] = mapped_column(String(100))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    ip: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = created_at()
