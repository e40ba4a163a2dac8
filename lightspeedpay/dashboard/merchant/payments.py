"""The merchant's payments in the page's mode: the list (newest first, keyset pages, a search box and filters,
the first page kept live by the console's stream, the filter's CSV), a payment's page with its whole timeline,
and its actions: refund (whole or part) and capture of an authorized payment; and the merchant's refunds.

Every read and action is the JSON API's service (`payment_service`, `refund_service`), scoped to the merchant
and the mode by the service itself. An action runs under an idempotency key, as the API's do: the form carries
a one-time token that is the key, so a form sent twice (a double click, a reload) refunds or captures once and
the second answer is the first's."""

from __future__ import annotations

import urllib.parse
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.auth.principal import MerchantAuth
from lightspeedpay.dashboard import errors, forms, i18n, web
from lightspeedpay.dashboard.labels import REFUND_STATUS_LABELS, STATUS_LABELS
from lightspeedpay.dashboard.merchant.guard import merchant_page
from lightspeedpay.dashboard.timeline import MOMENT_LABELS, gateway_labels, timeline
from lightspeedpay.errors import AppError, ValidationFailed
from lightspeedpay.idempotency import service as idempotency
from lightspeedpay.kit.responses import json_response
from lightspeedpay.models.transaction import TransactionStatus
from lightspeedpay.payments.export import MERCHANT_COLUMNS, csv_stream
from lightspeedpay.payments.schemas import TransactionFilter
from lightspeedpay.payments.service import payment_service
from lightspeedpay.refunds.api import refund_out
from lightspeedpay.refunds.schemas import RefundCreate
from lightspeedpay.refunds.service import refund_service
from lightspeedpay.sessions import ReadSession

router = APIRouter()
_ = web._lazy
Reader = Annotated[MerchantAuth, merchant_page("payments:read")]
Capturer = Annotated[MerchantAuth, merchant_page("payments:write")]
RefundReader = Annotated[MerchantAuth, merchant_page("refunds:read")]
Refunder = Annotated[MerchantAuth, merchant_page("refunds:write")]
PAGE_SIZE = 25
FORM_KEY = "idempotency_key"  # the action forms' one-time token: the action's idempotency key
FILTER_FIELDS = ("q", "status", "from", "to", "amount_min", "amount_max")
SEARCH_MAX = 200  # the search box's longest text (the payments service's own limit)


# ---- the filter, read from the query string ---------------------------------------------------------------------


@dataclass
class Filter:
    flt: TransactionFilter
    values: dict[str, str]  # what the form shows back, and the CSV link repeats
    problems: list[str] = field(default_factory=list)  # what could not be read, in the person's words

    @property
    def active(self) -> bool:
        return any(self.values.values())


def _day(raw: str, label: str, problems: list[str], *, end: bool = False) -> Any:
    """A date field as the start of that day in the person's zone (`end`: the start of the next day)."""
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        problems.append(i18n.gettext(_("%(field)s is not a date.")) % {"field": label})
        return None
    return i18n.parse_local((day + timedelta(days=1) if end else day).isoformat())


def _paise(raw: str, label: str, problems: list[str]) -> int | None:
    if not raw:
        return None
    try:
        return forms.rupees(raw, label)
    except ValidationFailed:
        problems.append(i18n.gettext(_("%(field)s is not an amount in rupees.")) % {"field": label})
        return None


