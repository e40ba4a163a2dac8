"""double-entry ledger, dues, settlements, whatsapp (issue 5)

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_NOW = sa.text("now()")
_UUID = sa.text("gen_random_uuid()")

# Ledger rows are never changed or removed: errors are corrected by new postings (TigerBeetle, Formance).
_IMMUTABLE = """
CREATE FUNCTION ledger_row_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger rows are immutable: % on % refused; post a correcting entry instead',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END $$;
"""

# Checked at commit (deferred), when every leg of the posting has been written.
_BALANCED = """
CREATE FUNCTION ledger_posting_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    off bigint;
BEGIN
    SELECT coalesce((SELECT sum(amount) FROM wallet_entries WHERE posting_id = NEW.posting_id), 0)
         + coalesce((SELECT sum(amount) FROM platform_entries WHERE posting_id = NEW.posting_id), 0)
      INTO off;
    IF off <> 0 THEN
        RAISE EXCEPTION 'ledger posting % does not balance: its legs sum to % paise', NEW.posting_id, off
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
"""


def upgrade() -> None:
    # ---- merchants: WhatsApp number, dues settings, why suspended
    op.add_column("clients", sa.Column("suspension_reason", sa.String(length=30), nullable=True))
    op.add_column("clients", sa.Column("whatsapp_phone", sa.String(length=20), nullable=True))
    op.add_column(
        "clients", sa.Column("whatsapp_txn_updates", sa.Boolean(), server_default="false", nullable=False)
    )
    op.add_column(
        "clients",
        sa.Column("settle_dues_from_settlement", sa.Boolean(), server_default="false", nullable=False),
    )
    op.execute("UPDATE clients SET suspension_reason = 'dues' WHERE status = 'suspended'")

    # ---- settlements (before ledger_postings, which refer to them)
    op.create_table(
        "settlements",
        sa.Column("id", sa.UUID(), server_default=_UUID, nullable=False),
        sa.Column("client_id", sa.UUID(), nullable=False),
        sa.Column("period_date", sa.Date(), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cutoff_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="pending", nullable=False),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("currency", sa.String(length=3), server_default="INR", nullable=False),
        sa.Column("payment_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("refund_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("gross_amount", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("refunds_amount", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("commission_amount", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("net_amount", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("dues_deducted", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("payable_amount", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("requested_by", sa.String(length=100), server_default="scheduler", nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'processing', 'completed', 'failed')", name="ck_settlements_status"
        ),
        sa.CheckConstraint("period_end > period_start", name="ck_settlements_period"),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_id", "period_start", "period_end", name="uq_settlements_client_period"),
    )
    op.create_index("ix_settlements_client_created", "settlements", ["client_id", "created_at", "id"])
    op.create_index("ix_settlements_status", "settlements", ["status"])

    # ---- the ledger: postings, the platform's legs, and the merchants' dues legs (wallet_entries)
    op.create_table(
        "ledger_postings",
        sa.Column("id", sa.UUID(), server_default=_UUID, nullable=False),
        sa.Column("correlation_key", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=30), nullable=False),
        sa.Column("client_id", sa.UUID(), nullable=False),
        sa.Column("wallet_id", sa.UUID(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("subject_amount", sa.BigInteger(), nullable=True),
        sa.Column("transaction_id", sa.UUID(), nullable=True),
        sa.Column("refund_id", sa.UUID(), nullable=True),
        sa.Column("settlement_id", sa.UUID(), nullable=True),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=100), server_default="system", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
        sa.CheckConstraint(
            "type IN ('COMMISSION', 'COMMISSION_REVERSAL', 'COMMISSION_PAYOUT', 'ADJUSTMENT')",
            name="ck_ledger_postings_type",
        ),
        sa.CheckConstraint(
            "type <> 'ADJUSTMENT' OR length(btrim(coalesce(reason, ''))) > 0",
            name="ck_ledger_postings_adjustment_reason",
        ),
        sa.CheckConstraint(
            "type <> 'COMMISSION' OR transaction_id IS NOT NULL",
            name="ck_ledger_postings_commission_transaction",
        ),
        sa.CheckConstraint(
            "type <> 'COMMISSION_REVERSAL' OR (transaction_id IS NOT NULL AND refund_id IS NOT NULL)",
            name="ck_ledger_postings_reversal_refund",
        ),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"]),
        sa.ForeignKeyConstraint(["wallet_id"], ["wallets.id"]),
        sa.ForeignKeyConstraint(["transaction_id"], ["transactions.id"]),
        sa.ForeignKeyConstraint(["settlement_id"], ["settlements.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("correlation_key"),
    )
    op.create_index(
        "uq_ledger_postings_commission_transaction",
        "ledger_postings",
        ["transaction_id"],
        unique=True,
        postgresql_where=sa.text("type = 'COMMISSION'"),
    )
    op.create_index(
        "uq_ledger_postings_reversal_refund",
        "ledger_postings",
        ["refund_id"],
        unique=True,
        postgresql_where=sa.text("type = 'COMMISSION_REVERSAL'"),
    )
    op.create_index("ix_ledger_postings_client_created", "ledger_postings", ["client_id", "created_at", "id"])
    op.create_index("ix_ledger_postings_created", "ledger_postings", ["created_at", "id"])
    op.create_index("ix_ledger_postings_transaction", "ledger_postings", ["transaction_id"])

    op.create_table(
        "platform_entries",
        sa.Column("id", sa.UUID(), server_default=_UUID, nullable=False),
        sa.Column("posting_id", sa.UUID(), nullable=False),
        sa.Column("account", sa.String(length=40), nullable=False),
        sa.Column("client_id", sa.UUID(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
        sa.CheckConstraint(
            "account IN ('commission_revenue', 'cash', 'settlement_clearing', 'adjustments')",
            name="ck_platform_entries_account",
        ),
        sa.CheckConstraint("amount <> 0", name="ck_platform_entries_amount_nonzero"),
        sa.ForeignKeyConstraint(["posting_id"], ["ledger_postings.id"]),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_platform_entries_posting_id"), "platform_entries", ["posting_id"])
    op.create_index("ix_platform_entries_account_created", "platform_entries", ["account", "created_at"])

    op.add_column("wallet_entries", sa.Column("posting_id", sa.UUID(), nullable=True))
    op.add_column("wallet_entries", sa.Column("refund_id", sa.UUID(), nullable=True))

    # Entries written by the single-entry ledger become postings of their own (posting id = entry id),
    # with the platform's counter-leg; paid transactions whose commission rounded to nothing get an empty
    # COMMISSION posting, so "no paid transaction without its commission" holds from the start.
    op.execute("""
        INSERT INTO ledger_postings (id, correlation_key, type, client_id, wallet_id, amount, subject_amount,
                                     transaction_id, reference, reason, actor, created_at)
        SELECT e.id, coalesce(e.reference, 'migrated:' || e.id::text), e.type, w.client_id, e.wallet_id, e.amount,
               t.amount, e.transaction_id, e.reference, 'migrated from the single-entry ledger', 'migration',
               e.created_at
        FROM wallet_entries e JOIN wallets w ON w.id = e.wallet_id
        LEFT JOIN transactions t ON t.id = e.transaction_id
    """)
    op.execute("UPDATE wallet_entries SET posting_id = id")
    op.execute("""
        INSERT INTO platform_entries (posting_id, account, client_id, amount, created_at)
        SELECT p.id, CASE p.type WHEN 'COMMISSION_PAYOUT' THEN 'cash' WHEN 'ADJUSTMENT' THEN 'adjustments'
                                 ELSE 'commission_revenue' END,
               p.client_id, -p.amount, p.created_at
        FROM ledger_postings p
    """)
    op.execute("""
        INSERT INTO ledger_postings (correlation_key, type, client_id, wallet_id, amount, subject_amount,
                                     transaction_id, actor, created_at)
        SELECT 'commission:' || t.id::text, 'COMMISSION', t.client_id, w.id, 0, t.amount, t.id, 'migration',
               coalesce(t.paid_at, t.updated_at)
        FROM transactions t JOIN wallets w ON w.client_id = t.client_id
        WHERE (t.status IN ('paid', 'partially_refunded') OR (t.status = 'refunded' AND t.paid_at IS NOT NULL))
          AND NOT EXISTS (SELECT 1 FROM ledger_postings p WHERE p.type = 'COMMISSION' AND p.transaction_id = t.id)
    """)
    op.alter_column("wallet_entries", "posting_id", nullable=False)
    op.create_foreign_key(
        "wallet_entries_posting_id_fkey", "wallet_entries", "ledger_postings", ["posting_id"], ["id"]
    )
    op.create_index(op.f("ix_wallet_entries_posting_id"), "wallet_entries", ["posting_id"])
    op.create_index("ix_wallet_entries_wallet_created", "wallet_entries", ["wallet_id", "created_at", "id"])

    op.execute(_IMMUTABLE)
    op.execute(_BALANCED)
    for table in ("ledger_postings", "wallet_entries", "platform_entries"):
        op.execute(
            f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION ledger_row_immutable()"
        )
    for table in ("wallet_entries", "platform_entries"):
        op.execute(
            f"CREATE CONSTRAINT TRIGGER {table}_balanced AFTER INSERT ON {table} "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_posting_balanced()"
        )

    op.create_table(
        "settlement_line_items",
        sa.Column("id", sa.UUID(), server_default=_UUID, nullable=False),
        sa.Column("settlement_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("posting_id", sa.UUID(), nullable=False),
        sa.Column("transaction_id", sa.UUID(), nullable=False),
        sa.Column("refund_id", sa.UUID(), nullable=True),
        sa.Column("gateway_id", sa.UUID(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("commission", sa.BigInteger(), nullable=False),
        sa.Column("net", sa.BigInteger(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
        sa.CheckConstraint("kind IN ('payment', 'refund')", name="ck_settlement_line_items_kind"),
        sa.ForeignKeyConstraint(["settlement_id"], ["settlements.id"]),
        sa.ForeignKeyConstraint(["posting_id"], ["ledger_postings.id"]),
        sa.ForeignKeyConstraint(["transaction_id"], ["transactions.id"]),
        sa.ForeignKeyConstraint(["gateway_id"], ["payment_gateways.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("posting_id"),
    )
    op.create_index(
        "ix_settlement_line_items_settlement", "settlement_line_items", ["settlement_id", "occurred_at"]
    )

    # ---- audit
    op.create_table(
        "audit_log",
        sa.Column("id", sa.UUID(), server_default=_UUID, nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("client_id", sa.UUID(), nullable=True),
        sa.Column("subject_type", sa.String(length=50), nullable=True),
        sa.Column("subject_id", sa.String(length=100), nullable=True),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_log_client_created", "audit_log", ["client_id", "created_at"])
    op.create_index("ix_audit_log_action_created", "audit_log", ["action", "created_at"])

    # ---- WhatsApp
    op.create_table(
        "whatsapp_notifications",
        sa.Column("id", sa.UUID(), server_default=_UUID, nullable=False),
        sa.Column("client_id", sa.UUID(), nullable=False),
        sa.Column("template", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=30), nullable=False),
        sa.Column("to_phone", sa.String(length=20), nullable=True),
        sa.Column("payload_json", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="queued", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("provider_message_id", sa.String(length=200), nullable=True),
        sa.Column("next_retry_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
        sa.CheckConstraint("type IN ('LOW_BALANCE', 'TXN_UPDATE')", name="ck_whatsapp_notifications_type"),
        sa.CheckConstraint("status IN ('queued', 'sent', 'failed')", name="ck_whatsapp_notifications_status"),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_whatsapp_notifications_client_created",
        "whatsapp_notifications",
        ["client_id", "created_at", "id"],
    )
    op.create_index("ix_whatsapp_notifications_created", "whatsapp_notifications", ["created_at", "id"])
    op.create_table(
        "whatsapp_provider_tokens",
        sa.Column("id", sa.UUID(), server_default=_UUID, nullable=False),
        sa.Column("token_enc", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_whatsapp_provider_tokens_created", "whatsapp_provider_tokens", ["created_at"])


def downgrade() -> None:
    op.drop_table("whatsapp_provider_tokens")
    op.drop_table("whatsapp_notifications")
    op.drop_table("audit_log")
    op.drop_table("settlement_line_items")
    for table in ("wallet_entries", "platform_entries"):
        op.execute(f"DROP TRIGGER {table}_balanced ON {table}")
    for table in ("ledger_postings", "wallet_entries", "platform_entries"):
        op.execute(f"DROP TRIGGER {table}_immutable ON {table}")
    op.execute("DROP FUNCTION ledger_posting_balanced()")
    op.execute("DROP FUNCTION ledger_row_immutable()")
    op.drop_index("ix_wallet_entries_wallet_created", table_name="wallet_entries")
    op.drop_index(op.f("ix_wallet_entries_posting_id"), table_name="wallet_entries")
    op.drop_constraint("wallet_entries_posting_id_fkey", "wallet_entries", type_="foreignkey")
    op.drop_column("wallet_entries", "refund_id")
    op.drop_column("wallet_entries", "posting_id")
    op.drop_table("platform_entries")
    op.drop_table("ledger_postings")
    op.drop_table("settlements")
    op.drop_column("clients", "settle_dues_from_settlement")
    op.drop_column("clients", "whatsapp_txn_updates")
    op.drop_column("clients", "whatsapp_phone")
    op.drop_column("clients", "suspension_reason")
