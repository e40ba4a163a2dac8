"""transactions by creation time across merchants: the operator's live transactions stream starts with the
newest payments (issue 9)

Revision ID: 0008_streams
Revises: 0007
"""

from alembic import op

revision = "0008_streams"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_transactions_created", "transactions", ["created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_transactions_created", table_name="transactions")
