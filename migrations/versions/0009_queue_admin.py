"""queue control plane: job intents can be parked (a drain) or discarded (an operator gave up on a failed one);
`queue_metrics` keeps one sample per queue per minute (issue 9)

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

OLD_STATUSES = "('pending', 'completed', 'failed')"
NEW_STATUSES = "('pending', 'completed', 'failed', 'parked', 'discarded')"


def upgrade() -> None:
    op.add_column("job_intents", sa.Column("parked_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("job_intents", sa.Column("parked_reason", sa.Text(), nullable=True))
    op.add_column("job_intents", sa.Column("discarded_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("job_intents", sa.Column("discarded_reason", sa.Text(), nullable=True))
    op.drop_constraint("ck_job_intents_status", "job_intents", type_="check")
    op.create_check_constraint("ck_job_intents_status", "job_intents", f"status IN {NEW_STATUSES}")
    op.create_index(
        "ix_job_intents_open",
        "job_intents",
        ["queue", "status"],
        postgresql_where=sa.text("status <> 'completed'"),
    )
    op.create_table(
        "queue_metrics",
        sa.Column(
            "id", postgresql.UUID(as_uuid=True), server_default=sa.text("gen_random_uuid()"), nullable=False
        ),
        sa.Column("queue_name", sa.String(length=50), nullable=False),
        sa.Column("waiting", sa.Integer(), server_default="0", nullable=False),
        sa.Column("active", sa.Integer(), server_default="0", nullable=False),
        sa.Column("delayed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("prioritized", sa.Integer(), server_default="0", nullable=False),
        sa.Column("completed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("failed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("paused", sa.Integer(), server_default="0", nullable=False),
        sa.Column("is_paused", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("workers", sa.Integer(), server_default="0", nullable=False),
        sa.Column("oldest_waiting_seconds", sa.Float(), nullable=True),
        sa.Column("intents_pending", sa.Integer(), server_default="0", nullable=False),
        sa.Column("intents_failed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("intents_parked", sa.Integer(), server_default="0", nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_queue_metrics_queue_recorded", "queue_metrics", ["queue_name", "recorded_at"])
    op.create_index("ix_queue_metrics_recorded", "queue_metrics", ["recorded_at"])


def downgrade() -> None:
    op.drop_index("ix_queue_metrics_recorded", table_name="queue_metrics")
    op.drop_index("ix_queue_metrics_queue_recorded", table_name="queue_metrics")
    op.drop_table("queue_metrics")
    op.drop_index("ix_job_intents_open", table_name="job_intents")
    # a parked intent goes back to the queue's work; a discarded one stays given up on (failed)
    op.execute("UPDATE job_intents SET status = 'pending' WHERE status = 'parked'")
    op.execute("UPDATE job_intents SET status = 'failed' WHERE status = 'discarded'")
    op.drop_constraint("ck_job_intents_status", "job_intents", type_="check")
    op.create_check_constraint("ck_job_intents_status", "job_intents", f"status IN {OLD_STATUSES}")
    for column in ("discarded_reason", "discarded_at", "parked_reason", "parked_at"):
        op.drop_column("job_intents", column)
