"""A merchant's own payment analytics (signed requests), at /api/v1/merchant/analytics and seed 003's
/api/v1/analytics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from lightspeedpay.analytics.params import Params
from lightspeedpay.analytics.schemas import AnalyticsReport
from lightspeedpay.analytics.service import analytics_service
from lightspeedpay.errors import AnalyticsQueryInvalid, AnalyticsRangeTooLong, AnalyticsTooManyBuckets
from lightspeedpay.identity.deps import CurrentMerchant, merchant_guard
from lightspeedpay.kit.responses import json_response
from lightspeedpay.sessions import ReadSession

router = APIRouter(prefix="/api/v1", tags=["analytics"], dependencies=[merchant_guard("payments")])
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {
        "description": f"{AnalyticsQueryInvalid.code}, {AnalyticsRangeTooLong.code} (over 180 days) or "
        f"{AnalyticsTooManyBuckets.code}; `field` names the parameter"
    }
}
_SUMMARY = (
    "Your payments' volume, count, success rate, average ticket and top failure reasons, by gateway, provider, "
    "method or status, in 5-minute, hour or IST-day buckets, beside the previous period"
)


@router.get("/merchant/analytics", response_model=AnalyticsReport, responses=_ERRORS, summary=_SUMMARY)
async def merchant_analytics(merchant: CurrentMerchant, session: ReadSession, params: Params) -> Response:
    q = analytics_service.query(**params.__dict__, client_id=merchant.id, merchant_scope=True)
    return json_response(await analytics_service.report(session, q))


@router.get(
    "/analytics", response_model=AnalyticsReport, responses=_ERRORS, summary=_SUMMARY + " (seed 003's path)"
)
async def analytics(merchant: CurrentMerchant, session: ReadSession, params: Params) -> Response:
    return await merchant_analytics(merchant, session, params)


__all__ = ["router"]
