"""Razorpay as the simulator serves it: Orders, an order's payments, refunds, hosted checkout, signed webhooks.

Paths are Razorpay's own under the simulator root, so a gateway's base_url is the simulator's URL.
Payments are auto-captured, so a successful payment sends payment.authorized, payment.captured and
order.paid, as Razorpay does for orders with automatic capture.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from lightspeedpay.gateways.adapters.razorpay import checkout_signature, webhook_signature
from lightspeedpay.gateways.simulator import faults, web
from lightspeedpay.gateways.simulator.state import Account, Order, SimulatorState

router = APIRouter()

_MIN_AMOUNT, _MAX_RECEIPT, _MAX_NOTES = 100, 40, 15


def _error(status: int, code: str, description: str, field: str | None = None) -> JSONResponse:
    business = status < 500
    return JSONResponse(
        {
            "error": {
                "code": code,
                "description": description,
                "source": "business" if business else "internal",
                "step": "payment_initiation",
                "reason": "input_validation_failed" if business else "server_error",
                "metadata": {},
                "field": field,
            }
        },
        status_code=status,
    )


_ERRORS = faults.ErrorStyle(_error, decline_code="BAD_REQUEST_ERROR", outage_code="SERVER_ERROR")


async def _account(request: Request, *, creates_order: bool = False) -> Account | Response:
    account = web.basic_auth_account(request, "razorpay")
    if account is None:
        return _error(401, "BAD_REQUEST_ERROR", "Authentication failed")
    return await faults.api_fault(web.sim(request), account, _ERRORS, creates_order=creates_order) or account


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = json.loads(raw) if raw.strip() else {}
    except ValueError:
        body = None
    return body if isinstance(body, dict) else {"_invalid": True}


def _payments(order: Order) -> list[dict[str, Any]]:
    return order.extra.setdefault("payments", [])


def _order_json(order: Order) -> dict[str, Any]:
    paid = order.amount if order.status == "paid" else 0
    return {
        "id": order.id,
        "entity": "order",
        "amount": order.amount,
        "amount_paid": paid,
        "amount_due": order.amount - paid,
        "currency": order.currency,
        "receipt": order.receipt,
        "offer_id": None,
        "status": order.status,
        "attempts": len(_payments(order)),
        "notes": order.notes or [],
        "created_at": order.created_at,
    }


def _collection(items: list[dict[str, Any]]) -> JSONResponse:
    return JSONResponse({"entity": "collection", "count": len(items), "items": items})


def _own_order(request: Request, account: Account, order_id: str) -> Order | None:
    order = web.sim(request).orders.get(order_id)
    return order if order is not None and order.key_id == account.key_id else None


@router.get("/v1/orders")
async def list_orders(request: Request, count: int = 10) -> Response:
    account = await _account(request)
    if isinstance(account, Response):
        return account
    mine = [o for o in web.sim(request).orders.values() if o.key_id == account.key_id]
    return _collection([_order_json(o) for o in sorted(mine, key=lambda o: -o.created_at)[: max(count, 0)]])


@router.post("/v1/orders")
async def create_order(request: Request) -> Response:
    account = await _account(request, creates_order=True)
    if isinstance(account, Response):
        return account
    body, state = await _json_body(request), web.sim(request)
    amount, receipt, notes = body.get("amount"), str(body.get("receipt") or ""), body.get("notes") or {}
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < _MIN_AMOUNT:
        return _error(400, "BAD_REQUEST_ERROR", "The amount must be at least INR 1.00", "amount")
    if len(str(body.get("currency") or "")) != 3:
        return _error(400, "BAD_REQUEST_ERROR", "The currency field is required.", "currency")
    if len(receipt) > _MAX_RECEIPT:
        return _error(
            400, "BAD_REQUEST_ERROR", "The receipt may not be greater than 40 characters.", "receipt"
        )
    if not isinstance(notes, dict) or len(notes) > _MAX_NOTES:
        return _error(
            400, "BAD_REQUEST_ERROR", "Number of fields in notes should be less than or equal to 15", "notes"
        )
    # like Razorpay, a retried create makes a second order: receipts are not de-duplicated
    order = Order(
        id=state.new_id("order_"),
        key_id=account.key_id,
        amount=amount,
        currency=body["currency"],
        receipt=receipt,
        notes=notes,
        return_url="",
        webhook_url="",
    )
    state.orders[order.id] = order
    if account.auto_outcome in ("success", "failure"):
        complete(state, order, account, account.auto_outcome)
    return JSONResponse(_order_json(order))


@router.get("/v1/orders/{order_id}")
async def get_order(order_id: str, request: Request) -> Response:
    account = await _account(request)
    if isinstance(account, Response):
        return account
    order = _own_order(request, account, order_id)
    if order is None:
        return _error(400, "BAD_REQUEST_ERROR", "The id provided does not exist")
    return JSONResponse(_order_json(order))


@router.get("/v1/orders/{order_id}/payments")
async def order_payments(order_id: str, request: Request) -> Response:
    account = await _account(request)
    if isinstance(account, Response):
        return account
    order = _own_order(request, account, order_id)
    if order is None:
        return _error(400, "BAD_REQUEST_ERROR", "The id provided does not exist")
    return _collection([dict(p) for p in _payments(order)])


def _find_payment(
    state: SimulatorState, account: Account, payment_id: str
) -> tuple[Order, dict[str, Any]] | None:
    for order in state.orders.values():
        if order.key_id == account.key_id:
            for payment in _payments(order):
                if payment["id"] == payment_id:
                    return order, payment
    return None


@router.post("/v1/payments/{payment_id}/refund")
async def refund(payment_id: str, request: Request) -> Response:
    account = await _account(request)
    if isinstance(account, Response):
        return account
    state, body = web.sim(request), await _json_body(request)
    found = _find_payment(state, account, payment_id)
    if found is None:
        return _error(400, "BAD_REQUEST_ERROR", "The id provided does not exist")
    order, payment = found
    key = request.headers.get("x-refund-idempotency")
    for done in order.refunds:
        if key and done.get("_idempotency_key") == key:
            return JSONResponse({k: v for k, v in done.items() if not k.startswith("_")})
    if payment["status"] != "captured":
        return _error(
            400, "BAD_REQUEST_ERROR", "Only captured payments that are not fully refunded can be refunded"
        )
    remaining = payment["amount"] - payment["amount_refunded"]
    amount = body.get("amount", remaining)
    if not isinstance(amount, int) or isinstance(amount, bool) or not 1 <= amount <= remaining:
        return _error(
            400, "BAD_REQUEST_ERROR", "The refund amount provided is greater than amount captured", "amount"
        )
    record = {
        "id": state.new_id("rfnd_"),
        "entity": "refund",
        "amount": amount,
        "currency": payment["currency"],
        "payment_id": payment_id,
        "notes": body.get("notes") or [],
        "receipt": body.get("receipt"),
        "acquirer_data": {"arn": None},
        "created_at": int(time.time()),
        "batch_id": None,
        "status": "processed",
        "speed_processed": "normal",
        "speed_requested": body.get("speed", "normal"),
    }
    order.refunds.append({**record, "_idempotency_key": key})
    payment["amount_refunded"] += amount
    payment["refund_status"] = "full" if payment["amount_refunded"] == payment["amount"] else "partial"
    if payment["refund_status"] == "full":
        payment["status"] = "refunded"
    faults.dispatch(
        state,
        account,
        account.webhook_url,
        [_webhook(state, account, "refund.processed", {"refund": record, "payment": dict(payment)})],
    )
    return JSONResponse(record)


def _webhook(state: SimulatorState, account: Account, event: str, entities: dict[str, Any]) -> faults.Webhook:
    envelope = {
        "entity": "event",
        "account_id": account.extra.get("account_id", f"acc_{account.key_id[-14:]}"),
        "event": event,
        "contains": list(entities),
        "payload": {name: {"entity": entity} for name, entity in entities.items()},
        "created_at": int(time.time()),
    }
    body = json.dumps(envelope, separators=(",", ":")).encode()
    return faults.Webhook(
        body,
        {
            "X-Razorpay-Signature": webhook_signature(account.webhook_secret, body),
            "X-Razorpay-Event-Id": state.new_id("evt_"),
        },
    )


def _new_payment(state: SimulatorState, order: Order) -> dict[str, Any]:
    prefill = order.extra.get("prefill", {})
    return {
        "id": state.new_id("pay_"),
        "entity": "payment",
        "amount": order.amount,
        "currency": order.currency,
        "status": "authorized",
        "order_id": order.id,
        "invoice_id": None,
        "international": False,
        "method": "upi",
        "amount_refunded": 0,
        "refund_status": None,
        "captured": False,
        "description": order.extra.get("description"),
        "card_id": None,
        "bank": None,
        "wallet": None,
        "vpa": "success@razorpay",
        "email": prefill.get("email"),
        "contact": prefill.get("contact"),
        "notes": order.notes or [],
        "fee": None,
        "tax": None,
        "error_code": None,
        "error_description": None,
        "error_source": None,
        "error_step": None,
        "error_reason": None,
        "acquirer_data": {"rrn": str(secrets.randbelow(10**12)).zfill(12)},
        "created_at": int(time.time()),
    }


def complete(state: SimulatorState, order: Order, account: Account, outcome: str) -> dict[str, Any] | None:
    """The payer finished one attempt: record the payment and send Razorpay's webhooks for it."""
    if order.status == "paid":
        return None
    payment = _new_payment(state, order)
    _payments(order).append(payment)
    if outcome == "success":
        authorized = dict(payment)
        fee = order.amount * 2 // 100
        payment.update(status="captured", captured=True, fee=fee, tax=fee * 18 // 100)
        order.status, order.payment_id = "paid", payment["id"]
        webhooks = [
            _webhook(state, account, "payment.authorized", {"payment": authorized}),
            _webhook(state, account, "payment.captured", {"payment": dict(payment)}),
            _webhook(state, account, "order.paid", {"payment": dict(payment), "order": _order_json(order)}),
        ]
    else:
        payment.update(
            status="failed",
            vpa="failure@razorpay",
            error_code="BAD_REQUEST_ERROR",
            error_description="Payment failed because the payer's bank declined it",
            error_source="customer",
            error_step="payment_authorization",
            error_reason="payment_failed",
        )
        order.status = "attempted"
        webhooks = [_webhook(state, account, "payment.failed", {"payment": dict(payment)})]
    faults.dispatch(state, account, account.webhook_url, webhooks)
    return payment


@router.post("/v1/checkout/embedded")
async def hosted_checkout(request: Request) -> Response:
    """Razorpay Hosted Checkout: the merchant's page posts key_id, order_id and callback_url here."""
    fields = await web.form_fields(request)
    account = web.provider_account(request, fields.get("key_id", ""), "razorpay")
    order = _own_order(request, account, fields.get("order_id", "")) if account else None
    if account is None or order is None:
        return HTMLResponse("<h1>Invalid key_id or order_id</h1>", status_code=400)
    order.return_url = fields.get("callback_url", "")
    order.extra.update(
        description=fields.get("description"),
        prefill={k[8:-1]: v for k, v in fields.items() if k.startswith("prefill[")},
    )
    return web.payer_page(
        psp="Razorpay",
        amount=order.amount,
        order_id=order.id,
        status=order.status,
        action=f"{web.base_url(request)}/_sim/razorpay/checkout/{order.id}",
    )


@router.post("/_sim/razorpay/checkout/{order_id}")
async def checkout_submit(order_id: str, request: Request) -> Response:
    """The payer's choice; then Checkout posts the result to the callback_url, signed on success."""
    choice = await web.payer_choice(request, order_id)
    if isinstance(choice, Response):
        return choice
    state, order, account, outcome = choice
    payment = complete(state, order, account, outcome)
    if payment is None:
        return web.finish_page(order.status)
    if outcome == "success":
        result = {
            "razorpay_payment_id": payment["id"],
            "razorpay_order_id": order.id,
            "razorpay_signature": checkout_signature(account.key_secret, order.id, payment["id"]),
        }
    else:
        result = {
            "error[code]": payment["error_code"],
            "error[description]": payment["error_description"],
            "error[source]": payment["error_source"],
            "error[step]": payment["error_step"],
            "error[reason]": payment["error_reason"],
            "error[metadata]": json.dumps({"payment_id": payment["id"], "order_id": order.id}),
        }
    if order.return_url:
        return web.autosubmit_page(order.return_url, result, title="Returning to the merchant")
    return web.finish_page(order.status)
