"""Merchants ("clients"): commission settings, status, KYC state; their API credentials are api_credentials."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Integer, Numeric, String, Text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from lightspeedpay.models.base import Base, created_at, sql_in, updated_at, uuid_pk


class ClientStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    DISABLED = "disabled"


class KycStatus(StrEnum):
    """Onboarding review (RBI payment-aggregator practice, Razorpay's activation states): live credentials work
    only once `activated`."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    NEEDS_CLARIFICATION = "needs_clarification"
    ACTIVATED = "activated"
    REJECTED = "rejected"


class Client(Base):
    __tablename__ = "clients"
    __table_args__ = (
        CheckConstraint(f"status IN {sql_in(ClientStatus)}", name="ck_clients_status"),
        CheckConstraint("fee_percent >= 0 AND fee_percent <= 100", name="ck_clients_fee_percent"),
        CheckConstraint("suspend_threshold > 0", name="ck_clients_suspend_threshold"),
        CheckConstraint(f"kyc_status IN {sql_in(KycStatus)}", name="ck_clients_kyc_status"),
        CheckConstraint("rate_limit_per_minute > 0", name="ck_clients_rate_limit_per_minute"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    # the merchant's public name in logs and the CLI: its live API key id (api_credentials holds the secrets)
    client_key: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    webhook_secret_enc: Mapped[str] = mapped_column(Text, nullable=False)
    company_name: Mapped[str] = mapped_column(String(255), nullable=False)
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    # the business profile the merchant keeps (its console's settings)
    website: Mapped[str | None] = mapped_column(String(500))
    support_email: Mapped[str | None] = mapped_column(String(254))
    support_phone: Mapped[str | None] = mapped_column(String(20))
    fee_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), nullable=False, server_default="3.50")
    suspend_threshold: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="1000000")
    status: Mapped[str] = mapped_column(String(20), nullable=False, server_default="active")
    # why the merchant is suspended: "dues" lifts itself when a payout brings balance_due under the threshold
    suspension_reason: Mapped[str | None] = mapped_column(String(30))
    whatsapp_phone: Mapped[str | None] = mapped_column(String(20))  # E.164 digits for dues notices
    whatsapp_txn_updates: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    # LOW_BALANCE notices on WhatsApp (dues past warn_threshold); suspension at the limit happens regardless
    whatsapp_dues_reminders: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="true")
    # deduct balance_due from each settlement as a COMMISSION_PAYOUT
    settle_dues_from_settlement: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    kyc_status: Mapped[str] = mapped_column(String(30), nullable=False, server_default="draft")
    # every person of this merchant must use two-factor authentication
    require_2fa: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    # the largest refund (paise) a person with the support role may make; NULL: LSP_SUPPORT_REFUND_LIMIT
    support_refund_limit: Mapped[int | None] = mapped_column(BigInteger)
    # API requests per minute for each credential of this merchant; NULL: LSP_RATE_LIMIT_PER_MINUTE
    rate_limit_per_minute: Mapped[int | None] = mapped_column(Integer)
    # the origins (scheme://host[:port]) of the merchant's sites that may frame the hosted checkout and call it
    # from a browser (CORS)
    checkout_origins: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False, server_default="{}")
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
