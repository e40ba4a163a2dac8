"""A merchant's KYC application (one per merchant): the business's identity, tax numbers, settlement bank account
and contact, as the merchant last saved them. Its review state is `clients.kyc_status`."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, String, Text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from lightspeedpay.models.base import Base, created_at, sql_in, updated_at, uuid_pk


class BusinessType(StrEnum):
    INDIVIDUAL = "individual"
    PROPRIETORSHIP = "proprietorship"
    PARTNERSHIP = "partnership"
    LLP = "llp"
    PRIVATE_LIMITED = "private_limited"
    PUBLIC_LIMITED = "public_limited"
    HUF = "huf"
    TRUST = "trust"
    SOCIETY = "society"
    NGO = "ngo"  # a section 8 company
    GOVERNMENT = "government"


class KycApplication(Base):
    __tablename__ = "kyc_applications"
    __table_args__ = (
        CheckConstraint(
            f"business_type IS NULL OR business_type IN {sql_in(BusinessType)}", name="ck_kyc_business_type"
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    client_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("clients.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    # every field may be empty while a draft; submitting checks the application is complete
    business_type: Mapped[str | None] = mapped_column(String(30))
    legal_name: Mapped[str | None] = mapped_column(String(200))  # as on the business PAN or registration
    signatory_name: Mapped[str | None] = mapped_column(String(200))
    business_pan: Mapped[str | None] = mapped_column(String(10))
    signatory_pan: Mapped[str | None] = mapped_column(String(10))
    gstin: Mapped[str | None] = mapped_column(String(15))
    # the account number is encrypted like every secret; the last four digits are what screens show
    bank_account_enc: Mapped[str | None] = mapped_column(Text)
    bank_account_last4: Mapped[str | None] = mapped_column(String(4))
    bank_ifsc: Mapped[str | None] = mapped_column(String(11))
    website_url: Mapped[str | None] = mapped_column(String(500))
    contact_name: Mapped[str | None] = mapped_column(String(120))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # approved or rejected
    decided_by: Mapped[str | None] = mapped_column(String(200))
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
