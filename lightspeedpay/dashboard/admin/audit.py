"""The audit log: filtered by actor, action, target, merchant and time (in the person's zone), newest first and
keyset-paginated, each entry expandable to its before/after diff, reason, address and request id; any filter as
a streamed CSV. Read through `audit_service` with the JSON API's own filter rules."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from lightspeedpay.dashboard import forms, web
from lightspeedpay.identity.deps import Operator, operator_requires
from lightspeedpay.models import AuditLog
from lightspeedpay.monitoring.audit import AuditFilter, audit_service
from lightspeedpay.monitoring.audit_api import audit_filter
from lightspeedpay.sessions import ReadSession

router = APIRouter()
Reader = Annotated[Operator, operator_requires("audit:read")]
PAGE_SIZE = 50
_TEXT_FILTERS = ("actor", "action", "target_type", "target_id", "request_id")


def _filter(request: Request) -> AuditFilter:
    q = request.query_params
    text = {k: (q.get(k) or "").strip()[:100] or None for k in _TEXT_FILTERS}
    return audit_filter(
        actor=text["actor"],
        action=text["action"],
        target_type=text["target_type"],
        target_id=text["target_id"],
        merchant_id=forms.optional_uuid(q.get("merchant_id"), "merchant_id"),
        request_id=text["request_id"],
        created_from=forms.local_time(q.get("from"), "from"),
        created_to=forms.local_time(q.get("to"), "to"),
    )


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def diff(row: AuditLog) -> list[dict[str, Any]]:
    """Every key of before and after, the changed ones marked."""
    before, after = row.before or {}, row.after or {}
    keys = list(dict.fromkeys([*before, *after]))
    return [
        {
            "key": k,
            "before": _shown(before.get(k)) if k in before else "",
            "after": _shown(after.get(k)) if k in after else "",
            "changed": before.get(k) != after.get(k) or (k in before) != (k in after),
        }
        for k in keys
    ]


@router.get("/admin/audit", summary="The audit log")
async def audit(request: Request, operator: Reader, session: ReadSession) -> HTMLResponse:
    flt = _filter(request)
    rows, next_cursor = await audit_service.page(
        session, flt, limit=PAGE_SIZE, cursor=request.query_params.get("cursor") or None
    )
    context = {
        "entries": [
            {"row": r, "diff": diff(r), "details": _shown(r.details) if r.details else None} for r in rows
        ],
        "next_cursor": next_cursor,
        "filters": dict(request.query_params),
        "flt": flt,
    }
    return web.page(request, "admin/audit.html", context, operator=operator)


@router.get("/admin/audit.csv", summary="The filtered audit log as CSV (streamed)")
async def audit_csv(request: Request, operator: Reader) -> Response:
    flt = _filter(request)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return StreamingResponse(
        audit_service.export_csv(flt),
        media_type="text/csv; charset=utf-8",
        headers={
            "content-disposition": f'attachment; filename="audit-log-{stamp}.csv"',
            "cache-control": "no-store",
        },
    )