def read_filter(request: Request) -> Filter:
    params = request.query_params
    values = {name: params.get(name, "").strip() for name in FILTER_FIELDS}
    problems: list[str] = []
    if values["status"] not in STATUS_LABELS:
        values["status"] = ""
    created_from = _day(values["from"], i18n.gettext(_("From")), problems)
    created_to = _day(values["to"], i18n.gettext(_("To")), problems, end=True)
    amount_min = _paise(values["amount_min"], i18n.gettext(_("Minimum amount")), problems)
    amount_max = _paise(values["amount_max"], i18n.gettext(_("Maximum amount")), problems)
    if amount_min is not None and amount_max is not None and amount_max < amount_min:
        problems.append(i18n.gettext(_("The maximum amount is less than the minimum; it is left out.")))
        amount_max = None
    if created_from is not None and created_to is not None and created_to <= created_from:
        problems.append(i18n.gettext(_("The last day is before the first; it is left out.")))
        created_to = None
    flt = TransactionFilter(
        status=values["status"] or None,
        created_from=created_from,
        created_to=created_to,
        amount_min=amount_min,
        amount_max=amount_max,
        text=values["q"][:SEARCH_MAX] or None,
    )
    return Filter(flt, values, problems)


def filter_query(found: Filter, **changes: str | None) -> str:
    params = {k: v for k, v in found.values.items() if v}
    for key, value in changes.items():
        if value:
            params[key] = value
        else:
            params.pop(key, None)
    encoded = urllib.parse.urlencode(params)
    return f"?{encoded}" if encoded else ""


# ---- the list ---------------------------------------------------------------------------------------------------


async def _list_context(request: Request, session: AsyncSession, merchant: MerchantAuth) -> dict[str, Any]:
    found = read_filter(request)
    cursor = request.query_params.get("cursor") or None
    try:
        rows, next_cursor = await payment_service.list(
            session, merchant, found.flt, limit=PAGE_SIZE, cursor=cursor
        )
    except ValidationFailed as exc:
        if exc.field != "cursor":
            raise
        cursor = None  # a cursor from elsewhere: the newest page
        rows, next_cursor = await payment_service.list(
            session, merchant, found.flt, limit=PAGE_SIZE, cursor=None
        )
    return {
        "found": found,
        "rows": rows,
        "next_cursor": next_cursor,
        "first_page": cursor is None,
        "filter_query": lambda **changes: filter_query(found, **changes),
        "status_labels": STATUS_LABELS,
    }


@router.get("/dashboard/{mode}/payments", summary="Your payments in this mode")
async def payments(request: Request, merchant: Reader, session: ReadSession) -> HTMLResponse:
    context = await _list_context(request, session, merchant)
    return web.page(request, "merchant/payments.html", context, merchant=merchant)


@router.get("/dashboard/{mode}/payments/rows", summary="The payments list's rows, for the live refresh")
async def payments_rows(request: Request, merchant: Reader, session: ReadSession) -> HTMLResponse:
    context = await _list_context(request, session, merchant)
    return web.fragment(request, "merchant/_payments_rows.html", context, merchant=merchant)


@router.get("/dashboard/{mode}/payments.csv", summary="Your payments of the list's filter, as CSV")
async def payments_csv(request: Request, merchant: Reader) -> StreamingResponse:
    """The JSON API's export (GET /api/v1/transactions.csv): the same filter, batches and columns; times in the
    person's zone."""
    found = read_filter(request)
    if found.problems:
        raise ValidationFailed(" ".join(found.problems))
    batches = payment_service.export_for_merchant(merchant, found.flt)  # a bad filter is refused here
    zone = ZoneInfo(i18n.current().time_zone)  # read now: the stream runs after this handler returns
    stamp = datetime.now(zone).strftime("%Y%m%d-%H%M")
    return StreamingResponse(
        csv_stream(batches, zone, MERCHANT_COLUMNS),
        media_type="text/csv; charset=utf-8",
        headers={
            "content-disposition": f'attachment; filename="payments-{merchant.mode}-{stamp}.csv"',
            "cache-control": "no-store",
        },
    )


# ---- a payment's page -------------------------------------------------------------------------------------------


def _t(message: str, **values: Any) -> str:
    text = i18n.gettext(message)
    return text % values if values else text


