"""alerts become conditions with a lifecycle (open, acknowledged, resolved) and a dedup key, one unresolved alert
per key; Slack messages; indexes for the alert rules (issue 9)

The alerts written before this step were bare rows nobody read: they are closed here (resolved by `migration`);
a condition that still holds is raised again by the rules on their first run.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# the old kinds, as the new ones are named
KINDS = {
    "gateway_breaker_tripped": "gateway.down",
    "gateway_recovered": "gateway.down",
    "webhook_endpoint_disabled": "webhook_endpoint.disabled",
    "ledger_invariant": "ledger.invariant_broken",
}


def upgrade() -> None:
    op.alter_column("alerts", "created_at", new_column_name="opened_at")
    op.add_column("alerts", sa.Column("status", sa.String(length=20), server_default="open", nullable=False))
    op.add_column("alerts", sa.Column("dedup_key", sa.String(length=300), nullable=True))
    op.add_column("alerts", sa.Column("title", sa.String(length=300), nullable=True))
    op.add_column("alerts", sa.Column("client_id", sa.UUID(), nullable=True))
    op.add_column("alerts", sa.Column("occurrences", sa.Integer(), server_default="1", nullable=False))
    op.add_column(
        "alerts",
        sa.Column(
            "last_seen_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
    )
    op.add_column("alerts", sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("alerts", sa.Column("acknowledged_by", sa.String(length=100), nullable=True))
    op.add_column("alerts", sa.Column("acknowledged_note", sa.Text(), nullable=True))
    op.add_column("alerts", sa.Column("resolved_by", sa.String(length=100), nullable=True))
    op.add_column("alerts", sa.Column("resolved_note", sa.Text(), nullable=True))
    op.add_column(
        "alerts",
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
    )
    for old, new in KINDS.items():
        op.execute(sa.text("UPDATE alerts SET kind = :new WHERE kind = :old").bindparams(old=old, new=new))
    op.execute(
        """
        UPDATE alerts SET
            dedup_key = kind || ':legacy:' || id,
            title = left(message, 300),
            last_seen_at = opened_at,
            status = 'resolved',
            resolved_at = coalesce(resolved_at, now()),
            resolved_by = 'migration',
            resolved_note = coalesce(resolved_note, 'raised before the alert rules; raised again if it still holds')
        """
    )
    op.alter_column("alerts", "dedup_key", nullable=False)
    op.alter_column("alerts", "title", nullable=False)
    op.create_foreign_key("alerts_client_id_fkey", "alerts", "clients", ["client_id"], ["id"])
    op.create_check_constraint("ck_alerts_status", "alerts", "status IN ('open', 'acknowledged', 'resolved')")
    op.create_check_constraint("ck_alerts_occurrences", "alerts", "occurrences >= 1")
    op.create_index(
        "uq_alerts_unresolved_dedup_key",
        "alerts",
        ["dedup_key"],
        unique=True,
        postgresql_where=sa.text("status <> 'resolved'"),
    )
    op.create_index("ix_alerts_opened", "alerts", ["opened_at", "id"])
    op.create_index(
        "ix_alerts_unresolved_kind", "alerts", ["kind"], postgresql_where=sa.text("status <> 'resolved'")
    )
    op.create_index("ix_alerts_gateway", "alerts", ["gateway_id"])
    op.create_index("ix_alerts_client", "alerts", ["client_id"])

    op.create_table(
        "slack_messages",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("alert_id", sa.UUID(), nullable=True),
        sa.Column("event", sa.String(length=20), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("blocks", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="queued", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_retry_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("status IN ('queued', 'sent', 'failed')", name="ck_slack_messages_status"),
        sa.CheckConstraint("event IN ('opened', 'resolved')", name="ck_slack_messages_event"),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "uq_slack_messages_alert_event",
        "slack_messages",
        ["alert_id", "event"],
        unique=True,
        postgresql_where=sa.text("alert_id IS NOT NULL"),
    )
    op.create_index("ix_slack_messages_created", "slack_messages", ["created_at", "id"])

    op.create_index("ix_transactions_created", "transactions", ["created_at"])
    op.create_index(
        "ix_transactions_unfinished_created",
        "transactions",
        ["created_at"],
        postgresql_where=sa.text("status IN ('created', 'pending')"),
    )


def downgrade() -> None:
    op.drop_index("ix_transactions_unfinished_created", table_name="transactions")
    op.drop_index("ix_transactions_created", table_name="transactions")
    op.drop_table("slack_messages")
    for name in (
        "ix_alerts_client",
        "ix_alerts_gateway",
        "ix_alerts_unresolved_kind",
        "ix_alerts_opened",
        "uq_alerts_unresolved_dedup_key",
    ):
        op.drop_index(name, table_name="alerts")
    op.drop_constraint("ck_alerts_occurrences", "alerts", type_="check")
    op.drop_constraint("ck_alerts_status", "alerts", type_="check")
    op.drop_constraint("alerts_client_id_fkey", "alerts", type_="foreignkey")
    for column in (
        "updated_at",
        "resolved_note",
        "resolved_by",
        "acknowledged_note",
        "acknowledged_by",
        "acknowledged_at",
        "last_seen_at",
        "occurrences",
        "client_id",
        "title",
        "dedup_key",
        "status",
    ):
        op.drop_column("alerts", column)
    op.alter_column("alerts", "opened_at", new_column_name="created_at")
