"""The operator's KYC review (`kyc:read` to look, `kyc:write` to decide): the queue by state, one application with
its documents, penny drops and clarifications, and the decisions."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from lightspeedpay.auth.signature import read_body
from lightspeedpay.identity.deps import CurrentAdmin, operator_guard
from lightspeedpay.kit.openapi import request_body
from lightspeedpay.kit.parsing import parse_json
from lightspeedpay.kyc.schemas import (
    AdminKycApplicationOut,
    ClarificationRequest,
    KycApplicationList,
    KycApplicationSummary,
    RejectBody,
    ReviewNote,
    SuspendBody,
)
from lightspeedpay.kyc.service import kyc_service
from lightspeedpay.kyc.views import admin_application_out, download
from lightspeedpay.models.base import values
from lightspeedpay.models.client import KycStatus
from lightspeedpay.sessions import ReadSession, WriteSession

router = APIRouter(
    prefix="/api/v1/admin/kyc",
    tags=["admin: kyc"],
    dependencies=[operator_guard("kyc")],
    responses={401: {"description": "UNAUTHORIZED"}, 403: {"description": "FORBIDDEN: the role lacks kyc:…"}},
)

_TRANSITION: dict[int | str, dict[str, Any]] = {
    409: {"description": "KYC_INVALID_TRANSITION"},
    404: {"description": "KYC_APPLICATION_NOT_FOUND"},
}


async def _detail(session: ReadSession | WriteSession, merchant_id: uuid.UUID) -> AdminKycApplicationOut:
    await session.flush()
    return admin_application_out(await kyc_service.view(session, merchant_id))


@router.get("", response_model=KycApplicationList, summary="KYC applications, newest first, by review state")
async def list_applications(
    session: ReadSession,
    status: Annotated[Literal[values(KycStatus)] | None, Query()] = None,  # type: ignore[valid-type]
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: str | None = None,
) -> KycApplicationList:
    rows, next_cursor = await kyc_service.queue(session, status=status, limit=limit, cursor=cursor)
    return KycApplicationList(
        items=[
            KycApplicationSummary(
                merchant_id=c.id,
                company_name=c.company_name,
                kyc_status=c.kyc_status,
                business_type=a.business_type,
                legal_name=a.legal_name,
                submitted_at=a.submitted_at,
                updated_at=a.updated_at,
            )
            for a, c in rows
        ],
        next_cursor=next_cursor,
    )


@router.get(
    "/{merchant_id}",
    response_model=AdminKycApplicationOut,
    responses={404: {"description": "KYC_APPLICATION_NOT_FOUND"}},
    summary="One merchant's application, documents, penny drops (with the provider's answer) and clarifications",
)
async def get_application(merchant_id: uuid.UUID, session: ReadSession) -> AdminKycApplicationOut:
    return await _detail(session, merchant_id)


@router.get(
    "/{merchant_id}/documents/{document_id}",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}, "image/jpeg": {}, "image/png": {}}},
        404: {"description": "NOT_FOUND"},
    },
    summary="Download a merchant's document (as an attachment)",
)
async def get_document(merchant_id: uuid.UUID, document_id: uuid.UUID, session: ReadSession) -> Response:
    doc, content = await kyc_service.document(session, merchant_id, document_id)
    return download(doc, content)


@router.post(
    "/{merchant_id}/start-review",
    response_model=AdminKycApplicationOut,
    responses=_TRANSITION,
    summary="Take a submitted application into review",
)
async def start_review(
    merchant_id: uuid.UUID, admin: CurrentAdmin, session: WriteSession
) -> AdminKycApplicationOut:
    await kyc_service.start_review(session, merchant_id, actor=admin.actor)
    return await _detail(session, merchant_id)


@router.post(
    "/{merchant_id}/approve",
    response_model=AdminKycApplicationOut,
    responses={
        **_TRANSITION,
        409: {"description": "KYC_INVALID_TRANSITION, BANK_ACCOUNT_NOT_VERIFIED, KYC_CLARIFICATIONS_PENDING"},
    },
    summary="Approve an application under review: the merchant is activated (live credentials may be issued)",
    openapi_extra=request_body(
        ReviewNote, {"note": {"note": "PAN and GSTIN checked on the GST portal"}}, required=False
    ),
)
async def approve(
    merchant_id: uuid.UUID, request: Request, admin: CurrentAdmin, session: WriteSession
) -> AdminKycApplicationOut:
    raw = await read_body(request)
    note = parse_json(ReviewNote, raw).note if raw.strip() else None
    await kyc_service.approve(session, merchant_id, actor=admin.actor, note=note)
    return await _detail(session, merchant_id)


@router.post(
    "/{merchant_id}/reject",
    response_model=AdminKycApplicationOut,
    responses={**_TRANSITION, 422: {"description": "VALIDATION_ERROR"}},
    summary="Reject an application, with the reason the merchant is told",
    openapi_extra=request_body(
        RejectBody, {"reject": {"reason": "The business PAN belongs to another business."}}
    ),
)
async def reject(
    merchant_id: uuid.UUID, request: Request, admin: CurrentAdmin, session: WriteSession
) -> AdminKycApplicationOut:
    body = parse_json(RejectBody, await read_body(request))
    await kyc_service.reject(session, merchant_id, actor=admin.actor, reason=body.reason)
    return await _detail(session, merchant_id)


@router.post(
    "/{merchant_id}/clarifications",
    response_model=AdminKycApplicationOut,
    responses={**_TRANSITION, 422: {"description": "VALIDATION_ERROR"}},
    summary="Ask the merchant to clarify or fix items (one requirement each, with the reason)",
    openapi_extra=request_body(
        ClarificationRequest,
        {"gst": {"items": [{"code": "gst_certificate", "reason": "The certificate is for another GSTIN."}]}},
    ),
)
async def ask_clarification(
    merchant_id: uuid.UUID, request: Request, admin: CurrentAdmin, session: WriteSession
) -> AdminKycApplicationOut:
    body = parse_json(ClarificationRequest, await read_body(request))
    await kyc_service.ask_clarification(
        session, merchant_id, [(i.code, i.reason) for i in body.items], actor=admin.actor
    )
    return await _detail(session, merchant_id)


@router.post(
    "/{merchant_id}/suspend",
    response_model=AdminKycApplicationOut,
    responses=_TRANSITION,
    summary="Suspend an activated merchant (payments refused until reinstated; paying dues does not lift it)",
    openapi_extra=request_body(
        SuspendBody, {"suspend": {"reason": "The website now sells restricted goods."}}
    ),
)
async def suspend(
    merchant_id: uuid.UUID, request: Request, admin: CurrentAdmin, session: WriteSession
) -> AdminKycApplicationOut:
    body = parse_json(SuspendBody, await read_body(request))
    await kyc_service.suspend(session, merchant_id, actor=admin.actor, reason=body.reason)
    return await _detail(session, merchant_id)


@router.post(
    "/{merchant_id}/reinstate",
    response_model=AdminKycApplicationOut,
    responses=_TRANSITION,
    summary="Lift a KYC suspension",
    openapi_extra=request_body(SuspendBody, {"reinstate": {"reason": "The restricted listings are gone."}}),
)
async def reinstate(
    merchant_id: uuid.UUID, request: Request, admin: CurrentAdmin, session: WriteSession
) -> AdminKycApplicationOut:
    body = parse_json(SuspendBody, await read_body(request))
    await kyc_service.reinstate(session, merchant_id, actor=admin.actor, reason=body.reason)
    return await _detail(session, merchant_id)


__all__ = ["router"]
