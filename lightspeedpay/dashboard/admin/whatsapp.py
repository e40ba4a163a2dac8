"""The WhatsApp log (seed 004's WhatsAppLog): every message to a merchant, newest first, searchable by merchant,
type, state and time (in the person's zone), with the template, its parameters and the delivery state. Read
through `notification_service`, as the JSON API does."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lightspeedpay.dashboard import forms, web
from lightspeedpay.dashboard.whatsapp_texts import STATUSES, TYPES, masked_phone, text_of
from lightspeedpay.identity.deps import Operator, operator_requires
from lightspeedpay.kit.pagination import page_cursor, parse_cursor
from lightspeedpay.notifications.service import NotificationFilter, notification_service
from lightspeedpay.sessions import ReadSession

router = APIRouter()
_ = web._lazy
Reader = Annotated[Operator, operator_requires("whatsapp:read")]
PAGE_SIZE = 50


@router.get("/admin/whatsapp", summary="The WhatsApp message log")
async def whatsapp(request: Request, operator: Reader, session: ReadSession) -> HTMLResponse:
    q = request.query_params
    flt = NotificationFilter(
        merchant=(q.get("merchant") or "").strip()[:100] or None,
        type=forms.choice(q.get("type"), list(TYPES)),
        status=forms.choice(q.get("status"), list(STATUSES)),
        created_from=forms.local_time(q.get("from"), "from"),
        created_to=forms.local_time(q.get("to"), "to"),
    )
    rows = await notification_service.list(
        session, flt, limit=PAGE_SIZE + 1, after=parse_cursor(q.get("cursor") or None)
    )
    next_cursor = page_cursor(rows, PAGE_SIZE, key=lambda r: r[0])
    messages: list[dict[str, Any]] = [
        {"n": n, "company_name": name, "text": text_of(n), "phone": masked_phone(n.to_phone)}
        for n, name in rows[:PAGE_SIZE]
    ]
    context = {
        "flt": flt,
        "filters": dict(q),
        "messages": messages,
        "next_cursor": next_cursor,
        "types": TYPES,
        "statuses": STATUSES,
    }
    return web.page(request, "admin/whatsapp.html", context, operator=operator)
