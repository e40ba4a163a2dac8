"""What the KYC routes answer: the application with its documents, checks and clarifications; and a document
as a download."""

from __future__ import annotations

from fastapi.responses import Response

from lightspeedpay.kyc.schemas import (
    AdminKycApplicationOut,
    DocumentOut,
    KycApplicationOut,
    RequirementOut,
    VerificationDetailOut,
    VerificationOut,
)
from lightspeedpay.kyc.service import KycView
from lightspeedpay.kyc.validators import DOCUMENT_TYPES
from lightspeedpay.models import KycDocument, KycRequirement, KycVerification


def document_out(d: KycDocument) -> DocumentOut:
    return DocumentOut(
        id=d.id,
        kind=d.kind,
        content_type=d.content_type,
        size_bytes=d.size_bytes,
        sha256=d.sha256,
        filename=d.filename,
        uploaded_by=d.uploaded_by,
        created_at=d.created_at,
    )


def _verification_fields(v: KycVerification) -> dict[str, object]:
    return {
        "id": v.id,
        "kind": v.kind,
        "status": v.status,
        "provider": v.provider,
        "bank_account_last4": v.bank_account_last4,
        "bank_ifsc": v.bank_ifsc,
        "expected_name": v.expected_name,
        "name_at_bank": v.name_at_bank,
        "name_match_score": v.name_match_score,
        "provider_name_match": v.provider_name_match,
        "error": v.error,
        "created_at": v.created_at,
        "completed_at": v.completed_at,
    }


def requirement_out(r: KycRequirement) -> RequirementOut:
    return RequirementOut(
        id=r.id,
        code=r.code,
        reason=r.reason,
        status=r.status,
        response=r.response,
        requested_by=r.requested_by,
        resolved_by=r.resolved_by,
        created_at=r.created_at,
        resolved_at=r.resolved_at,
    )


def _application_fields(view: KycView) -> dict[str, object]:
    a = view.application
    fields = (
        "business_type",
        "legal_name",
        "signatory_name",
        "business_pan",
        "signatory_pan",
        "gstin",
        "bank_account_last4",
        "bank_ifsc",
        "website_url",
        "contact_name",
        "contact_email",
        "contact_phone",
        "submitted_at",
        "decided_at",
        "rejection_reason",
    )
    return {
        "merchant_id": view.client.id,
        "kyc_status": view.client.kyc_status,
        **{name: getattr(a, name) if a is not None else None for name in fields},
        "missing": view.missing,
        "documents": [document_out(d) for d in view.documents],
        "requirements": [requirement_out(r) for r in view.requirements],
    }


def application_out(view: KycView) -> KycApplicationOut:
    return KycApplicationOut(
        **_application_fields(view),  # type: ignore[arg-type]
        verifications=[VerificationOut(**_verification_fields(v)) for v in view.verifications],  # type: ignore[arg-type]
    )


def admin_application_out(view: KycView) -> AdminKycApplicationOut:
    return AdminKycApplicationOut(
        **_application_fields(view),  # type: ignore[arg-type]
        company_name=view.client.company_name,
        merchant_status=view.client.status,
        suspension_reason=view.client.suspension_reason,
        decided_by=view.application.decided_by if view.application else None,
        verifications=[
            VerificationDetailOut(**_verification_fields(v), provider_response=v.provider_response)  # type: ignore[arg-type]
            for v in view.verifications
        ],
    )


def download(doc: KycDocument, content: bytes, *, inline: bool = False) -> Response:
    """The file as an attachment under a name of ours (the uploader's name never reaches a header), typed as
    its content was found to be, never sniffed or cached. `inline`: for the console's reviewer to view in the
    browser (an image in an <img>, a PDF in the browser's own viewer, which a `sandbox` policy would block)."""
    disposition = "inline" if inline else "attachment"
    is_pdf = doc.content_type == "application/pdf"
    return Response(
        content,
        media_type=doc.content_type,
        headers={
            "Content-Disposition": f'{disposition}; filename="{doc.kind}-{doc.id}.{DOCUMENT_TYPES[doc.content_type]}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
            "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'"
            if inline and is_pdf
            else "default-src 'none'; sandbox",
        },
    )