async def _payment_context(session: AsyncSession, merchant: MerchantAuth, payment_id: str) -> dict[str, Any]:
    txn = await payment_service.find(session, merchant, payment_id)
    gateways = await gateway_labels(session)
    return {
        "txn": txn,
        "gateway": gateways.get(txn.gateway_id),
        "moments": await timeline(session, txn, gateways, audience="merchant"),
        "refunds": await refund_service.of_payment(session, txn),
        "refundable": await refund_service.refundable(session, txn),
        "capturable": txn.status == TransactionStatus.AUTHORIZED and txn.paid_at is None,
        "refund_limit": refund_service.limit_for(merchant),
        "moment_labels": MOMENT_LABELS,
        "form_token": uuid.uuid4().hex,
        "notice": None,
    }


@router.get("/dashboard/{mode}/payments/{payment_id}", summary="A payment and its timeline")
async def payment(payment_id: str, request: Request, merchant: Reader, session: ReadSession) -> HTMLResponse:
    context = await _payment_context(session, merchant, payment_id)
    done = request.query_params.get("refunded") or request.query_params.get("captured")
    if done:  # back from an action posted without JavaScript
        context["notice"] = await _done_notice(session, merchant, context, done)
    return web.page(request, "merchant/payment.html", context, merchant=merchant)


async def _done_notice(
    session: AsyncSession, merchant: MerchantAuth, context: dict[str, Any], done: str
) -> str | None:
    if done == "1" and context["txn"].paid_at is not None:
        return _t(_("The payment is captured."))
    if not done.startswith("rfnd_"):
        return None
    try:
        made = await refund_service.get(session, merchant, done)
    except AppError:
        return None
    if made.transaction_id != context["txn"].id:
        return None
    return _t(
        _("Refund %(id)s of %(amount)s created; the gateway carries it out in the background."),
        id=made.public_id,
        amount=i18n.inr(made.amount),
    )


@router.get(
    "/dashboard/{mode}/payments/{payment_id}/live",
    summary="A payment's facts and timeline, for the live refresh",
)
async def payment_live(
    payment_id: str, request: Request, merchant: Reader, session: ReadSession
) -> HTMLResponse:
    context = await _payment_context(session, merchant, payment_id)
    return web.fragment(request, "merchant/_payment_live.html", context, merchant=merchant)


def _answer(response: Response) -> tuple[dict[str, Any], bool]:
    """An idempotent call's answer (the API's JSON): its body and whether it is a replay, or the refusal raised
    for the console to show."""
    body = orjson.loads(bytes(response.body))
    if response.status_code >= 400:
        raise errors.Answered(response.status_code, body)
    return body, response.headers.get(idempotency.REPLAYED_HEADER) == "true"


async def _form(request: Request) -> dict[str, str]:
    """The action form's fields, read in the handler: the merchant guard reads the request's body first (as it
    does for the API), which a form parameter would have consumed before it."""
    fields = await request.form()
    return {name: value for name, value in fields.items() if isinstance(value, str) and len(value) <= 1024}


def _form_key(token: str) -> str | None:
    return idempotency.checked_key(token, FORM_KEY) if token else None


async def _acted(
    request: Request, session: AsyncSession, merchant: MerchantAuth, payment_id: str, notice: str, done: str
) -> Response:
    """The answer to an action: the payment's page again (without JavaScript), or its updated parts."""
    if not web.is_htmx(request):
        return RedirectResponse(
            f"{web.merchant_base(merchant.mode)}/payments/{payment_id}?{done}", status_code=303
        )
    context = await _payment_context(session, merchant, payment_id)
    context["notice"] = notice
    return web.fragment(request, "merchant/_payment_acted.html", context, merchant=merchant)


