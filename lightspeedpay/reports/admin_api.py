"""The operator's health reports (bearer admin token): the latest or one day's, and the list."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from lightspeedpay.identity.deps import operator_guard
from lightspeedpay.models import HealthReport
from lightspeedpay.reports.schemas import HealthReportList, HealthReportOut, HealthReportSummary
from lightspeedpay.reports.service import health_report_service
from lightspeedpay.sessions import ReadSession

router = APIRouter(
    prefix="/api/v1/admin/reports",
    tags=["admin: reports"],
    dependencies=[operator_guard("reports")],
    responses={401: {"description": "UNAUTHORIZED: missing or wrong admin token"}},
)


def summary(r: HealthReport) -> HealthReportSummary:
    b = r.body
    return HealthReportSummary(
        id=r.id,
        period_date=r.period_date,
        generated_at=r.generated_at,
        payments=b["payments"]["total"],
        success_rate=b["payments"]["success_rate"],
        volume=b["payments"]["volume"],
        commission=b["commission"]["net"],
        alerts_open=b["alerts"]["open"],
        intents_failed=b["queues"]["intents_failed_in_period"],
        webhook_success_rate=b["webhooks"]["success_rate"],
    )


@router.get(
    "/health",
    response_model=HealthReportOut,
    responses={404: {"description": "REPORT_NOT_FOUND"}, 422: {"description": "VALIDATION_ERROR"}},
    summary="The daily system health report: the latest, or the one of ?date=YYYY-MM-DD (an IST day)",
)
async def health_report(
    session: ReadSession,
    day: Annotated[date | None, Query(alias="date", description="the IST day the report is about")] = None,
) -> HealthReportOut:
    return HealthReportOut.model_validate(await health_report_service.get(session, day=day))


@router.get(
    "/health/history",
    response_model=HealthReportList,
    responses={422: {"description": "VALIDATION_ERROR"}},
    summary="Every stored health report, newest first, with its headline figures",
)
async def health_reports(
    session: ReadSession,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 30,
    cursor: str | None = None,
) -> HealthReportList:
    rows, next_cursor = await health_report_service.page(
        session, date_from=date_from, date_to=date_to, limit=limit, cursor=cursor
    )
    return HealthReportList(items=[summary(r) for r in rows], next_cursor=next_cursor)


__all__ = ["router"]
