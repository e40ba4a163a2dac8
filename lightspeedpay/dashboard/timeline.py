"""A payment's timeline, as both consoles show it: what each domain's service knows of the payment (routing,
gateway attempts, PSP events, status changes, ledger postings, refunds, the merchant's webhooks), in time order.

The operator sees all of it. The merchant sees the story of its own payment in its own words: gateways by their
display name and provider only (never an account or credential), its dues rather than the platform's ledger, its
own endpoints' deliveries (the payment is the merchant's, so is every event of it)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.dashboard import i18n, web
from lightspeedpay.dashboard.labels import REFUND_STATUS_LABELS, STATUS_LABELS, status_badge
from lightspeedpay.gateways.service import gateway_service
from lightspeedpay.ledger.service import ledger_service
from lightspeedpay.models import Transaction
from lightspeedpay.psp_events.service import psp_event_service
from lightspeedpay.refunds.service import refund_service
from lightspeedpay.webhooks.service import webhook_service

_ = web._lazy
Audience = Literal["operator", "merchant"]

MOMENT_LABELS: dict[str, str] = {
    "initiation": _("Initiated"),
    "routing": _("Routing"),
    "attempt": _("Gateway"),
    "psp": _("PSP event"),
    "status": _("Status"),
    "ledger": _("Ledger"),
    "refund": _("Refund"),
    "webhook": _("Webhook"),
}


# the webhooks the payment's events sent to the merchant's endpoints: to the operator, "the merchant's"; to the
# merchant, its own (False: the operator's words, True: the merchant's)
_WEBHOOK: dict[bool, dict[str, str]] = {
    False: {
        "pending": _("Merchant webhook %(type)s waiting to be sent"),
        "delivered": _("Merchant webhook %(type)s delivered"),
        "not_sent": _("Merchant webhook %(type)s not sent"),
        "attempt": _("Merchant webhook %(type)s, attempt %(n)s: %(status)s"),
    },
    True: {
        "pending": _("Webhook %(type)s waiting to be sent to you"),
        "delivered": _("Webhook %(type)s delivered to you"),
        "not_sent": _("Webhook %(type)s not sent: no endpoint of yours takes it"),
        "attempt": _("Webhook %(type)s to your endpoint, attempt %(n)s: %(status)s"),
    },
}


@dataclass(frozen=True)
class Moment:
    """One line of a payment's timeline."""

    at: datetime
    kind: str  # initiation, routing, attempt, psp, status, ledger, refund, webhook
    title: str
    detail: str = ""
    tone: str = ""  # a badge class: badge-ok, badge-warn, badge-bad, badge-info


def _t(message: str, **values: Any) -> str:
    text = i18n.gettext(message)
    return text % values if values else text


async def gateway_labels(session: AsyncSession) -> dict[uuid.UUID, tuple[str, str]]:
    """Each gateway's display name and provider: all a timeline names of a gateway."""
    return {g.id: (g.name, g.provider) for g in await gateway_service.all(session)}