@router.post(
    "/dashboard/{mode}/payments/{payment_id}/refund", summary="Refund a payment, in whole or in part"
)
async def refund(
    payment_id: str,
    request: Request,
    merchant: Refunder,
    session: ReadSession,
) -> Response:
    form = await _form(request)
    paise = None if form.get("kind") == "full" else forms.rupees(form.get("amount"), "amount")
    reason = form.get("reason", "").strip()
    notes = {"reason": reason} if reason else None
    body = forms.validated(RefundCreate, {"amount": paise, "notes": notes})

    async def work(write: AsyncSession) -> Response:
        made, txn = await refund_service.create_for_payment(write, merchant, payment_id, body)
        return json_response(refund_out(made, txn).model_dump(mode="json"), status_code=201)

    made, replayed = _answer(
        await idempotency.run(
            request,
            merchant.id,
            body.model_dump(mode="json"),
            work,
            key_headers=(FORM_KEY,),
            key=_form_key(form.get(FORM_KEY, "")),
        )
    )
    message = (
        _("Refund %(id)s of %(amount)s was already made from this form; nothing more was refunded.")
        if replayed
        else _("Refund %(id)s of %(amount)s created; the gateway carries it out in the background.")
    )
    notice = _t(message, id=made["id"], amount=i18n.inr(made["amount"]))
    return await _acted(request, session, merchant, made["payment_id"], notice, f"refunded={made['id']}")


@router.post("/dashboard/{mode}/payments/{payment_id}/capture", summary="Capture an authorized payment")
async def capture(
    payment_id: str,
    request: Request,
    merchant: Capturer,
    session: ReadSession,
) -> Response:
    form = await _form(request)

    async def work(write: AsyncSession) -> Response:
        txn = await payment_service.capture_transaction(write, merchant, payment_id)  # the authorized amount
        return json_response({"payment_id": txn.payment_id, "status": txn.status, "amount": txn.amount})

    captured, replayed = _answer(
        await idempotency.run(
            request,
            merchant.id,
            {"capture": payment_id},
            work,
            key_headers=(FORM_KEY,),
            key=_form_key(form.get(FORM_KEY, "")),
        )
    )
    message = (
        _("This payment was already captured from this form.")
        if replayed
        else _("Captured %(amount)s: the payment is paid.")
    )
    notice = _t(message, amount=i18n.inr(captured["amount"]))
    return await _acted(request, session, merchant, captured["payment_id"], notice, "captured=1")


# ---- the merchant's refunds -------------------------------------------------------------------------------------


@router.get("/dashboard/{mode}/refunds", summary="Your refunds in this mode")
async def refunds(request: Request, merchant: RefundReader, session: ReadSession) -> HTMLResponse:
    params = request.query_params
    status = forms.choice(params.get("status"), list(REFUND_STATUS_LABELS))
    problems: list[str] = []
    day_from, day_to = params.get("from", "").strip(), params.get("to", "").strip()
    created_from = _day(day_from, i18n.gettext(_("From")), problems)
    created_to = _day(day_to, i18n.gettext(_("To")), problems, end=True)
    if created_from is not None and created_to is not None and created_to <= created_from:
        problems.append(i18n.gettext(_("The last day is before the first; it is left out.")))
        created_to = None
    cursor = params.get("cursor") or None
    try:
        rows, next_cursor = await refund_service.list_for_merchant(
            session,
            merchant,
            status=status,
            created_from=created_from,
            created_to=created_to,
            limit=PAGE_SIZE,
            cursor=cursor,
        )
    except ValidationFailed as exc:
        if exc.field != "cursor":
            raise
        cursor = None  # a cursor from elsewhere: the newest page
        rows, next_cursor = await refund_service.list_for_merchant(
            session,
            merchant,
            status=status,
            created_from=created_from,
            created_to=created_to,
            limit=PAGE_SIZE,
            cursor=None,
        )
    context = {
        "rows": rows,
        "payment_ids": await refund_service.payment_ids(session, rows),
        "status": status,
        "values": {"from": day_from, "to": day_to},
        "problems": problems,
        "cursor": cursor,
        "next_cursor": next_cursor,
        "statuses": list(REFUND_STATUS_LABELS),
    }
    return web.page(request, "merchant/refunds.html", context, merchant=merchant)
