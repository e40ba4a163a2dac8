"""payment analytics: transactions.method, the delta log the database writes with every counted change of a
transaction, and the rollups the scheduler folds it into (issue 9)

The triggers are the one place that sees every change of a transaction, whichever code path (initiation's
single statement, the worker, refunds, the janitor, a bulk load) made it, in the same database transaction.
They only append to `analytics_deltas`: two payments never wait on a shared counter row. A DELETE writes
nothing, so archiving transactions leaves the rollups as they were.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# the transaction statuses (models.transaction.TransactionStatus as of this step): a count and an amount each
_STATUSES = (
    "created",
    "pending",
    "authorized",
    "paid",
    "partially_refunded",
    "refunded",
    "failed",
    "expired",
)
_COLUMNS = "bucket_at, client_id, gateway_id, provider, method, status, currency, failure_code, txn_count, amount, refunded"


def _values(t: str, sign: str) -> str:
    """One delta's values for the transaction row `t`, counted `sign` (+1 or -1) times. A 5-minute bucket of UTC
    is also one of IST (+05:30 is a whole number of 5 minutes)."""
    return f"""date_bin('5 minutes', {t}.created_at, TIMESTAMPTZ '2000-01-01 00:00:00+00'), {t}.client_id,
        {t}.gateway_id, coalesce((SELECT g.provider FROM payment_gateways g WHERE g.id = {t}.gateway_id), ''),
        coalesce({t}.method, ''), {t}.status, {t}.currency,
        CASE WHEN {t}.status IN ('failed', 'expired') THEN coalesce({t}.error_code, '') ELSE '' END,
        {sign}, {sign} * {t}.amount, {sign} * {t}.amount_refunded"""


_INSERTED = f"""
CREATE FUNCTION analytics_transactions_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- a payment moved back from the archive (payments.repository.restore) was counted when it was made
    IF coalesce(current_setting('lsp.restoring_from_archive', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    INSERT INTO analytics_deltas ({_COLUMNS}) SELECT {_values("n", "1")} FROM inserted n;
    RETURN NULL;
END $$;
"""

_CHANGED = f"""
CREATE FUNCTION analytics_transaction_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO analytics_deltas ({_COLUMNS}) VALUES ({_values("OLD", "-1")}), ({_values("NEW", "1")});
    RETURN NULL;
END $$;
"""

# only a change of something the rollups count or group by writes deltas (not updated_at, checkout_url, ...)
_COUNTED_CHANGE = """
    OLD.status IS DISTINCT FROM NEW.status OR OLD.amount IS DISTINCT FROM NEW.amount
    OR OLD.amount_refunded IS DISTINCT FROM NEW.amount_refunded OR OLD.gateway_id IS DISTINCT FROM NEW.gateway_id
    OR OLD.method IS DISTINCT FROM NEW.method OR OLD.client_id IS DISTINCT FROM NEW.client_id
    OR OLD.currency IS DISTINCT FROM NEW.currency OR OLD.created_at IS DISTINCT FROM NEW.created_at
    OR (NEW.status IN ('failed', 'expired') AND OLD.error_code IS DISTINCT FROM NEW.error_code)
"""


# the columns of all_transactions as migration 0012 made the view
_VIEW_COLUMNS = (
    "id, payment_id, order_id, parent_order_id, client_id, gateway_id, amount, currency, status, customer, "
    "notes, redirect_url, gateway_txn_id, gateway_payment_id, checkout_url, gateway_response, error_code, "
    "error_message, volume_released, amount_refunded, authorized_at, paid_at, created_at, updated_at"
)


def _view(*, with_method: bool) -> str:
    columns = _VIEW_COLUMNS + (", method" if with_method else "")
    return (
        f"CREATE OR REPLACE VIEW all_transactions AS SELECT {columns} FROM transactions "
        f"UNION ALL SELECT {columns} FROM archived_transactions"
    )


def _key() -> list[sa.Column]:
    """The dimensions of a rollup row (and of a failures row, which adds its failure code)."""
    return [
        sa.Column("grain", sa.String(length=2), nullable=False),
        sa.Column("cut", sa.String(length=10), nullable=False),
        sa.Column("client_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("bucket_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("gateway_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("provider", sa.String(length=50), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
    ]


def upgrade() -> None:
    op.add_column("transactions", sa.Column("method", sa.String(length=20), nullable=True))
    op.create_check_constraint(
        "ck_transactions_method",
        "transactions",
        "method IN ('upi', 'card', 'netbanking', 'wallet', 'emi', 'paylater', 'other')",
    )
    # the archive keeps the same columns, and the view that reads both gains it (at its end, as OR REPLACE
    # allows)
    op.add_column("archived_transactions", sa.Column("method", sa.String(length=20), nullable=True))
    op.execute(_view(with_method=True))
    op.create_table(
        "analytics_deltas",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("bucket_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("client_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("gateway_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("provider", sa.String(length=50), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("failure_code", sa.String(length=100), nullable=False),
        sa.Column("txn_count", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("refunded", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    key_names = [c.name for c in _key()]
    op.create_table(
        "analytics_rollups",
        *_key(),
        *(
            sa.Column(f"{measure}_{status}", sa.BigInteger(), server_default="0", nullable=False)
            for measure in ("n", "amount")
            for status in _STATUSES
        ),
        sa.Column("refunded", sa.BigInteger(), server_default="0", nullable=False),
        sa.CheckConstraint("grain IN ('5m', '1h', '1d')", name="ck_analytics_rollups_grain"),
        sa.CheckConstraint(
            "cut IN ('full', 'platform', 'merchant', 'gateway', 'method', 'total')",
            name="ck_analytics_rollups_cut",
        ),
        sa.PrimaryKeyConstraint(*key_names),
    )
    op.create_index("ix_analytics_rollups_bucket", "analytics_rollups", ["grain", "cut", "bucket_at"])
    op.create_table(
        "analytics_failures",
        *_key(),
        sa.Column("failure_code", sa.String(length=100), nullable=False),
        sa.Column("txn_count", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("grain IN ('5m', '1h', '1d')", name="ck_analytics_failures_grain"),
        sa.CheckConstraint(
            "cut IN ('full', 'platform', 'merchant', 'gateway', 'method', 'total')",
            name="ck_analytics_failures_cut",
        ),
        sa.PrimaryKeyConstraint(*key_names, "failure_code"),
    )
    op.create_index("ix_analytics_failures_bucket", "analytics_failures", ["grain", "cut", "bucket_at"])
    op.execute(_INSERTED)
    op.execute(_CHANGED)
    # CREATE TRIGGER waits for the writers of transactions and holds them off until this migration commits,
    # so the backfill below sees every row committed before the triggers and the triggers see every change after
    op.execute(
        "CREATE TRIGGER transactions_analytics_inserted AFTER INSERT ON transactions "
        "REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION analytics_transactions_inserted()"
    )
    op.execute(
        "CREATE TRIGGER transactions_analytics_changed AFTER UPDATE ON transactions FOR EACH ROW "
        f"WHEN ({_COUNTED_CHANGE}) EXECUTE FUNCTION analytics_transaction_changed()"
    )
    # the payments made before analytics existed, folded by the scheduler like any other change
    op.execute(
        f"INSERT INTO analytics_deltas ({_COLUMNS}) SELECT {_values('t', '1')} FROM all_transactions t"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER transactions_analytics_changed ON transactions")
    op.execute("DROP TRIGGER transactions_analytics_inserted ON transactions")
    op.execute("DROP FUNCTION analytics_transaction_changed()")
    op.execute("DROP FUNCTION analytics_transactions_inserted()")
    op.drop_index("ix_analytics_failures_bucket", table_name="analytics_failures")
    op.drop_table("analytics_failures")
    op.drop_index("ix_analytics_rollups_bucket", table_name="analytics_rollups")
    op.drop_table("analytics_rollups")
    op.drop_table("analytics_deltas")
    op.execute("DROP VIEW all_transactions")
    op.execute(_view(with_method=False))
    op.drop_column("archived_transactions", "method")
    op.drop_constraint("ck_transactions_method", "transactions", type_="check")
    op.drop_column("transactions", "method")
