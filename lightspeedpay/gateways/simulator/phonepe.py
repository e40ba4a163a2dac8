"""PhonePe PG v2 as the simulator serves it: OAuth tokens, standard checkout, order status, refunds and
callbacks authorised with sha256(username:password).

Paths are PhonePe's sandbox ones under the simulator root. The account's `extra` holds
`webhook_username`, `webhook_password`, `client_version` (default "1"), optionally `merchant_id` and
`token_ttl_seconds` (default 3600).
"""

from __future__ import annotations

import json
import re
import secrets
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from lightspeedpay.gateways.adapters.phonepe import callback_authorization
from lightspeedpay.gateways.simulator import faults, web
from lightspeedpay.gateways.simulator.state import Account, Order, SimulatorState

router = APIRouter()

_MERCHANT_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,63}$")
_STATES = {"created": "PENDING", "paid": "COMPLETED", "failed": "FAILED"}
_MIN_AMOUNT = 100


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"success": False, "code": code, "message": message, "data": {}}, status_code=status)


_ERRORS = faults.ErrorStyle(_error, decline_code="BAD_REQUEST", outage_code="INTERNAL_SERVER_ERROR")


def _ids(prefix: str) -> str:
    return prefix + time.strftime("%y%m%d%H%M%S") + str(secrets.randbelow(10**10)).zfill(10)


@router.post("/v1/oauth/token")
async def issue_token(request: Request) -> Response:
    fields, state = await web.form_fields(request), web.sim(request)
    account = web.provider_account(request, fields.get("client_id", ""), "phonepe")
    if (
        account is None
        or account.key_secret != fields.get("client_secret")
        or fields.get("grant_type") != "client_credentials"
        or fields.get("client_version") != str(account.extra.get("client_version", "1"))
    ):
        return _error(401, "INVALID_CLIENT", "Client authentication failed")
    fault = await faults.api_fault(state, account, _ERRORS)
    if fault is not None:
        return fault
    now, ttl = int(time.time()), int(account.extra.get("token_ttl_seconds", 3600))
    access_token = secrets.token_urlsafe(24)
    state.tokens[access_token] = (account.key_id, now + ttl)
    return JSONResponse(
        {
            "access_token": access_token,
            "encrypted_access_token": secrets.token_urlsafe(24),
            "expires_in": None,
            "issued_at": now,
            "expires_at": now + ttl,
            "session_expires_at": now + ttl,
            "token_type": "O-Bearer",
        }
    )


async def _account(request: Request, *, creates_order: bool = False) -> Account | Response:
    state = web.sim(request)
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    held = state.tokens.get(token) if scheme == "O-Bearer" else None
    account = web.provider_account(request, held[0], "phonepe") if held and held[1] > time.time() else None
    if account is None:
        return _error(
            401,
            "AUTHORIZATION_FAILED",
            "Authorization failed [message = Please check the authorization token and try again]",
        )
    return await faults.api_fault(state, account, _ERRORS, creates_order=creates_order) or account


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body())
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _by_merchant_order_id(state: SimulatorState, account: Account, merchant_order_id: str) -> Order | None:
    order_id = state.by_receipt.get((account.key_id, merchant_order_id))
    return state.orders[order_id] if order_id else None


def _order_payload(order: Order, account: Account) -> dict[str, Any]:
    payload = {
        "merchantId": account.extra.get("merchant_id", account.key_id),
        "merchantOrderId": order.receipt,
        "orderId": order.id,
        "state": _STATES[order.status],
        "amount": order.amount,
        "expireAt": order.extra["expire_at"],
        "metaInfo": order.extra["meta_info"],
        "paymentDetails": list(order.extra["attempts"]),
    }
    if order.status == "failed":
        payload.update(errorCode="PAYMENT_ERROR", detailedErrorCode="TXN_AUTO_FAILED")
    return payload


@router.post("/checkout/v2/pay")
async def pay(request: Request) -> Response:
    account = await _account(request, creates_order=True)
    if isinstance(account, Response):
        return account
    state, body = web.sim(request), await _json_body(request)
    merchant_order_id, amount = str(body.get("merchantOrderId") or ""), body.get("amount")
    flow: dict[str, Any] = body["paymentFlow"] if isinstance(body.get("paymentFlow"), dict) else {}
    if not _MERCHANT_ID_PATTERN.match(merchant_order_id):
        return _error(400, "BAD_REQUEST", "merchantOrderId: up to 63 letters, digits, _ or -")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < _MIN_AMOUNT:
        return _error(400, "BAD_REQUEST", f"amount must be at least {_MIN_AMOUNT} paise")
    if flow.get("type") != "PG_CHECKOUT":
        return _error(400, "BAD_REQUEST", "paymentFlow.type must be PG_CHECKOUT")
    order = _by_merchant_order_id(state, account, merchant_order_id)
    if order is None:
        expire_after = int(body.get("expireAfter") or 1200)
        order = Order(
            id=_ids("OMO"),
            key_id=account.key_id,
            amount=amount,
            currency="INR",
            receipt=merchant_order_id,
            notes={},
            webhook_url="",
            return_url=str((flow.get("merchantUrls") or {}).get("redirectUrl") or ""),
            extra={
                "expire_at": int((time.time() + expire_after) * 1000),
                "meta_info": body.get("metaInfo") or {},
                "attempts": [],
            },
        )
        state.orders[order.id] = order
        state.by_receipt[(account.key_id, merchant_order_id)] = order.id
        if account.auto_outcome in ("success", "failure"):
            complete(state, order, account, account.auto_outcome)
    return JSONResponse(
        {
            "orderId": order.id,
            "state": _STATES[order.status],
            "expireAt": order.extra["expire_at"],
            "redirectUrl": f"{web.base_url(request)}/_sim/phonepe/checkout/{order.id}",
        }
    )


