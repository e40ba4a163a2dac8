"""the operator console's money pages (issue 11): settlements by day, for the runs list (one run per settled day)
and a run's settlements, newest first.

Revision ID: 0020
Revises: 0019
"""

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_settlements_period", "settlements", ["period_date", "created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_settlements_period", table_name="settlements")
