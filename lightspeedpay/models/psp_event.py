"""A PSP's webhook, stored raw exactly once per (provider, PSP event id)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from lightspeedpay.models.base import Base, created_at, uuid_pk


class PspEvent(Base):
    __tablename__ = "psp_events"
    __table_args__ = (
        UniqueConstraint("provider", "external_id", name="uq_psp_events_provider_external"),
        Index("ix_psp_events_transaction", "transaction_id"),  # a payment's page: its PSP events
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    provider: Mapped[str] = mapped_column(String(50), nullable=False)
    gateway_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("payment_gateways.id"), nullable=False
    )
    external_id: Mapped[str] = mapped_column(String(200), nullable=False)
    event_type: Mapped[str] = mapped_column(String(100), nullable=False)
    raw_body: Mapped[str] = mapped_column(Text, nullable=False)
    parsed: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    # in transactions or archived_transactions: no foreign key (models/archived_transaction.py)
    transaction_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    outcome: Mapped[str | None] = mapped_column(String(100))
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = created_at()
