"""the archive of final payments, daily runs, health reports (issue 9: seed 003's schedules, retention, archive)

`archived_transactions` holds final payments moved out of `transactions` (why a table and not detached
partitions: models/archived_transaction.py); the view `all_transactions` reads both. The foreign keys to
`transactions` are dropped, since a payment may now live in either table; a trigger keeps the hot table's
UNIQUE(client_id, order_id) and UNIQUE(payment_id) true across both. `daily_runs` makes each daily task run
once per IST day; `health_reports` stores the daily report.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_NOW = sa.text("now()")
_UUID = sa.text("gen_random_uuid()")
_STATUSES = (
    "('created', 'pending', 'authorized', 'paid', 'partially_refunded', 'refunded', 'failed', 'expired')"
)

# the tables whose transaction_id may name an archived payment (PostgreSQL's default constraint names)
REFERRING = [
    "gateway_attempts",
    "ledger_postings",
    "psp_events",
    "refunds",
    "settlement_line_items",
    "wallet_entries",
    "webhook_events",
]

# a payment's columns, in the order of the model (models/transaction.py TransactionColumns); the view lists
# them by name, so both tables may keep their own physical order
COLUMNS = (
    "id, payment_id, order_id, parent_order_id, client_id, gateway_id, amount, currency, status, customer, "
    "notes, redirect_url, gateway_txn_id, gateway_payment_id, checkout_url, gateway_response, error_code, "
    "error_message, volume_released, amount_refunded, authorized_at, paid_at, created_at, updated_at"
)

_VIEW = f"""
CREATE VIEW all_transactions AS
    SELECT {COLUMNS} FROM transactions
    UNION ALL
    SELECT {COLUMNS} FROM archived_transactions
"""

# After the row is in (so a concurrent archive move it waited for is visible): an order id or payment id an
# archived payment has is refused with the hot table's own constraint, so callers see one kind of conflict.
_UNIQUE_ACROSS = """
CREATE FUNCTION transactions_unique_with_archive() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM archived_transactions a
               WHERE a.client_id = NEW.client_id AND a.order_id = NEW.order_id AND a.id <> NEW.id) THEN
        RAISE EXCEPTION 'duplicate key value violates unique constraint "uq_transactions_client_order"'
            USING ERRCODE = 'unique_violation', CONSTRAINT = 'uq_transactions_client_order',
                  TABLE = 'transactions',
                  DETAIL = format('Key (client_id, order_id)=(%s, %s) already exists in archived_transactions.',
                                  NEW.client_id, NEW.order_id);
    END IF;
    IF EXISTS (SELECT 1 FROM archived_transactions a WHERE a.payment_id = NEW.payment_id AND a.id <> NEW.id) THEN
        RAISE EXCEPTION 'duplicate key value violates unique constraint "uq_transactions_payment_id"'
            USING ERRCODE = 'unique_violation', CONSTRAINT = 'uq_transactions_payment_id',
                  TABLE = 'transactions',
                  DETAIL = format('Key (payment_id)=(%s) already exists in archived_transactions.', NEW.payment_id);
    END IF;
    RETURN NULL;
END $$
"""
_UNIQUE_ACROSS_TRIGGER = """
CREATE TRIGGER transactions_unique_with_archive
    AFTER INSERT OR UPDATE OF client_id, order_id, payment_id ON transactions
    FOR EACH ROW EXECUTE FUNCTION transactions_unique_with_archive();
"""


def upgrade() -> None:
    op.create_table(
        "archived_transactions",
        sa.Column("id", sa.UUID(), server_default=_UUID, nullable=False),
        sa.Column("payment_id", sa.String(length=20), nullable=False),
        sa.Column("order_id", sa.String(length=100), nullable=False),
        sa.Column("parent_order_id", sa.UUID(), nullable=True),
        sa.Column("client_id", sa.UUID(), nullable=False),
        sa.Column("gateway_id", sa.UUID(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), server_default="INR", nullable=False),
        sa.Column("status", sa.String(length=20), server_default="created", nullable=False),
        sa.Column("customer", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("notes", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("redirect_url", sa.String(length=500), nullable=True),
        sa.Column("gateway_txn_id", sa.String(length=100), nullable=True),
        sa.Column("gateway_payment_id", sa.String(length=100), nullable=True),
        sa.Column("checkout_url", sa.String(length=1000), nullable=True),
        sa.Column("gateway_response", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("error_code", sa.String(length=100), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("volume_released", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("amount_refunded", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("authorized_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"]),
        sa.ForeignKeyConstraint(["gateway_id"], ["payment_gateways.id"]),
        sa.ForeignKeyConstraint(["parent_order_id"], ["orders.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_id", "order_id", name="uq_archived_transactions_client_order"),
        sa.UniqueConstraint("payment_id", name="uq_archived_transactions_payment_id"),
        sa.CheckConstraint(f"status IN {_STATUSES}", name="ck_archived_transactions_status"),
    )
    op.create_index(
        "ix_archived_transactions_client_created",
        "archived_transactions",
        ["client_id", "created_at", "id"],
    )
    op.create_index(
        "ix_archived_transactions_gateway_txn", "archived_transactions", ["gateway_id", "gateway_txn_id"]
    )
    op.create_index("ix_archived_transactions_parent_order", "archived_transactions", ["parent_order_id"])
    op.create_index("ix_archived_transactions_created", "archived_transactions", ["created_at"])
    for table in REFERRING:
        op.drop_constraint(f"{table}_transaction_id_fkey", table, type_="foreignkey")
    op.execute(_VIEW)
    op.execute(_UNIQUE_ACROSS)
    op.execute(_UNIQUE_ACROSS_TRIGGER)

    op.create_table(
        "daily_runs",
        sa.Column("task", sa.String(length=100), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="1", nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("progress", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
        sa.PrimaryKeyConstraint("task", "day"),
    )
    op.create_table(
        "health_reports",
        sa.Column("id", sa.UUID(), server_default=_UUID, nullable=False),
        sa.Column("period_date", sa.Date(), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_health_reports_period_date", "health_reports", ["period_date"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_health_reports_period_date", table_name="health_reports")
    op.drop_table("health_reports")
    op.drop_table("daily_runs")
    op.execute("DROP TRIGGER transactions_unique_with_archive ON transactions")
    op.execute("DROP FUNCTION transactions_unique_with_archive()")
    op.execute("DROP VIEW all_transactions")
    # archived payments go back to the hot table before its foreign keys return
    op.execute(f"INSERT INTO transactions ({COLUMNS}) SELECT {COLUMNS} FROM archived_transactions")
    for table in REFERRING:
        op.create_foreign_key(
            f"{table}_transaction_id_fkey", table, "transactions", ["transaction_id"], ["id"]
        )
    op.drop_table("archived_transactions")
