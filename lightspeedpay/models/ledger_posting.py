"""A ledger posting: one business event (a commission, a reversal, a payout, an adjustment) as a set of
immutable legs that balance, identified by a unique correlation key so it is recorded at most once."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from lightspeedpay.models.base import Base, created_at, sql_in, uuid_pk


class PostingType(StrEnum):
    COMMISSION = "COMMISSION"
    COMMISSION_REVERSAL = "COMMISSION_REVERSAL"
    COMMISSION_PAYOUT = "COMMISSION_PAYOUT"
    ADJUSTMENT = "ADJUSTMENT"


class LedgerPosting(Base):
    __tablename__ = "ledger_postings"
    __table_args__ = (
        CheckConstraint(f"type IN {sql_in(PostingType)}", name="ck_ledger_postings_type"),
        CheckConstraint(
            "type <> 'ADJUSTMENT' OR length(btrim(coalesce(reason, ''))) > 0",
            name="ck_ledger_postings_adjustment_reason",
        ),
        CheckConstraint(
            "type <> 'COMMISSION' OR transaction_id IS NOT NULL",
            name="ck_ledger_postings_commission_transaction",
        ),
        CheckConstraint(
            "type <> 'COMMISSION_REVERSAL' OR (transaction_id IS NOT NULL AND refund_id IS NOT NULL)",
            name="ck_ledger_postings_reversal_refund",
        ),
        # at most one COMMISSION per transaction and one reversal per refund, whatever the correlation key says
        Index(
            "uq_ledger_postings_commission_transaction",
            "transaction_id",
            unique=True,
            postgresql_where=text("type = 'COMMISSION'"),
        ),
        Index(
            "uq_ledger_postings_reversal_refund",
            "refund_id",
            unique=True,
            postgresql_where=text("type = 'COMMISSION_REVERSAL'"),
        ),
        Index("ix_ledger_postings_client_created", "client_id", "created_at", "id"),
        Index("ix_ledger_postings_created", "created_at", "id"),
        Index("ix_ledger_postings_transaction", "transaction_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    correlation_key: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    type: Mapped[str] = mapped_column(String(30), nullable=False)
    client_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("clients.id"), nullable=False)
    wallet_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("wallets.id"), nullable=False)
    # the posting's effect on balance_due (the sum of its legs on the dues account), in paise
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # what it was computed from: the payment's amount (COMMISSION) or the refund's (COMMISSION_REVERSAL)
    subject_amount: Mapped[int | None] = mapped_column(BigInteger)
    # in transactions or archived_transactions: no foreign key (models/archived_transaction.py)
    transaction_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    refund_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    settlement_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("settlements.id"))
    reference: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(100), nullable=False, server_default="system")
    created_at: Mapped[datetime] = created_at()
