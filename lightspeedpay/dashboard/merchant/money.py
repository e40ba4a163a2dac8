"""The merchant's money: settlements (the list, one with its totals per gateway and line items, its CSV) and the
commission dues (the wallet: balance due against the reminder and suspension thresholds, what suspension means,
the fee rate, the entries behind the balance with the payouts among them, and the last 30 days as a chart).

Through the services of the JSON API (`settlement_service`, `merchant_service`, `ledger_service`), scoped to
the merchant; settlements in the page's mode. Dues come from live payments only (a test payment is charged no
commission), so test mode shows the terms but no entries."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from lightspeedpay.auth.principal import MerchantAuth
from lightspeedpay.dashboard import charts, forms, i18n, web
from lightspeedpay.dashboard.labels import ENTRY_LABELS
from lightspeedpay.dashboard.merchant.guard import merchant_page
from lightspeedpay.errors import ValidationFailed
from lightspeedpay.ledger.service import ledger_service
from lightspeedpay.merchants.service import merchant_service
from lightspeedpay.models.api_credential import Mode
from lightspeedpay.models.settlement import SettlementStatus
from lightspeedpay.sessions import ReadSession
from lightspeedpay.settlements.service import SettlementNotFound, settlement_service

router = APIRouter()
_ = web._lazy
SettlementReader = Annotated[MerchantAuth, merchant_page("settlements:read")]
WalletReader = Annotated[MerchantAuth, merchant_page("wallet:read")]
SETTLEMENTS_PAGE, ENTRIES_PAGE, LINE_ITEMS_SHOWN, CHART_DAYS = 25, 25, 500, 30

SETTLEMENT_STATUSES = {
    SettlementStatus.PENDING: _("Pending"),
    SettlementStatus.PROCESSING: _("Processing"),
    SettlementStatus.COMPLETED: _("Completed"),
    SettlementStatus.FAILED: _("Failed"),
}
SETTLEMENT_BADGES = {
    SettlementStatus.COMPLETED: "badge-ok",
    SettlementStatus.FAILED: "badge-bad",
    SettlementStatus.PROCESSING: "badge-info",
    SettlementStatus.PENDING: "badge-warn",
}
LINE_KINDS = {"payment": _("Payment"), "refund": _("Refund")}


# ---- settlements ------------------------------------------------------------------------------------------------


def _settlement_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise SettlementNotFound(
            "No settlement with this id belongs to your account.", field="settlement_id"
        ) from None


@router.get("/dashboard/{mode}/settlements", summary="Your settlements in this mode")
async def settlements(request: Request, merchant: SettlementReader, session: ReadSession) -> HTMLResponse:
    status = forms.choice(request.query_params.get("status"), list(SETTLEMENT_STATUSES))
    cursor = request.query_params.get("cursor") or None
    try:
        rows, next_cursor = await settlement_service.page(
            session,
            client_id=merchant.id,
            status=status,
            limit=SETTLEMENTS_PAGE,
            cursor=cursor,
            mode=merchant.mode,
        )
    except ValidationFailed:  # a cursor from elsewhere: the newest page
        cursor = None
        rows, next_cursor = await settlement_service.page(
            session,
            client_id=merchant.id,
            status=status,
            limit=SETTLEMENTS_PAGE,
            cursor=None,
            mode=merchant.mode,
        )
    context = {
        "rows": rows,
        "status": status,
        "cursor": cursor,
        "next_cursor": next_cursor,
        "statuses": SETTLEMENT_STATUSES,
        "badges": SETTLEMENT_BADGES,
        "day": i18n.day,
    }
    return web.page(request, "merchant/settlements.html", context, merchant=merchant)


# declared before /settlements/{settlement_id}, which would otherwise take "….csv" as an id
@router.get("/dashboard/{mode}/settlements/{settlement_id}.csv", summary="A settlement's line items as CSV")
async def settlement_csv(settlement_id: str, merchant: SettlementReader, session: ReadSession) -> Response:
    found = await settlement_service.get(
        session, merchant.id, _settlement_id(settlement_id), mode=merchant.mode
    )
    filename, text = await settlement_service.line_items_csv(session, found)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}"', "cache-control": "no-store"},
    )


@router.get("/dashboard/{mode}/settlements/{settlement_id}", summary="A settlement with its line items")
async def settlement(
    settlement_id: str, request: Request, merchant: SettlementReader, session: ReadSession
) -> HTMLResponse:
    found = await settlement_service.get(
        session, merchant.id, _settlement_id(settlement_id), mode=merchant.mode
    )
    items = await settlement_service.line_items(session, found, limit=LINE_ITEMS_SHOWN + 1)
    context = {
        "s": found,
        "gateways": await settlement_service.per_gateway(session, found),
        "items": items[:LINE_ITEMS_SHOWN],
        "items_more": len(items) > LINE_ITEMS_SHOWN,
        "statuses": SETTLEMENT_STATUSES,
        "badges": SETTLEMENT_BADGES,
        "kinds": LINE_KINDS,
        "day": i18n.day,
    }
    return web.page(request, "merchant/settlement.html", context, merchant=merchant)


# ---- dues and wallet --------------------------------------------------------------------------------------------


def _dues_chart(days: list[dict[str, Any]], warn: int, limit: int) -> str:
    return charts.spec(
        [charts.unix(d["start"]) for d in days],
        [
            (i18n.gettext(_("Dues (₹)")), [d["balance"] / 100 for d in days]),
            (i18n.gettext(_("Reminder at (₹)")), [warn / 100] * len(days)),
            (i18n.gettext(_("Payments stop at (₹)")), [limit / 100] * len(days)),
        ],
        x_label=i18n.gettext(_("Day")),
        styles=[None, {"dash": [6, 4], "color": "#b7791f"}, {"dash": [6, 4], "color": "#c53030"}],
    )


@router.get("/dashboard/{mode}/wallet", summary="Commission dues, thresholds and the entries behind them")
async def wallet(request: Request, merchant: WalletReader, session: ReadSession) -> HTMLResponse:
    client, dues = await merchant_service.account(session, merchant.id)
    entry_type = forms.choice(request.query_params.get("type"), list(ENTRY_LABELS))
    cursor = request.query_params.get("cursor") or None
    context: dict[str, Any] = {
        "client": client,
        "wallet": dues,
        "live": merchant.mode == Mode.LIVE,
        "entry_type": entry_type,
        "entry_types": list(ENTRY_LABELS),
        "cursor": cursor,
        "entries": [],
        "next_cursor": None,
        "chart": None,
        # how far the dues are towards suspension (the meter's words)
        "limit_used": max(dues.balance_due, 0) / client.suspend_threshold
        if client.suspend_threshold > 0
        else None,
    }
    if merchant.mode == Mode.LIVE:
        try:
            entries, next_cursor = await ledger_service.entries_page(
                session, merchant.id, type=entry_type, limit=ENTRIES_PAGE, cursor=cursor
            )
        except ValidationFailed:  # a cursor from elsewhere: the newest page
            context["cursor"] = None
            entries, next_cursor = await ledger_service.entries_page(
                session, merchant.id, type=entry_type, limit=ENTRIES_PAGE, cursor=None
            )
        days = await ledger_service.dues_by_day(
            session, merchant.id, balance_due=dues.balance_due, days=CHART_DAYS
        )
        context.update(
            entries=entries,
            next_cursor=next_cursor,
            chart=_dues_chart(days, dues.warn_threshold, client.suspend_threshold),
        )
    return web.page(request, "merchant/wallet.html", context, merchant=merchant)
