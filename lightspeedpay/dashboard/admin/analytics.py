"""Payment analytics for operators: volume, count, success rate and top failure reasons, grouped by gateway,
provider, merchant or method, over a preset range (30 minutes to 180 days) or a custom one in the person's zone,
with the previous period of the same length beside the current one (charts, tiles of the change, a table of
groups). One question to `analytics_service.report`, as GET /api/v1/admin/analytics asks it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lightspeedpay.analytics.service import analytics_service
from lightspeedpay.dashboard import charts, errors, i18n, web
from lightspeedpay.errors import (
    AnalyticsQueryInvalid,
    AnalyticsRangeTooLong,
    AnalyticsTooManyBuckets,
    AppError,
)
from lightspeedpay.gateways.service import gateway_service
from lightspeedpay.identity.deps import Operator, operator_requires
from lightspeedpay.models.gateway import Provider
from lightspeedpay.models.transaction import PaymentMethod
from lightspeedpay.sessions import ReadSession

router = APIRouter()
_ = web._lazy
Reader = Annotated[Operator, operator_requires("analytics:read")]

RANGES = {
    "30m": _("Last 30 minutes"),
    "1h": _("Last hour"),
    "24h": _("Last 24 hours"),
    "7d": _("Last 7 days"),
    "30d": _("Last 30 days"),
    "90d": _("Last 90 days"),
    "180d": _("Last 180 days"),
    "custom": _("Custom"),
}
DEFAULT_RANGE = "24h"
BUCKETS = {"": _("Automatic"), "5m": _("5 minutes"), "1h": _("Hour"), "1d": _("Day")}
GROUPS = {
    "gateway": _("Gateway"),
    "provider": _("Provider"),
    "merchant": _("Merchant"),
    "method": _("Method"),
}
METHODS = [m.value for m in PaymentMethod] + ["unknown"]
GROUP_LIMIT = 20
PREVIOUS_STYLE = {"dash": [6, 4], "width": 1.5}

errors.CODE_MESSAGES.update(
    {
        "INVALID_ANALYTICS_QUERY": _(
            "This question cannot be answered as asked. Check the highlighted choice."
        ),
        "RANGE_TOO_LONG": _("At most 180 days can be shown at once."),
        "TOO_MANY_BUCKETS": _("Too many points for this range. Pick a larger bucket."),
    }
)


def _choices(request: Request) -> dict[str, str]:
    q = request.query_params
    chosen = {
        "range": q.get("range") or DEFAULT_RANGE,
        "from": q.get("from") or "",
        "to": q.get("to") or "",
        "bucket": q.get("bucket") or "",
        "group": q.get("group") or "gateway",
        "gateway": q.get("gateway") or "",
        "provider": q.get("provider") or "",
        "method": q.get("method") or "",
        "merchant": (q.get("merchant") or "").strip(),
    }
    if chosen["range"] not in RANGES:
        chosen["range"] = DEFAULT_RANGE
    if chosen["group"] not in GROUPS:
        chosen["group"] = "gateway"
    if chosen["bucket"] not in BUCKETS:
        chosen["bucket"] = ""
    return chosen


def _question(chosen: dict[str, str]) -> dict[str, Any]:
    """The service's query: a preset range back from now, or from/to read in the person's zone."""
    start = end = span = None
    if chosen["range"] == "custom":
        since, until = i18n.parse_local(chosen["from"]), i18n.parse_local(chosen["to"])
        if since is None:
            raise AnalyticsQueryInvalid("Give the start of a custom range (From).", field="from")
        if chosen["to"] and until is None:
            raise AnalyticsQueryInvalid("To is not a date and time.", field="to")
        start = since.isoformat()
        end = until.isoformat() if until is not None else None
    else:
        span = chosen["range"]
    return {
        "start": start,
        "end": end,
        "span": span,
        "bucket": chosen["bucket"] or None,
        "group_by": chosen["group"],
        "currency": None,
        "gateway_id": chosen["gateway"] or None,
        "provider": chosen["provider"] or None,
        "method": chosen["method"] or None,
        "client_id": chosen["merchant"] or None,
        "limit": GROUP_LIMIT,
    }


def _chart(x: list[int], label: str, now: list[Any], before: list[Any]) -> str:
    return charts.spec(
        x,
        [
            (i18n.gettext(_("This period")), now),
            (i18n.gettext(_("Previous period")), before),
        ],
        x_label=label,
        styles=[None, {**PREVIOUS_STYLE, "color": "#94a3b8"}],
    )


def _view(report: dict[str, Any]) -> dict[str, Any]:
    """What the page draws of a report: charts of the current period with the previous beside it (at the same
    offset into its period), the failure reasons and groups paired with their previous figures."""
    now, before = report["current"], report["previous"]
    x = [charts.unix(b) for b in now["series"]["bucket"]]
    time_label = i18n.gettext(_("Time"))
    previous_reasons = {r["code"]: r["count"] for r in before["top_failure_reasons"]}
    return {
        "periods": [
            (datetime.fromisoformat(p["from"]), datetime.fromisoformat(p["to"])) for p in (now, before)
        ],
        "count_chart": _chart(x, time_label, now["series"]["count"], before["series"]["count"]),
        "volume_chart": _chart(
            x,
            time_label,
            [v / 100 for v in now["series"]["volume"]],
            [v / 100 for v in before["series"]["volume"]],
        ),
        "rate_chart": _chart(x, time_label, now["series"]["success_rate"], before["series"]["success_rate"]),
        "reasons": [
            {**r, "previous": previous_reasons.get(r["code"], 0)} for r in now["top_failure_reasons"]
        ],
        "groups": list(zip(now["groups"], before["groups"], strict=True)),
    }


@router.get("/admin/analytics", summary="Analytics")
async def analytics_page(request: Request, operator: Reader, session: ReadSession) -> HTMLResponse:
    chosen = _choices(request)
    report = view = problem = None
    try:
        report = await analytics_service.report(session, analytics_service.query(**_question(chosen)))
        view = _view(report)
    except (AnalyticsQueryInvalid, AnalyticsRangeTooLong, AnalyticsTooManyBuckets) as exc:
        problem = exc  # the form stays, with the reason beside it
    context: dict[str, Any] = {
        "chosen": chosen,
        "report": report,
        "view": view,
        "problem": problem,
        "problem_message": errors.message_for(problem) if isinstance(problem, AppError) else None,
        "ranges": RANGES,
        "buckets": BUCKETS,
        "groups": GROUPS,
        "gateways": await gateway_service.all(session),
        "providers": [p.value for p in Provider],
        "methods": METHODS,
    }
    return web.page(request, "admin/analytics.html", context, operator=operator)
