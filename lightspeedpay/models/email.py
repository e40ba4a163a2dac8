"""Every email the platform sends (invitations, verification, password resets, notices): queued in the
transaction that caused it, then sent over SMTP or failed with the error. The bodies hold one-time links, so they
are stored encrypted and dropped once the message is sent."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from lightspeedpay.models.base import Base, created_at, sql_in, updated_at, uuid_pk


class EmailStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


class Email(Base):
    __tablename__ = "emails"
    __table_args__ = (
        CheckConstraint(f"status IN {sql_in(EmailStatus)}", name="ck_emails_status"),
        Index("ix_emails_created", "created_at", "id"),
        Index("ix_emails_client", "client_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    client_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("clients.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(
        String(40), nullable=False
    )  # verify_email, reset_password, invitation, …
    to_address: Mapped[str] = mapped_column(String(254), nullable=False)
    subject: Mapped[str] = mapped_column(String(300), nullable=False)
    # kit.crypto ciphertexts of the plain-text and HTML bodies; NULL once sent
    text_enc: Mapped[str | None] = mapped_column(Text)
    html_enc: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), nullable=False, server_default="queued")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    next_retry_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
