"""edge: per-merchant rate limits and checkout origins (clients.rate_limit_per_minute, clients.checkout_origins),
and the daily API usage rollup (issue 10)

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("clients", sa.Column("rate_limit_per_minute", sa.Integer(), nullable=True))
    op.create_check_constraint("ck_clients_rate_limit_per_minute", "clients", "rate_limit_per_minute > 0")
    op.add_column(
        "clients",
        sa.Column("checkout_origins", postgresql.ARRAY(sa.Text()), nullable=False, server_default="{}"),
    )
    op.create_table(
        "api_usage_daily",
        sa.Column(
            "client_id",
            postgresql.UUID(as_uuid=True),
            sa.ForeignKey("clients.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("route", sa.String(200), primary_key=True),
        sa.Column("status", sa.SmallInteger(), primary_key=True),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("duration_ms_sum", sa.BigInteger(), nullable=False),
        sa.Column("latency_buckets", postgresql.ARRAY(sa.BigInteger()), nullable=False),
        sa.Column("bucket_layout", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("api_usage_daily")
    op.drop_column("clients", "checkout_origins")
    op.drop_constraint("ck_clients_rate_limit_per_minute", "clients")
    op.drop_column("clients", "rate_limit_per_minute")
