"""transactions by creation time across merchants: the operator's live transactions stream starts with the
newest payments (issue 9)

Revision ID: 0012
Revises: 0011
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_transactions_created", "transactions", ["created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_transactions_created", table_name="transactions")
