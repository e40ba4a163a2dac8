"""The platform's health for operators: system status (every component's state and last check, live from the
status stream, with the recent changes) and the workers (each process's queues, heartbeat age and state, live
from the workers stream, with the scheduler's leader and recent runs)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.dashboard import web
from lightspeedpay.identity.deps import Operator, operator_requires
from lightspeedpay.monitoring.service import scheduler_dict, worker_health_service
from lightspeedpay.monitoring.status import ComponentState, status_checker
from lightspeedpay.sessions import ReadSession, WriteSession

router = APIRouter()
_ = web._lazy
Reader = Annotated[Operator, operator_requires("system:read")]
Writer = Annotated[Operator, operator_requires("system:write")]

STATES = {
    "ok": _("OK"),
    "degraded": _("Degraded"),
    "down": _("Down"),
    "not_configured": _("Not configured"),
    "alive": _("Alive"),
    "stopped": _("Stopped"),
}
COMPONENT_KINDS = {
    "api": _("API"),
    "postgresql": _("PostgreSQL"),
    "redis": _("Redis"),
    "scheduler": _("Scheduler"),
    "queue": _("Workers of queue"),
    "gateway": _("PSP gateway"),
    "whatsapp": _("WhatsApp"),
    "slack": _("Slack"),
    "smtp": _("SMTP"),
}
HISTORY_RANGES = {"1h": _("Last hour"), "24h": _("Last 24 hours"), "7d": _("Last 7 days")}
HISTORY_SPANS = {"1h": timedelta(hours=1), "24h": timedelta(hours=24), "7d": timedelta(days=7)}
RECENT_CHECKS = 24  # the strip of each component's latest checks
HISTORY_LIMIT = 200
RUNS_LIMIT = 20


def _strips(rows: list[ComponentState]) -> dict[str, list[ComponentState]]:
    """Each component's latest checks, oldest first (rows come newest first)."""
    strips: dict[str, list[ComponentState]] = {}
    for row in rows:
        strip = strips.setdefault(row.component, [])
        if len(strip) < RECENT_CHECKS:
            strip.append(row)
    return {name: list(reversed(strip)) for name, strip in strips.items()}


async def _status(session: AsyncSession) -> dict[str, Any]:
    report = await status_checker.latest(session)
    counts: dict[str, int] = {}
    recent: list[ComponentState] = []
    if report is not None:
        for c in report.components:
            counts[c.status] = counts.get(c.status, 0) + 1
        # about RECENT_CHECKS checks of every component (one check every 10 minutes: four hours)
        recent = await status_checker.history(
            session,
            component=None,
            since=datetime.now(UTC) - timedelta(hours=12),
            limit=RECENT_CHECKS * max(len(report.components), 1),
        )
    return {"report": report, "counts": counts, "strips": _strips(recent), "states": STATES}


async def _history(request: Request, session: AsyncSession, components: list[str]) -> dict[str, Any]:
    q = request.query_params
    component = q.get("component") or ""
    span = q.get("range") or ""
    every_check = q.get("all") == "1"
    if component not in components:
        component = ""
    if span not in HISTORY_SPANS:
        span = "24h"
    rows = await status_checker.history(
        session,
        component=component or None,
        since=datetime.now(UTC) - HISTORY_SPANS[span],
        limit=HISTORY_LIMIT,
        changes_only=not every_check,
    )
    chosen = {"component": component, "range": span, "all": every_check}
    return {"history": rows, "chosen": chosen, "ranges": HISTORY_RANGES, "history_limit": HISTORY_LIMIT}


def component_label(name: str) -> tuple[str, str]:
    """("Workers of queue", "refunds") for "queue:refunds"; ("Redis", "") for "redis"."""
    kind, _sep, rest = name.partition(":")
    return COMPONENT_KINDS.get(kind, kind), rest


@router.get("/admin/status", summary="System status")
async def status_page(request: Request, operator: Reader, session: ReadSession) -> HTMLResponse:
    context = await _status(session)
    names = [c.component for c in context["report"].components] if context["report"] else []
    context.update(await _history(request, session, names))
    context["component_label"] = component_label
    return web.page(request, "admin/status.html", context, operator=operator)


@router.get("/admin/status/live", summary="The components' states, for the live refresh")
async def status_live(request: Request, operator: Reader, session: ReadSession) -> HTMLResponse:
    context = await _status(session)
    context["component_label"] = component_label
    return web.fragment(request, "admin/_status_live.html", context, operator=operator)


@router.post("/admin/status/check", summary="Check every component now, from the console")
async def check_now(request: Request, operator: Writer, session: WriteSession) -> Response:
    # as POST /api/v1/system/status/check: the components are asked before the transaction begins
    readings = await status_checker.read()
    await status_checker.record(session, readings)
    if not web.is_htmx(request):
        return RedirectResponse("/admin/status", status_code=303)
    context = await _status(session)
    context["component_label"] = component_label
    return web.fragment(request, "admin/_status_live.html", context, operator=operator)


async def _workers(session: AsyncSession) -> dict[str, Any]:
    now = datetime.now(UTC)
    workers = await worker_health_service.workers(session)
    scheduler = scheduler_dict(await worker_health_service.scheduler(session))
    runs = await worker_health_service.runs(
        session, task=None, since=now - timedelta(hours=24), limit=RUNS_LIMIT
    )
    counts: dict[str, int] = {}
    for w in workers:
        counts[w.state] = counts.get(w.state, 0) + 1
    return {
        "workers": [w.as_dict() for w in workers],
        "counts": counts,
        "scheduler": scheduler,
        "runs": runs,
        "now": now,
        "states": STATES,
    }


@router.get("/admin/workers", summary="Workers and the scheduler")
async def workers_page(request: Request, operator: Reader, session: ReadSession) -> HTMLResponse:
    return web.page(request, "admin/workers.html", await _workers(session), operator=operator)


@router.get("/admin/workers/live", summary="The workers and the scheduler, for the live refresh")
async def workers_live(request: Request, operator: Reader, session: ReadSession) -> HTMLResponse:
    return web.fragment(request, "admin/_workers_live.html", await _workers(session), operator=operator)
