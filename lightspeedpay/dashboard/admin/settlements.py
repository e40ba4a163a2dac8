"""Settlements: the runs (one per settled day) with their states and totals, a run's settlements per merchant,
one settlement with its line items, "run now" (confirmed first) and a run's settlements as CSV. Everything
through `settlement_service`, as the JSON API does."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from lightspeedpay.dashboard import forms, web
from lightspeedpay.errors import NotFound
from lightspeedpay.identity.deps import Operator, operator_requires
from lightspeedpay.models.settlement import SettlementStatus
from lightspeedpay.sessions import ReadSession, WriteSession
from lightspeedpay.settlements.service import settlement_service, today

router = APIRouter()
_ = web._lazy
Reader = Annotated[Operator, operator_requires("settlements:read")]
Writer = Annotated[Operator, operator_requires("settlements:write")]
RUNS_PAGE, SETTLEMENTS_PAGE, LINE_ITEMS_SHOWN = 30, 50, 500

STATUSES = {
    SettlementStatus.PENDING: _("Pending"),
    SettlementStatus.PROCESSING: _("Processing"),
    SettlementStatus.COMPLETED: _("Completed"),
    SettlementStatus.FAILED: _("Failed"),
}
KINDS = {"payment": _("Payment"), "refund": _("Refund")}


def _day(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise NotFound("No settlement run for this day.", field="period_date") from None


async def _runs(request: Request, session: Any) -> dict[str, Any]:
    before = forms.optional_date(request.query_params.get("before"), "before")
    runs, next_before = await settlement_service.runs(session, limit=RUNS_PAGE, before=before)
    busy = any(r["pending"] or r["processing"] for r in runs)
    return {"runs": runs, "next_before": next_before, "before": before, "busy": busy, "statuses": STATUSES}


@router.get("/admin/settlements", summary="Settlement runs")
async def settlements(request: Request, operator: Reader, session: ReadSession) -> HTMLResponse:
    context = {
        **await _runs(request, session),
        "yesterday": today() - timedelta(days=1),
        "today": today(),
    }
    return web.page(request, "admin/settlements.html", context, operator=operator)


@router.get("/admin/settlements/runs-table", summary="The runs table, for the live refresh")
async def runs_table(request: Request, operator: Reader, session: ReadSession) -> HTMLResponse:
    return web.fragment(
        request, "admin/_settlement_runs.html", await _runs(request, session), operator=operator
    )


def _run_request(day: str | None, merchant_id: str | None) -> tuple[date, uuid.UUID | None]:
    chosen = forms.optional_date(day, "date") or today() - timedelta(days=1)
    return chosen, forms.optional_uuid(merchant_id, "merchant_id")


@router.get("/admin/settlements/run", summary="Confirm a settlement run before it starts")
async def confirm_run(
    request: Request, operator: Writer, date: str | None = None, merchant_id: str | None = None
) -> HTMLResponse:
    day, merchant = _run_request(date, merchant_id)
    context = {"day": day, "merchant_id": merchant}
    if web.is_htmx(request):
        return web.fragment(request, "admin/_settlement_confirm.html", context, operator=operator)
    return web.page(request, "admin/settlement_confirm.html", context, operator=operator)


@router.post("/admin/settlements/run", summary="Run a day's settlements now")
async def run_now(
    request: Request,
    operator: Writer,
    session: WriteSession,
    date: Annotated[str, Form()] = "",
    merchant_id: Annotated[str, Form()] = "",
) -> Response:
    day, merchant = _run_request(date, merchant_id)
    results = await settlement_service.run(session, day=day, client_id=merchant, actor=operator.actor)
    context = {
        "day": day,
        "created": sum(1 for _s, created in results if created),
        "again": sum(1 for _s, created in results if not created),
    }
    if web.is_htmx(request):
        return web.fragment(
            request,
            "admin/_settlement_ran.html",
            context,
            operator=operator,
            headers={"HX-Trigger": "settlements-changed"},
        )
    return web.page(request, "admin/settlement_confirm.html", {**context, "ran": True}, operator=operator)


@router.get("/admin/settlements/runs/{period_date}.csv", summary="A run's settlements as CSV")
async def run_csv(period_date: str, operator: Reader) -> Response:
    day = _day(period_date)
    return StreamingResponse(
        settlement_service.export_run_csv(day),
        media_type="text/csv; charset=utf-8",
        headers={
            "content-disposition": f'attachment; filename="settlements-{day.isoformat()}.csv"',
            "cache-control": "no-store",
        },
    )


@router.get("/admin/settlements/runs/{period_date}", summary="A run's settlements, per merchant")
async def run_page(
    request: Request, period_date: str, operator: Reader, session: ReadSession
) -> HTMLResponse:
    day = _day(period_date)
    status = forms.choice(request.query_params.get("status"), list(STATUSES))
    rows, next_cursor = await settlement_service.run_page(
        session,
        day,
        status=status,
        limit=SETTLEMENTS_PAGE,
        cursor=request.query_params.get("cursor") or None,
    )
    context = {
        "day": day,
        "rows": rows,
        "status": status,
        "next_cursor": next_cursor,
        "statuses": STATUSES,
        "busy": any(s.status in (SettlementStatus.PENDING, SettlementStatus.PROCESSING) for s, _n in rows),
    }
    return web.page(request, "admin/settlement_run.html", context, operator=operator)


@router.get("/admin/settlements/{settlement_id}", summary="One settlement with its line items")
async def settlement(
    request: Request, settlement_id: str, operator: Reader, session: ReadSession
) -> HTMLResponse:
    sid = forms.optional_uuid(settlement_id, "settlement_id")
    if sid is None:
        raise NotFound("No settlement has this id.", field="settlement_id")
    found = await settlement_service.get_any(session, sid)
    items = await settlement_service.line_items(session, found, limit=LINE_ITEMS_SHOWN + 1)
    context = {
        "s": found,
        "gateways": await settlement_service.per_gateway(session, found),
        "items": items[:LINE_ITEMS_SHOWN],
        "items_more": len(items) > LINE_ITEMS_SHOWN,
        "statuses": STATUSES,
        "kinds": KINDS,
    }
    return web.page(request, "admin/settlement.html", context, operator=operator)
