"""orders, payments, refunds, idempotency keys (issue 4)

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("public_id", sa.String(length=20), nullable=False),
        sa.Column("client_id", sa.UUID(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), server_default="INR", nullable=False),
        sa.Column("receipt", sa.String(length=40), nullable=True),
        sa.Column("notes", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="created", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("amount > 0", name="ck_orders_amount_positive"),
        sa.CheckConstraint("currency IN ('INR')", name="ck_orders_currency"),
        sa.CheckConstraint("status IN ('created', 'attempted', 'paid')", name="ck_orders_status"),
        sa.CheckConstraint("attempts >= 0", name="ck_orders_attempts"),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("public_id"),
    )
    op.create_index("ix_orders_client_created", "orders", ["client_id", "created_at", "id"])

    # every transaction is a payment with a public pay_ id; existing rows get one now
    op.add_column("transactions", sa.Column("payment_id", sa.String(length=20), nullable=True))
    op.execute(f"""
        UPDATE transactions t SET payment_id = 'pay_' || (
            SELECT string_agg(substr('{_BASE62}', 1 + floor(random() * 62)::int, 1), '')
            FROM generate_series(1, 14) WHERE t.id IS NOT NULL)
    """)
    op.alter_column("transactions", "payment_id", nullable=False)
    op.create_unique_constraint("uq_transactions_payment_id", "transactions", ["payment_id"])
    op.add_column("transactions", sa.Column("parent_order_id", sa.UUID(), nullable=True))
    op.create_foreign_key(
        "transactions_parent_order_id_fkey", "transactions", "orders", ["parent_order_id"], ["id"]
    )
    op.create_index("ix_transactions_parent_order", "transactions", ["parent_order_id"])
    op.add_column(
        "transactions", sa.Column("amount_refunded", sa.BigInteger(), server_default="0", nullable=False)
    )
    op.create_check_constraint(
        "ck_transactions_amount_refunded",
        "transactions",
        "amount_refunded >= 0 AND amount_refunded <= amount",
    )
    op.add_column("transactions", sa.Column("authorized_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE transactions SET authorized_at = updated_at WHERE status = 'authorized'")
    op.create_index(
        "ix_transactions_authorized",
        "transactions",
        ["authorized_at"],
        postgresql_where=sa.text("status = 'authorized'"),
    )

    op.create_table(
        "refunds",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("public_id", sa.String(length=20), nullable=False),
        sa.Column("client_id", sa.UUID(), nullable=False),
        sa.Column("transaction_id", sa.UUID(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), server_default="INR", nullable=False),
        sa.Column("status", sa.String(length=20), server_default="pending", nullable=False),
        sa.Column("kind", sa.String(length=20), server_default="refund", nullable=False),
        sa.Column("speed", sa.String(length=20), server_default="normal", nullable=False),
        sa.Column("notes", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("receipt", sa.String(length=40), nullable=True),
        sa.Column("gateway_refund_id", sa.String(length=100), nullable=True),
        sa.Column("error_code", sa.String(length=100), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("amount > 0", name="ck_refunds_amount_positive"),
        sa.CheckConstraint("status IN ('pending', 'processed', 'failed')", name="ck_refunds_status"),
        sa.CheckConstraint("speed IN ('normal', 'optimum')", name="ck_refunds_speed"),
        sa.CheckConstraint("kind IN ('refund', 'auto_refund')", name="ck_refunds_kind"),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"]),
        sa.ForeignKeyConstraint(["transaction_id"], ["transactions.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("public_id"),
    )
    op.create_index("ix_refunds_client_created", "refunds", ["client_id", "created_at", "id"])
    op.create_index("ix_refunds_transaction", "refunds", ["transaction_id"])
    op.create_index("ix_refunds_gateway_refund", "refunds", ["gateway_refund_id"])

    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("client_id", sa.UUID(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("request_method", sa.String(length=10), nullable=False),
        sa.Column("request_path", sa.String(length=500), nullable=False),
        sa.Column("request_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="running", nullable=False),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("response_code", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.LargeBinary(), nullable=True),
        sa.Column("response_content_type", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('running', 'completed')", name="ck_idempotency_keys_status"),
        sa.CheckConstraint(
            "char_length(idempotency_key) BETWEEN 1 AND 255", name="ck_idempotency_keys_length"
        ),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_id", "idempotency_key", name="uq_idempotency_keys_client_key"),
    )
    op.create_index("ix_idempotency_keys_expires", "idempotency_keys", ["expires_at"])


def downgrade() -> None:
    op.drop_table("idempotency_keys")
    op.drop_table("refunds")
    op.drop_index("ix_transactions_authorized", table_name="transactions")
    op.drop_column("transactions", "authorized_at")
    op.drop_constraint("ck_transactions_amount_refunded", "transactions", type_="check")
    op.drop_column("transactions", "amount_refunded")
    op.drop_index("ix_transactions_parent_order", table_name="transactions")
    op.drop_constraint("transactions_parent_order_id_fkey", "transactions", type_="foreignkey")
    op.drop_column("transactions", "parent_order_id")
    op.drop_constraint("uq_transactions_payment_id", "transactions", type_="unique")
    op.drop_column("transactions", "payment_id")
    op.drop_table("orders")
