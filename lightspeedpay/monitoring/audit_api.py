"""The operator's audit log (bearer admin token): `GET /api/v1/admin/audit-logs`, filtered, newest first,
keyset-paginated, and as a streamed CSV (`?format=csv` or `/api/v1/admin/audit-logs.csv`)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response, StreamingResponse

from lightspeedpay.errors import ValidationFailed
from lightspeedpay.identity.deps import operator_guard
from lightspeedpay.monitoring.audit import AuditFilter, audit_service
from lightspeedpay.monitoring.schemas import AuditLogList, AuditLogOut
from lightspeedpay.sessions import ReadSession

router = APIRouter(
    prefix="/api/v1/admin",
    tags=["admin: audit log"],
    dependencies=[operator_guard("audit")],
    responses={
        401: {"description": "UNAUTHORIZED: missing or wrong admin token"},
        422: {"description": "VALIDATION_ERROR: a filter is malformed (the `field` names it)"},
    },
)
_PREFIX_ENDS = ("*", ".", ":")


def _exact_or_prefix(value: str | None, field: str) -> tuple[str | None, str | None]:
    """`gateway.updated` is exact; `gateway.`, `merchant:` and `gateway*` are prefixes (a `*` is dropped)."""
    if value is None:
        return None, None
    value = value.strip()
    if not value.rstrip("*"):
        raise ValidationFailed(f"{field} must not be empty.", field=field)
    if "*" in value.rstrip("*"):
        raise ValidationFailed(f"{field} takes `*` only at its end (a prefix).", field=field)
    if value.endswith(_PREFIX_ENDS):
        return None, value.rstrip("*")
    return value, None


def _aware(value: datetime | None, field: str) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValidationFailed(
            f"{field} must carry its time zone, e.g. 2026-03-01T00:00:00+05:30 (IST) or 2026-03-01T00:00:00Z.",
            field=field,
        )
    return value.astimezone(UTC) if value is not None else None


def audit_filter(
    actor: Annotated[
        str | None,
        Query(max_length=100, description="exact (`admin:admin`), or a prefix ending in `:` or `*` (`cli:`)"),
    ] = None,
    action: Annotated[
        str | None,
        Query(
            max_length=100,
            description="exact (`gateway.updated`), or a prefix ending in `.` or `*` (`gateway.`)",
        ),
    ] = None,
    target_type: Annotated[str | None, Query(min_length=1, max_length=50, examples=["gateway"])] = None,
    target_id: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    merchant_id: Annotated[uuid.UUID | None, Query(description="rows about one merchant")] = None,
    request_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    created_from: Annotated[
        datetime | None, Query(alias="from", description="inclusive; ISO 8601 with a time zone")
    ] = None,
    created_to: Annotated[
        datetime | None, Query(alias="to", description="exclusive; ISO 8601 with a time zone")
    ] = None,
) -> AuditFilter:
    actor_exact, actor_prefix = _exact_or_prefix(actor, "actor")
    action_exact, action_prefix = _exact_or_prefix(action, "action")
    start, end = _aware(created_from, "from"), _aware(created_to, "to")
    if start is not None and end is not None and start >= end:
        raise ValidationFailed("to must be after from.", field="to")
    return AuditFilter(
        actor=actor_exact,
        actor_prefix=actor_prefix,
        action=action_exact,
        action_prefix=action_prefix,
        target_type=target_type,
        target_id=target_id,
        client_id=merchant_id,
        request_id=request_id,
        created_from=start,
        created_to=end,
    )


Filter = Annotated[AuditFilter, Depends(audit_filter)]
_CSV_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/csv": {}},
        "description": "a header row, then one row per entry; created_at_utc and created_at_ist (Asia/Kolkata)",
    }
}


def _csv(flt: AuditFilter) -> StreamingResponse:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return StreamingResponse(
        audit_service.export_csv(flt),
        media_type="text/csv; charset=utf-8",
        headers={
            "content-disposition": f'attachment; filename="audit-log-{stamp}.csv"',
            "cache-control": "no-store",
        },
    )


# declared before any /audit-logs/{…} route, which would otherwise take "….csv" as an id
@router.get(
    "/audit-logs.csv",
    response_class=Response,
    responses=_CSV_DOC,
    summary="The filtered audit log as CSV, newest first (streamed)",
)
async def audit_logs_csv(flt: Filter) -> Response:
    return _csv(flt)


@router.get(
    "/audit-logs",
    response_model=AuditLogList,
    responses=_CSV_DOC,
    summary="Who changed what: the audit log, newest first, by actor, action, target, merchant and time; "
    "`format=csv` streams every matching row as CSV",
)
async def audit_logs(
    flt: Filter,
    session: ReadSession,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Response | AuditLogList:
    if format == "csv":
        return _csv(flt)
    rows, next_cursor = await audit_service.page(session, flt, limit=limit, cursor=cursor)
    return AuditLogList(items=[AuditLogOut.model_validate(r) for r in rows], next_cursor=next_cursor)


__all__ = ["router"]
