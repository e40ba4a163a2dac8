"""The merchant console's webhooks (Stripe's Workbench webhooks tab, Razorpay's webhook settings): the endpoints,
adding one (its signing secret shown once), editing, switching on and off, deleting; on an endpoint's page, the
secret's rotation (the old secret keeps signing for the grace period), a test event, and the delivery log with the
request and response of every attempt, refreshed live, each finished delivery resendable.

Through `endpoint_service` and `webhook_service`, as `/api/v1/merchant/webhooks` is; they scope every endpoint
and delivery to the merchant (another merchant's id is a 404) and audit each change."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.auth.principal import MerchantAuth
from lightspeedpay.dashboard import errors, forms, i18n, web
from lightspeedpay.dashboard.merchant import actions
from lightspeedpay.dashboard.merchant.guard import merchant_page
from lightspeedpay.errors import ValidationFailed
from lightspeedpay.models.webhook_delivery_attempt import WebhookDeliveryAttemptStatus
from lightspeedpay.sessions import ReadSession, WriteSession
from lightspeedpay.webhooks.endpoint_service import WebhookEndpointNotFound, endpoint_service
from lightspeedpay.webhooks.schemas import EVENT_TYPES, EndpointCreate, EndpointOut, EndpointUpdate
from lightspeedpay.webhooks.service import DeliveryNotFound, webhook_service

router = APIRouter()
_ = web._lazy
Reader = Annotated[MerchantAuth, merchant_page("webhooks:read")]
Writer = Annotated[MerchantAuth, merchant_page("webhooks:write")]
LOG_PAGE = 25

errors.CODE_MESSAGES.setdefault(
    "TOO_MANY_ENDPOINTS", _("You have the most endpoints an account may have. Delete one you no longer use.")
)
errors.CODE_MESSAGES.setdefault(
    "WEBHOOK_URL_NOT_ALLOWED",
    _(
        "This URL cannot receive webhooks: it points at a private or local address. Use a public https:// URL."
    ),
)
errors.CODE_MESSAGES.setdefault(
    "DELIVERY_NOT_RETRYABLE",
    _("This delivery cannot be resent now: it is still being delivered, or the endpoint is switched off."),
)
errors.CODE_MESSAGES.setdefault(
    "NO_ENABLED_ENDPOINT", _("The endpoint is switched off. Switch it on to send it events.")
)

# what each event type means, shown beside its checkbox
EVENT_LABELS: dict[str, str] = {
    "payment.authorized": _("A payment is authorized, waiting for capture"),
    "payment.paid": _("A payment is paid"),
    "payment.failed": _("A payment failed"),
    "payment.expired": _("A payment expired unpaid"),
    "order.paid": _("An order is paid in full"),
    "refund.created": _("A refund is asked for"),
    "refund.processed": _("A refund reached the customer"),
    "refund.failed": _("A refund failed"),
    "settlement.created": _("A settlement is made"),
    "settlement.completed": _("A settlement is paid out"),
    "merchant.suspended": _("Your payments are stopped for dues"),
    "merchant.resumed": _("Your payments are resumed"),
}
assert set(EVENT_LABELS) == set(EVENT_TYPES)
ATTEMPT_STATUSES = {
    WebhookDeliveryAttemptStatus.SUCCEEDED: _("Succeeded"),
    WebhookDeliveryAttemptStatus.FAILED: _("Failed"),
}
TRIGGERS = {"scheduled": _("Scheduled"), "manual": _("Resent"), "test": _("Test event")}
DELIVERY_STATES = {"pending": _("Retrying"), "delivered": _("Delivered"), "failed": _("Gave up")}
LIST_NOTICES = {"deleted": _("The endpoint is deleted. Its deliveries stop.")}
ENDPOINT_NOTICES = {
    "updated": _("The endpoint is saved."),
    "enabled": _("The endpoint is switched on."),
    "disabled": _("The endpoint is switched off: no events are sent to it."),
    "test": _("A test event is on its way. It appears in the log below in a moment."),
    "resent": _("The delivery is resent: its new attempt appears in the log below in a moment."),
}


def webhooks_path(mode: str) -> str:
    return f"{web.merchant_base(mode)}/developers/webhooks"


def _endpoint_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise WebhookEndpointNotFound(
            "No webhook endpoint with this id belongs to your account.", field="endpoint_id"
        ) from None


def _delivery_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise DeliveryNotFound(
            "No delivery with this id belongs to this endpoint.", field="delivery_id"
        ) from None


def _event_types(chosen: list[str]) -> list[str]:
    unknown = [t for t in chosen if t not in EVENT_TYPES]
    if unknown:
        raise ValidationFailed(f"Unknown event type {unknown[0]!r}.", field="event_types")
    return [t for t in EVENT_TYPES if t in chosen]  # in the catalogue's order


async def _list_context(session: AsyncSession, merchant: MerchantAuth) -> dict[str, Any]:
    endpoints = await endpoint_service.list_for_merchant(session, merchant)
    return {
        "endpoints": [endpoint_service.out(e) for e in endpoints],
        "event_labels": EVENT_LABELS,
        "shown": None,
        "form": {"url": "", "description": "", "event_types": []},
    }


@router.get("/dashboard/{mode}/developers/webhooks", summary="Your webhook endpoints")
async def webhooks(request: Request, merchant: Reader, session: ReadSession) -> HTMLResponse:
    context = await _list_context(session, merchant)
    context["notice"] = actions.done_notice(request, LIST_NOTICES)
    return web.page(request, "merchant/webhooks.html", context, merchant=merchant)


@router.post(
    "/dashboard/{mode}/developers/webhooks",
    summary="Add a webhook endpoint; its signing secret is shown once",
)
async def create_endpoint(request: Request, merchant: Writer, session: WriteSession) -> Response:
    body = forms.validated(
        EndpointCreate,
        {
            "url": (await actions.form_text(request, "url", max_length=600)).strip(),
            "event_types": _event_types(await actions.form_list(request, "event_types")),
            "description": (await actions.form_text(request, "description", max_length=300)).strip() or None,
        },
    )
    endpoint, secret = await endpoint_service.create(session, merchant, body)
    context = await _list_context(session, merchant)
    out = endpoint_service.out(endpoint)
    context["shown"] = {**_shown("created", [(_label(out.url), secret, None)]), "endpoint": out}
    return actions.answer(
        request,
        merchant,
        page="merchant/webhooks.html",
        body="merchant/_webhooks_body.html",
        context=context,
        back_to=webhooks_path(merchant.mode),
        shows_secret=True,
        notice=i18n.gettext(_("The endpoint is added.")),
    )


def _endpoint_path(merchant: MerchantAuth, endpoint_id: uuid.UUID) -> str:
    return f"{webhooks_path(merchant.mode)}/{endpoint_id}"


async def _log(
    session: AsyncSession, merchant: MerchantAuth, endpoint_id: uuid.UUID, request: Request
) -> dict[str, Any]:
    q = request.query_params
    event_type = forms.choice(q.get("event_type"), [*EVENT_TYPES, "ping"])
    status = forms.choice(q.get("status"), list(ATTEMPT_STATUSES))
    cursor = q.get("cursor") or None
    found = await webhook_service.deliveries(
        session, merchant, endpoint_id, event_type=event_type, status=status, limit=LOG_PAGE, cursor=cursor
    )
    return {
        "deliveries": [(d, _pretty(d.request.body)) for d in found.items],
        "next_cursor": found.next_cursor,
        "log_filter": {"event_type": event_type, "status": status, "cursor": cursor},
        "log_params": [(k, v) for k, v in (("event_type", event_type), ("status", status)) if v],
        "attempt_statuses": ATTEMPT_STATUSES,
        "triggers": TRIGGERS,
        "delivery_states": DELIVERY_STATES,
    }


def _pretty(body: str | None) -> str:
    """The body as sent, indented when it is JSON (the signature covers the bytes sent, shown beside)."""
    if not body:
        return ""
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body


async def _endpoint_context(
    session: AsyncSession, merchant: MerchantAuth, out: EndpointOut, request: Request
) -> dict[str, Any]:
    return {
        "endpoint": out,
        "event_labels": EVENT_LABELS,
        "shown": None,
        **await _log(session, merchant, out.id, request),
    }


@router.get("/dashboard/{mode}/developers/webhooks/{endpoint_id}", summary="A webhook endpoint and its log")
async def endpoint_page(
    endpoint_id: str, request: Request, merchant: Reader, session: ReadSession
) -> HTMLResponse:
    endpoint = await endpoint_service.get(session, merchant, _endpoint_id(endpoint_id))
    context = await _endpoint_context(session, merchant, endpoint_service.out(endpoint), request)
    context["notice"] = actions.done_notice(request, ENDPOINT_NOTICES)
    return web.page(request, "merchant/webhook.html", context, merchant=merchant)


@router.get(
    "/dashboard/{mode}/developers/webhooks/{endpoint_id}/deliveries",
    summary="An endpoint's delivery log, for the page's live refresh",
)
async def delivery_log(
    endpoint_id: str, request: Request, merchant: Reader, session: ReadSession
) -> HTMLResponse:
    endpoint = await endpoint_service.get(session, merchant, _endpoint_id(endpoint_id))
    context = {
        "endpoint": endpoint_service.out(endpoint),
        **await _log(session, merchant, endpoint.id, request),
    }
    return web.fragment(request, "merchant/_deliveries.html", context, merchant=merchant)


async def _endpoint_answer(
    request: Request,
    session: AsyncSession,
    merchant: MerchantAuth,
    endpoint_id: uuid.UUID,
    done: str,
    *,
    shown: dict[str, Any] | None = None,
) -> Response:
    await session.flush()
    out = endpoint_service.out(await endpoint_service.get(session, merchant, endpoint_id))
    context = await _endpoint_context(session, merchant, out, request)
    context["shown"] = shown
    return actions.answer(
        request,
        merchant,
        page="merchant/webhook.html",
        body="merchant/_webhook_body.html",
        context=context,
        back_to=_endpoint_path(merchant, endpoint_id),
        done=done,
        notice=i18n.gettext(ENDPOINT_NOTICES[done]) if done in ENDPOINT_NOTICES else None,
        shows_secret=shown is not None,
    )


@router.post(
    "/dashboard/{mode}/developers/webhooks/{endpoint_id}",
    summary="Change an endpoint's URL, description and event types",
)
async def update_endpoint(
    endpoint_id: str, request: Request, merchant: Writer, session: WriteSession
) -> Response:
    eid = _endpoint_id(endpoint_id)
    body = forms.validated(
        EndpointUpdate,
        {
            "url": (await actions.form_text(request, "url", max_length=600)).strip(),
            "event_types": _event_types(await actions.form_list(request, "event_types")),
            "description": (await actions.form_text(request, "description", max_length=300)).strip() or None,
        },
    )
    await endpoint_service.update(session, merchant, eid, body)
    return await _endpoint_answer(request, session, merchant, eid, "updated")


@router.post(
    "/dashboard/{mode}/developers/webhooks/{endpoint_id}/enabled",
    summary="Switch an endpoint on or off (off: pending deliveries end failed)",
)
async def switch_endpoint(
    endpoint_id: str, request: Request, merchant: Writer, session: WriteSession
) -> Response:
    eid = _endpoint_id(endpoint_id)
    raw = await actions.form_text(request, "enabled", max_length=10)
    if raw not in ("true", "false"):
        raise ValidationFailed("enabled must be true or false.", field="enabled")
    await endpoint_service.update(session, merchant, eid, EndpointUpdate(enabled=raw == "true"))
    return await _endpoint_answer(request, session, merchant, eid, "enabled" if raw == "true" else "disabled")


@router.post(
    "/dashboard/{mode}/developers/webhooks/{endpoint_id}/delete",
    summary="Delete an endpoint (asked to confirm); its pending deliveries end failed",
)
async def delete_endpoint(
    endpoint_id: str, request: Request, merchant: Writer, session: WriteSession
) -> Response:
    eid = _endpoint_id(endpoint_id)
    await endpoint_service.get(session, merchant, eid)  # another merchant's id: 404 before anything else
    if await actions.form_text(request, "confirm", max_length=10) != "yes":
        raise ValidationFailed(
            "Tick the box to confirm that the endpoint should be deleted.", field="confirm"
        )
    await endpoint_service.delete(session, merchant, eid)
    target = f"{webhooks_path(merchant.mode)}?done=deleted"
    if web.is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


@router.post(
    "/dashboard/{mode}/developers/webhooks/{endpoint_id}/rotate",
    summary="A new signing secret, shown once; the old one keeps signing for the grace period",
)
async def rotate_secret(
    endpoint_id: str, request: Request, merchant: Writer, session: WriteSession
) -> Response:
    eid = _endpoint_id(endpoint_id)
    endpoint, secret = await endpoint_service.rotate(session, merchant, eid)
    until = endpoint_service.out(endpoint).previous_secret_expires_at
    note = None
    if until is not None:
        note = i18n.gettext(
            _(
                "Until %(when)s we sign each delivery with both the new and the old secret, so you can switch at "
                "any time before then."
            )
        ) % {"when": i18n.when(until)}
    shown = _shown("rotated", [(_label(endpoint.url), secret, note)])
    return await _endpoint_answer(request, session, merchant, eid, "rotated", shown=shown)


@router.post(
    "/dashboard/{mode}/developers/webhooks/{endpoint_id}/reveal",
    summary="Show the endpoint's signing secrets in full (after a recent login)",
)
async def reveal_secret(
    endpoint_id: str, request: Request, merchant: Writer, session: WriteSession
) -> Response:
    eid = _endpoint_id(endpoint_id)
    await endpoint_service.get(session, merchant, eid)  # another merchant's id: 404, not a password form

    async def act(m: MerchantAuth) -> Any:
        return await endpoint_service.reveal_secrets(session, m, eid)

    done = await actions.recently(
        request,
        session,
        merchant,
        act,
        post_to=f"{_endpoint_path(merchant, eid)}/reveal",
        target="#webhook-body",
        title=i18n.gettext(_("Showing a signing secret needs a recent login.")),
    )
    if isinstance(done, Response):
        return done
    endpoint, secrets = done
    items = []
    for s in secrets:
        note = None
        if not s.current and s.expires_at is not None:
            note = i18n.gettext(_("The previous secret: it signs deliveries too until %(when)s.")) % {
                "when": i18n.when(s.expires_at)
            }
        items.append((_label(endpoint.url, current=s.current), s.secret, note))
    return await _endpoint_answer(
        request, session, merchant, eid, "revealed", shown=_shown("revealed", items)
    )


def _shown(what: str, secrets: list[tuple[str, str, str | None]]) -> dict[str, Any]:
    """Signing secrets for the page to show, as (label, secret, note). Not "once": the endpoint's page shows them
    again to a person who confirms their password."""
    items = [{"label": label, "secret": secret, "note": note} for label, secret, note in secrets]
    return {"what": what, "once": False, "items": items}


def _label(url: str, *, current: bool = True) -> str:
    if current:
        return i18n.gettext(_("Signing secret of %(url)s")) % {"url": url}
    return i18n.gettext(_("Previous signing secret of %(url)s")) % {"url": url}


@router.post(
    "/dashboard/{mode}/developers/webhooks/{endpoint_id}/test",
    summary="Send the endpoint a signed test event (ping)",
)
async def send_test(endpoint_id: str, request: Request, merchant: Writer, session: WriteSession) -> Response:
    eid = _endpoint_id(endpoint_id)
    await webhook_service.ping(session, merchant, eid)
    return await _endpoint_answer(request, session, merchant, eid, "test")


@router.post(
    "/dashboard/{mode}/developers/webhooks/{endpoint_id}/deliveries/{delivery_id}/retry",
    summary="Send the event of a finished delivery to the endpoint again, now",
)
async def resend(
    endpoint_id: str, delivery_id: str, request: Request, merchant: Writer, session: WriteSession
) -> Response:
    eid, did = _endpoint_id(endpoint_id), _delivery_id(delivery_id)
    await webhook_service.retry(session, merchant, eid, did)
    return await _endpoint_answer(request, session, merchant, eid, "resent")
