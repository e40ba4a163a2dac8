"""Razorpay: Orders API, hosted checkout, status from an order's payments, refunds and signed webhooks."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from lightspeedpay.gateways.adapters import transport
from lightspeedpay.gateways.adapters.base import (
    GatewayAccount,
    InvalidPspSignature,
    OrderRequest,
    PaymentOutcome,
    PspAdapter,
    PspEventData,
    PspOrder,
    PspRefund,
    PspStatus,
    RefundOutcome,
    payment_method,
)
from lightspeedpay.kit.signing import equal, hmac_sha256_hex

SIGNATURE_HEADER = "x-razorpay-signature"
EVENT_ID_HEADER = "x-razorpay-event-id"

_PAYMENT_EVENTS: dict[str, PaymentOutcome] = {
    "payment.authorized": "authorized",
    "payment.captured": "paid",
    "payment.failed": "failed",
    "order.paid": "paid",
}
_REFUND_EVENTS: dict[str, RefundOutcome] = {
    "refund.created": "pending",
    "refund.processed": "processed",
    "refund.failed": "failed",
}
_REFUND_STATUS: dict[str, RefundOutcome] = {
    "pending": "pending",
    "processed": "processed",
    "failed": "failed",
}
# Razorpay's rule for X-Refund-Idempotency keys
_REFUND_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{10,}$")
_MAX_NOTES, _MAX_NOTE_CHARS, _MAX_RECEIPT = 15, 256, 40


def webhook_signature(webhook_secret: str, body: bytes) -> str:
    """X-Razorpay-Signature: hex HMAC-SHA256 of the raw body with the webhook's own secret."""
    return hmac_sha256_hex(webhook_secret, body)


def checkout_signature(key_secret: str, order_id: str, payment_id: str) -> str:
    """The `razorpay_signature` Checkout hands back: hex HMAC-SHA256 of `order_id|payment_id` with key_secret."""
    return hmac_sha256_hex(key_secret, f"{order_id}|{payment_id}".encode())


def verify_checkout_signature(key_secret: str, order_id: str, payment_id: str, signature: str) -> bool:
    """Check a Checkout callback; pass the order id *we stored*, never the one in the callback."""
    return bool(signature) and equal(checkout_signature(key_secret, order_id, payment_id), signature)


def _notes(notes: dict[str, Any]) -> dict[str, str]:
    return {str(k): str(v)[:_MAX_NOTE_CHARS] for k, v in list(notes.items())[:_MAX_NOTES]}


async def _call(account: GatewayAccount, method: str, path: str, **kwargs: Any) -> Any:
    auth = (account.credentials["key_id"], account.credentials["key_secret"])
    return await transport.call_json(
        account,
        method,
        transport.url(account, path),
        auth=auth,
        decline=transport.error_object_decline,
        **kwargs,
    )


# Razorpay's payment status -> our outcome, in the order that wins when an order has several payments
_ORDER_OUTCOMES: tuple[tuple[str, PaymentOutcome], ...] = (
    ("captured", "paid"),
    ("refunded", "paid"),
    ("authorized", "authorized"),
)


def _status(payments: list[dict[str, Any]], raw: dict[str, Any]) -> PspStatus:
    """An order is paid once any payment is captured (it stays paid when refunded); failed only when
    every attempt failed, since the payer may still try again."""
    by_status: dict[str, dict[str, Any]] = {}
    for payment in payments:
        by_status.setdefault(str(payment.get("status")), payment)
    for status, outcome in _ORDER_OUTCOMES:
        if status in by_status:
            found = by_status[status]
            return PspStatus(
                outcome=outcome,
                gateway_payment_id=found.get("id"),
                amount=found.get("amount"),
                raw=raw,
            )
    if payments and set(by_status) == {"failed"}:
        return PspStatus(outcome="failed", gateway_payment_id=payments[-1].get("id"), amount=None, raw=raw)
    return PspStatus(outcome="pending", gateway_payment_id=None, amount=None, raw=raw)


def _entity(payload: dict[str, Any], name: str) -> dict[str, Any]:
    entity = (payload.get(name) or {}).get("entity")
    return entity if isinstance(entity, dict) else {}


