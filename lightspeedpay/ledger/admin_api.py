"""The operator's ledger API (bearer admin token): the commission ledger with totals per merchant and period,
payouts of dues, adjustments."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from lightspeedpay.auth.signature import read_body
from lightspeedpay.errors import NotFound
from lightspeedpay.identity.deps import CurrentAdmin, operator_guard
from lightspeedpay.kit.parsing import parse_json
from lightspeedpay.kit.responses import json_response
from lightspeedpay.ledger.schemas import (
    AdjustmentCreate,
    CommissionLedger,
    LedgerFilter,
    LedgerTotals,
    LegOut,
    PayoutCreate,
    PostingOut,
    PostingRecorded,
)
from lightspeedpay.ledger.service import LedgerReferenceConflict, PayoutExceedsDues, Recorded, ledger_service
from lightspeedpay.models import Client, LedgerPosting
from lightspeedpay.models.base import values
from lightspeedpay.models.ledger_posting import PostingType
from lightspeedpay.sessions import ReadSession, WriteSession

router = APIRouter(
    prefix="/api/v1/admin",
    tags=["admin: commission ledger"],
    dependencies=[operator_guard("ledger")],
    responses={401: {"description": "UNAUTHORIZED: missing or wrong admin token"}},
)


def merchant_uuid(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise NotFound("No merchant with this id.", field="merchant_id") from None


def posting_out(
    posting: LedgerPosting, legs: list[dict[str, Any]] | None = None, company_name: str | None = None
) -> PostingOut:
    return PostingOut(
        id=posting.id,
        type=posting.type,
        merchant_id=posting.client_id,
        company_name=company_name,
        amount=posting.amount,
        subject_amount=posting.subject_amount,
        transaction_id=posting.transaction_id,
        refund_id=posting.refund_id,
        settlement_id=posting.settlement_id,
        correlation_key=posting.correlation_key,
        reference=posting.reference,
        reason=posting.reason,
        actor=posting.actor,
        created_at=posting.created_at,
        legs=[LegOut(**leg) for leg in legs or []],
    )


async def _recorded(session: Any, recorded: Recorded) -> Response:
    legs = await ledger_service.legs(session, [recorded.posting.id])
    client = await session.get(Client, recorded.posting.client_id)
    body = PostingRecorded(
        posting=posting_out(recorded.posting, legs[recorded.posting.id], client.company_name),
        created=recorded.created,
        balance_due=recorded.balance_due,
        merchant_status=client.status,
    )
    return json_response(body.model_dump(mode="json"), status_code=201 if recorded.created else 200)


@router.get(
    "/commission/ledger",
    response_model=CommissionLedger,
    summary="Ledger postings (newest first) with their legs, and totals per merchant and period",
)
async def commission_ledger(
    session: ReadSession,
    merchant_id: Annotated[uuid.UUID | None, Query(description="one merchant")] = None,
    type: Annotated[Literal[values(PostingType)] | None, Query()] = None,  # type: ignore[valid-type]
    created_from: Annotated[datetime | None, Query(alias="from")] = None,
    created_to: Annotated[datetime | None, Query(alias="to")] = None,
    period: Annotated[Literal["day", "month"], Query(description="the totals' period")] = "day",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> CommissionLedger:
    flt = LedgerFilter(client_id=merchant_id, type=type, created_from=created_from, created_to=created_to)
    rows, legs, next_cursor = await ledger_service.postings_page(session, flt, limit=limit, cursor=cursor)
    totals = await ledger_service.totals(session, flt, period=period)
    fmt = "%Y-%m-%d" if period == "day" else "%Y-%m"
    return CommissionLedger(
        items=[posting_out(p, legs[p.id], name) for p, name in rows],
        totals=[
            LedgerTotals(
                merchant_id=t["client_id"],
                company_name=t["company_name"],
                period=t["period"].strftime(fmt),
                commission=t["commission"],
                reversals=t["reversals"],
                payouts=t["payouts"],
                adjustments=t["adjustments"],
                net_change=t["net_change"],
                postings=t["postings"],
            )
            for t in totals
        ],
        next_cursor=next_cursor,
    )


@router.post(
    "/merchants/{merchant_id}/payouts",
    status_code=201,
    response_model=PostingRecorded,
    responses={
        200: {"description": "this reference was already recorded with this amount (idempotent replay)"},
        404: {"description": "NOT_FOUND"},
        **PayoutExceedsDues.openapi(),
        **LedgerReferenceConflict.openapi(),
    },
    summary="Record dues paid by a merchant (a COMMISSION_PAYOUT); resumes a merchant suspended for dues once "
    "they are under the threshold",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": PayoutCreate.model_json_schema(),
                    "example": {"amount": 250000, "reference": "UTR-123"},
                }
            },
        }
    },
)
async def record_payout(
    merchant_id: str, request: Request, admin: CurrentAdmin, session: WriteSession
) -> Response:
    body = parse_json(PayoutCreate, await read_body(request))
    recorded = await ledger_service.record_payout(
        session,
        merchant_uuid(merchant_id),
        amount=body.amount,
        reference=body.reference,
        actor=admin.actor,
        operator=admin,
    )
    return await _recorded(session, recorded)


@router.post(
    "/merchants/{merchant_id}/adjustments",
    status_code=201,
    response_model=PostingRecorded,
    responses={
        200: {"description": "this reference was already recorded (idempotent replay)"},
        404: {"description": "NOT_FOUND"},
        422: {"description": "VALIDATION_ERROR (reason is mandatory)"},
        **LedgerReferenceConflict.openapi(),
    },
    summary="Correct a merchant's dues either way, with a mandatory reason (an ADJUSTMENT)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": AdjustmentCreate.model_json_schema(),
                    "example": {"amount": -5000, "reason": "goodwill credit for the outage of 3 March"},
                }
            },
        }
    },
)
async def record_adjustment(
    merchant_id: str, request: Request, admin: CurrentAdmin, session: WriteSession
) -> Response:
    body = parse_json(AdjustmentCreate, await read_body(request))
    recorded = await ledger_service.record_adjustment(
        session,
        merchant_uuid(merchant_id),
        amount=body.amount,
        reason=body.reason,
        reference=body.reference,
        actor=admin.actor,
        operator=admin,
    )
    return await _recorded(session, recorded)


__all__ = ["router"]
