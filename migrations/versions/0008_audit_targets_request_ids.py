"""audit rows name their target, before/after, reason, caller address and request id; job intents carry the id
of the request that caused them; audit rows can no longer be updated or deleted (issue 9)

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column("audit_log", "subject_type", new_column_name="target_type")
    op.alter_column("audit_log", "subject_id", new_column_name="target_id")
    op.add_column("audit_log", sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.add_column("audit_log", sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.add_column("audit_log", sa.Column("reason", sa.Text(), nullable=True))
    op.add_column("audit_log", sa.Column("ip", sa.String(length=64), nullable=True))
    op.add_column("audit_log", sa.Column("request_id", sa.String(length=64), nullable=True))
    op.create_index("ix_audit_log_actor_created", "audit_log", ["actor", "created_at"])
    op.create_index("ix_audit_log_target", "audit_log", ["target_type", "target_id", "created_at"])
    op.create_index("ix_audit_log_created", "audit_log", ["created_at"])
    op.add_column("job_intents", sa.Column("request_id", sa.String(length=64), nullable=True))
    # the trail is append-only: an UPDATE or DELETE of a row is refused by the database itself (TRUNCATE, which
    # only an owner's maintenance or a test's reset does, is not a row operation)
    op.execute(
        """
        CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit_log rows are never updated or deleted' USING ERRCODE = 'insufficient_privilege';
        END $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
            FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
        """
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
    op.execute("DROP FUNCTION audit_log_append_only()")
    op.drop_column("job_intents", "request_id")
    op.drop_index("ix_audit_log_created", table_name="audit_log")
    op.drop_index("ix_audit_log_target", table_name="audit_log")
    op.drop_index("ix_audit_log_actor_created", table_name="audit_log")
    for column in ("request_id", "ip", "reason", "after", "before"):
        op.drop_column("audit_log", column)
    op.alter_column("audit_log", "target_id", new_column_name="subject_id")
    op.alter_column("audit_log", "target_type", new_column_name="subject_type")