def _event_data(external_id: str, event: dict[str, Any]) -> PspEventData:
    name = str(event["event"])
    payload = event.get("payload") or {}
    payment, order, refund = (
        _entity(payload, "payment"),
        _entity(payload, "order"),
        _entity(payload, "refund"),
    )
    if name.startswith("refund."):
        return PspEventData(
            external_id=external_id,
            event_type=name,
            gateway_txn_id=payment.get("order_id"),
            gateway_payment_id=refund.get("payment_id"),
            amount=refund.get("amount"),
            refund_id=refund.get("id"),
            refund_outcome=_REFUND_EVENTS.get(name),
            raw=event,
        )
    return PspEventData(
        external_id=external_id,
        event_type=name,
        gateway_txn_id=order.get("id") or payment.get("order_id"),
        payment_outcome=_PAYMENT_EVENTS.get(name),
        gateway_payment_id=payment.get("id"),
        amount=payment.get("amount"),
        error_code=payment.get("error_code"),
        error_message=payment.get("error_description"),
        raw=event,
        payment_method=payment_method(payment.get("method")),
    )


class RazorpayAdapter(PspAdapter):
    provider = "razorpay"
    credential_fields = ("key_id", "key_secret", "webhook_secret")

    async def create_order(self, account: GatewayAccount, order: OrderRequest) -> PspOrder:
        # ours first, so Razorpay's 15-note cap never drops it
        notes = _notes({"lsp_transaction_id": str(order.transaction_id), **order.notes})
        body = await _call(
            account,
            "POST",
            "/v1/orders",
            json={
                "amount": order.amount,
                "currency": order.currency,
                "receipt": order.receipt[:_MAX_RECEIPT],
                "notes": notes,
            },
        )
        order_id = str(transport.require(body, "id"))
        fields = {
            "key_id": account.credentials["key_id"],
            "order_id": order_id,
            "name": str(order.notes.get("merchant_name") or "LightSpeedPay"),
            "description": str(order.notes.get("description") or f"Order {order.receipt}"),
            "callback_url": order.return_url,
            "cancel_url": order.return_url,
        }
        for key in ("name", "email", "contact"):
            value = order.customer.get(key) or (order.customer.get("phone") if key == "contact" else None)
            if value:
                fields[f"prefill[{key}]"] = str(value)
        checkout_url = transport.form_launch_url(
            account, transport.url(account, "/v1/checkout/embedded"), fields
        )
        return PspOrder(gateway_txn_id=order_id, checkout_url=checkout_url, raw=body)

    def parse_webhook(self, account: GatewayAccount, headers: dict[str, str], body: bytes) -> PspEventData:
        lowered = transport.lower_headers(headers)
        signature = lowered.get(SIGNATURE_HEADER, "")
        if not signature or not equal(
            webhook_signature(account.credentials["webhook_secret"], body), signature
        ):
            raise InvalidPspSignature("razorpay signature does not match")
        event = transport.json_event(self.provider, body)
        # Razorpay says to deduplicate on the event id header; a retried delivery repeats the same
        # body byte for byte, so its digest is a stable stand-in should the header ever be missing.
        external_id = lowered.get(EVENT_ID_HEADER) or "sha256:" + hashlib.sha256(body).hexdigest()
        try:
            return _event_data(external_id, event)
        except (KeyError, TypeError, AttributeError) as exc:
            raise InvalidPspSignature(f"malformed razorpay event: {exc}") from exc

    async def fetch_status(self, account: GatewayAccount, gateway_txn_id: str) -> PspStatus:
        body = await _call(account, "GET", f"/v1/orders/{gateway_txn_id}/payments")
        items = body.get("items") if isinstance(body, dict) else None
        return _status([p for p in items or [] if isinstance(p, dict)], raw=body)

    async def refund(
        self,
        account: GatewayAccount,
        gateway_payment_id: str,
        amount: int,
        *,
        refund_ref: str,
        notes: dict[str, Any] | None = None,
    ) -> PspRefund:
        headers = {"X-Refund-Idempotency": refund_ref} if _REFUND_IDEMPOTENCY_KEY.match(refund_ref) else None
        body = await _call(
            account,
            "POST",
            f"/v1/payments/{gateway_payment_id}/refund",
            headers=headers,
            json={
                "amount": amount,
                "receipt": refund_ref[:_MAX_RECEIPT],
                "notes": _notes(notes or {}),
            },
        )
        return PspRefund(
            refund_id=str(transport.require(body, "id")),
            outcome=_REFUND_STATUS.get(str(body.get("status")), "pending"),
            raw=body,
        )

    async def check_connectivity(self, account: GatewayAccount) -> None:
        await _call(account, "GET", "/v1/orders", params={"count": 1})
