"""One thing an operator asks a merchant to clarify or fix in a KYC application (Razorpay's per-requirement
clarifications): a code naming the field or document, the reason, and the merchant's answer."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from lightspeedpay.models.base import Base, created_at, sql_in, uuid_pk


class RequirementStatus(StrEnum):
    PENDING = "pending"
    RESOLVED = "resolved"


class KycRequirement(Base):
    __tablename__ = "kyc_requirements"
    __table_args__ = (
        CheckConstraint(f"status IN {sql_in(RequirementStatus)}", name="ck_kyc_requirements_status"),
        Index("ix_kyc_requirements_client_created", "client_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    client_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("clients.id", ondelete="CASCADE"), nullable=False
    )
    code: Mapped[str] = mapped_column(
        String(40), nullable=False
    )  # a field or document kind: "gstin", "pan_card"
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, server_default="pending")
    response: Mapped[str | None] = mapped_column(Text)  # the merchant's answer
    requested_by: Mapped[str] = mapped_column(String(200), nullable=False)
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = created_at()
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
