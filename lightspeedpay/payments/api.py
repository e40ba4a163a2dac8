"""The native merchant payments API: `/api/v1/pay` and transaction reads."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.errors import AppError, NoGatewayAvailable
from lightspeedpay.errors import MerchantSuspended as MerchantSuspendedError
from lightspeedpay.idempotency import service as idempotency
from lightspeedpay.identity.deps import CurrentMerchant, merchant_guard
from lightspeedpay.kit.openapi import IDEMPOTENCY_HEADERS, request_body
from lightspeedpay.kit.parsing import parse_json
from lightspeedpay.models.base import values
from lightspeedpay.models.transaction import TransactionStatus
from lightspeedpay.payments.schemas import (
    PayRequest,
    PayResponse,
    TransactionFilter,
    TransactionList,
    TransactionOut,
    pay_response_body,
)
from lightspeedpay.payments.service import payment_service
from lightspeedpay.sessions import ReadSession

router = APIRouter(prefix="/api/v1", tags=["payments"], dependencies=[merchant_guard("payments")])


@router.post(
    "/pay",
    status_code=201,
    response_model=PayResponse,
    responses={
        **MerchantSuspendedError.openapi(),
        **NoGatewayAvailable.openapi(),
        409: {"description": "DUPLICATE_ORDER_ID, or IDEMPOTENCY_KEY_IN_USE"},
        422: {"description": "a field is invalid (INVALID_AMOUNT, ...), or IDEMPOTENCY_KEY_REUSED"},
        401: {"description": "INVALID_SIGNATURE / STALE_TIMESTAMP"},
    },
    openapi_extra=request_body(
        PayRequest,
        {
            "payment": {
                "amount": 49900,
                "order_id": "ORD-1001",
                "currency": "INR",
                "customer": {"name": "Asha", "email": "asha@example.com", "phone": "+919876543210"},
            },
            "with notes and a return page": {
                "amount": 120000,
                "order_id": "ORD-1002",
                "currency": "INR",
                "redirect_url": "https://shop.example.com/thanks",
                "notes": {"cart": "C-77"},
            },
        },
        headers=IDEMPOTENCY_HEADERS,
    ),
    summary="Start a payment; answers at once, the PSP order is created in the background",
)
async def pay(request: Request, merchant: CurrentMerchant) -> Response:
    body = parse_json(PayRequest, request.state.raw_body)

    async def work(session: AsyncSession) -> Response:
        # the initiation is one statement of its own, which stores the idempotent answer with the payment
        started = await payment_service.initiate(merchant, body, claim=idempotency.claim_of(session))
        return Response(
            pay_response_body(started.transaction_id, started.payment_id),
            status_code=201,
            media_type="application/json",
        )

    return await idempotency.run(request, merchant.id, body.model_dump(mode="json"), work)


@router.get(
    "/transactions/{transaction_id}",
    response_model=TransactionOut,
    summary="A transaction, by its id or its payment id (pay_…)",
)
async def get_transaction(
    transaction_id: str, merchant: CurrentMerchant, session: ReadSession
) -> TransactionOut:
    return TransactionOut.model_validate(await payment_service.find(session, merchant, transaction_id))


@router.get("/transactions", response_model=TransactionList)
async def list_transactions(
    merchant: CurrentMerchant,
    session: ReadSession,
    status: Annotated[Literal[values(TransactionStatus)] | None, Query()] = None,  # type: ignore[valid-type]
    created_from: Annotated[datetime | None, Query(alias="from")] = None,
    created_to: Annotated[datetime | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: str | None = None,
) -> TransactionList:
    rows, next_cursor = await payment_service.list(
        session,
        merchant,
        TransactionFilter(status=status, created_from=created_from, created_to=created_to),
        limit=limit,
        cursor=cursor,
    )
    return TransactionList(items=[TransactionOut.model_validate(r) for r in rows], next_cursor=next_cursor)


__all__ = ["router", "AppError"]
