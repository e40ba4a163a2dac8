"""The native merchant payments API: `/api/v1/pay` and transaction reads."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.auth.signature import CurrentMerchant
from lightspeedpay.db import sessionmaker
from lightspeedpay.errors import AppError, NoGatewayAvailable, NotFound, ValidationFailed
from lightspeedpay.errors import MerchantSuspended as MerchantSuspendedError
from lightspeedpay.kit.parsing import parse_json
from lightspeedpay.kit.responses import json_response
from lightspeedpay.models.transaction import TRANSACTION_STATUSES
from lightspeedpay.payments.repository import TransactionFilter
from lightspeedpay.payments.schemas import PayRequest, PayResponse, TransactionList, TransactionOut
from lightspeedpay.payments.service import payment_service

router = APIRouter(prefix="/api/v1", tags=["payments"])


async def read_session() -> AsyncIterator[AsyncSession]:
    async with sessionmaker()() as session:
        yield session


ReadSession = Annotated[AsyncSession, Depends(read_session)]
_SIGNED = [{"X-Client-Key": []}]


@router.post(
    "/pay", status_code=201, response_model=PayResponse,
    responses={**MerchantSuspendedError.openapi(), **NoGatewayAvailable.openapi(), 409: {"description":
               "DUPLICATE_ORDER_ID"}, 401: {"description": "INVALID_SIGNATURE / STALE_TIMESTAMP"}},
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
        "schema": PayRequest.model_json_schema(ref_template="#/components/schemas/{model}"),
        "example": {"amount": 49900, "order_id": "ORD-1001", "currency": "INR",
                    "customer": {"name": "Asha", "email": "asha@example.com", "phone": "+919876543210"}}}}}},
    summary="Start a payment; answers at once, the PSP order is created in the background",
)
async def pay(request: Request, merchant: CurrentMerchant) -> Response:
    body = parse_json(PayRequest, request.state.raw_body)
    transaction_id = await payment_service.initiate(merchant, body)
    return json_response({"transaction_id": str(transaction_id), "status": "created"}, status_code=201)


@router.get("/transactions/{transaction_id}", response_model=TransactionOut)
async def get_transaction(transaction_id: str, merchant: CurrentMerchant, session: ReadSession) -> TransactionOut:
    try:
        tid = uuid.UUID(transaction_id)
    except ValueError:
        raise NotFound("No transaction with this id belongs to your account.", field="transaction_id") from None
    return TransactionOut.model_validate(await payment_service.get(session, merchant, tid))


@router.get("/transactions", response_model=TransactionList)
async def list_transactions(
    merchant: CurrentMerchant, session: ReadSession,
    status: Annotated[Literal[TRANSACTION_STATUSES] | None, Query()] = None,  # type: ignore[valid-type]
    created_from: Annotated[datetime | None, Query(alias="from")] = None,
    created_to: Annotated[datetime | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: str | None = None,
) -> TransactionList:
    try:
        rows, next_cursor = await payment_service.list(
            session, merchant, TransactionFilter(status=status, created_from=created_from, created_to=created_to),
            limit=limit, cursor=cursor)
    except (ValueError, TypeError):
        raise ValidationFailed("cursor is not one this API returned.", field="cursor") from None
    return TransactionList(items=[TransactionOut.model_validate(r) for r in rows], next_cursor=next_cursor)


__all__ = ["router", "AppError"]
