"""kyc: merchants' KYC applications, their documents, bank-account verifications and review requirements
(issue 10). The review state stays on clients.kyc_status (0014).

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=True)
BUSINESS_TYPES = (
    "('individual', 'proprietorship', 'partnership', 'llp', 'private_limited', 'public_limited', 'huf', "
    "'trust', 'society', 'ngo', 'government')"
)
DOCUMENT_KINDS = "('pan_card', 'signatory_pan_card', 'address_proof', 'gst_certificate', 'cancelled_cheque')"
VERIFICATION_STATUSES = "('pending', 'verified', 'name_mismatch', 'invalid_account', 'error')"


def _id() -> sa.Column:
    return sa.Column("id", UUID, primary_key=True, server_default=sa.text("gen_random_uuid()"))


def _client(*, unique: bool = False) -> sa.Column:
    return sa.Column(
        "client_id", UUID, sa.ForeignKey("clients.id", ondelete="CASCADE"), nullable=False, unique=unique
    )


def _ts(name: str, *, nullable: bool = True, now: bool = False) -> sa.Column:
    return sa.Column(
        name, sa.DateTime(timezone=True), nullable=nullable, server_default=sa.func.now() if now else None
    )


def upgrade() -> None:
    op.create_table(
        "kyc_applications",
        _id(),
        _client(unique=True),
        sa.Column("business_type", sa.String(30)),
        sa.Column("legal_name", sa.String(200)),
        sa.Column("signatory_name", sa.String(200)),
        sa.Column("business_pan", sa.String(10)),
        sa.Column("signatory_pan", sa.String(10)),
        sa.Column("gstin", sa.String(15)),
        sa.Column("bank_account_enc", sa.Text),
        sa.Column("bank_account_last4", sa.String(4)),
        sa.Column("bank_ifsc", sa.String(11)),
        sa.Column("website_url", sa.String(500)),
        sa.Column("contact_name", sa.String(120)),
        sa.Column("contact_email", sa.String(254)),
        sa.Column("contact_phone", sa.String(20)),
        _ts("submitted_at"),
        _ts("decided_at"),
        sa.Column("decided_by", sa.String(200)),
        sa.Column("rejection_reason", sa.Text),
        _ts("created_at", nullable=False, now=True),
        _ts("updated_at", nullable=False, now=True),
        sa.CheckConstraint(
            f"business_type IS NULL OR business_type IN {BUSINESS_TYPES}", name="ck_kyc_business_type"
        ),
    )

    op.create_table(
        "kyc_documents",
        _id(),
        _client(),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("storage_key", sa.String(200), nullable=False, unique=True),
        sa.Column("content_type", sa.String(50), nullable=False),
        sa.Column("size_bytes", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("uploaded_by", sa.String(200), nullable=False),
        _ts("created_at", nullable=False, now=True),
        sa.CheckConstraint(f"kind IN {DOCUMENT_KINDS}", name="ck_kyc_documents_kind"),
        sa.CheckConstraint(
            "content_type IN ('application/pdf', 'image/jpeg', 'image/png')", name="ck_kyc_documents_type"
        ),
    )
    op.create_index("ix_kyc_documents_client_created", "kyc_documents", ["client_id", "created_at"])

    op.create_table(
        "kyc_verifications",
        _id(),
        _client(),
        sa.Column("kind", sa.String(20), nullable=False, server_default="penny_drop"),
        sa.Column("status", sa.String(20), nullable=False, server_default="pending"),
        sa.Column("provider", sa.String(30), nullable=False),
        sa.Column("bank_account_enc", sa.Text, nullable=False),
        sa.Column("bank_account_last4", sa.String(4), nullable=False),
        sa.Column("bank_ifsc", sa.String(11), nullable=False),
        sa.Column("expected_name", sa.String(200), nullable=False),
        sa.Column("name_at_bank", sa.String(200)),
        sa.Column("name_match_score", sa.Numeric(5, 2)),
        sa.Column("provider_name_match", sa.Numeric(5, 2)),
        sa.Column("provider_ref", sa.String(100)),
        sa.Column("provider_response", postgresql.JSONB),
        sa.Column("error", sa.Text),
        _ts("created_at", nullable=False, now=True),
        _ts("completed_at"),
        sa.CheckConstraint(f"status IN {VERIFICATION_STATUSES}", name="ck_kyc_verifications_status"),
        sa.CheckConstraint("kind IN ('penny_drop')", name="ck_kyc_verifications_kind"),
    )
    op.create_index("ix_kyc_verifications_client_created", "kyc_verifications", ["client_id", "created_at"])

    op.create_table(
        "kyc_requirements",
        _id(),
        _client(),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default="pending"),
        sa.Column("response", sa.Text),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("resolved_by", sa.String(200)),
        _ts("created_at", nullable=False, now=True),
        _ts("resolved_at"),
        sa.CheckConstraint("status IN ('pending', 'resolved')", name="ck_kyc_requirements_status"),
    )
    op.create_index("ix_kyc_requirements_client_created", "kyc_requirements", ["client_id", "created_at"])


def downgrade() -> None:
    for table in ("kyc_requirements", "kyc_verifications", "kyc_documents", "kyc_applications"):
        op.drop_table(table)
