"""workers' heartbeats, scheduler instances and runs, system status history (issue 9)

worker_health (seed 001): one row per worker process, refreshed every LSP_WORKER_HEARTBEAT_SECONDS.
scheduler_instances: each scheduler process, leader or standby, with its heartbeat and periodic table.
scheduled_runs: every finished periodic run (kept LSP_SCHEDULER_RUN_HISTORY_DAYS).
system_status (seed 003): the status checker's history, one row per component per check.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "worker_health",
        sa.Column("id", sa.String(300), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("queues", postgresql.ARRAY(sa.String(100)), nullable=False),
        sa.Column("concurrency", sa.Integer(), nullable=False),
        sa.Column("beat_seconds", sa.Float(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "last_beat_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("jobs_done", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("jobs_failed", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("rss_bytes", sa.BigInteger(), nullable=True),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_worker_health_last_beat", "worker_health", ["last_beat_at"])

    op.create_table(
        "scheduler_instances",
        sa.Column("id", sa.String(300), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("beat_seconds", sa.Float(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "last_beat_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("leader_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lock_backend_pid", sa.Integer(), nullable=True),
        sa.Column("tasks", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.CheckConstraint("role IN ('leader', 'standby', 'stopped')", name="ck_scheduler_instances_role"),
        sa.PrimaryKeyConstraint("id"),
    )

    op.create_table(
        "scheduled_runs",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("task", sa.String(100), nullable=False),
        sa.Column("instance_id", sa.String(300), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.CheckConstraint("outcome IN ('ok', 'failed', 'timeout')", name="ck_scheduled_runs_outcome"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_scheduled_runs_task_started", "scheduled_runs", ["task", "started_at"])
    op.create_index("ix_scheduled_runs_started", "scheduled_runs", ["started_at"])

    op.create_table(
        "system_status",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("check_id", sa.UUID(), nullable=False),
        sa.Column("component", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('ok', 'degraded', 'down', 'not_configured')", name="ck_system_status_status"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_system_status_component_checked", "system_status", ["component", "checked_at"])
    op.create_index("ix_system_status_checked", "system_status", ["checked_at"])


def downgrade() -> None:
    op.drop_index("ix_system_status_checked", table_name="system_status")
    op.drop_index("ix_system_status_component_checked", table_name="system_status")
    op.drop_table("system_status")
    op.drop_index("ix_scheduled_runs_started", table_name="scheduled_runs")
    op.drop_index("ix_scheduled_runs_task_started", table_name="scheduled_runs")
    op.drop_table("scheduled_runs")
    op.drop_table("scheduler_instances")
    op.drop_index("ix_worker_health_last_beat", table_name="worker_health")
    op.drop_table("worker_health")
