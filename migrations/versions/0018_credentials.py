"""merchant API credentials with test and live modes (issue 10): api_credentials (one per merchant and mode) and
api_credential_secrets (encrypted, with a grace-period end); `mode` on transactions, orders, refunds, webhook
events and deliveries, settlements; analytics counts live payments only.

Data: each merchant's client_key becomes its live key id and its client salt the live credential's current
secret (ciphertext copied as is: the same key ring opens it); the previous salts of a rotation become secrets
with their end. Each merchant gets a test key id with no secret yet (POST /api/v1/merchant/credentials/regenerate
{"mode": "test"} makes one). clients.client_salt_enc and client_previous_salts go. Existing rows are live.

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=True)

_MODE_TABLES = (
    "transactions",
    "archived_transactions",
    "orders",
    "refunds",
    "webhook_events",
    "webhook_deliveries",
    "settlements",
)

# the columns of all_transactions as migration 0013 left the view; `mode` is appended (a view keeps its order)
_VIEW_COLUMNS = (
    "id, payment_id, order_id, parent_order_id, client_id, gateway_id, amount, currency, status, customer, "
    "notes, redirect_url, gateway_txn_id, gateway_payment_id, checkout_url, gateway_response, error_code, "
    "error_message, volume_released, amount_refunded, authorized_at, paid_at, created_at, updated_at, method"
)

_DELTA_COLUMNS = "bucket_at, client_id, gateway_id, provider, method, status, currency, failure_code, txn_count, amount, refunded"


def _values(t: str, sign: str) -> str:
    """As migration 0013."""
    return f"""date_bin('5 minutes', {t}.created_at, TIMESTAMPTZ '2000-01-01 00:00:00+00'), {t}.client_id,
        {t}.gateway_id, coalesce((SELECT g.provider FROM payment_gateways g WHERE g.id = {t}.gateway_id), ''),
        coalesce({t}.method, ''), {t}.status, {t}.currency,
        CASE WHEN {t}.status IN ('failed', 'expired') THEN coalesce({t}.error_code, '') ELSE '' END,
        {sign}, {sign} * {t}.amount, {sign} * {t}.amount_refunded"""


def _functions(*, live_only: bool) -> list[str]:
    """The analytics triggers' functions (migration 0013); `live_only`: test-mode payments write no deltas."""
    inserted_where = " WHERE n.mode = 'live'" if live_only else ""
    changed_guard = "IF NEW.mode <> 'live' THEN RETURN NULL; END IF;" if live_only else ""
    inserted = f"""
CREATE OR REPLACE FUNCTION analytics_transactions_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- a payment moved back from the archive (payments.repository.restore) was counted when it was made
    IF coalesce(current_setting('lsp.restoring_from_archive', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    INSERT INTO analytics_deltas ({_DELTA_COLUMNS}) SELECT {_values("n", "1")} FROM inserted n{inserted_where};
    RETURN NULL;
END $$;
"""
    changed = f"""
CREATE OR REPLACE FUNCTION analytics_transaction_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {changed_guard}
    INSERT INTO analytics_deltas ({_DELTA_COLUMNS}) VALUES ({_values("OLD", "-1")}), ({_values("NEW", "1")});
    RETURN NULL;
END $$;
"""
    return [inserted, changed]


