"""webhook names: a delivery is one event to one endpoint, an attempt is one HTTP request (issue 8)

webhook_deliveries (one HTTP attempt) → webhook_delivery_attempts, and its dispatch_id → delivery_id; then
webhook_dispatches (one event to one endpoint) → webhook_deliveries. The attempts table is renamed first, since
its old name is the dispatches table's new one. Constraints, indexes and the seq identity's sequence follow
their table's name, so the database reads like the models.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# (kind, old name, new name): the attempts table's objects, then the deliveries'
ATTEMPTS = [
    ("constraint", "webhook_deliveries_pkey", "webhook_delivery_attempts_pkey"),
    ("constraint", "webhook_deliveries_event_id_fkey", "webhook_delivery_attempts_event_id_fkey"),
    ("constraint", "webhook_deliveries_endpoint_id_fkey", "webhook_delivery_attempts_endpoint_id_fkey"),
    ("constraint", "webhook_deliveries_dispatch_id_fkey", "webhook_delivery_attempts_delivery_id_fkey"),
    ("constraint", "ck_webhook_deliveries_status", "ck_webhook_delivery_attempts_status"),
    ("constraint", "ck_webhook_deliveries_trigger", "ck_webhook_delivery_attempts_trigger"),
    ("index", "ix_webhook_deliveries_created", "ix_webhook_delivery_attempts_created"),
    ("index", "ix_webhook_deliveries_dispatch_id", "ix_webhook_delivery_attempts_delivery_id"),
    ("index", "ix_webhook_deliveries_endpoint_created", "ix_webhook_delivery_attempts_endpoint_created"),
    ("index", "ix_webhook_deliveries_event_id", "ix_webhook_delivery_attempts_event_id"),
]
DELIVERIES = [
    ("constraint", "webhook_dispatches_pkey", "webhook_deliveries_pkey"),
    ("constraint", "webhook_dispatches_client_id_fkey", "webhook_deliveries_client_id_fkey"),
    ("constraint", "webhook_dispatches_endpoint_id_fkey", "webhook_deliveries_endpoint_id_fkey"),
    ("constraint", "webhook_dispatches_event_id_fkey", "webhook_deliveries_event_id_fkey"),
    ("constraint", "webhook_dispatches_seq_key", "webhook_deliveries_seq_key"),
    ("constraint", "uq_webhook_dispatches_event_endpoint", "uq_webhook_deliveries_event_endpoint"),
    ("constraint", "ck_webhook_dispatches_kind", "ck_webhook_deliveries_kind"),
    ("constraint", "ck_webhook_dispatches_status", "ck_webhook_deliveries_status"),
    ("index", "ix_webhook_dispatches_endpoint_pending", "ix_webhook_deliveries_endpoint_pending"),
    ("index", "ix_webhook_dispatches_event_id", "ix_webhook_deliveries_event_id"),
    ("index", "ix_webhook_dispatches_finished", "ix_webhook_deliveries_finished"),
    ("sequence", "webhook_dispatches_seq_seq", "webhook_deliveries_seq_seq"),
]


def _rename(table: str, names: list[tuple[str, str, str]], *, back: bool = False) -> None:
    for kind, old, new in names:
        old, new = (new, old) if back else (old, new)
        if kind == "constraint":  # a primary key or unique constraint takes its index's name along
            op.execute(f"ALTER TABLE {table} RENAME CONSTRAINT {old} TO {new}")
        else:
            op.execute(f"ALTER {kind.upper()} {old} RENAME TO {new}")


def upgrade() -> None:
    op.rename_table("webhook_deliveries", "webhook_delivery_attempts")
    op.alter_column("webhook_delivery_attempts", "dispatch_id", new_column_name="delivery_id")
    _rename("webhook_delivery_attempts", ATTEMPTS)
    op.rename_table("webhook_dispatches", "webhook_deliveries")
    _rename("webhook_deliveries", DELIVERIES)


def downgrade() -> None:
    _rename("webhook_deliveries", DELIVERIES, back=True)
    op.rename_table("webhook_deliveries", "webhook_dispatches")
    _rename("webhook_delivery_attempts", ATTEMPTS, back=True)
    op.alter_column("webhook_delivery_attempts", "delivery_id", new_column_name="dispatch_id")
    op.rename_table("webhook_delivery_attempts", "webhook_deliveries")
