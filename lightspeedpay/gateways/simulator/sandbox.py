"""The sandbox PSP's API and hosted payment page, as the simulator serves them."""

from __future__ import annotations

import json
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from lightspeedpay.gateways.adapters.sandbox import sign_body
from lightspeedpay.gateways.simulator import faults, web
from lightspeedpay.gateways.simulator.state import Account, Order, SimulatorState

router = APIRouter()


def _state(request: Request) -> SimulatorState:
    return request.app.state.sim


def _error(status: int, code: str, description: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "description": description}}, status_code=status)


_ERRORS = faults.ErrorStyle(_error, decline_code="BAD_REQUEST_ERROR", outage_code="SERVER_ERROR")


async def _authenticate(request: Request, *, creates_order: bool = False) -> Account | Response:
    """The calling account, or the answer to send instead: a 401, or one of the account's faults."""
    account = web.basic_auth_account(request, "sandbox")
    if account is None:
        return _error(401, "UNAUTHORIZED", "missing Basic auth, or the key id or secret is wrong")
    return await faults.api_fault(_state(request), account, _ERRORS, creates_order=creates_order) or account


def _order_json(order: Order, base: str) -> dict[str, Any]:
    return {
        "id": order.id,
        "amount": order.amount,
        "currency": order.currency,
        "receipt": order.receipt,
        "status": order.status,
        "payment_id": order.payment_id,
        "notes": order.notes,
        "checkout_url": f"{base}/sandbox/checkout/{order.id}",
        "created_at": order.created_at,
    }


@router.get("/sandbox/v1/ping")
async def ping(request: Request) -> Response:
    auth = await _authenticate(request)
    return auth if isinstance(auth, Response) else JSONResponse({"ok": True})


@router.post("/sandbox/v1/orders")
async def create_order(request: Request) -> Response:
    auth = await _authenticate(request, creates_order=True)
    if isinstance(auth, Response):
        return auth
    state = _state(request)
    body = await request.json()
    amount = body.get("amount")
    if not isinstance(amount, int) or amount <= 0:
        return _error(400, "BAD_REQUEST_ERROR", "amount must be a positive integer in paise")
    existing = state.by_receipt.get((auth.key_id, str(body.get("receipt"))))
    base = str(request.base_url).rstrip("/")
    if existing:  # a receipt identifies the order: a retried create returns the same one
        return JSONResponse(_order_json(state.orders[existing], base))
    order = Order(
        id=state.new_id("sbx_order_"),
        key_id=auth.key_id,
        amount=amount,
        currency=body.get("currency", "INR"),
        receipt=str(body.get("receipt")),
        notes=body.get("notes") or {},
        return_url=body.get("return_url") or "",
        webhook_url=body.get("webhook_url") or auth.webhook_url,
    )
    state.orders[order.id] = order
    state.by_receipt[(auth.key_id, order.receipt)] = order.id
    if auth.auto_outcome in ("success", "failure"):
        complete(state, order, auth, auth.auto_outcome)
    return JSONResponse(_order_json(order, base))


@router.get("/sandbox/v1/orders/{order_id}")
async def get_order(order_id: str, request: Request) -> Response:
    auth = await _authenticate(request)
    if isinstance(auth, Response):
        return auth
    order = _state(request).orders.get(order_id)
    if order is None or order.key_id != auth.key_id:
        return _error(404, "NOT_FOUND", "no such order")
    return JSONResponse(_order_json(order, str(request.base_url).rstrip("/")))


@router.post("/sandbox/v1/payments/{payment_id}/refunds")
async def refund(payment_id: str, request: Request) -> Response:
    auth = await _authenticate(request)
    if isinstance(auth, Response):
        return auth
    state = _state(request)
    order = _paid_order(state, auth, payment_id)
    body = await request.json()
    for done in order.refunds if order else []:
        if done["reference"] == body.get("reference"):
            return JSONResponse(done)
    if order is None or order.status not in ("paid", "authorized"):
        return _error(400, "BAD_REQUEST_ERROR", "the payment is not captured")
    amount = int(body.get("amount", order.amount))
    if order.status == "authorized" and amount != order.amount:
        return _error(400, "BAD_REQUEST_ERROR", "an authorization is released whole")
    if amount <= 0 or amount + sum(r["amount"] for r in order.refunds) > order.amount:
        return _error(400, "BAD_REQUEST_ERROR", "the refund amount exceeds what is left to refund")
    record = {
        "id": state.new_id("sbx_rfnd_"),
        "payment_id": payment_id,
        "amount": amount,
        "reference": body.get("reference"),
        "status": "processed",
    }
    order.refunds.append(record)
    if order.status == "authorized":
        order.status = "voided"  # the authorization is released; nothing was ever captured
    return JSONResponse(record)


