"""The platform's side of each ledger posting: commission revenue, cash received, settlement deductions,
adjustments. Positive is a debit, negative a credit, as on the merchants' dues legs."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from lightspeedpay.models.base import Base, created_at, sql_in, uuid_pk


class PlatformAccount(StrEnum):
    COMMISSION_REVENUE = "commission_revenue"
    CASH = "cash"
    SETTLEMENT_CLEARING = "settlement_clearing"
    ADJUSTMENTS = "adjustments"


class PlatformEntry(Base):
    __tablename__ = "platform_entries"
    __table_args__ = (
        CheckConstraint(f"account IN {sql_in(PlatformAccount)}", name="ck_platform_entries_account"),
        CheckConstraint("amount <> 0", name="ck_platform_entries_amount_nonzero"),
        Index("ix_platform_entries_account_created", "account", "created_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    posting_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("ledger_postings.id"), nullable=False, index=True
    )
    account: Mapped[str] = mapped_column(String(40), nullable=False)
    client_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("clients.id"), nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    created_at: Mapped[datetime] = created_at()
