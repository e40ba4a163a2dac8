"""indexes for the operator's payment search (issue 11): the console's payments list finds a payment by order id,
gateway transaction id, customer email or phone, filters by status or gateway newest first, and the payment page
reads its PSP events and merchant events by transaction. Each on the hot table and on the archive alike, since
the list reads both (the view all_transactions).

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

# (name suffix, columns or expressions, partial condition)
_SEARCH = (
    ("status_created", ["status", "created_at"], None),
    ("gateway_created", ["gateway_id", "created_at"], None),
    ("order_id", ["order_id"], None),
    ("gateway_txn_id", ["gateway_txn_id"], "gateway_txn_id IS NOT NULL"),
    ("customer_email", [sa.text("lower(customer ->> 'email')")], "customer ? 'email'"),
    ("customer_phone", [sa.text("(customer ->> 'phone')")], "customer ? 'phone'"),
)


def upgrade() -> None:
    for table in ("transactions", "archived_transactions"):
        for suffix, columns, where in _SEARCH:
            op.create_index(
                f"ix_{table}_{suffix}",
                table,
                columns,
                postgresql_where=sa.text(where) if where else None,
            )
    op.create_index("ix_psp_events_transaction", "psp_events", ["transaction_id"])
    op.create_index("ix_webhook_events_transaction", "webhook_events", ["transaction_id"])


def downgrade() -> None:
    op.drop_index("ix_webhook_events_transaction", table_name="webhook_events")
    op.drop_index("ix_psp_events_transaction", table_name="psp_events")
    for table in ("transactions", "archived_transactions"):
        for suffix, _columns, _where in _SEARCH:
            op.drop_index(f"ix_{table}_{suffix}", table_name=table)
