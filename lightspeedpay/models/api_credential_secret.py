"""A secret of an API credential (the signing salt, or the Basic-auth key secret): encrypted at rest, shown once.
Regenerating gives the old secret an end (`expires_at`, its grace period) instead of deleting it."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from lightspeedpay.models.base import Base, created_at, uuid_pk


class ApiCredentialSecret(Base):
    __tablename__ = "api_credential_secrets"
    __table_args__ = (
        Index("ix_api_credential_secrets_credential", "credential_id", "expires_at"),
        # one current secret per credential
        Index(
            "uq_api_credential_secrets_current",
            "credential_id",
            unique=True,
            postgresql_where=text("expires_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    credential_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("api_credentials.id", ondelete="CASCADE"), nullable=False
    )
    secret_enc: Mapped[str] = mapped_column(Text, nullable=False)  # AES-256-GCM under LSP_ENCRYPTION_KEYS
    # what the merchant sees of it; None for a secret carried over from before credentials (migration 0018)
    last4: Mapped[str | None] = mapped_column(String(4))
    created_at: Mapped[datetime] = created_at()
    # None: the current secret; else when it stops verifying (the grace period a regeneration gave it)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # when a person of the team was shown it (a reveal, or the answer of the regeneration that made it): a secret
    # is shown once; None: not yet
    revealed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
