"""idempotency claim tokens; previous client salts (issue 8)

A fencing token per idempotency claim, so a request whose claim was taken over cannot overwrite its
successor's stored answer. Salts a merchant rotated away from stay valid until their expiry, so the signature
check can hold more than one secret per merchant during a rotation.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("idempotency_keys", sa.Column("claim_token", sa.UUID(), nullable=True))
    op.create_table(
        "client_previous_salts",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("client_id", sa.UUID(), nullable=False),
        sa.Column("salt_enc", sa.Text(), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_client_previous_salts_client", "client_previous_salts", ["client_id", "expires_at"])


def downgrade() -> None:
    op.drop_index("ix_client_previous_salts_client", table_name="client_previous_salts")
    op.drop_table("client_previous_salts")
    op.drop_column("idempotency_keys", "claim_token")
