"""A change to the payment analytics, written by the database in the same transaction as the transaction row it
describes, and folded into `analytics_rollups` (then deleted) by the scheduler."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Identity, Integer, String
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from lightspeedpay.models.base import Base


class AnalyticsDelta(Base):
    """Written only by the trigger `transactions_analytics_*` (migration 0008_analytics): an insert of a
    transaction adds +1 row for it; a change of a counted column adds -1 for the old values and +1 for the new.
    Append-only, so concurrent payments never wait on one another here (no shared counter row is updated)."""

    __tablename__ = "analytics_deltas"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    # the 5-minute bucket of the transaction's created_at (UTC; also an IST 5-minute boundary)
    bucket_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    client_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    gateway_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    provider: Mapped[str] = mapped_column(String(50), nullable=False)
    method: Mapped[str] = mapped_column(String(20), nullable=False)  # '' when the PSP did not say
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    failure_code: Mapped[str] = mapped_column(String(100), nullable=False)  # '' unless failed or expired
    txn_count: Mapped[int] = mapped_column(Integer, nullable=False)  # +1 or -1
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    refunded: Mapped[int] = mapped_column(BigInteger, nullable=False)