def upgrade() -> None:
    op.create_table(
        "api_credentials",
        sa.Column("id", UUID, primary_key=True, server_default=sa.text("gen_random_uuid()")),
        sa.Column("client_id", UUID, sa.ForeignKey("clients.id", ondelete="CASCADE"), nullable=False),
        sa.Column("mode", sa.String(4), nullable=False),
        sa.Column("key_id", sa.String(40), nullable=False),
        sa.Column("ip_allowlist", postgresql.ARRAY(sa.String(50)), nullable=False, server_default="{}"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("client_id", "mode", name="uq_api_credentials_client_mode"),
        sa.UniqueConstraint("key_id", name="uq_api_credentials_key_id"),
        sa.CheckConstraint("mode IN ('test', 'live')", name="ck_api_credentials_mode"),
    )
    op.create_table(
        "api_credential_secrets",
        sa.Column("id", UUID, primary_key=True, server_default=sa.text("gen_random_uuid()")),
        sa.Column(
            "credential_id", UUID, sa.ForeignKey("api_credentials.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("secret_enc", sa.Text, nullable=False),
        sa.Column("last4", sa.String(4)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("expires_at", sa.DateTime(timezone=True)),
    )
    op.create_index(
        "ix_api_credential_secrets_credential", "api_credential_secrets", ["credential_id", "expires_at"]
    )
    op.create_index(
        "uq_api_credential_secrets_current",
        "api_credential_secrets",
        ["credential_id"],
        unique=True,
        postgresql_where=sa.text("expires_at IS NULL"),
    )
    op.execute(
        "INSERT INTO api_credentials (client_id, mode, key_id, created_at) "
        "SELECT id, 'live', client_key, created_at FROM clients"
    )
    op.execute(
        "INSERT INTO api_credentials (client_id, mode, key_id) "
        "SELECT id, 'test', 'lsp_test_' || substr(replace(gen_random_uuid()::text, '-', ''), 1, 24) FROM clients"
    )
    op.execute(
        "INSERT INTO api_credential_secrets (credential_id, secret_enc, created_at) "
        "SELECT k.id, c.client_salt_enc, c.created_at FROM clients c "
        "JOIN api_credentials k ON k.client_id = c.id AND k.mode = 'live'"
    )
    op.execute(
        "INSERT INTO api_credential_secrets (credential_id, secret_enc, created_at, expires_at) "
        "SELECT k.id, p.salt_enc, p.retired_at, p.expires_at FROM client_previous_salts p "
        "JOIN api_credentials k ON k.client_id = p.client_id AND k.mode = 'live'"
    )
    op.drop_index("ix_client_previous_salts_client", table_name="client_previous_salts")
    op.drop_table("client_previous_salts")
    op.drop_column("clients", "client_salt_enc")

    for table in _MODE_TABLES:
        op.add_column(table, sa.Column("mode", sa.String(4), nullable=False, server_default="live"))
    op.execute(
        f"CREATE OR REPLACE VIEW all_transactions AS SELECT {_VIEW_COLUMNS}, mode FROM transactions "
        f"UNION ALL SELECT {_VIEW_COLUMNS}, mode FROM archived_transactions"
    )
    for statement in _functions(live_only=True):
        op.execute(statement)


def downgrade() -> None:
    for statement in _functions(live_only=False):
        op.execute(statement)
    op.execute("DROP VIEW all_transactions")
    op.execute(
        f"CREATE VIEW all_transactions AS SELECT {_VIEW_COLUMNS} FROM transactions "
        f"UNION ALL SELECT {_VIEW_COLUMNS} FROM archived_transactions"
    )
    for table in _MODE_TABLES:
        op.drop_column(table, "mode")

    op.add_column("clients", sa.Column("client_salt_enc", sa.Text))
    op.execute(
        "UPDATE clients c SET client_salt_enc = s.secret_enc FROM api_credentials k "
        "JOIN api_credential_secrets s ON s.credential_id = k.id AND s.expires_at IS NULL "
        "WHERE k.client_id = c.id AND k.mode = 'live'"
    )
    op.alter_column("clients", "client_salt_enc", nullable=False)
    op.create_table(
        "client_previous_salts",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("client_id", sa.UUID(), nullable=False),
        sa.Column("salt_enc", sa.Text(), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_client_previous_salts_client", "client_previous_salts", ["client_id", "expires_at"])
    op.execute(
        "INSERT INTO client_previous_salts (client_id, salt_enc, retired_at, expires_at) "
        "SELECT k.client_id, s.secret_enc, s.created_at, s.expires_at FROM api_credential_secrets s "
        "JOIN api_credentials k ON k.id = s.credential_id AND k.mode = 'live' "
        "WHERE s.expires_at IS NOT NULL AND s.expires_at > now()"
    )
    op.drop_table("api_credential_secrets")
    op.drop_table("api_credentials")