@router.get("/checkout/v2/order/{merchant_order_id}/status")
async def order_status(merchant_order_id: str, request: Request) -> Response:
    account = await _account(request)
    if isinstance(account, Response):
        return account
    order = _by_merchant_order_id(web.sim(request), account, merchant_order_id)
    if order is None:
        return _error(404, "ORDER_NOT_FOUND", "No order with this merchantOrderId")
    payload = _order_payload(order, account)
    return JSONResponse({k: v for k, v in payload.items() if k not in ("merchantId", "merchantOrderId")})


@router.post("/payments/v2/refund")
async def refund(request: Request) -> Response:
    account = await _account(request)
    if isinstance(account, Response):
        return account
    state, body = web.sim(request), await _json_body(request)
    refund_ref, amount = str(body.get("merchantRefundId") or ""), body.get("amount")
    order = _by_merchant_order_id(state, account, str(body.get("originalMerchantOrderId") or ""))
    if not _MERCHANT_ID_PATTERN.match(refund_ref):
        return _error(400, "BAD_REQUEST", "merchantRefundId: up to 63 letters, digits, _ or -")
    if order is None or order.status != "paid":
        return _error(400, "BAD_REQUEST", "The original order is not completed")
    for done in order.refunds:
        if done["merchantRefundId"] == refund_ref:
            return JSONResponse({"refundId": done["refundId"], "amount": done["amount"], "state": "PENDING"})
    remaining = order.amount - sum(r["amount"] for r in order.refunds)
    if not isinstance(amount, int) or isinstance(amount, bool) or not 1 <= amount <= remaining:
        return _error(
            400, "BAD_REQUEST", "Refund amount must be at least 1 and at most what is left to refund"
        )
    record = {
        "merchantId": account.extra.get("merchant_id", account.key_id),
        "merchantRefundId": refund_ref,
        "originalMerchantOrderId": order.receipt,
        "refundId": _ids("OMR"),
        "amount": amount,
        "state": "COMPLETED",
        "timestamp": int(time.time() * 1000),
        "paymentDetails": [
            {
                "transactionId": order.payment_id,
                "paymentMode": "UPI_INTENT",
                "amount": amount,
                "state": "COMPLETED",
            }
        ],
    }
    order.refunds.append(record)
    faults.dispatch(state, account, account.webhook_url, [_webhook(account, "pg.refund.completed", record)])
    return JSONResponse({"refundId": record["refundId"], "amount": amount, "state": "PENDING"})


@router.get("/payments/v2/refund/{merchant_refund_id}/status")
async def refund_status(merchant_refund_id: str, request: Request) -> Response:
    account = await _account(request)
    if isinstance(account, Response):
        return account
    for order in web.sim(request).orders.values():
        for done in order.refunds if order.key_id == account.key_id else []:
            if done.get("merchantRefundId") == merchant_refund_id:
                return JSONResponse(done)
    return _error(404, "REFUND_NOT_FOUND", "No refund with this merchantRefundId")


def _webhook(account: Account, event: str, payload: dict[str, Any]) -> faults.Webhook:
    body = json.dumps({"event": event, "payload": payload}, separators=(",", ":")).encode()
    authorization = callback_authorization(
        account.extra.get("webhook_username", ""), account.extra.get("webhook_password", "")
    )
    return faults.Webhook(body, {"Authorization": authorization})


def _attempt(order: Order, state: str) -> dict[str, Any]:
    attempt = {
        "paymentMode": "UPI_INTENT",
        "transactionId": _ids("OM"),
        "timestamp": int(time.time() * 1000),
        "amount": order.amount,
        "state": state,
    }
    if state == "FAILED":
        attempt.update(errorCode="PAYMENT_ERROR", detailedErrorCode="TXN_AUTO_FAILED")
    return attempt


def complete(state: SimulatorState, order: Order, account: Account, outcome: str) -> None:
    """The payer finished: settle the order and send the callback to the account's webhook URL."""
    if order.status != "created":
        return
    # what an out-of-order delivery sends late: an earlier failed attempt, while the order was pending
    stale = _webhook(
        account,
        "checkout.transaction.attempt.failed",
        {**_order_payload(order, account), "paymentDetails": [_attempt(order, "FAILED")]},
    )
    attempt = _attempt(order, "COMPLETED" if outcome == "success" else "FAILED")
    order.extra["attempts"].append(attempt)
    order.status, order.payment_id = ("paid" if outcome == "success" else "failed"), attempt["transactionId"]
    event = "checkout.order.completed" if outcome == "success" else "checkout.order.failed"
    faults.dispatch(
        state,
        account,
        account.webhook_url,
        [_webhook(account, event, _order_payload(order, account))],
        stale=stale,
    )


@router.get("/_sim/phonepe/checkout/{order_id}")
async def checkout_page(order_id: str, request: Request) -> Response:
    order = web.sim(request).orders.get(order_id)
    if order is None:
        return HTMLResponse("<h1>No such order</h1>", status_code=404)
    return web.payer_page(
        psp="PhonePe", amount=order.amount, order_id=order.receipt, status=_STATES[order.status].lower()
    )


@router.post("/_sim/phonepe/checkout/{order_id}")
async def checkout_submit(order_id: str, request: Request) -> Response:
    choice = await web.payer_choice(request, order_id)
    if isinstance(choice, Response):
        return choice
    state, order, account, outcome = choice
    complete(state, order, account, outcome)
    if order.return_url:  # PhonePe sends the payer back without the result; the merchant asks for status
        return RedirectResponse(order.return_url, 303)
    return web.finish_page(_STATES[order.status].lower())
