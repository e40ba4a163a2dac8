"""identity: users, merchant memberships, browser sessions, refresh tokens, recovery codes, one-time email
tokens; clients.kyc_status and clients.require_2fa (issue 10)

Merchants that exist before KYC did were onboarded by an operator: they keep working live (`activated`).

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=True)


def _id() -> sa.Column:
    return sa.Column("id", UUID, primary_key=True, server_default=sa.text("gen_random_uuid()"))


def _ts(name: str, *, nullable: bool = True, now: bool = False) -> sa.Column:
    return sa.Column(
        name, sa.DateTime(timezone=True), nullable=nullable, server_default=sa.func.now() if now else None
    )


def _user_fk(nullable: bool = False) -> sa.Column:
    return sa.Column("user_id", UUID, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=nullable)


def upgrade() -> None:
    op.add_column("clients", sa.Column("kyc_status", sa.String(30), nullable=False, server_default="draft"))
    op.execute("UPDATE clients SET kyc_status = 'activated'")
    op.create_check_constraint(
        "ck_clients_kyc_status",
        "clients",
        "kyc_status IN ('draft', 'submitted', 'under_review', 'needs_clarification', 'activated', 'rejected')",
    )
    op.add_column("clients", sa.Column("require_2fa", sa.Boolean, nullable=False, server_default="false"))
    op.add_column("clients", sa.Column("support_refund_limit", sa.BigInteger))

    op.create_table(
        "users",
        _id(),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("name", sa.String(120)),
        sa.Column("password_hash", sa.Text),
        _ts("email_verified_at"),
        sa.Column("operator_role", sa.String(20)),
        sa.Column("locale", sa.String(10), nullable=False, server_default="en"),
        sa.Column("time_zone", sa.String(40), nullable=False, server_default="Asia/Kolkata"),
        sa.Column("totp_secret_enc", sa.Text),
        _ts("totp_enabled_at"),
        sa.Column("totp_last_timecode", sa.BigInteger),
        sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"),
        _ts("locked_until"),
        _ts("password_changed_at"),
        _ts("disabled_at"),
        _ts("created_at", nullable=False, now=True),
        _ts("updated_at", nullable=False, now=True),
        sa.CheckConstraint(
            "operator_role IS NULL OR operator_role IN ('owner', 'admin', 'operations', 'finance', 'support', "
            "'viewer')",
            name="ck_users_operator_role",
        ),
    )
    op.create_index("ux_users_email", "users", [sa.text("lower(email)")], unique=True)

    op.create_table(
        "merchant_memberships",
        _id(),
        _user_fk(),
        sa.Column("client_id", UUID, sa.ForeignKey("clients.id", ondelete="CASCADE"), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        _ts("created_at", nullable=False, now=True),
        sa.UniqueConstraint("user_id", "client_id", name="uq_merchant_memberships_user_client"),
        sa.CheckConstraint(
            "role IN ('owner', 'admin', 'developer', 'finance', 'support', 'viewer')",
            name="ck_merchant_memberships_role",
        ),
    )
    op.create_index("ix_merchant_memberships_client", "merchant_memberships", ["client_id"])

    op.create_table(
        "user_sessions",
        _id(),
        _user_fk(),
        sa.Column("token_hash", sa.LargeBinary(32), nullable=False, unique=True),
        _ts("created_at", nullable=False, now=True),
        _ts("last_seen_at", nullable=False, now=True),
        _ts("expires_at", nullable=False),
        _ts("authenticated_at", nullable=False, now=True),
        _ts("revoked_at"),
        sa.Column("ip", sa.String(45)),
        sa.Column("user_agent", sa.String(300)),
    )
    op.create_index("ix_user_sessions_user", "user_sessions", ["user_id"])

    op.create_table(
        "refresh_tokens",
        _id(),
        sa.Column("family_id", UUID, nullable=False),
        _user_fk(),
        sa.Column("token_hash", sa.LargeBinary(32), nullable=False, unique=True),
        _ts("created_at", nullable=False, now=True),
        _ts("expires_at", nullable=False),
        _ts("used_at"),
        _ts("revoked_at"),
    )
    op.create_index("ix_refresh_tokens_family", "refresh_tokens", ["family_id"])
    op.create_index("ix_refresh_tokens_user", "refresh_tokens", ["user_id"])

    op.create_table(
        "recovery_codes",
        _id(),
        _user_fk(),
        sa.Column("code_hash", sa.LargeBinary(32), nullable=False),
        _ts("created_at", nullable=False, now=True),
        _ts("used_at"),
    )
    op.create_index("ix_recovery_codes_user", "recovery_codes", ["user_id"])

    op.create_table(
        "user_tokens",
        _id(),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(32), nullable=False, unique=True),
        sa.Column("email", sa.String(254), nullable=False),
        _user_fk(nullable=True),
        sa.Column("client_id", UUID, sa.ForeignKey("clients.id", ondelete="CASCADE")),
        sa.Column("role", sa.String(20)),
        sa.Column("invited_by", sa.String(200)),
        _ts("created_at", nullable=False, now=True),
        _ts("expires_at", nullable=False),
        _ts("used_at"),
        sa.CheckConstraint(
            "purpose IN ('verify_email', 'reset_password', 'invitation')", name="ck_user_tokens_purpose"
        ),
    )


def downgrade() -> None:
    for table in (
        "user_tokens",
        "recovery_codes",
        "refresh_tokens",
        "user_sessions",
        "merchant_memberships",
        "users",
    ):
        op.drop_table(table)
    op.drop_constraint("ck_clients_kyc_status", "clients")
    op.drop_column("clients", "support_refund_limit")
    op.drop_column("clients", "require_2fa")
    op.drop_column("clients", "kyc_status")
