"""The operator's overview: payments per minute, success rate, today's volume, open alerts, queue backlog and
the gateways at a glance, with charts of the last hour and day; refreshed live as payments change."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.alerts.repository import AlertFilter
from lightspeedpay.alerts.service import alert_service
from lightspeedpay.analytics.service import analytics_service
from lightspeedpay.dashboard import charts, i18n, web
from lightspeedpay.gateways.service import gateway_service
from lightspeedpay.identity.deps import Operator, operator_requires
from lightspeedpay.queue_admin.service import queue_admin_service
from lightspeedpay.sessions import ReadSession

router = APIRouter()
_ = web._lazy
OverviewReader = Annotated[Operator, operator_requires("payments:read")]
IST = ZoneInfo("Asia/Kolkata")


async def _report(session: AsyncSession, **params: Any) -> dict[str, Any]:
    query = analytics_service.query(
        start=params.get("start"),
        end=None,
        span=params.get("span"),
        bucket=params["bucket"],
        group_by=None,
        currency=None,
        limit=10,
    )
    return await analytics_service.report(session, query)


def _since_midnight(series: dict[str, Any]) -> dict[str, int]:
    """Today's (IST) volume and successes: the last day's hourly buckets that start at or after midnight (a third
    report for them cost as much as the other two together)."""
    midnight = datetime.now(IST).replace(hour=0, minute=0, second=0, microsecond=0)
    today = [i for i, start in enumerate(series["bucket"]) if datetime.fromisoformat(start) >= midnight]
    return {
        "volume": sum(series["volume"][i] for i in today),
        "succeeded": sum(series["succeeded"][i] for i in today),
    }


async def _figures(session: AsyncSession, frame: web.Frame) -> dict[str, Any]:
    hour = await _report(session, span="1h", bucket="5m")
    day = await _report(session, span="24h", bucket="1h")
    hour_series, day_series = hour["current"]["series"], day["current"]["series"]
    figures: dict[str, Any] = {
        "per_minute": hour["current"]["totals"]["count"] / 60,
        "hour": hour["current"]["totals"],
        "today": _since_midnight(day_series),
        "hour_chart": charts.spec(
            [charts.unix(b) for b in hour_series["bucket"]],
            [
                (i18n.gettext(_("Payments")), hour_series["count"]),
                (i18n.gettext(_("Succeeded")), hour_series["succeeded"]),
                (i18n.gettext(_("Failed")), hour_series["failed"]),
            ],
        ),
        "day_chart": charts.spec(
            [charts.unix(b) for b in day_series["bucket"]],
            [
                (i18n.gettext(_("Payments")), day_series["count"]),
                (i18n.gettext(_("Succeeded")), day_series["succeeded"]),
                (i18n.gettext(_("Failed")), day_series["failed"]),
            ],
        ),
        "alerts": None,
        "queues": None,
        "gateways": None,
    }
    if frame.can("alerts:read"):
        alerts, _more = await alert_service.page(
            session, AlertFilter(status="unresolved"), limit=5, cursor=None
        )
        figures["alerts"] = alerts
    if frame.can("queues:read"):
        queues = await queue_admin_service.overview(session)
        figures["queues"] = {
            "waiting": sum(
                q.counts.waiting + q.counts.prioritized + q.counts.delayed for q in queues if q.counts
            ),
            "failed": sum(q.counts.failed for q in queues if q.counts),
            "paused": [q.name for q in queues if q.paused],
            "parked": sum(q.intents.parked for q in queues),
        }
    if frame.can("gateways:read"):
        figures["gateways"] = await gateway_service.health(session, window_minutes=60)
    return figures


@router.get("/admin", summary="Overview")
async def overview(request: Request, operator: OverviewReader, session: ReadSession) -> HTMLResponse:
    frame = web.frame(request, operator)
    return web.page(request, "admin/overview.html", {"f": await _figures(session, frame)}, operator=operator)


@router.get("/admin/overview/live", summary="The overview's figures, for the live refresh")
async def overview_live(request: Request, operator: OverviewReader, session: ReadSession) -> HTMLResponse:
    frame = web.frame(request, operator)
    return web.fragment(
        request, "admin/_overview_live.html", {"f": await _figures(session, frame)}, operator=operator
    )