def _paid_order(state: SimulatorState, account: Account, payment_id: str) -> Order | None:
    return next(
        (o for o in state.orders.values() if o.payment_id == payment_id and o.key_id == account.key_id), None
    )


@router.post("/sandbox/v1/payments/{payment_id}/capture")
async def capture(payment_id: str, request: Request) -> Response:
    """Manual capture of a payment the payer only authorized; capturing a captured payment again is a no-op."""
    auth = await _authenticate(request)
    if isinstance(auth, Response):
        return auth
    state = _state(request)
    order = _paid_order(state, auth, payment_id)
    body = await request.json()
    if order is None or order.status not in ("authorized", "paid"):
        return _error(400, "BAD_REQUEST_ERROR", "the payment is not authorized")
    if body.get("amount") != order.amount:
        return _error(400, "BAD_REQUEST_ERROR", "the capture amount must equal the authorized amount")
    if order.status == "authorized":
        order.status = "paid"
        account = state.account(order.key_id)
        assert account is not None
        event = _webhook(state, account, "payment.succeeded", _payment_data(order))
        faults.dispatch(state, account, order.webhook_url or account.webhook_url, [event])
    return JSONResponse(
        {"id": payment_id, "order_id": order.id, "amount": order.amount, "status": "captured"}
    )


def _payment_data(order: Order) -> dict[str, Any]:
    return {
        "order_id": order.id,
        "payment_id": order.payment_id,
        "amount": order.amount,
        "currency": order.currency,
        "receipt": order.receipt,
        "method": "upi",
        "error_code": order.error_code,
        "error_description": None if order.error_code is None else "The payer's bank declined the payment",
    }


_FINAL = {
    "success": ("paid", "payment.succeeded"),
    "failure": ("failed", "payment.failed"),
    # manual capture: the payer's bank authorized the payment; the merchant captures it later
    "authorize": ("authorized", "payment.authorized"),
}


def complete(state: SimulatorState, order: Order, account: Account, outcome: str) -> None:
    """The payer finished: settle the order and tell the platform with a signed webhook."""
    if order.status in ("paid", "failed", "authorized", "voided"):
        return
    order.payment_id = state.new_id("sbx_pay_")
    order.status, event_type = _FINAL[outcome]
    order.error_code = "PAYMENT_DECLINED" if outcome == "failure" else None
    data = _payment_data(order)
    final = _webhook(state, account, event_type, data)
    # what an out-of-order delivery sends late: the state the payment was in before it settled
    stale = _webhook(
        state,
        account,
        "payment.authorized" if outcome == "success" else "payment.pending",
        {**data, "error_code": None, "error_description": None},
    )
    faults.dispatch(state, account, order.webhook_url or account.webhook_url, [final], stale=stale)


def _webhook(
    state: SimulatorState, account: Account, event_type: str, data: dict[str, Any]
) -> faults.Webhook:
    event = {"id": state.new_id("sbx_evt_"), "type": event_type, "created_at": int(time.time()), "data": data}
    body = json.dumps(event, separators=(",", ":")).encode()
    return faults.Webhook(body, {"X-Sandbox-Signature": sign_body(account.webhook_secret, body)})


@router.get("/sandbox/checkout/{order_id}")
async def checkout_page(order_id: str, request: Request) -> Response:
    order = _state(request).orders.get(order_id)
    if order is None:
        return HTMLResponse("<h1>No such order</h1>", status_code=404)
    return web.payer_page(psp="Sandbox", amount=order.amount, order_id=order.id, status=order.status)


@router.post("/sandbox/checkout/{order_id}")
async def checkout_submit(order_id: str, request: Request) -> Response:
    state = _state(request)
    outcome = (await web.form_fields(request)).get("outcome", "")
    order = state.orders.get(order_id)
    if order is None:
        return _error(404, "NOT_FOUND", "no such order")
    if outcome not in _FINAL:
        return _error(400, "BAD_REQUEST_ERROR", "outcome must be success, failure or authorize")
    account = state.account(order.key_id)
    assert account is not None
    complete(state, order, account, outcome)
    if order.return_url:
        sep = "&" if "?" in order.return_url else "?"
        return RedirectResponse(f"{order.return_url}{sep}status={order.status}&order_id={order.id}", 303)
    if request.headers.get("accept", "").startswith("application/json"):
        return JSONResponse({"id": order.id, "status": order.status, "payment_id": order.payment_id})
    return web.finish_page(order.status)