async def timeline(
    session: AsyncSession,
    txn: Transaction,
    gateways: Mapping[uuid.UUID, tuple[str, str]],
    *,
    audience: Audience = "operator",
) -> list[Moment]:
    """Everything that happened to a payment, from each domain's service, in time order. `gateways`: display name
    and provider by id (gateway_labels)."""
    merchant = audience == "merchant"

    def gateway_name(gateway_id: uuid.UUID) -> str:
        found = gateways.get(gateway_id)
        return f"{found[0]} ({found[1]})" if found is not None else str(gateway_id)

    moments = [
        Moment(
            txn.created_at,
            "initiation",
            _t(_("Payment initiated: %(amount)s"), amount=i18n.inr(txn.amount)),
            _t(_("Order %(order)s"), order=txn.order_id),
        )
    ]
    attempts = await gateway_service.attempts_of(session, txn.id)
    first_gateway = attempts[0].gateway_id if attempts else txn.gateway_id
    moments.append(
        Moment(
            txn.created_at,
            "routing",
            _t(_("Routed to %(gateway)s"), gateway=gateway_name(first_gateway)),
            _t(_("the routing's pick among the eligible gateways, by priority and success rate")),
        )
    )
    for attempt in attempts:
        tone = {"created": "badge-ok", "declined": "badge-bad"}.get(attempt.outcome, "badge-warn")
        detail = f"{attempt.latency_ms} ms"
        if attempt.error_code:
            detail += f" · {attempt.error_code}: {attempt.error_message or ''}"
        moments.append(
            Moment(
                attempt.created_at,
                "attempt",
                _t(
                    _("Gateway attempt %(n)s on %(gateway)s: %(outcome)s"),
                    n=attempt.attempt,
                    gateway=gateway_name(attempt.gateway_id),
                    outcome=attempt.outcome,
                ),
                detail,
                tone,
            )
        )
    not_processed = _t(_("not processed yet"))
    for psp_event in await psp_event_service.of_transaction(session, txn.id):
        moments.append(
            Moment(
                psp_event.received_at,
                "psp",
                _t(
                    _("PSP event %(type)s from %(provider)s"),
                    type=psp_event.event_type,
                    provider=psp_event.provider,
                ),
                f"{psp_event.external_id} · {psp_event.outcome or not_processed}",
            )
        )
    for posting in await ledger_service.postings_of_transaction(session, txn.id):
        if merchant:
            title = (
                _t(_("Commission of %(amount)s added to your dues"), amount=i18n.inr(posting.amount))
                if posting.amount >= 0
                else _t(_("Commission of %(amount)s taken off your dues"), amount=i18n.inr(-posting.amount))
            )
            detail = _t(_("computed from %(base)s"), base=i18n.inr(posting.subject_amount))
        else:
            title = _t(
                _("Ledger posting %(type)s: %(amount)s"), type=posting.type, amount=i18n.inr(posting.amount)
            )
            detail = _t(
                _("on the merchant's dues; computed from %(base)s"), base=i18n.inr(posting.subject_amount)
            )
        moments.append(Moment(posting.created_at, "ledger", title, detail))
    for refund in await refund_service.of_payment(session, txn):
        moments.append(
            Moment(
                refund.created_at,
                "refund",
                _t(
                    _("Refund %(id)s requested: %(amount)s"),
                    id=refund.public_id,
                    amount=i18n.inr(refund.amount),
                ),
                _t(
                    _("now %(status)s"),
                    status=i18n.gettext(REFUND_STATUS_LABELS.get(refund.status, refund.status)),
                ),
                "badge-info",
            )
        )
        if refund.processed_at is not None:
            moments.append(
                Moment(
                    refund.processed_at,
                    "refund",
                    _t(_("Refund %(id)s processed by the PSP"), id=refund.public_id),
                    refund.gateway_refund_id or "",
                    "badge-ok",
                )
            )
        elif refund.status == "failed":
            moments.append(
                Moment(
                    refund.updated_at,
                    "refund",
                    _t(_("Refund %(id)s failed"), id=refund.public_id),
                    f"{refund.error_code or ''} {refund.error_message or ''}".strip(),
                    "badge-bad",
                )
            )
    for merchant_event, deliveries in await webhook_service.events_of_transaction(session, txn.id):
        if merchant_event.type.startswith("payment."):
            status = merchant_event.type.removeprefix("payment.")
            moments.append(
                Moment(
                    merchant_event.created_at,
                    "status",
                    _t(
                        _("Status changed to %(status)s"),
                        status=i18n.gettext(STATUS_LABELS.get(status, status)),
                    ),
                    "",
                    status_badge(status),
                )
            )
        if not deliveries:
            delivered = merchant_event.status == "delivered"
            if merchant_event.status == "pending":
                title = _t(_WEBHOOK[merchant]["pending"], type=merchant_event.type)
            elif delivered:
                title = _t(_WEBHOOK[merchant]["delivered"], type=merchant_event.type)
            else:
                title = _t(_WEBHOOK[merchant]["not_sent"], type=merchant_event.type)
            moments.append(
                Moment(
                    merchant_event.created_at,
                    "webhook",
                    title,
                    merchant_event.last_error or "",
                    "badge-ok" if delivered else "badge-warn",
                )
            )
        for delivery in deliveries:
            answer = str(delivery.status_code) if delivery.status_code else (delivery.error or "")
            moments.append(
                Moment(
                    delivery.created_at,
                    "webhook",
                    _t(
                        _WEBHOOK[merchant]["attempt"],
                        type=merchant_event.type,
                        n=delivery.attempt,
                        status=delivery.status,
                    ),
                    f"{delivery.url} · {answer} · {delivery.latency_ms} ms",
                    "badge-ok" if delivery.status == "succeeded" else "badge-bad",
                )
            )
    return sorted(moments, key=lambda m: m.at)
