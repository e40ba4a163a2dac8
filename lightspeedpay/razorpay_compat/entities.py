"""Our rows as Razorpay's entities. The mapping of transaction statuses to payment statuses lives here only."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from lightspeedpay.models import Order, Refund, Transaction
from lightspeedpay.models.order import OrderStatus
from lightspeedpay.models.refund import RefundSpeed
from lightspeedpay.models.transaction import TransactionStatus

# a PSP that reports a payment paid has captured it (auto-capture); a refund keeps it captured until whole
PAYMENT_STATUS: dict[str, str] = {
    TransactionStatus.CREATED: "created",
    TransactionStatus.PENDING: "created",
    TransactionStatus.AUTHORIZED: "authorized",
    TransactionStatus.PAID: "captured",
    TransactionStatus.PARTIALLY_REFUNDED: "captured",
    TransactionStatus.REFUNDED: "refunded",
    TransactionStatus.FAILED: "failed",
    TransactionStatus.EXPIRED: "failed",
}
REFUND_STATUS: dict[str, str] = {
    TransactionStatus.PARTIALLY_REFUNDED: "partial",
    TransactionStatus.REFUNDED: "full",
}


def payment_status(txn: Transaction) -> str:
    return PAYMENT_STATUS[txn.status]


def _ts(value: datetime) -> int:
    return int(value.timestamp())


def order_entity(order: Order) -> dict[str, Any]:
    paid = order.amount if order.status == OrderStatus.PAID else 0
    return {
        "id": order.public_id,
        "entity": "order",
        "amount": order.amount,
        "amount_paid": paid,
        "amount_due": order.amount - paid,
        "currency": order.currency,
        "receipt": order.receipt,
        "offer_id": None,
        "status": order.status,
        "attempts": order.attempts,
        "notes": order.notes or [],
        "created_at": _ts(order.created_at),
    }


def payment_entity(txn: Transaction, order_public_id: str | None) -> dict[str, Any]:
    customer = txn.customer or {}
    failed = txn.status in (TransactionStatus.FAILED, TransactionStatus.EXPIRED)
    return {
        "id": txn.payment_id,
        "entity": "payment",
        "amount": txn.amount,
        "currency": txn.currency,
        "status": payment_status(txn),
        "order_id": order_public_id,
        "invoice_id": None,
        "international": False,
        "method": None,
        "amount_refunded": txn.amount_refunded,
        "refund_status": REFUND_STATUS.get(txn.status),
        "captured": txn.paid_at is not None,
        "description": None,
        "card_id": None,
        "bank": None,
        "wallet": None,
        "vpa": None,
        "email": customer.get("email"),
        "contact": customer.get("phone"),
        "notes": txn.notes or [],
        "fee": None,
        "tax": None,
        "error_code": ("GATEWAY_ERROR" if txn.error_code == "PSP_UNAVAILABLE" else "BAD_REQUEST_ERROR")
        if failed
        else None,
        "error_description": txn.error_message if failed else None,
        "error_source": ("gateway" if txn.error_code == "PSP_UNAVAILABLE" else "customer")
        if failed
        else None,
        "error_step": "payment_authorization" if failed else None,
        "error_reason": (txn.error_code or "payment_failed").lower() if failed else None,
        "acquirer_data": {},
        "created_at": _ts(txn.created_at),
    }


def refund_entity(refund: Refund, payment_id: str) -> dict[str, Any]:
    return {
        "id": refund.public_id,
        "entity": "refund",
        "amount": refund.amount,
        "currency": refund.currency,
        "payment_id": payment_id,
        "notes": refund.notes or [],
        "receipt": refund.receipt,
        "acquirer_data": {"arn": None},
        "created_at": _ts(refund.created_at),
        "batch_id": None,
        "status": refund.status,
        "speed_processed": RefundSpeed.NORMAL,
        "speed_requested": refund.speed,
    }


def collection(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"entity": "collection", "count": len(items), "items": items}


def payments(txns: list[Transaction], order_ids: dict[uuid.UUID, str]) -> dict[str, Any]:
    return collection(
        [payment_entity(t, order_ids.get(t.parent_order_id) if t.parent_order_id else None) for t in txns]
    )
