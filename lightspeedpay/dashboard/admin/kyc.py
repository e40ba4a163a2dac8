"""KYC review in the operator's console: the queue by state (what waits for a reviewer first), and one application
with its documents viewed inline, its penny drop and clarifications, and the decisions (take into review, approve,
reject, ask for clarification per item), each through the KYC service the JSON admin API calls."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.dashboard import i18n, web
from lightspeedpay.dashboard.forms import validated
from lightspeedpay.errors import NotFound, ValidationFailed
from lightspeedpay.identity.deps import Operator, operator_requires
from lightspeedpay.kyc.schemas import REQUIREMENT_CODES, ClarificationRequest, RejectBody, ReviewNote
from lightspeedpay.kyc.service import kyc_service
from lightspeedpay.kyc.views import admin_application_out, download
from lightspeedpay.models.client import KycStatus
from lightspeedpay.sessions import ReadSession, WriteSession

router = APIRouter()
_ = web._lazy
Reader = Annotated[Operator, operator_requires("kyc:read")]
Writer = Annotated[Operator, operator_requires("kyc:write")]
PAGE_SIZE = 25

# the queue's views: what waits for a reviewer comes first
VIEWS: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "review": (_("To review"), (KycStatus.SUBMITTED, KycStatus.UNDER_REVIEW)),
    "submitted": (_("Submitted"), (KycStatus.SUBMITTED,)),
    "under_review": (_("Under review"), (KycStatus.UNDER_REVIEW,)),
    "needs_clarification": (_("Needs clarification"), (KycStatus.NEEDS_CLARIFICATION,)),
    "activated": (_("Activated"), (KycStatus.ACTIVATED,)),
    "rejected": (_("Rejected"), (KycStatus.REJECTED,)),
    "draft": (_("Draft"), (KycStatus.DRAFT,)),
    "all": (_("All"), None),
}


@router.get("/admin/kyc", summary="KYC review queue")
async def queue(
    request: Request, operator: Reader, session: ReadSession, view: str = "review", cursor: str | None = None
) -> HTMLResponse:
    if view not in VIEWS:
        view = "review"
    rows, next_cursor = await kyc_service.queue(
        session, statuses=VIEWS[view][1], limit=PAGE_SIZE, cursor=cursor
    )
    return web.page(
        request,
        "admin/kyc_queue.html",
        {"rows": rows, "view": view, "views": VIEWS, "next_cursor": next_cursor, "paged": cursor is not None},
        operator=operator,
    )


async def _application(session: AsyncSession, merchant_id: uuid.UUID) -> dict[str, Any]:
    view = await kyc_service.view(session, merchant_id)
    if view.application is None:
        raise NotFound("This merchant has not started a KYC application.", field="merchant_id")
    return {"a": admin_application_out(view), "item_codes": REQUIREMENT_CODES}


@router.get("/admin/kyc/{merchant_id}", summary="A KYC application")
async def application(
    request: Request, merchant_id: uuid.UUID, operator: Reader, session: ReadSession
) -> HTMLResponse:
    return web.page(
        request, "admin/kyc_application.html", await _application(session, merchant_id), operator=operator
    )


@router.get("/admin/kyc/{merchant_id}/documents/{document_id}", summary="View a KYC document")
async def document(
    merchant_id: uuid.UUID, document_id: uuid.UUID, operator: Reader, session: ReadSession
) -> Response:
    doc, content = await kyc_service.document(session, merchant_id, document_id)
    return download(doc, content, inline=True)


async def _answer(
    request: Request, session: AsyncSession, operator: Operator, merchant_id: uuid.UUID, notice: str
) -> HTMLResponse:
    await session.flush()
    context = {**await _application(session, merchant_id), "notice": notice}
    return web.fragment(request, "admin/_kyc_review.html", context, operator=operator)


@router.post("/admin/kyc/{merchant_id}/start-review", summary="Take a KYC application into review")
async def start_review(
    request: Request, merchant_id: uuid.UUID, operator: Writer, session: WriteSession
) -> HTMLResponse:
    await kyc_service.start_review(session, merchant_id, actor=operator.actor)
    return await _answer(
        request, session, operator, merchant_id, i18n.gettext(_("The application is in review."))
    )


@router.post("/admin/kyc/{merchant_id}/approve", summary="Approve a KYC application")
async def approve(
    request: Request,
    merchant_id: uuid.UUID,
    operator: Writer,
    session: WriteSession,
    note: Annotated[str, Form(max_length=2000)] = "",
) -> HTMLResponse:
    body = validated(ReviewNote, {"note": note.strip() or None})
    await kyc_service.approve(session, merchant_id, actor=operator.actor, note=body.note)
    message = i18n.gettext(_("Approved: the merchant is activated and may now use live credentials."))
    return await _answer(request, session, operator, merchant_id, message)


@router.post("/admin/kyc/{merchant_id}/reject", summary="Reject a KYC application")
async def reject(
    request: Request,
    merchant_id: uuid.UUID,
    operator: Writer,
    session: WriteSession,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> HTMLResponse:
    body = validated(RejectBody, {"reason": reason.strip()})
    await kyc_service.reject(session, merchant_id, actor=operator.actor, reason=body.reason)
    return await _answer(
        request, session, operator, merchant_id, i18n.gettext(_("The application is rejected."))
    )


@router.post("/admin/kyc/{merchant_id}/clarifications", summary="Ask a merchant to clarify items of its KYC")
async def ask_clarification(
    request: Request, merchant_id: uuid.UUID, operator: Writer, session: WriteSession
) -> HTMLResponse:
    form = await request.form()
    codes = [str(code) for code in form.getlist("item")]
    if not codes:
        message = i18n.gettext(_("Tick at least one item and say what the merchant should change."))
        raise ValidationFailed(message, field="items")
    items = [{"code": code, "reason": str(form.get(f"reason_{code}", "")).strip()} for code in codes]
    body = validated(ClarificationRequest, {"items": items})
    await kyc_service.ask_clarification(
        session, merchant_id, [(i.code, i.reason) for i in body.items], actor=operator.actor
    )
    message = i18n.gettext(_("Sent back to the merchant with your questions."))
    return await _answer(request, session, operator, merchant_id, message)
