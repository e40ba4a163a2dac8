"""Request and response bodies of the KYC APIs (merchants' and operators')."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from lightspeedpay.models.base import values
from lightspeedpay.models.kyc_application import BusinessType
from lightspeedpay.models.kyc_document import DocumentKind

Text = Annotated[str, Field(min_length=1, max_length=200)]
BusinessTypeName = Literal[values(BusinessType)]  # type: ignore[valid-type]
DocumentKindName = Literal[values(DocumentKind)]  # type: ignore[valid-type]

# what an operator may ask about: a field of the application or a document
REQUIREMENT_CODES = (
    "business_type",
    "legal_name",
    "signatory_name",
    "business_pan",
    "signatory_pan",
    "gstin",
    "bank_account",
    "website_url",
    "contact",
    *values(DocumentKind),
    "other",
)
RequirementCode = Literal[REQUIREMENT_CODES]  # type: ignore[valid-type]


class KycApplicationUpdate(BaseModel):
    """Any of the fields; each given replaces the saved one (null clears it)."""

    model_config = ConfigDict(extra="forbid")

    business_type: BusinessTypeName | None = None  # type: ignore[valid-type]
    legal_name: Text | None = Field(default=None, description="as on the business PAN or registration")
    signatory_name: Text | None = None
    business_pan: Annotated[str, Field(max_length=20)] | None = Field(default=None, examples=["AAPFU0939F"])
    signatory_pan: Annotated[str, Field(max_length=20)] | None = Field(default=None, examples=["ABCPE1234F"])
    gstin: Annotated[str, Field(max_length=20)] | None = Field(default=None, examples=["27AAPFU0939F1ZV"])
    bank_account_number: Annotated[str, Field(max_length=30)] | None = Field(
        default=None, description="9-18 digits; shown back only as its last four", examples=["50100012345678"]
    )
    bank_ifsc: Annotated[str, Field(max_length=20)] | None = Field(default=None, examples=["HDFC0001234"])
    website_url: Annotated[str, Field(max_length=500)] | None = Field(
        default=None, examples=["https://shop.example.in"]
    )
    contact_name: Annotated[str, Field(min_length=1, max_length=120)] | None = None
    contact_email: Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = None
    contact_phone: Annotated[str, Field(pattern=r"^\+?[1-9][0-9]{7,14}$")] | None = Field(
        default=None, examples=["919876543210"]
    )


class DocumentOut(BaseModel):
    id: uuid.UUID
    kind: str
    content_type: str = Field(description="found from the file's bytes")
    size_bytes: int
    sha256: str
    filename: str
    uploaded_by: str
    created_at: datetime


class VerificationOut(BaseModel):
    id: uuid.UUID
    kind: str
    status: str = Field(description="pending, verified, name_mismatch, invalid_account or error")
    provider: str
    bank_account_last4: str
    bank_ifsc: str
    expected_name: str
    name_at_bank: str | None
    name_match_score: Decimal | None = Field(description="0-100, ours: the business name against the bank's")
    provider_name_match: Decimal | None
    error: str | None
    created_at: datetime
    completed_at: datetime | None


class VerificationDetailOut(VerificationOut):
    provider_response: dict[str, object] | None


class RequirementOut(BaseModel):
    id: uuid.UUID
    code: str
    reason: str
    status: str
    response: str | None
    requested_by: str
    resolved_by: str | None
    created_at: datetime
    resolved_at: datetime | None


class KycApplicationOut(BaseModel):
    merchant_id: uuid.UUID
    kyc_status: str = Field(
        description="draft, submitted, under_review, needs_clarification, activated, rejected"
    )
    business_type: str | None
    legal_name: str | None
    signatory_name: str | None
    business_pan: str | None
    signatory_pan: str | None
    gstin: str | None
    bank_account_last4: str | None
    bank_ifsc: str | None
    website_url: str | None
    contact_name: str | None
    contact_email: str | None
    contact_phone: str | None
    submitted_at: datetime | None
    decided_at: datetime | None
    rejection_reason: str | None
    missing: list[str] = Field(description="what must still be given before the application can be submitted")
    documents: list[DocumentOut]
    verifications: list[VerificationOut]
    requirements: list[RequirementOut]


class AdminKycApplicationOut(KycApplicationOut):
    company_name: str
    merchant_status: str = Field(description="active, suspended or disabled: whether payments are taken")
    suspension_reason: str | None = Field(
        description="dues, or kyc (suspended by an operator after activation)"
    )
    decided_by: str | None
    verifications: list[VerificationDetailOut]  # type: ignore[assignment]


class KycApplicationSummary(BaseModel):
    merchant_id: uuid.UUID
    company_name: str
    kyc_status: str
    business_type: str | None
    legal_name: str | None
    submitted_at: datetime | None
    updated_at: datetime


class KycApplicationList(BaseModel):
    items: list[KycApplicationSummary]
    next_cursor: str | None


class RequirementAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    response: Annotated[str, Field(min_length=1, max_length=2000)]


class RejectBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, Field(min_length=3, max_length=2000)]


class ClarificationItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: RequirementCode
    reason: Annotated[str, Field(min_length=3, max_length=2000)]


class ClarificationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: Annotated[list[ClarificationItem], Field(min_length=1, max_length=20)]


class ReviewNote(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Annotated[str, Field(max_length=2000)] | None = None


class SuspendBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, Field(min_length=3, max_length=2000)]
