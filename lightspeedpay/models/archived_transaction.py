"""A final payment moved out of the hot `transactions` table by the daily archive (seed 003's
`archived_transactions`); the same columns, found by every read through `all_transactions`.

Why a table of its own and not monthly partitions detached:
- A partitioned `transactions` needs the partition key in every unique constraint: the primary key becomes
  (id, created_at) and UNIQUE(client_id, order_id) can no longer be enforced across months, so a merchant's
  retried order id could charge twice; every table referring to a payment would carry created_at too.
- A month is not a unit of "final": a payment of March with a refund still open in May would hold its whole
  partition back, or be detached with its pending work. Rows move here one by one, when each is final and
  has no pending work (no pending intent, no open refund, no unprocessed PSP event, every posting settled).
- A detached partition is read by nothing: every read would have to know where the months went. Here one
  view, `all_transactions`, reads both tables, and single-row lookups try the hot table first.
- Converting the live table to a partitioned one is a rewrite under an exclusive lock; this is a new table.

What the move costs: the foreign keys from refunds, ledger postings, wallet entries, settlement line items,
gateway attempts, PSP events and webhook events to `transactions` are dropped (a row cannot be referenced in
two tables); the ledger checker checks instead that every reference finds its payment in one of the two
(`transaction_reference_missing`) and that none is in both. UNIQUE(client_id, order_id) and UNIQUE(payment_id)
span both tables: this table has them too, and a trigger on `transactions` refuses a new payment whose order id
or payment id an archived one has, with the hot table's own constraint name (migration 0008). Writers never
change an archived row: whatever locks a payment to change it (a refund, a late PSP event) moves it back to
the hot table first, in its own DB transaction (`transaction_repo.restore`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    Index,
    MetaData,
    Table,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from lightspeedpay.models.base import Base, sql_in
from lightspeedpay.models.transaction import (
    Transaction,
    TransactionColumns,
    TransactionStatus,
    search_indexes,
)


class ArchivedTransaction(TransactionColumns, Base):
    __tablename__ = "archived_transactions"
    __table_args__ = (
        UniqueConstraint("client_id", "order_id", name="uq_archived_transactions_client_order"),
        UniqueConstraint("payment_id", name="uq_archived_transactions_payment_id"),
        CheckConstraint(f"status IN {sql_in(TransactionStatus)}", name="ck_archived_transactions_status"),
        Index("ix_archived_transactions_client_created", "client_id", "created_at", "id"),
        Index("ix_archived_transactions_created", "created_at"),  # reports over a period read both tables
        Index("ix_archived_transactions_gateway_txn", "gateway_id", "gateway_txn_id"),
        Index("ix_archived_transactions_parent_order", "parent_order_id"),
        *search_indexes("archived_transactions"),
    )

    archived_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


# `all_transactions`: a view (migration 0008), the hot table UNION ALL the archive, with the columns of a
# payment. Declared on a MetaData of its own, so Alembic's autogenerate does not take it for a missing table.
views = MetaData()
all_transactions = Table(
    "all_transactions",
    views,
    *(Column(c.name, c.type, primary_key=c.primary_key) for c in Transaction.__table__.columns),
)

# the payment's columns in one order, for moving rows between the two tables and for the view
TRANSACTION_COLUMNS: tuple[str, ...] = tuple(c.name for c in Transaction.__table__.columns)
