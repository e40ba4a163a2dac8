"""A person's role at a merchant; one person may belong to several merchants."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from lightspeedpay.models.base import Base, created_at, uuid_pk


class MerchantMembership(Base):
    __tablename__ = "merchant_memberships"
    __table_args__ = (
        UniqueConstraint("user_id", "client_id", name="uq_merchant_memberships_user_client"),
        Index("ix_merchant_memberships_client", "client_id"),
        CheckConstraint(
            "role IN ('owner', 'admin', 'developer', 'finance', 'support', 'viewer')",
            name="ck_merchant_memberships_role",
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    client_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("clients.id", ondelete="CASCADE"), nullable=False
    )
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    created_at: Mapped[datetime] = created_at()
