"""WhatsApp notices: the merchant's usage (signed) and the operator's log (bearer admin token)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from lightspeedpay.identity.deps import CurrentMerchant, merchant_guard, operator_guard
from lightspeedpay.kit.pagination import page_cursor, parse_cursor
from lightspeedpay.models import WhatsAppNotification
from lightspeedpay.models.base import values
from lightspeedpay.models.whatsapp_notification import WhatsAppNotificationStatus, WhatsAppNotificationType
from lightspeedpay.notifications.schemas import NotificationList, NotificationOut, WhatsAppUsage
from lightspeedpay.notifications.service import NotificationFilter, notification_service
from lightspeedpay.sessions import ReadSession

router = APIRouter(
    prefix="/api/v1/merchant/whatsapp", tags=["whatsapp"], dependencies=[merchant_guard("whatsapp")]
)
admin_router = APIRouter(
    prefix="/api/v1/admin/whatsapp",
    tags=["admin: whatsapp"],
    dependencies=[operator_guard("whatsapp")],
    responses={401: {"description": "UNAUTHORIZED: missing or wrong admin token"}},
)


def notification_out(n: WhatsAppNotification, company_name: str | None = None) -> NotificationOut:
    return NotificationOut(
        id=n.id,
        merchant_id=n.client_id,
        company_name=company_name,
        type=n.type,
        template=n.template,
        to_phone=n.to_phone,
        status=n.status,
        attempts=n.attempts,
        parameters=list((n.payload_json or {}).get("parameters", [])),
        provider_message_id=n.provider_message_id,
        error=n.error,
        next_retry_at=n.next_retry_at,
        sent_at=n.sent_at,
        created_at=n.created_at,
    )


@router.get(
    "/usage",
    response_model=WhatsAppUsage,
    summary="WhatsApp notices sent to you: counts by type and status, and the latest ones",
)
async def usage(
    merchant: CurrentMerchant, session: ReadSession, days: Annotated[int, Query(ge=1, le=365)] = 30
) -> WhatsAppUsage:
    phone = await notification_service.whatsapp_phone(session, merchant.id)
    u = await notification_service.usage(session, merchant.id, days=days)
    return WhatsAppUsage(
        whatsapp_phone=phone,
        days=days,
        since=u["since"],
        totals=u["totals"],
        by_type=u["by_type"],
        last_sent_at=u["last_sent_at"],
        recent=[notification_out(n) for n in u["recent"]],
    )


@admin_router.get(
    "",
    response_model=NotificationList,
    summary="Every WhatsApp message, newest first; search by merchant (id or name), type, status and time",
)
async def whatsapp_log(
    session: ReadSession,
    merchant: Annotated[
        str | None, Query(max_length=100, description="merchant id, or part of its name")
    ] = None,
    type: Annotated[Literal[values(WhatsAppNotificationType)] | None, Query()] = None,  # type: ignore[valid-type]
    status: Annotated[Literal[values(WhatsAppNotificationStatus)] | None, Query()] = None,  # type: ignore[valid-type]
    created_from: Annotated[
        AwareDatetime | None, Query(alias="from", description="inclusive; ISO 8601 with a time zone")
    ] = None,
    created_to: Annotated[
        AwareDatetime | None, Query(alias="to", description="exclusive; ISO 8601 with a time zone")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> NotificationList:
    after = parse_cursor(cursor)
    flt = NotificationFilter(
        merchant=merchant, type=type, status=status, created_from=created_from, created_to=created_to
    )
    rows = await notification_service.list(session, flt, limit=limit + 1, after=after)
    next_cursor = page_cursor(rows, limit, key=lambda r: r[0])
    return NotificationList(
        items=[notification_out(n, name) for n, name in rows[:limit]], next_cursor=next_cursor
    )


__all__ = ["router", "admin_router"]
