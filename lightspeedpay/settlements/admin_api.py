"""The operator's settlements API (bearer admin token): run a day's settlements on demand, list them."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from lightspeedpay.auth.signature import read_body
from lightspeedpay.identity.deps import CurrentAdmin, operator_guard
from lightspeedpay.kit.parsing import parse_json
from lightspeedpay.kit.responses import json_response
from lightspeedpay.models.base import values
from lightspeedpay.models.settlement import SettlementStatus
from lightspeedpay.sessions import ReadSession, WriteSession
from lightspeedpay.settlements.schemas import (
    SettlementList,
    SettlementOut,
    SettlementRunItem,
    SettlementRunRequest,
    SettlementRunResult,
)
from lightspeedpay.settlements.service import settlement_service, today

router = APIRouter(
    prefix="/api/v1/admin/settlements",
    tags=["admin: settlements"],
    dependencies=[operator_guard("settlements")],
    responses={401: {"description": "UNAUTHORIZED: missing or wrong admin token"}},
)


@router.post(
    "/run",
    status_code=202,
    response_model=SettlementRunResult,
    responses={404: {"description": "NOT_FOUND (merchant)"}, 422: {"description": "VALIDATION_ERROR"}},
    summary="Settle a day now (default yesterday), for one merchant or every merchant with something unsettled; "
    "a period already settled is not settled again (a failed one is retried)",
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {
                "application/json": {
                    "schema": SettlementRunRequest.model_json_schema(),
                    "example": {"date": "2026-03-14"},
                }
            },
        }
    },
)
async def run_settlements(request: Request, admin: CurrentAdmin, session: WriteSession) -> Response:
    raw = await read_body(request)
    body = parse_json(SettlementRunRequest, raw) if raw.strip() else SettlementRunRequest()
    results = await settlement_service.run(
        session, day=body.date, client_id=body.merchant_id, actor=admin.actor
    )
    day = results[0][0].period_date if results else (body.date or _yesterday())
    out = SettlementRunResult(
        date=day,
        settlements=[
            SettlementRunItem(id=s.id, merchant_id=s.client_id, status=s.status, created=created)
            for s, created in results
        ],
    )
    return json_response(out.model_dump(mode="json"), status_code=202)


@router.get("", response_model=SettlementList, summary="Settlements of every merchant, newest first")
async def list_settlements(
    session: ReadSession,
    merchant_id: uuid.UUID | None = None,
    status: Annotated[Literal[values(SettlementStatus)] | None, Query()] = None,  # type: ignore[valid-type]
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> SettlementList:
    rows, next_cursor = await settlement_service.page(
        session, client_id=merchant_id, status=status, limit=limit, cursor=cursor
    )
    return SettlementList(items=[SettlementOut.model_validate(s) for s in rows], next_cursor=next_cursor)


def _yesterday() -> date:
    return today() - timedelta(days=1)


__all__ = ["router"]
