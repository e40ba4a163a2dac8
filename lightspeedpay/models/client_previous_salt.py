"""A client salt the merchant rotated away from: requests signed with it are accepted until it expires."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from lightspeedpay.models.base import Base, created_at, uuid_pk


class ClientPreviousSalt(Base):
    __tablename__ = "client_previous_salts"
    __table_args__ = (Index("ix_client_previous_salts_client", "client_id", "expires_at"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    client_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("clients.id", ondelete="CASCADE"), nullable=False
    )
    salt_enc: Mapped[str] = mapped_column(Text, nullable=False)  # AES-256-GCM, like clients.client_salt_enc
    retired_at: Mapped[datetime] = created_at()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
