"""merchant webhook endpoints and deliveries (issue 5)

Several endpoints per merchant, one delivery state per (event, endpoint) in the endpoint's order, and a richer
attempt log. Each merchant's `clients.webhook_url` becomes its default endpoint, signed with the merchant's
existing webhook secret; its past events and attempts are linked to that endpoint.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("client_id", sa.UUID(), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=True),
        sa.Column(
            "event_types",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("secret_enc", sa.Text(), nullable=False),
        sa.Column("previous_secret_enc", sa.Text(), nullable=True),
        sa.Column("previous_secret_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("enabled", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("is_default", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_webhook_endpoints_client",
        "webhook_endpoints",
        ["client_id"],
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.create_index(
        "uq_webhook_endpoints_default",
        "webhook_endpoints",
        ["client_id"],
        unique=True,
        postgresql_where=sa.text("is_default"),
    )

    op.create_table(
        "webhook_dispatches",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("endpoint_id", sa.UUID(), nullable=False),
        sa.Column("client_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=10), server_default="event", nullable=False),
        sa.Column("status", sa.String(length=20), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'delivered', 'failed')", name="ck_webhook_dispatches_status"
        ),
        sa.CheckConstraint("kind IN ('event', 'test')", name="ck_webhook_dispatches_kind"),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"]),
        sa.ForeignKeyConstraint(["endpoint_id"], ["webhook_endpoints.id"]),
        sa.ForeignKeyConstraint(["event_id"], ["webhook_events.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("seq"),
        sa.UniqueConstraint("event_id", "endpoint_id", name="uq_webhook_dispatches_event_endpoint"),
    )
    op.create_index("ix_webhook_dispatches_event_id", "webhook_dispatches", ["event_id"])
    op.create_index(
        "ix_webhook_dispatches_endpoint_pending",
        "webhook_dispatches",
        ["endpoint_id", "seq"],
        postgresql_where=sa.text("status = 'pending' AND kind = 'event'"),
    )
    op.create_index("ix_webhook_dispatches_finished", "webhook_dispatches", ["status", "finished_at"])

    op.add_column("webhook_deliveries", sa.Column("endpoint_id", sa.UUID(), nullable=True))
    op.add_column("webhook_deliveries", sa.Column("dispatch_id", sa.UUID(), nullable=True))
    op.add_column(
        "webhook_deliveries",
        sa.Column("trigger", sa.String(length=20), server_default="scheduled", nullable=False),
    )
    op.add_column("webhook_deliveries", sa.Column("status", sa.String(length=20), nullable=True))
    op.add_column(
        "webhook_deliveries",
        sa.Column("request_headers", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )
    op.add_column("webhook_deliveries", sa.Column("request_body", sa.Text(), nullable=True))
    op.add_column("webhook_deliveries", sa.Column("retry_at", sa.DateTime(timezone=True), nullable=True))
    op.create_foreign_key(
        "webhook_deliveries_endpoint_id_fkey",
        "webhook_deliveries",
        "webhook_endpoints",
        ["endpoint_id"],
        ["id"],
    )
    op.create_foreign_key(
        "webhook_deliveries_dispatch_id_fkey",
        "webhook_deliveries",
        "webhook_dispatches",
        ["dispatch_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.create_index("ix_webhook_deliveries_dispatch_id", "webhook_deliveries", ["dispatch_id"])
    op.create_index(
        "ix_webhook_deliveries_endpoint_created", "webhook_deliveries", ["endpoint_id", "created_at", "id"]
    )
    op.create_index("ix_webhook_deliveries_created", "webhook_deliveries", ["created_at"])

    # every merchant's webhook_url becomes its default endpoint, with the merchant's existing secret
    op.execute("""
        INSERT INTO webhook_endpoints (id, client_id, url, secret_enc, is_default, enabled, created_at, updated_at)
        SELECT gen_random_uuid(), c.id, c.webhook_url, c.webhook_secret_enc, true, true, c.created_at, now()
        FROM clients c WHERE c.webhook_url IS NOT NULL
    """)
    # past events become deliveries to that endpoint, in their order of creation
    op.execute("""
        INSERT INTO webhook_dispatches (id, event_id, endpoint_id, client_id, kind, status, attempts,
                                        next_attempt_at, last_error, delivered_at, finished_at, created_at,
                                        updated_at)
        SELECT gen_random_uuid(), e.id, ep.id, e.client_id, 'event', e.status, e.attempts, e.next_retry_at,
               e.last_error, e.delivered_at,
               CASE WHEN e.status = 'pending' THEN NULL
                    ELSE coalesce(e.delivered_at, (SELECT max(d.created_at) FROM webhook_deliveries d
                                                   WHERE d.event_id = e.id), e.created_at) END,
               e.created_at, now()
        FROM webhook_events e JOIN webhook_endpoints ep ON ep.client_id = e.client_id AND ep.is_default
        ORDER BY e.created_at, e.id
    """)
    op.execute("""
        UPDATE webhook_deliveries d SET endpoint_id = w.endpoint_id, dispatch_id = w.id
        FROM webhook_dispatches w WHERE w.event_id = d.event_id
    """)
    op.execute("""
        UPDATE webhook_deliveries
        SET status = CASE WHEN status_code BETWEEN 200 AND 299 THEN 'succeeded' ELSE 'failed' END
    """)
    op.alter_column("webhook_deliveries", "status", nullable=False)
    op.create_check_constraint(
        "ck_webhook_deliveries_status", "webhook_deliveries", "status IN ('succeeded', 'failed')"
    )
    op.create_check_constraint(
        "ck_webhook_deliveries_trigger", "webhook_deliveries", "trigger IN ('scheduled', 'manual', 'test')"
    )


def downgrade() -> None:
    op.drop_constraint("ck_webhook_deliveries_trigger", "webhook_deliveries", type_="check")
    op.drop_constraint("ck_webhook_deliveries_status", "webhook_deliveries", type_="check")
    op.drop_index("ix_webhook_deliveries_created", table_name="webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_endpoint_created", table_name="webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_dispatch_id", table_name="webhook_deliveries")
    op.drop_constraint("webhook_deliveries_dispatch_id_fkey", "webhook_deliveries", type_="foreignkey")
    op.drop_constraint("webhook_deliveries_endpoint_id_fkey", "webhook_deliveries", type_="foreignkey")
    for column in (
        "retry_at",
        "request_body",
        "request_headers",
        "status",
        "trigger",
        "dispatch_id",
        "endpoint_id",
    ):
        op.drop_column("webhook_deliveries", column)
    op.drop_index("ix_webhook_dispatches_finished", table_name="webhook_dispatches")
    op.drop_index("ix_webhook_dispatches_endpoint_pending", table_name="webhook_dispatches")
    op.drop_index("ix_webhook_dispatches_event_id", table_name="webhook_dispatches")
    op.drop_table("webhook_dispatches")
    op.drop_index("uq_webhook_endpoints_default", table_name="webhook_endpoints")
    op.drop_index("ix_webhook_endpoints_client", table_name="webhook_endpoints")
    op.drop_table("webhook_endpoints")
