"""A document uploaded for KYC (PAN card, address proof, GST certificate, cancelled cheque): where the storage
keeps its bytes, what its content was found to be, and its SHA-256."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from lightspeedpay.models.base import Base, created_at, sql_in, uuid_pk


class DocumentKind(StrEnum):
    PAN_CARD = "pan_card"  # the business's PAN card
    SIGNATORY_PAN_CARD = "signatory_pan_card"
    ADDRESS_PROOF = "address_proof"
    GST_CERTIFICATE = "gst_certificate"
    CANCELLED_CHEQUE = "cancelled_cheque"


class KycDocument(Base):
    __tablename__ = "kyc_documents"
    __table_args__ = (
        CheckConstraint(f"kind IN {sql_in(DocumentKind)}", name="ck_kyc_documents_kind"),
        CheckConstraint(
            "content_type IN ('application/pdf', 'image/jpeg', 'image/png')", name="ck_kyc_documents_type"
        ),
        Index("ix_kyc_documents_client_created", "client_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    client_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("clients.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(String(30), nullable=False)
    storage_key: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    content_type: Mapped[str] = mapped_column(
        String(50), nullable=False
    )  # found from the bytes, not the upload
    size_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    filename: Mapped[str] = mapped_column(String(200), nullable=False)  # as uploaded, for the reviewer only
    uploaded_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[datetime] = created_at()
