"""The native refunds API (signed like the rest of /api/v1): refund a transaction, list a transaction's refunds
or all of the merchant's (in the request's mode), read one."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.idempotency import service as idempotency
from lightspeedpay.identity.deps import CurrentMerchant, merchant_guard
from lightspeedpay.kit.openapi import REFUND_IDEMPOTENCY_HEADERS, request_body
from lightspeedpay.kit.parsing import parse_json
from lightspeedpay.kit.responses import json_response
from lightspeedpay.models import Refund, Transaction
from lightspeedpay.models.base import values
from lightspeedpay.models.refund import RefundStatus
from lightspeedpay.payments.errors import RefundNotAllowed
from lightspeedpay.payments.service import payment_service
from lightspeedpay.refunds.schemas import RefundCreate, RefundList, RefundOut
from lightspeedpay.refunds.service import refund_service
from lightspeedpay.sessions import ReadSession

router = APIRouter(prefix="/api/v1", tags=["refunds"], dependencies=[merchant_guard("refunds")])


def refund_out(refund: Refund, txn_or_payment_id: Transaction | str) -> RefundOut:
    payment_id = txn_or_payment_id if isinstance(txn_or_payment_id, str) else txn_or_payment_id.payment_id
    return RefundOut(
        id=refund.public_id,
        transaction_id=refund.transaction_id,
        payment_id=payment_id,
        amount=refund.amount,
        currency=refund.currency,
        status=refund.status,  # type: ignore[arg-type]
        kind=refund.kind,
        speed=refund.speed,
        notes=refund.notes,  # type: ignore[arg-type]
        receipt=refund.receipt,
        gateway_refund_id=refund.gateway_refund_id,
        error_code=refund.error_code,
        error_message=refund.error_message,
        processed_at=refund.processed_at,
        created_at=refund.created_at,
    )


@router.post(
    "/transactions/{transaction_id}/refunds",
    status_code=201,
    response_model=RefundOut,
    summary="Refund a paid transaction, fully (no amount) or in part; carried out in the background",
    responses={
        **RefundNotAllowed.openapi(),
        422: {"description": "REFUND_EXCEEDS_PAID, a field is invalid, or IDEMPOTENCY_KEY_REUSED"},
        404: {"description": "NOT_FOUND"},
        401: {"description": "INVALID_SIGNATURE / STALE_TIMESTAMP"},
    },
    openapi_extra=request_body(
        RefundCreate,
        {
            "partial": {"amount": 5000, "notes": {"reason": "one item returned"}, "receipt": "RF-1001"},
            "full": {},
        },
        required=False,
        headers=REFUND_IDEMPOTENCY_HEADERS,
    ),
)
async def create_refund(transaction_id: str, request: Request, merchant: CurrentMerchant) -> Response:
    raw = request.state.raw_body
    body = parse_json(RefundCreate, raw if raw.strip() else b"{}")

    async def work(session: AsyncSession) -> Response:
        if transaction_id.startswith("pay_"):
            refund, txn = await refund_service.create_for_payment(session, merchant, transaction_id, body)
        else:
            txn = await payment_service.find(session, merchant, transaction_id)
            refund, txn = await refund_service.create_for_transaction(session, merchant, txn.id, body)
        return json_response(refund_out(refund, txn).model_dump(mode="json"), status_code=201)

    return await idempotency.run(
        request,
        merchant.id,
        body.model_dump(mode="json"),
        work,
        key_headers=(idempotency.HEADER, idempotency.REFUND_HEADER),
    )


@router.get(
    "/transactions/{transaction_id}/refunds",
    response_model=RefundList,
    summary="A transaction's refunds, newest first",
)
async def list_refunds(
    transaction_id: str,
    merchant: CurrentMerchant,
    session: ReadSession,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: str | None = None,
) -> RefundList:
    txn = await payment_service.find(session, merchant, transaction_id)
    rows, next_cursor = await refund_service.list_for_transaction(
        session, merchant, txn.id, limit=limit, cursor=cursor
    )
    return RefundList(items=[refund_out(r, txn) for r in rows], next_cursor=next_cursor)


@router.get(
    "/refunds",
    response_model=RefundList,
    summary="Your refunds in this mode, newest first: filters by status and dates (cursor-paginated)",
)
async def list_all_refunds(
    merchant: CurrentMerchant,
    session: ReadSession,
    status: Annotated[
        Literal[values(RefundStatus)] | None,  # type: ignore[valid-type]
        Query(description="only refunds in this status"),
    ] = None,
    created_from: Annotated[
        datetime | None, Query(alias="from", description="created at or after (ISO 8601)")
    ] = None,
    created_to: Annotated[datetime | None, Query(alias="to", description="created before (ISO 8601)")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: str | None = None,
) -> RefundList:
    rows, next_cursor = await refund_service.list_for_merchant(
        session,
        merchant,
        status=status,
        created_from=created_from,
        created_to=created_to,
        limit=limit,
        cursor=cursor,
    )
    payment_ids = await refund_service.payment_ids(session, rows)
    return RefundList(
        items=[refund_out(r, payment_ids.get(r.transaction_id, "")) for r in rows], next_cursor=next_cursor
    )


@router.get("/refunds/{refund_id}", response_model=RefundOut, summary="A refund, by its id (rfnd_…)")
async def get_refund(refund_id: str, merchant: CurrentMerchant, session: ReadSession) -> RefundOut:
    refund = await refund_service.get(session, merchant, refund_id)
    return refund_out(refund, await payment_service.by_id(session, refund.transaction_id))
