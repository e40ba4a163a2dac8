"""A merchant's API usage (seed 001): GET /api/v1/merchant/usage."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from lightspeedpay.identity.deps import CurrentMerchant, merchant_guard
from lightspeedpay.kit.responses import json_response
from lightspeedpay.sessions import ReadSession
from lightspeedpay.usage.schemas import UsageReport
from lightspeedpay.usage.service import usage_service

router = APIRouter(prefix="/api/v1/merchant", tags=["usage"], dependencies=[merchant_guard("usage")])

FromDate = Annotated[
    date | None, Query(alias="from", description="first IST day (default: 6 days before `to`)")
]
ToDate = Annotated[date | None, Query(alias="to", description="last IST day, included (default: today)")]


@router.get(
    "/usage",
    response_model=UsageReport,
    responses={422: {"description": "VALIDATION_ERROR: `from` after `to`, or a range over 92 days"}},
    summary="Your API requests per IST day by route and status, error rate and p50/p95 latency (counts lag by a "
    "few seconds)",
)
async def merchant_usage(
    merchant: CurrentMerchant, session: ReadSession, from_date: FromDate = None, to_date: ToDate = None
) -> Response:
    report = await usage_service.report(session, merchant.id, from_date, to_date)
    return json_response(report.model_dump(mode="json", by_alias=True))
