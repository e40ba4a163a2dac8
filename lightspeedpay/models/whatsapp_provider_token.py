"""Access tokens for the WhatsApp Cloud API, encrypted at rest, with their expiry; the newest is used."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lightspeedpay.models.base import Base, created_at, uuid_pk


class WhatsAppProviderToken(Base):
    __tablename__ = "whatsapp_provider_tokens"
    __table_args__ = (Index("ix_whatsapp_provider_tokens_created", "created_at"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    token_enc: Mapped[str] = mapped_column(Text, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    # why it was obtained: bootstrap, before_expiry, unauthorized
    reason: Mapped[str] = mapped_column(String(30), nullable=False)
    created_at: Mapped[datetime] = created_at()
