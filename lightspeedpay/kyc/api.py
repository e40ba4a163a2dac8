"""The merchant's KYC (a person of the merchant's team; an API credential cannot): the application, its
documents, submitting it for review, and answering the operator's clarifications."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from lightspeedpay.auth.signature import read_body
from lightspeedpay.config import get_settings
from lightspeedpay.errors import BadRequest, UnsupportedMediaType, ValidationFailed
from lightspeedpay.identity.deps import CurrentMerchant, merchant_guard
from lightspeedpay.kit.openapi import request_body
from lightspeedpay.kit.parsing import parse_json
from lightspeedpay.kyc.schemas import (
    DocumentKindName,
    DocumentOut,
    KycApplicationOut,
    KycApplicationUpdate,
    RequirementAnswer,
    RequirementOut,
)
from lightspeedpay.kyc.service import KycView, kyc_service
from lightspeedpay.kyc.views import application_out, document_out, download, requirement_out
from lightspeedpay.models.base import values
from lightspeedpay.models.kyc_document import DocumentKind
from lightspeedpay.sessions import ReadSession, WriteSession

router = APIRouter(prefix="/api/v1/merchant/kyc", tags=["kyc"])

_GUARD = [merchant_guard("kyc")]
# room for the multipart framing and the `kind` field around a file of the largest size allowed
_MULTIPART_OVERHEAD = 64 * 1024


async def document_body_limit(request: Request) -> None:
    """Raise this request's body bound to a document's size before the guard reads the body (the JSON routes
    keep the small default); a compressed body is refused: an upload is never inflated here."""
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        raise UnsupportedMediaType(
            f"Send the file uncompressed (got Content-Encoding: {encoding[:40]}).", field="Content-Encoding"
        )
    request.state.max_body_bytes = get_settings().kyc_max_document_bytes + _MULTIPART_OVERHEAD


async def _view(session: Any, merchant_id: uuid.UUID) -> KycView:
    return await kyc_service.view(session, merchant_id)


@router.get(
    "", response_model=KycApplicationOut, dependencies=_GUARD, summary="Your KYC application and its state"
)
async def get_application(merchant: CurrentMerchant, session: ReadSession) -> KycApplicationOut:
    return application_out(await _view(session, merchant.id))


@router.put(
    "",
    response_model=KycApplicationOut,
    dependencies=_GUARD,
    responses={
        409: {"description": "KYC_NOT_EDITABLE"},
        422: {"description": "INVALID_PAN, INVALID_GSTIN, …"},
    },
    summary="Save the application's fields (as a draft, or while clarification is asked)",
    openapi_extra=request_body(
        KycApplicationUpdate,
        {
            "company": {
                "business_type": "partnership",
                "legal_name": "Shreeji Furnishers",
                "business_pan": "AAPFU0939F",
                "gstin": "27AAPFU0939F1ZV",
                "bank_account_number": "50100012345678",
                "bank_ifsc": "HDFC0001234",
            }
        },
    ),
)
async def update_application(
    request: Request, merchant: CurrentMerchant, session: WriteSession
) -> KycApplicationOut:
    body = parse_json(KycApplicationUpdate, await read_body(request))
    await kyc_service.update(session, merchant, body.model_dump(exclude_unset=True))
    await session.flush()
    return application_out(await _view(session, merchant.id))


async def _once(raw: bytes) -> AsyncGenerator[bytes, None]:
    yield raw


@router.post(
    "/documents",
    status_code=201,
    response_model=DocumentOut,
    dependencies=[Depends(document_body_limit), merchant_guard("kyc")],
    responses={
        409: {"description": "KYC_NOT_EDITABLE"},
        413: {"description": "DOCUMENT_TOO_LARGE / PAYLOAD_TOO_LARGE"},
        415: {"description": "UNSUPPORTED_MEDIA_TYPE: not multipart, or compressed"},
        422: {"description": "UNSUPPORTED_DOCUMENT_TYPE, DOCUMENT_TYPE_MISMATCH, DOCUMENT_DAMAGED"},
    },
    summary="Upload a document (multipart: `kind` and `file`; PDF, JPEG or PNG up to 5 MB, judged by content)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["kind", "file"],
                        "properties": {
                            "kind": {"type": "string", "enum": list(values(DocumentKind))},
                            "file": {"type": "string", "format": "binary"},
                        },
                    }
                }
            },
        }
    },
)
async def upload_document(request: Request, merchant: CurrentMerchant, session: WriteSession) -> DocumentOut:
    raw = await read_body(request)  # already read, and bounded, by the guard
    if request.headers.get("content-type", "").split(";", 1)[0].strip().lower() != "multipart/form-data":
        raise UnsupportedMediaType(
            "Send the document as multipart/form-data with the fields `kind` and `file`.",
            field="Content-Type",
        )
    try:
        form = await MultiPartParser(request.headers, _once(raw), max_files=1, max_fields=2).parse()
    except MultiPartException as exc:
        raise BadRequest(f"The multipart body cannot be read: {exc.message}") from None
    kind, upload = form.get("kind"), form.get("file")
    if not isinstance(kind, str) or kind not in values(DocumentKind):
        raise ValidationFailed(f"kind must be one of {', '.join(values(DocumentKind))}.", field="kind")
    if not isinstance(upload, UploadFile):
        raise ValidationFailed("file is required: the document, as a file part.", field="file")
    content = await upload.read()
    await form.close()
    doc = await kyc_service.upload(
        session,
        merchant,
        kind=kind,
        filename=upload.filename or "",
        declared_type=upload.content_type,
        content=content,
    )
    return document_out(doc)


@router.get(
    "/documents", response_model=list[DocumentOut], dependencies=_GUARD, summary="Your uploaded documents"
)
async def list_documents(merchant: CurrentMerchant, session: ReadSession) -> list[DocumentOut]:
    return [document_out(d) for d in (await _view(session, merchant.id)).documents]


@router.get(
    "/documents/{document_id}",
    dependencies=_GUARD,
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}, "image/jpeg": {}, "image/png": {}}},
        404: {"description": "NOT_FOUND"},
    },
    summary="Download one of your documents (as an attachment)",
)
async def get_document(document_id: uuid.UUID, merchant: CurrentMerchant, session: ReadSession) -> Response:
    doc, content = await kyc_service.document(session, merchant.id, document_id)
    return download(doc, content)


@router.post(
    "/submit",
    response_model=KycApplicationOut,
    dependencies=_GUARD,
    responses={
        409: {"description": "KYC_INVALID_TRANSITION, KYC_CLARIFICATIONS_PENDING"},
        422: {"description": "KYC_INCOMPLETE (error.missing lists what is missing)"},
    },
    summary="Submit the application for review; the settlement account's penny drop starts",
)
async def submit(merchant: CurrentMerchant, session: WriteSession) -> KycApplicationOut:
    await kyc_service.submit(session, merchant)
    await session.flush()
    return application_out(await _view(session, merchant.id))


@router.post(
    "/requirements/{requirement_id}/answer",
    response_model=RequirementOut,
    dependencies=_GUARD,
    responses={404: {"description": "NOT_FOUND"}, 409: {"description": "KYC_INVALID_TRANSITION"}},
    summary="Answer a clarification the operator asked (fix the field or upload the document first)",
    openapi_extra=request_body(
        RequirementAnswer, {"answer": {"response": "Uploaded the new GST certificate."}}
    ),
)
async def answer_requirement(
    requirement_id: uuid.UUID, request: Request, merchant: CurrentMerchant, session: WriteSession
) -> RequirementOut:
    body = parse_json(RequirementAnswer, await read_body(request))
    return requirement_out(await kyc_service.answer(session, merchant, requirement_id, body.response))


__all__ = ["router", "DocumentKindName"]
