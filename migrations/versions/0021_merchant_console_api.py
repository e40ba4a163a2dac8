"""the merchant console's API (issue 12): an API key's secret revealed once (`api_credential_secrets.revealed_at`),
the merchant's business profile and its choice of WhatsApp dues reminders on `clients`, and an index for finding a
merchant's payments by the receipt of their order.

Existing secrets have no `revealed_at`: each may be revealed once more by a person of the team who confirms their
password (a secret shown on the CLI or at a regeneration before this step cannot be told apart). Every merchant
keeps getting dues reminders (`whatsapp_dues_reminders` true).

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("api_credential_secrets", sa.Column("revealed_at", sa.DateTime(timezone=True)))
    op.add_column("clients", sa.Column("website", sa.String(500)))
    op.add_column("clients", sa.Column("support_email", sa.String(254)))
    op.add_column("clients", sa.Column("support_phone", sa.String(20)))
    op.add_column(
        "clients",
        sa.Column("whatsapp_dues_reminders", sa.Boolean(), nullable=False, server_default=sa.text("true")),
    )
    op.create_index(
        "ix_orders_client_receipt",
        "orders",
        ["client_id", "receipt"],
        postgresql_where=sa.text("receipt IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_orders_client_receipt", table_name="orders")
    op.drop_column("clients", "whatsapp_dues_reminders")
    op.drop_column("clients", "support_phone")
    op.drop_column("clients", "support_email")
    op.drop_column("clients", "website")
    op.drop_column("api_credential_secrets", "revealed_at")
