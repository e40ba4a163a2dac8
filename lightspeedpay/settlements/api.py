"""The merchant's settlements (signed requests): the list, one settlement with its line items and totals per
gateway, and the same line items as CSV."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from lightspeedpay.identity.deps import CurrentMerchant, merchant_guard
from lightspeedpay.models.base import values
from lightspeedpay.models.settlement import SettlementStatus
from lightspeedpay.sessions import ReadSession
from lightspeedpay.settlements.schemas import (
    GatewayTotals,
    LineItemOut,
    SettlementDetail,
    SettlementList,
    SettlementOut,
)
from lightspeedpay.settlements.service import SettlementNotFound, settlement_service

router = APIRouter(prefix="/api/v1", tags=["settlements"], dependencies=[merchant_guard("settlements")])
_NOT_FOUND = SettlementNotFound.openapi()


def _settlement_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise SettlementNotFound(
            "No settlement with this id belongs to your account.", field="settlement_id"
        ) from None


@router.get("/settlements", response_model=SettlementList, summary="Your settlements, newest first")
async def list_settlements(
    merchant: CurrentMerchant,
    session: ReadSession,
    status: Annotated[Literal[values(SettlementStatus)] | None, Query()] = None,  # type: ignore[valid-type]
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: str | None = None,
) -> SettlementList:
    rows, next_cursor = await settlement_service.page(
        session, client_id=merchant.id, status=status, limit=limit, cursor=cursor, mode=merchant.mode
    )
    return SettlementList(items=[SettlementOut.model_validate(s) for s in rows], next_cursor=next_cursor)


# declared before /settlements/{settlement_id}, which would otherwise take "….csv" as an id
@router.get(
    "/settlements/{settlement_id}.csv",
    responses={200: {"content": {"text/csv": {}}}, **_NOT_FOUND},
    response_class=Response,
    summary="A settlement's line items as CSV",
)
async def settlement_csv(settlement_id: str, merchant: CurrentMerchant, session: ReadSession) -> Response:
    settlement = await settlement_service.get(
        session, merchant.id, _settlement_id(settlement_id), mode=merchant.mode
    )
    filename, text = await settlement_service.line_items_csv(session, settlement)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/settlements/{settlement_id}",
    response_model=SettlementDetail,
    responses=_NOT_FOUND,
    summary="One settlement with its totals per gateway and its line items",
)
async def get_settlement(
    settlement_id: str, merchant: CurrentMerchant, session: ReadSession
) -> SettlementDetail:
    settlement = await settlement_service.get(
        session, merchant.id, _settlement_id(settlement_id), mode=merchant.mode
    )
    gateways = [GatewayTotals(**g) for g in await settlement_service.per_gateway(session, settlement)]
    items = [
        LineItemOut(
            kind=r["item"].kind,
            transaction_id=r["item"].transaction_id,
            order_id=r["order_id"],
            refund_id=r["item"].refund_id,
            gateway_id=r["item"].gateway_id,
            gateway=r["gateway_name"],
            amount=r["item"].amount,
            commission=r["item"].commission,
            net=r["item"].net,
            occurred_at=r["item"].occurred_at,
        )
        for r in await settlement_service.line_items(session, settlement)
    ]
    base = SettlementOut.model_validate(settlement).model_dump()
    return SettlementDetail(**base, gateways=gateways, line_items=items)


__all__ = ["router"]
