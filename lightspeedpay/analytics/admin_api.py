"""The operator's payment analytics (bearer admin token): every merchant's payments, or one merchant's."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from lightspeedpay.analytics.params import Params
from lightspeedpay.analytics.schemas import AnalyticsReport
from lightspeedpay.analytics.service import analytics_service
from lightspeedpay.errors import AnalyticsQueryInvalid, AnalyticsRangeTooLong, AnalyticsTooManyBuckets
from lightspeedpay.identity.deps import operator_guard
from lightspeedpay.kit.responses import json_response
from lightspeedpay.sessions import ReadSession

router = APIRouter(
    prefix="/api/v1/admin/analytics",
    tags=["admin: analytics"],
    dependencies=[operator_guard("analytics")],
    responses={401: {"description": "UNAUTHORIZED: missing or wrong admin token"}},
)


@router.get(
    "",
    response_model=AnalyticsReport,
    responses={
        400: {
            "description": f"{AnalyticsQueryInvalid.code}, {AnalyticsRangeTooLong.code} (over 180 days) or "
            f"{AnalyticsTooManyBuckets.code}; `field` names the parameter"
        }
    },
    summary="Payments' volume, count, success rate, average ticket and top failure reasons, by gateway, "
    "provider, merchant, method or status, in 5-minute, hour or IST-day buckets, beside the previous period",
)
async def admin_analytics(
    session: ReadSession,
    params: Params,
    merchant_id: Annotated[str | None, Query(description="one merchant's payments only")] = None,
) -> Response:
    q = analytics_service.query(**params.__dict__, client_id=merchant_id)
    return json_response(await analytics_service.report(session, q))


__all__ = ["router"]
