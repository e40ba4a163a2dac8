"""email: the emails outbox table (invitations, verification, password resets) and lookups of one-time tokens by
address and by merchant (issue 10)

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "emails",
        sa.Column(
            "id", postgresql.UUID(as_uuid=True), server_default=sa.text("gen_random_uuid()"), nullable=False
        ),
        sa.Column("client_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("text_enc", sa.Text(), nullable=True),
        sa.Column("html_enc", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="queued", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_retry_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("status IN ('queued', 'sent', 'failed')", name="ck_emails_status"),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_emails_created", "emails", ["created_at", "id"])
    op.create_index("ix_emails_client", "emails", ["client_id"])
    op.create_index("ix_user_tokens_email", "user_tokens", ["email", "purpose"])
    op.create_index("ix_user_tokens_client", "user_tokens", ["client_id"])


def downgrade() -> None:
    op.drop_index("ix_user_tokens_client", table_name="user_tokens")
    op.drop_index("ix_user_tokens_email", table_name="user_tokens")
    op.drop_table("emails")
