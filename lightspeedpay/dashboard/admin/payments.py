"""The operator's payments: search by any id, filters and quick views, keyset pages kept live by the transactions
stream, a CSV export of any filter (streamed), and a payment's page with its whole timeline and a refund action.

The queries are the payments service's (`search`, `export`); the refund is the operators' refund service call,
the same as POST /api/v1/admin/payments/{payment_id}/refunds."""

from __future__ import annotations

import urllib.parse
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.dashboard import forms, i18n, web
from lightspeedpay.dashboard.labels import STATUS_LABELS, status_badge
from lightspeedpay.dashboard.timeline import MOMENT_LABELS, timeline
from lightspeedpay.errors import ValidationFailed
from lightspeedpay.gateways.adapters import providers
from lightspeedpay.gateways.service import gateway_service
from lightspeedpay.identity.deps import Operator, operator_requires
from lightspeedpay.models.api_credential import Mode
from lightspeedpay.payments.export import csv_stream
from lightspeedpay.payments.schemas import (
    FAILED_STATUSES,
    PENDING_TOO_LONG_MINUTES,
    REFUNDED_STATUSES,
    SUCCEEDED_STATUSES,
    PaymentSearch,
)
from lightspeedpay.payments.service import payment_service
from lightspeedpay.refunds.schemas import RefundCreate
from lightspeedpay.refunds.service import refund_service
from lightspeedpay.sessions import ReadSession, WriteSession

router = APIRouter()
_ = web._lazy
Reader = Annotated[Operator, operator_requires("payments:read")]
Refunder = Annotated[Operator, operator_requires("payments:write")]
PAGE_SIZE = 50

QUICK_VIEWS: dict[str, str] = {
    "succeeded": _("Succeeded"),
    "failed": _("Failed"),
    "pending": _("Pending over 15 min"),
    "refunded": _("Refunded"),
}
MODE_LABELS: dict[str, str] = {Mode.LIVE: _("Live"), Mode.TEST: _("Test")}
# the filter fields a page's query string may carry (and the CSV link repeats)
FILTER_FIELDS = (
    "q",
    "view",
    "status",
    "gateway",
    "provider",
    "merchant",
    "mode",
    "from",
    "to",
    "amount_min",
    "amount_max",
    "order_id",
    "gateway_txn_id",
    "email",
    "phone",
)


# ---- the filter, read from the query string ---------------------------------------------------------------------


@dataclass
class Filter:
    search: PaymentSearch
    values: dict[str, str]  # what the form shows back
    problems: list[str] = field(default_factory=list)  # fields that could not be read, in the person's words


def _paise(raw: str, label: str, problems: list[str]) -> int | None:
    if not raw:
        return None
    try:
        rupees = Decimal(raw.replace(",", "").replace("₹", "").strip())
    except InvalidOperation:
        rupees = Decimal(-1)
    if not rupees.is_finite() or rupees < 0 or rupees * 100 > forms.MAX_PAISE:
        problems.append(i18n.gettext(_("%(field)s is not an amount in rupees.")) % {"field": label})
        return None
    return int((rupees * 100).to_integral_value())


def read_filter(request: Request) -> Filter:
    params = request.query_params
    values = {name: params.get(name, "").strip() for name in FILTER_FIELDS}
    problems: list[str] = []
    statuses: tuple[str, ...] = ()
    unfinished_before = None
    view = values["view"]
    if view == "succeeded":
        statuses = tuple(SUCCEEDED_STATUSES)
    elif view == "failed":
        statuses = tuple(FAILED_STATUSES)
    elif view == "refunded":
        statuses = tuple(REFUNDED_STATUSES)
    elif view == "pending":
        unfinished_before = datetime.now(UTC) - timedelta(minutes=PENDING_TOO_LONG_MINUTES)
    else:
        values["view"] = ""
    if values["status"] in STATUS_LABELS:
        statuses = (values["status"],) if not statuses or values["status"] in statuses else ("-",)
    else:
        values["status"] = ""
    gateway_id = None
    if values["gateway"]:
        try:
            gateway_id = uuid.UUID(values["gateway"])
        except ValueError:
            values["gateway"] = ""
    created_from, created_to = i18n.parse_local(values["from"]), i18n.parse_local(values["to"])
    for name, parsed, label in (("from", created_from, _("From")), ("to", created_to, _("To"))):
        if values[name] and parsed is None:
            problems.append(
                i18n.gettext(_("%(field)s is not a date and time.")) % {"field": i18n.gettext(label)}
            )
    search = PaymentSearch(
        text=values["q"] or None,
        order_id=values["order_id"] or None,
        merchant=values["merchant"] or None,
        gateway_txn_id=values["gateway_txn_id"] or None,
        email=values["email"] or None,
        phone=values["phone"] or None,
        statuses=statuses,
        gateway_id=gateway_id,
        provider=values["provider"] if values["provider"] in providers() else None,
        mode=values["mode"] if values["mode"] in MODE_LABELS else None,
        created_from=created_from,
        created_to=created_to,
        amount_min=_paise(values["amount_min"], i18n.gettext(_("Minimum amount")), problems),
        amount_max=_paise(values["amount_max"], i18n.gettext(_("Maximum amount")), problems),
        unfinished_before=unfinished_before,
    )
    return Filter(search, values, problems)


