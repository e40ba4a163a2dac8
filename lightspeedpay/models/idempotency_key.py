"""An Idempotency-Key a merchant sent, with the first complete response to replay (Stripe semantics)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from lightspeedpay.models.base import Base, created_at, sql_in, uuid_pk


class IdempotencyKeyStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (
        UniqueConstraint("client_id", "idempotency_key", name="uq_idempotency_keys_client_key"),
        CheckConstraint(f"status IN {sql_in(IdempotencyKeyStatus)}", name="ck_idempotency_keys_status"),
        CheckConstraint("char_length(idempotency_key) BETWEEN 1 AND 255", name="ck_idempotency_keys_length"),
        Index("ix_idempotency_keys_expires", "expires_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    client_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("clients.id"), nullable=False)
    idempotency_key: Mapped[str] = mapped_column(String(255), nullable=False)
    request_method: Mapped[str] = mapped_column(String(10), nullable=False)
    request_path: Mapped[str] = mapped_column(String(500), nullable=False)
    # sha256 over method, path and the validated parameters: a retry must send the same request
    request_fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, server_default="running")
    # fencing token of the current claim: only its holder may store the answer
    claim_token: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    locked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    response_code: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    response_content_type: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = created_at()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
