"""A merchant's commission wallet: balance_due is the sum of its immutable entries (the merchant's dues
account in the double-entry ledger; the platform's counter-legs are in platform_entries)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from lightspeedpay.models.base import Base, created_at, sql_in, updated_at, uuid_pk


class WalletEntryType(StrEnum):
    COMMISSION = "COMMISSION"
    COMMISSION_REVERSAL = "COMMISSION_REVERSAL"
    COMMISSION_PAYOUT = "COMMISSION_PAYOUT"
    ADJUSTMENT = "ADJUSTMENT"


class Wallet(Base):
    __tablename__ = "wallets"

    id: Mapped[uuid.UUID] = uuid_pk()
    client_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("clients.id"), unique=True, nullable=False
    )
    balance_due: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")
    warn_threshold: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="500000")
    wa_last_sent: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class WalletEntry(Base):
    """One leg of a ledger posting on the merchant's dues account; positive raises balance_due.

    The seed's UNIQUE(type, transaction_id) stays: only COMMISSION legs carry transaction_id, so a
    transaction has at most one; reversals key on the refund (several partial refunds per transaction),
    and the transaction of a reversal is on its posting."""

    __tablename__ = "wallet_entries"
    __table_args__ = (
        UniqueConstraint("type", "transaction_id", name="uq_wallet_entries_type_transaction"),
        Index("ix_wallet_entries_wallet_created", "wallet_id", "created_at", "id"),
        CheckConstraint(f"type IN {sql_in(WalletEntryType)}", name="ck_wallet_entries_type"),
        CheckConstraint("amount <> 0", name="ck_wallet_entries_amount_nonzero"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    wallet_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("wallets.id"), nullable=False, index=True
    )
    # in transactions or archived_transactions: no foreign key (models/archived_transaction.py)
    transaction_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    type: Mapped[str] = mapped_column(String(30), nullable=False)
    reference: Mapped[str | None] = mapped_column(String(200))
    posting_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("ledger_postings.id"), nullable=False, index=True
    )
    refund_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    created_at: Mapped[datetime] = created_at()
