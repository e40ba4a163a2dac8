"""The native merchant payments API: `/api/v1/pay`, capture, and transaction reads: one, a filtered list and the
same list as CSV."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.errors import AppError, NoGatewayAvailable
from lightspeedpay.errors import MerchantSuspended as MerchantSuspendedError
from lightspeedpay.idempotency import service as idempotency
from lightspeedpay.identity.deps import CurrentMerchant, merchant_guard
from lightspeedpay.kit.openapi import IDEMPOTENCY_HEADERS, request_body
from lightspeedpay.kit.parsing import parse_json
from lightspeedpay.kit.responses import json_response
from lightspeedpay.models.base import values
from lightspeedpay.models.transaction import TransactionStatus
from lightspeedpay.payments.errors import (
    CaptureAmountMismatch,
    PaymentNotCapturable,
    PspRefused,
    PspUnavailable,
)
from lightspeedpay.payments.export import MERCHANT_COLUMNS, csv_stream
from lightspeedpay.payments.schemas import (
    CaptureRequest,
    PayRequest,
    PayResponse,
    TransactionFilter,
    TransactionList,
    TransactionOut,
    pay_response_body,
)
from lightspeedpay.payments.service import StartedPayment, payment_service
from lightspeedpay.sessions import ReadSession

IST = ZoneInfo("Asia/Kolkata")

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
    key = idempotency.key_from(request)
    if key is None:  # the one statement is the whole unit of work: no session to open around it
        return _created(await payment_service.initiate(merchant, body))

    async def work(session: AsyncSession) -> Response:
        # the initiation is one statement of its own, which stores the idempotent answer with the payment
        return _created(await payment_service.initiate(merchant, body, claim=idempotency.claim_of(session)))

    return await idempotency.run(request, merchant.id, body.model_dump(mode="json"), work, key=key)


def _created(started: StartedPayment) -> Response:
    return Response(
        pay_response_body(started.transaction_id, started.payment_id),
        status_code=201,
        media_type="application/json",
    )


@router.post(
    "/transactions/{transaction_id}/capture",
    response_model=TransactionOut,
    responses={
        **PaymentNotCapturable.openapi(),
        **CaptureAmountMismatch.openapi(),
        **PspRefused.openapi(),
        **PspUnavailable.openapi(),
        404: {"description": "NOT_FOUND"},
        409: {"description": "IDEMPOTENCY_KEY_IN_USE"},
    },
    openapi_extra=request_body(
        CaptureRequest,
        {"the authorized amount": {}, "amount stated": {"amount": 49900, "currency": "INR"}},
        required=False,
        headers=IDEMPOTENCY_HEADERS,
    ),
    summary="Capture an authorized payment (by its transaction id or payment id) for the amount authorized; "
    "answers the transaction, now paid",
)
async def capture(transaction_id: str, request: Request, merchant: CurrentMerchant) -> Response:
    raw = request.state.raw_body
    body = parse_json(CaptureRequest, raw if raw.strip() else b"{}")

    async def work(session: AsyncSession) -> Response:
        txn = await payment_service.capture_transaction(
            session, merchant, transaction_id, amount=body.amount, currency=body.currency
        )
        return json_response(TransactionOut.model_validate(txn).model_dump(mode="json"))

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


STATUS_QUERY = Query(description="only payments in this status")
CreatedFrom = Annotated[datetime | None, Query(alias="from", description="created at or after (ISO 8601)")]
CreatedTo = Annotated[datetime | None, Query(alias="to", description="created before (ISO 8601)")]
# bounded by PostgreSQL's bigint: a larger number is a 422 naming the field, not an overflow in the driver
AmountMin = Annotated[int | None, Query(ge=0, le=2**63 - 1, description="at least this amount, in paise")]
AmountMax = Annotated[int | None, Query(ge=0, le=2**63 - 1, description="at most this amount, in paise")]
Search = Annotated[
    str | None,
    Query(
        max_length=200,
        description="a payment id (pay_…), transaction id, order id or its receipt, or a customer's email or "
        "phone, matched exactly",
    ),
]


def _filter(
    status: str | None,
    created_from: datetime | None,
    created_to: datetime | None,
    amount_min: int | None,
    amount_max: int | None,
    q: str | None,
) -> TransactionFilter:
    return TransactionFilter(
        status=status,
        created_from=created_from,
        created_to=created_to,
        amount_min=amount_min,
        amount_max=amount_max,
        text=q,
    )


@router.get(
    "/transactions",
    response_model=TransactionList,
    summary="Your transactions in this mode, newest first: filters by status, dates, amount and a search box "
    "(cursor-paginated)",
)
async def list_transactions(
    merchant: CurrentMerchant,
    session: ReadSession,
    status: Annotated[Literal[values(TransactionStatus)] | None, STATUS_QUERY] = None,  # type: ignore[valid-type]
    created_from: CreatedFrom = None,
    created_to: CreatedTo = None,
    amount_min: AmountMin = None,
    amount_max: AmountMax = None,
    q: Search = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: str | None = None,
) -> TransactionList:
    rows, next_cursor = await payment_service.list(
        session,
        merchant,
        _filter(status, created_from, created_to, amount_min, amount_max, q),
        limit=limit,
        cursor=cursor,
    )
    return TransactionList(items=[TransactionOut.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/transactions.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}, 422: {"description": "VALIDATION_ERROR"}},
    summary="Your transactions in this mode as CSV, with the list's filters (newest first, up to a million "
    "rows, streamed; times in IST)",
)
async def transactions_csv(
    merchant: CurrentMerchant,
    status: Annotated[Literal[values(TransactionStatus)] | None, STATUS_QUERY] = None,  # type: ignore[valid-type]
    created_from: CreatedFrom = None,
    created_to: CreatedTo = None,
    amount_min: AmountMin = None,
    amount_max: AmountMax = None,
    q: Search = None,
) -> StreamingResponse:
    flt = _filter(status, created_from, created_to, amount_min, amount_max, q)
    batches = payment_service.export_for_merchant(
        merchant, flt
    )  # a bad filter is refused here, before a byte
    stamp = datetime.now(IST).strftime("%Y%m%d-%H%M")
    return StreamingResponse(
        csv_stream(batches, IST, MERCHANT_COLUMNS),
        media_type="text/csv; charset=utf-8",
        headers={
            "content-disposition": f'attachment; filename="transactions-{merchant.mode}-{stamp}.csv"',
            "cache-control": "no-store",
        },
    )


__all__ = ["router", "AppError"]
