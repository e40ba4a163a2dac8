"""The operator's alerts (bearer admin token): list and read them at /api/v1/admin/alerts and at seed 003's
/api/v1/alerts; acknowledge and resolve them with a note (audited)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from lightspeedpay.alerts.schemas import AlertList, AlertNote, AlertOut
from lightspeedpay.alerts.service import AlertFilter, alert_service
from lightspeedpay.auth.signature import read_body
from lightspeedpay.errors import AlertAlreadyResolved, AlertNotFound
from lightspeedpay.identity.deps import CurrentAdmin, operator_guard
from lightspeedpay.kit.parsing import parse_json
from lightspeedpay.models.alert import AlertSeverity, AlertStatus
from lightspeedpay.models.base import values
from lightspeedpay.sessions import ReadSession, WriteSession

_AUTH = {
    "dependencies": [operator_guard("alerts")],
    "responses": {401: {"description": "UNAUTHORIZED: missing or wrong admin token"}},
}
router = APIRouter(prefix="/api/v1/admin/alerts", tags=["admin: alerts"], **_AUTH)  # type: ignore[arg-type]
# seed 003's path for the same list, for the operator too
alerts_router = APIRouter(prefix="/api/v1/alerts", tags=["admin: alerts"], **_AUTH)  # type: ignore[arg-type]

_NOTE_BODY = {
    "requestBody": {
        "required": False,
        "content": {
            "application/json": {
                "schema": AlertNote.model_json_schema(),
                "example": {"note": "razorpay_1 confirmed an outage on their status page"},
            }
        },
    }
}


def alert_uuid(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise AlertNotFound() from None


async def _note(request: Request) -> str | None:
    raw = await read_body(request)
    return parse_json(AlertNote, raw).note if raw.strip() else None


async def list_alerts(
    session: ReadSession,
    status: Annotated[
        Literal[(*values(AlertStatus), "unresolved")] | None,  # type: ignore[valid-type]
        Query(description="open, acknowledged, resolved, or unresolved (open or acknowledged)"),
    ] = None,
    severity: Annotated[Literal[values(AlertSeverity)] | None, Query()] = None,  # type: ignore[valid-type]
    kind: Annotated[str | None, Query(max_length=100, description="e.g. gateway.down")] = None,
    gateway_id: uuid.UUID | None = None,
    merchant_id: uuid.UUID | None = None,
    opened_from: Annotated[datetime | None, Query(alias="from", description="opened at or after")] = None,
    opened_to: Annotated[datetime | None, Query(alias="to", description="opened at or before")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> AlertList:
    flt = AlertFilter(
        status=status,
        severity=severity,
        kind=kind,
        gateway_id=gateway_id,
        client_id=merchant_id,
        opened_from=opened_from,
        opened_to=opened_to,
    )
    rows, next_cursor = await alert_service.page(session, flt, limit=limit, cursor=cursor)
    return AlertList(items=[AlertOut.model_validate(a) for a in rows], next_cursor=next_cursor)


async def get_alert(alert_id: str, session: ReadSession) -> AlertOut:
    return AlertOut.model_validate(await alert_service.get(session, alert_uuid(alert_id)))


for _router in (router, alerts_router):
    _router.add_api_route(
        "",
        list_alerts,
        methods=["GET"],
        response_model=AlertList,
        summary="Alerts, newest opened first; filter by status, severity, kind, gateway, merchant, time opened",
    )
    _router.add_api_route(
        "/{alert_id}",
        get_alert,
        methods=["GET"],
        response_model=AlertOut,
        responses=AlertNotFound.openapi(),
        summary="One alert",
    )


@router.post(
    "/{alert_id}/ack",
    response_model=AlertOut,
    responses={
        **AlertNotFound.openapi(),
        409: {"description": "ALERT_ALREADY_ACKNOWLEDGED or ALERT_ALREADY_RESOLVED"},
        422: {"description": "VALIDATION_ERROR"},
    },
    summary="Acknowledge an alert (someone is on it), with an optional note; audited",
    openapi_extra=_NOTE_BODY,
)
async def acknowledge_alert(
    alert_id: str, request: Request, admin: CurrentAdmin, session: WriteSession
) -> AlertOut:
    alert = await alert_service.acknowledge(
        session, alert_uuid(alert_id), actor=admin.actor, note=await _note(request)
    )
    return AlertOut.model_validate(alert)


@router.post(
    "/{alert_id}/resolve",
    response_model=AlertOut,
    responses={
        **AlertNotFound.openapi(),
        **AlertAlreadyResolved.openapi(),
        422: {"description": "VALIDATION_ERROR"},
    },
    summary="Resolve an alert by hand, with an optional note; audited. A condition that still holds is raised "
    "again by its rule as a new alert",
    openapi_extra=_NOTE_BODY,
)
async def resolve_alert(
    alert_id: str, request: Request, admin: CurrentAdmin, session: WriteSession
) -> AlertOut:
    alert = await alert_service.resolve_by(
        session, alert_uuid(alert_id), actor=admin.actor, note=await _note(request)
    )
    return AlertOut.model_validate(alert)


__all__ = ["router", "alerts_router"]
