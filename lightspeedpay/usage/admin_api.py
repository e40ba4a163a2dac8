"""The operator's view of a merchant's API usage: GET /api/v1/admin/merchants/{merchant_id}/usage."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from lightspeedpay.identity.deps import operator_guard
from lightspeedpay.kit.responses import json_response
from lightspeedpay.ledger.admin_api import merchant_uuid
from lightspeedpay.sessions import ReadSession
from lightspeedpay.usage.api import FromDate, ToDate
from lightspeedpay.usage.schemas import UsageReport
from lightspeedpay.usage.service import usage_service

router = APIRouter(
    prefix="/api/v1/admin/merchants", tags=["admin: merchants"], dependencies=[operator_guard("merchants")]
)


@router.get(
    "/{merchant_id}/usage",
    response_model=UsageReport,
    responses={422: {"description": "VALIDATION_ERROR"}},
    summary="A merchant's API requests per IST day by route and status, error rate and p50/p95 latency",
)
async def merchant_usage(
    merchant_id: str, session: ReadSession, from_date: FromDate = None, to_date: ToDate = None
) -> Response:
    report = await usage_service.report(session, merchant_uuid(merchant_id), from_date, to_date)
    return json_response(report.model_dump(mode="json", by_alias=True))
