"""A check of a KYC application made with an outside provider: a penny drop on the settlement bank account, with
the name the bank holds, its match score against the business name, and the provider's answer."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from lightspeedpay.models.base import Base, created_at, sql_in, uuid_pk


class VerificationStatus(StrEnum):
    PENDING = "pending"  # the job has not run yet (or is retrying after the provider failed to answer)
    VERIFIED = "verified"  # the account exists and its name matches the business
    NAME_MISMATCH = "name_mismatch"  # the account exists under another name
    INVALID_ACCOUNT = "invalid_account"  # the bank knows no such account
    ERROR = "error"  # the provider kept failing; an operator may ask for another account


class KycVerification(Base):
    __tablename__ = "kyc_verifications"
    __table_args__ = (
        CheckConstraint(f"status IN {sql_in(VerificationStatus)}", name="ck_kyc_verifications_status"),
        CheckConstraint("kind IN ('penny_drop')", name="ck_kyc_verifications_kind"),
        Index("ix_kyc_verifications_client_created", "client_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    client_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("clients.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(String(20), nullable=False, server_default="penny_drop")
    status: Mapped[str] = mapped_column(String(20), nullable=False, server_default="pending")
    provider: Mapped[str] = mapped_column(String(30), nullable=False)
    # the account and name verified, as they were when it was asked (the application may change since)
    bank_account_enc: Mapped[str] = mapped_column(Text, nullable=False)
    bank_account_last4: Mapped[str] = mapped_column(String(4), nullable=False)
    bank_ifsc: Mapped[str] = mapped_column(String(11), nullable=False)
    expected_name: Mapped[str] = mapped_column(String(200), nullable=False)
    name_at_bank: Mapped[str | None] = mapped_column(String(200))
    name_match_score: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))  # 0-100, ours
    provider_name_match: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))  # the provider's own, if any
    provider_ref: Mapped[str | None] = mapped_column(String(100))
    provider_response: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at()
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