def filter_query(flt: Filter, **changes: str | None) -> str:
    """The filter's query string (only the fields set), with some changed: for quick views, pages and CSV."""
    params = {k: v for k, v in flt.values.items() if v}
    for key, value in changes.items():
        if value:
            params[key] = value
        else:
            params.pop(key, None)
    encoded = urllib.parse.urlencode(params)
    return f"?{encoded}" if encoded else ""


# ---- the list ---------------------------------------------------------------------------------------------------


async def _list_context(request: Request, session: AsyncSession) -> dict[str, Any]:
    flt = read_filter(request)
    after, before = request.query_params.get("after"), request.query_params.get("before")
    try:
        found = await payment_service.search(session, flt.search, limit=PAGE_SIZE, after=after, before=before)
    except ValidationFailed:  # a cursor from elsewhere: start again at the newest
        after = before = None
        found = await payment_service.search(session, flt.search, limit=PAGE_SIZE)
    return {
        "flt": flt,
        "found": found,
        "first_page": not after and not (before and found.previous_cursor),
        "filter_query": lambda **changes: filter_query(flt, **changes),
        "quick_views": QUICK_VIEWS,
        "status_labels": STATUS_LABELS,
        "mode_labels": MODE_LABELS,
        "status_badge": status_badge,
    }


@router.get("/admin/payments", summary="Payments")
async def payments(request: Request, operator: Reader, session: ReadSession) -> HTMLResponse:
    context = await _list_context(request, session)
    context["gateways"] = sorted(await gateway_service.all(session), key=lambda g: g.name)
    context["providers"] = providers()
    return web.page(request, "admin/payments.html", context, operator=operator)


@router.get("/admin/payments/rows", summary="The payments list's rows, for the live refresh")
async def payments_rows(request: Request, operator: Reader, session: ReadSession) -> HTMLResponse:
    context = await _list_context(request, session)
    return web.fragment(request, "admin/_payments_rows.html", context, operator=operator)


# ---- the CSV export ---------------------------------------------------------------------------------------------


@router.get("/admin/payments.csv", summary="The payments of a filter, as CSV")
async def payments_csv(request: Request, operator: Reader) -> StreamingResponse:
    flt = read_filter(request)
    if flt.problems:
        raise ValidationFailed(" ".join(flt.problems))
    zone = ZoneInfo(i18n.current().time_zone)  # read now: the stream runs after this handler returns
    stamp = datetime.now(zone).strftime("%Y%m%d-%H%M")
    return StreamingResponse(
        csv_stream(payment_service.export(flt.search), zone),
        media_type="text/csv; charset=utf-8",
        headers={
            "content-disposition": f'attachment; filename="payments-{stamp}.csv"',
            "cache-control": "no-store",
        },
    )


# ---- a payment's page -------------------------------------------------------------------------------------------


def _t(message: str, **values: Any) -> str:
    text = i18n.gettext(message)
    return text % values if values else text


async def _payment_context(session: AsyncSession, payment_id: str) -> dict[str, Any]:
    txn = await payment_service.find_for_operator(session, payment_id)
    gateways = {g.id: g for g in await gateway_service.all(session)}
    merchant = (await payment_service.merchant_names(session, {txn.client_id})).get(txn.client_id, "")
    labels = {g.id: (g.name, g.provider) for g in gateways.values()}
    return {
        "txn": txn,
        "merchant": merchant,
        "gateway": gateways.get(txn.gateway_id),
        "moments": await timeline(session, txn, labels),
        "refundable": await refund_service.refundable(session, txn),
        "moment_labels": MOMENT_LABELS,
        "status_labels": STATUS_LABELS,
        "mode_labels": MODE_LABELS,
        "status_badge": status_badge,
    }


@router.get("/admin/payments/{payment_id}", summary="A payment and its timeline")
async def payment(payment_id: str, request: Request, operator: Reader, session: ReadSession) -> HTMLResponse:
    context = await _payment_context(session, payment_id)
    return web.page(request, "admin/payment.html", context, operator=operator)


@router.get(
    "/admin/payments/{payment_id}/live", summary="A payment's facts and timeline, for the live refresh"
)
async def payment_live(
    payment_id: str, request: Request, operator: Reader, session: ReadSession
) -> HTMLResponse:
    context = await _payment_context(session, payment_id)
    return web.fragment(request, "admin/_payment_live.html", context, operator=operator)


@router.post("/admin/payments/{payment_id}/refund", summary="Refund a payment on the merchant's behalf")
async def refund(
    payment_id: str,
    request: Request,
    operator: Refunder,
    session: WriteSession,
    amount: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    problems: list[str] = []
    paise = _paise(amount, i18n.gettext(_("Amount")), problems)
    if problems or paise == 0:
        raise ValidationFailed(" ".join(problems) or "The amount must be more than zero.", field="amount")
    notes = {"reason": reason.strip()} if reason.strip() else None
    made, txn = await refund_service.create_for_operator(
        session,
        payment_id,
        RefundCreate.model_validate({"amount": paise, "notes": notes}),
        actor=operator.actor,
        role=operator.role,
        reason=reason.strip() or None,
    )
    if not web.is_htmx(request):
        return RedirectResponse(f"/admin/payments/{txn.payment_id}", status_code=303)
    await session.flush()
    context = await _payment_context(session, txn.payment_id)
    context["notice"] = _t(
        _("Refund %(id)s of %(amount)s created; the PSP carries it out in the background."),
        id=made.public_id,
        amount=i18n.inr(made.amount),
    )
    return web.fragment(request, "admin/_payment_refund.html", context, operator=operator)
