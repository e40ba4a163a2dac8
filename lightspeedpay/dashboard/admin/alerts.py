"""The operator's alerts: open, acknowledged and resolved tabs with filters, keyset pages, new alerts arriving live
from the alerts stream, and acknowledge or resolve (with a note) in place, through the alert service the JSON API
uses (so each action leaves the same audit row)."""

from __future__ import annotations

import urllib.parse
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.alerts.admin_api import alert_uuid
from lightspeedpay.alerts.repository import AlertFilter
from lightspeedpay.alerts.service import alert_service
from lightspeedpay.dashboard import errors, web
from lightspeedpay.errors import ValidationFailed
from lightspeedpay.gateways.service import gateway_service
from lightspeedpay.identity.deps import Operator, operator_requires
from lightspeedpay.models import Alert
from lightspeedpay.models.alert import AlertKind, AlertSeverity, AlertStatus
from lightspeedpay.sessions import ReadSession, WriteSession

router = APIRouter()
_ = web._lazy
Reader = Annotated[Operator, operator_requires("alerts:read")]
Writer = Annotated[Operator, operator_requires("alerts:write")]
PAGE_SIZE = 25

TABS = (
    (AlertStatus.OPEN.value, _("Open")),
    (AlertStatus.ACKNOWLEDGED.value, _("Acknowledged")),
    (AlertStatus.RESOLVED.value, _("Resolved")),
)
SEVERITIES = {
    AlertSeverity.CRITICAL.value: _("Critical"),
    AlertSeverity.WARNING.value: _("Warning"),
    AlertSeverity.INFO.value: _("Info"),
}
KINDS = {
    AlertKind.GATEWAY_DOWN.value: _("Gateway down"),
    AlertKind.PAYMENT_FAILURE_RATE.value: _("Payment failure rate"),
    AlertKind.PAYMENTS_PENDING.value: _("Payments pending too long"),
    AlertKind.QUEUE_BACKLOG.value: _("Queue backlog"),
    AlertKind.JOB_FAILED.value: _("Job failed"),
    AlertKind.LEDGER_INVARIANT.value: _("Ledger invariant broken"),
    AlertKind.WEBHOOK_ENDPOINT_DISABLED.value: _("Webhook endpoint disabled"),
    AlertKind.MERCHANT_SUSPENDED.value: _("Merchant suspended"),
    AlertKind.WORKER_DOWN.value: _("Worker down"),
    AlertKind.SCHEDULER_DOWN.value: _("Scheduler down"),
}

# the alert service's refusals, in the person's language (errors.render shows the English detail beside them)
errors.CODE_MESSAGES.update(
    {
        "ALERT_NOT_FOUND": _("This alert does not exist."),
        "ALERT_ALREADY_ACKNOWLEDGED": _("Someone has already acknowledged this alert."),
        "ALERT_ALREADY_RESOLVED": _("This alert is already resolved."),
    }
)


def _uuid(raw: str | None, field: str) -> uuid.UUID | None:
    if not raw:
        return None
    try:
        return uuid.UUID(raw.strip())
    except ValueError:
        raise ValidationFailed(f"{field} must be a UUID.", field=field) from None


def _filter(request: Request) -> tuple[dict[str, str], AlertFilter]:
    """The page's GET form as the alert service's filter; unknown choices are ignored, a malformed id refused."""
    q = request.query_params
    chosen = {
        "status": q.get("status") or AlertStatus.OPEN.value,
        "severity": q.get("severity") or "",
        "kind": (q.get("kind") or "").strip()[:100],
        "gateway": q.get("gateway") or "",
        "merchant": (q.get("merchant") or "").strip(),
    }
    if chosen["status"] not in dict(TABS):
        chosen["status"] = AlertStatus.OPEN.value
    if chosen["severity"] not in SEVERITIES:
        chosen["severity"] = ""
    flt = AlertFilter(
        status=chosen["status"],
        severity=chosen["severity"] or None,
        kind=chosen["kind"] or None,
        gateway_id=_uuid(chosen["gateway"], "gateway"),
        client_id=_uuid(chosen["merchant"], "merchant"),
    )
    return chosen, flt


async def _listing(request: Request, session: AsyncSession) -> dict[str, Any]:
    chosen, flt = _filter(request)
    cursor = request.query_params.get("cursor") or None
    rows, next_cursor = await alert_service.page(session, flt, limit=PAGE_SIZE, cursor=cursor)
    gateway_names, merchant_names = await alert_service.names(session, rows)
    return {
        "chosen": chosen,
        "alerts": rows,
        "next_cursor": next_cursor,
        "paged": cursor is not None,
        "gateway_names": gateway_names,
        "merchant_names": merchant_names,
        "severities": SEVERITIES,
        "kinds": KINDS,
        "tabs": TABS,
        "live_query": str(request.url.query),
    }


@router.get("/admin/alerts", summary="Alerts")
async def alerts_page(request: Request, operator: Reader, session: ReadSession) -> HTMLResponse:
    context = await _listing(request, session)
    context["gateways"] = await gateway_service.all(session)
    return web.page(request, "admin/alerts.html", context, operator=operator)


@router.get("/admin/alerts/live", summary="The alerts list, for the live refresh")
async def alerts_live(request: Request, operator: Reader, session: ReadSession) -> HTMLResponse:
    return web.fragment(
        request, "admin/_alerts_live.html", await _listing(request, session), operator=operator
    )


async def _answer(
    request: Request, session: AsyncSession, operator: Operator, alert: Alert, next_path: str, done: str
) -> Response:
    """An action's answer: the list the person was looking at, drawn again with this change in it (an alert
    acknowledged leaves the open tab at once, whatever the stream does), or back to the list without JS."""
    if not web.is_htmx(request):
        return RedirectResponse(web.safe_next(next_path), status_code=303)
    query = urllib.parse.urlsplit(web.safe_next(next_path)).query
    listed = Request({**request.scope, "query_string": query.encode()}, request.receive)
    context = await _listing(listed, session)
    return web.fragment(
        request, "admin/_alert_done.html", {**context, "a": alert, "done": done}, operator=operator
    )


def _note(note: str) -> str | None:
    text = note.strip()
    if len(text) > 2000:
        raise ValidationFailed("The note may be at most 2,000 characters.", field="note")
    return text or None


@router.post("/admin/alerts/{alert_id}/ack", summary="Acknowledge an alert from the console")
async def acknowledge(
    request: Request,
    alert_id: str,
    operator: Writer,
    session: WriteSession,
    note: Annotated[str, Form(max_length=4000)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/admin/alerts",
) -> Response:
    alert = await alert_service.acknowledge(
        session, alert_uuid(alert_id), actor=operator.actor, note=_note(note)
    )
    return await _answer(request, session, operator, alert, next, "acknowledged")


@router.post("/admin/alerts/{alert_id}/resolve", summary="Resolve an alert from the console")
async def resolve(
    request: Request,
    alert_id: str,
    operator: Writer,
    session: WriteSession,
    note: Annotated[str, Form(max_length=4000)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/admin/alerts",
) -> Response:
    alert = await alert_service.resolve_by(
        session, alert_uuid(alert_id), actor=operator.actor, note=_note(note)
    )
    return await _answer(request, session, operator, alert, next, "resolved")
