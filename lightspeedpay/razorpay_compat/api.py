"""`/v1/...`: Razorpay's Orders, Payments and Refunds API over our payments domain, so a merchant can point a
Razorpay client library at our base URL. Authenticated with HTTP Basic (client_key : client_salt)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.auth.key_secret import KeySecretMerchant
from lightspeedpay.errors import ValidationFailed
from lightspeedpay.idempotency import service as idempotency
from lightspeedpay.identity.deps import key_secret_guard
from lightspeedpay.kit.openapi import IDEMPOTENCY_HEADERS, REFUND_IDEMPOTENCY_HEADERS, request_body
from lightspeedpay.kit.responses import json_response
from lightspeedpay.models import Order, Refund, Transaction
from lightspeedpay.payments.orders import order_service
from lightspeedpay.payments.schemas import OrderFilter
from lightspeedpay.payments.service import payment_service
from lightspeedpay.razorpay_compat import entities
from lightspeedpay.razorpay_compat.schemas import (
    CaptureRequest,
    OrderCreate,
    RazorpayRefundCreate,
    parse,
    window,
)
from lightspeedpay.refunds.service import refund_service
from lightspeedpay.sessions import ReadSession

router = APIRouter(
    prefix="/v1", tags=["Razorpay-compatible API (/v1)"], dependencies=[key_secret_guard("payments")]
)


_ERROR_EXAMPLE = {
    "error": {
        "code": "BAD_REQUEST_ERROR",
        "description": "The amount must be at least INR 1.00",
        "field": "amount",
        "source": "business",
        "step": "payment_initiation",
        "reason": "input_validation_failed",
        "metadata": {},
    }
}
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {
        "description": "Razorpay's error body; `reason` holds our stable code.",
        "content": {"application/json": {"example": _ERROR_EXAMPLE}},
    },
    401: {"description": "Wrong or missing key id / key secret (BAD_REQUEST_ERROR)."},
}
_POST_ERRORS: dict[int | str, dict[str, Any]] = {
    **_ERRORS,
    409: {"description": "IDEMPOTENCY_KEY_IN_USE: a request with this key is still running."},
    422: {"description": "IDEMPOTENCY_KEY_REUSED: this key was used for a different request."},
}
_ORDER_EXAMPLE = {
    "id": "order_EKwxwAgItmmXdp",
    "entity": "order",
    "amount": 50000,
    "amount_paid": 0,
    "amount_due": 50000,
    "currency": "INR",
    "receipt": "receipt#1",
    "offer_id": None,
    "status": "created",
    "attempts": 0,
    "notes": {"customer": "Asha"},
    "created_at": 1582628071,
}
_PAYMENT_EXAMPLE = {
    "id": "pay_G3P9vcIhRs3NV4",
    "entity": "payment",
    "amount": 50000,
    "currency": "INR",
    "status": "captured",
    "order_id": "order_EKwxwAgItmmXdp",
    "invoice_id": None,
    "international": False,
    "method": None,
    "amount_refunded": 0,
    "refund_status": None,
    "captured": True,
    "description": None,
    "card_id": None,
    "bank": None,
    "wallet": None,
    "vpa": None,
    "email": "asha@example.com",
    "contact": "+919876543210",
    "notes": [],
    "fee": None,
    "tax": None,
    "error_code": None,
    "error_description": None,
    "error_source": None,
    "error_step": None,
    "error_reason": None,
    "acquirer_data": {},
    "created_at": 1582628100,
}
_REFUND_EXAMPLE = {
    "id": "rfnd_FP8DDKxqJif6ca",
    "entity": "refund",
    "amount": 20000,
    "currency": "INR",
    "payment_id": "pay_G3P9vcIhRs3NV4",
    "notes": {"reason": "size exchange"},
    "receipt": "#126",
    "acquirer_data": {"arn": None},
    "created_at": 1597078124,
    "batch_id": None,
    "status": "pending",
    "speed_processed": "normal",
    "speed_requested": "normal",
}


def _ok(example: dict[str, Any], description: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"description": description, "content": {"application/json": {"example": example}}}}


def _list_params(*extra: str) -> dict[str, Any]:
    params = [
        {
            "name": "count",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 10},
        },
        {"name": "skip", "in": "query", "schema": {"type": "integer", "minimum": 0, "default": 0}},
        {
            "name": "from",
            "in": "query",
            "description": "Unix seconds, inclusive",
            "schema": {"type": "integer"},
        },
        {
            "name": "to",
            "in": "query",
            "description": "Unix seconds, inclusive",
            "schema": {"type": "integer"},
        },
    ]
    return {
        "parameters": params + [{"name": name, "in": "query", "schema": {"type": "string"}} for name in extra]
    }


def _collection_example(item: dict[str, Any]) -> dict[str, Any]:
    return {"entity": "collection", "count": 1, "items": [item]}


# --- orders ---------------------------------------------------------------------------------------------


@router.post(
    "/orders",
    summary="Create an order",
    responses={**_ok(_ORDER_EXAMPLE, "The order"), **_POST_ERRORS},
    openapi_extra=request_body(
        OrderCreate,
        {
            "order": {
                "amount": 50000,
                "currency": "INR",
                "receipt": "receipt#1",
                "notes": {"customer": "Asha"},
            }
        },
        headers=IDEMPOTENCY_HEADERS,
    ),
)
async def create_order(request: Request, merchant: KeySecretMerchant) -> Response:
    body: OrderCreate = parse(OrderCreate, request.state.raw_body)

    async def work(session: AsyncSession) -> Response:
        order = await order_service.create(
            session,
            merchant,
            amount=body.amount,
            currency=body.currency,
            receipt=body.receipt,
            notes=body.notes if isinstance(body.notes, dict) else None,  # Razorpay's empty notes are []
        )
        return json_response(entities.order_entity(order))

    return await idempotency.run(request, merchant.id, body.model_dump(mode="json"), work)


@router.get(
    "/orders",
    summary="List orders, newest first",
    responses={**_ok(_collection_example(_ORDER_EXAMPLE), "A collection of orders"), **_ERRORS},
    openapi_extra=_list_params("receipt", "authorized"),
)
async def list_orders(request: Request, merchant: KeySecretMerchant, session: ReadSession) -> Response:
    win = window(request, extra=("receipt", "authorized"))
    authorized = request.query_params.get("authorized")
    if authorized not in (None, "0", "1", "true", "false"):
        raise ValidationFailed("The authorized must be 0 or 1.", field="authorized")
    flt = OrderFilter(
        receipt=request.query_params.get("receipt"),
        authorized=None if authorized is None else authorized in ("1", "true"),
    )
    orders = await order_service.page(session, merchant, win, flt)
    return json_response(entities.collection([entities.order_entity(o) for o in orders]))


@router.get(
    "/orders/{order_id}", summary="Fetch an order", responses={**_ok(_ORDER_EXAMPLE, "The order"), **_ERRORS}
)
async def get_order(
    order_id: Annotated[str, Path(examples=["order_EKwxwAgItmmXdp"])],
    merchant: KeySecretMerchant,
    session: ReadSession,
) -> Response:
    return json_response(entities.order_entity(await order_service.get(session, merchant, order_id)))


@router.get(
    "/orders/{order_id}/payments",
    summary="The payments (attempts) of an order",
    responses={**_ok(_collection_example(_PAYMENT_EXAMPLE), "A collection of payments"), **_ERRORS},
    openapi_extra=_list_params(),
)
async def order_payments(
    order_id: str, request: Request, merchant: KeySecretMerchant, session: ReadSession
) -> Response:
    txns = await order_service.payments(session, merchant, order_id, window(request))
    return json_response(entities.payments(txns, await order_service.public_ids(session, txns)))


# --- payments -------------------------------------------------------------------------------------------


async def _payment_json(session: AsyncSession, txn: Transaction) -> dict[str, Any]:
    order = await session.get(Order, txn.parent_order_id) if txn.parent_order_id else None
    return entities.payment_entity(txn, order.public_id if order else None)


@router.get(
    "/payments",
    summary="List payments, newest first",
    responses={**_ok(_collection_example(_PAYMENT_EXAMPLE), "A collection of payments"), **_ERRORS},
    openapi_extra=_list_params(),
)
async def list_payments(request: Request, merchant: KeySecretMerchant, session: ReadSession) -> Response:
    txns = await payment_service.page(session, merchant, window(request))
    return json_response(entities.payments(txns, await order_service.public_ids(session, txns)))


@router.get(
    "/payments/{payment_id}",
    summary="Fetch a payment",
    responses={**_ok(_PAYMENT_EXAMPLE, "The payment"), **_ERRORS},
)
async def get_payment(
    payment_id: Annotated[str, Path(examples=["pay_G3P9vcIhRs3NV4"])],
    merchant: KeySecretMerchant,
    session: ReadSession,
) -> Response:
    txn = await payment_service.by_payment_id(session, merchant, payment_id)
    return json_response(await _payment_json(session, txn))


@router.post(
    "/payments/{payment_id}/capture",
    summary="Capture an authorized payment (amount must match)",
    responses={**_ok({**_PAYMENT_EXAMPLE, "status": "captured"}, "The captured payment"), **_POST_ERRORS},
    openapi_extra=request_body(
        CaptureRequest, {"capture": {"amount": 50000, "currency": "INR"}}, headers=IDEMPOTENCY_HEADERS
    ),
)
async def capture_payment(payment_id: str, request: Request, merchant: KeySecretMerchant) -> Response:
    body: CaptureRequest = parse(CaptureRequest, request.state.raw_body)

    async def work(session: AsyncSession) -> Response:
        txn = await payment_service.capture(
            session, merchant, payment_id, amount=body.amount, currency=body.currency
        )
        return json_response(await _payment_json(session, txn))

    return await idempotency.run(request, merchant.id, body.model_dump(mode="json"), work)


@router.post(
    "/payments/{payment_id}/refund",
    dependencies=[key_secret_guard("refunds")],
    summary="Refund a captured payment, fully or in part",
    responses={**_ok(_REFUND_EXAMPLE, "The refund, pending until the PSP processes it"), **_POST_ERRORS},
    openapi_extra=request_body(
        RazorpayRefundCreate,
        {
            "partial": {
                "amount": 20000,
                "speed": "normal",
                "notes": {"reason": "size exchange"},
                "receipt": "#126",
            },
            "full": {},
        },
        required=False,
        headers=REFUND_IDEMPOTENCY_HEADERS,
    ),
)
async def refund_payment(payment_id: str, request: Request, merchant: KeySecretMerchant) -> Response:
    body: RazorpayRefundCreate = parse(RazorpayRefundCreate, request.state.raw_body, empty_is_object=True)

    async def work(session: AsyncSession) -> Response:
        refund, txn = await refund_service.create_for_payment(session, merchant, payment_id, body)
        return json_response(entities.refund_entity(refund, txn.payment_id))

    return await idempotency.run(
        request,
        merchant.id,
        body.model_dump(mode="json"),
        work,
        key_headers=(idempotency.HEADER, idempotency.REFUND_HEADER),
    )


@router.get(
    "/payments/{payment_id}/refunds",
    dependencies=[key_secret_guard("refunds")],
    summary="The refunds of a payment",
    responses={**_ok(_collection_example(_REFUND_EXAMPLE), "A collection of refunds"), **_ERRORS},
    openapi_extra=_list_params(),
)
async def payment_refunds(
    payment_id: str, request: Request, merchant: KeySecretMerchant, session: ReadSession
) -> Response:
    refunds = await refund_service.page(session, merchant, window(request), payment_id=payment_id)
    return json_response(await _refunds_json(session, refunds))


# --- refunds --------------------------------------------------------------------------------------------


async def _refunds_json(session: AsyncSession, refunds: list[Refund]) -> dict[str, Any]:
    payment_ids = await refund_service.payment_ids(session, refunds)
    return entities.collection([entities.refund_entity(r, payment_ids[r.transaction_id]) for r in refunds])


@router.get(
    "/refunds",
    dependencies=[key_secret_guard("refunds")],
    summary="List refunds, newest first",
    responses={**_ok(_collection_example(_REFUND_EXAMPLE), "A collection of refunds"), **_ERRORS},
    openapi_extra=_list_params(),
)
async def list_refunds(request: Request, merchant: KeySecretMerchant, session: ReadSession) -> Response:
    return json_response(
        await _refunds_json(session, await refund_service.page(session, merchant, window(request)))
    )


@router.get(
    "/refunds/{refund_id}",
    dependencies=[key_secret_guard("refunds")],
    summary="Fetch a refund",
    responses={**_ok(_REFUND_EXAMPLE, "The refund"), **_ERRORS},
)
async def get_refund(
    refund_id: Annotated[str, Path(examples=["rfnd_FP8DDKxqJif6ca"])],
    merchant: KeySecretMerchant,
    session: ReadSession,
) -> Response:
    refund = await refund_service.get(session, merchant, refund_id)
    return json_response((await _refunds_json(session, [refund]))["items"][0])
