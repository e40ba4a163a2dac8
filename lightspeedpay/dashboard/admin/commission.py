"""The commission ledger (seed 004's CommissionTable): postings with their legs, totals per merchant per day or
month beside a chart of the last 30 days, payouts and adjustments recorded from the page (a recent login, with a
reason), and the postings of any filter as CSV. Everything through `ledger_service`, as the JSON API does."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.dashboard import charts, errors, forms, i18n, reauth, web
from lightspeedpay.identity.deps import Operator, operator_requires
from lightspeedpay.kit.parsing import from_validation_error
from lightspeedpay.ledger.schemas import AdjustmentCreate, LedgerFilter, PayoutCreate
from lightspeedpay.ledger.service import Recorded, ledger_service
from lightspeedpay.models.ledger_posting import PostingType
from lightspeedpay.sessions import ReadSession, WriteSession

router = APIRouter()
M = TypeVar("M", bound=BaseModel)
_ = web._lazy
Reader = Annotated[Operator, operator_requires("ledger:read")]
Writer = Annotated[Operator, operator_requires("ledger:write")]
PAGE_SIZE = 50
CHART_DAYS = 30
CSV_MAX_ROWS = 1_000_000

# the ledger's refusals, in the person's language (the service's own sentence, with the figures, shown beside)
errors.CODE_MESSAGES.setdefault("PAYOUT_EXCEEDS_DUES", _("The payout is more than the merchant's dues."))
errors.CODE_MESSAGES.setdefault(
    "REFERENCE_CONFLICT", _("This reference was already used for another amount. Use a new reference.")
)

POSTING_TYPES = {
    PostingType.COMMISSION: _("Commission"),
    PostingType.COMMISSION_REVERSAL: _("Commission reversal"),
    PostingType.COMMISSION_PAYOUT: _("Payout"),
    PostingType.ADJUSTMENT: _("Adjustment"),
}
ACCOUNTS = {
    "merchant_dues": _("Merchant dues"),
    "commission_revenue": _("Commission revenue"),
    "cash": _("Cash"),
    "settlement_clearing": _("Settlement clearing"),
    "adjustments": _("Adjustments"),
}


def _filter(request: Request) -> tuple[LedgerFilter, str]:
    q = request.query_params
    flt = LedgerFilter(
        client_id=forms.optional_uuid(q.get("merchant_id"), "merchant_id"),
        type=forms.choice(q.get("type"), list(POSTING_TYPES)),
        created_from=forms.local_time(q.get("from"), "from"),
        created_to=forms.local_time(q.get("to"), "to"),
    )
    period = "month" if q.get("period") == "month" else "day"
    return flt, period


async def _ledger(session: AsyncSession, request: Request) -> dict[str, Any]:
    flt, period = _filter(request)
    rows, legs, next_cursor = await ledger_service.postings_page(
        session, flt, limit=PAGE_SIZE, cursor=request.query_params.get("cursor") or None
    )
    totals = await ledger_service.totals(session, flt, period=period)
    days = await ledger_service.daily_commission(session, days=CHART_DAYS, client_id=flt.client_id)
    chart = charts.spec(
        [charts.unix(d["start"]) for d in days],
        [
            (i18n.gettext(_("Commission (₹)")), [d["commission"] / 100 for d in days]),
            (i18n.gettext(_("Reversed (₹)")), [-d["reversals"] / 100 for d in days]),
        ],
        x_label=i18n.gettext(_("Day")),
    )
    return {
        "flt": flt,
        "period": period,
        "filters": dict(request.query_params),
        "postings": [(p, name, legs[p.id]) for p, name in rows],
        "next_cursor": next_cursor,
        "totals": totals[:200],
        "totals_more": len(totals) > 200,
        "chart": chart,
        "chart_total": sum(d["commission"] + d["reversals"] for d in days),
        "types": POSTING_TYPES,
        "accounts": ACCOUNTS,
    }


@router.get("/admin/commission", summary="The commission ledger")
async def commission(request: Request, operator: Reader, session: ReadSession) -> HTMLResponse:
    return web.page(request, "admin/commission.html", await _ledger(session, request), operator=operator)


@router.get("/admin/commission/postings.csv", summary="The filtered postings with their legs, as CSV")
async def postings_csv(request: Request, operator: Reader) -> Response:
    flt, _period = _filter(request)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return StreamingResponse(
        ledger_service.export_csv(flt, max_rows=CSV_MAX_ROWS),
        media_type="text/csv; charset=utf-8",
        headers={
            "content-disposition": f'attachment; filename="commission-postings-{stamp}.csv"',
            "cache-control": "no-store",
        },
    )


async def _answer(
    request: Request,
    session: AsyncSession,
    operator: Operator,
    record: Any,
    *,
    post_to: str,
    title: str,
) -> Response:
    form = await request.form()
    try:
        recorded: Recorded = await reauth.with_recent_login(
            request,
            session,
            operator,
            lambda op: record(op, form),
            form=form,
            post_to=post_to,
            target="#ledger-action",
            title=title,
        )
    except reauth.NeedsPassword as needs:
        return needs.form
    context = {"recorded": recorded, "types": POSTING_TYPES}
    if not web.is_htmx(request):
        return web.page(request, "admin/commission_recorded.html", context, operator=operator)
    return web.fragment(
        request,
        "admin/_commission_recorded.html",
        context,
        operator=operator,
        headers={"HX-Trigger": "ledger-changed"},
    )


@router.post("/admin/commission/adjustments", summary="Record an adjustment of a merchant's dues")
async def record_adjustment(request: Request, operator: Writer, session: WriteSession) -> Response:
    async def record(op: Operator, form: Any) -> Recorded:
        merchant_id = forms.required_uuid(str(form.get("merchant_id") or ""), "merchant_id")
        body = _valid(
            AdjustmentCreate,
            amount=forms.rupees(str(form.get("amount") or ""), "amount", signed=True),
            reason=str(form.get("reason") or ""),
            reference=str(form.get("reference") or "").strip() or None,
        )
        return await ledger_service.record_adjustment(
            session,
            merchant_id,
            amount=body.amount,
            reason=body.reason,
            reference=body.reference,
            actor=op.actor,
            operator=op,
        )

    return await _answer(
        request,
        session,
        operator,
        record,
        post_to="/admin/commission/adjustments",
        title=i18n.gettext(_("Recording an adjustment needs a recent login.")),
    )


@router.post("/admin/commission/payouts", summary="Record dues paid by a merchant")
async def record_payout(request: Request, operator: Writer, session: WriteSession) -> Response:
    async def record(op: Operator, form: Any) -> Recorded:
        merchant_id = forms.required_uuid(str(form.get("merchant_id") or ""), "merchant_id")
        body = _valid(
            PayoutCreate,
            amount=forms.rupees(str(form.get("amount") or ""), "amount"),
            reference=str(form.get("reference") or "").strip(),
        )
        return await ledger_service.record_payout(
            session,
            merchant_id,
            amount=body.amount,
            reference=body.reference,
            actor=op.actor,
            operator=op,
        )

    return await _answer(
        request,
        session,
        operator,
        record,
        post_to="/admin/commission/payouts",
        title=i18n.gettext(_("Recording a payout needs a recent login.")),
    )


def _valid(model: type[M], **fields: Any) -> M:
    """The JSON API's own body rules (reference pattern, reason required, limits) for the form's fields."""
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        raise from_validation_error(exc) from None
