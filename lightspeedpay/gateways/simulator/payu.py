"""PayU India as the simulator serves it: the `_payment` hosted form, postservice commands
(verify_payment, cancel_refund_transaction) and S2S callbacks signed with the reverse hash.

Paths are PayU's own under the simulator root. The order exists once the payer's browser posts the
signed form; its PayU id (mihpayid) once the payer has paid or failed.
"""

from __future__ import annotations

import re
import secrets
import time
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from lightspeedpay.gateways.adapters.payu import UDFS, command_hash, request_hash, response_hash
from lightspeedpay.gateways.adapters.transport import paise
from lightspeedpay.gateways.simulator import faults, web
from lightspeedpay.gateways.simulator.state import Account, Order, SimulatorState
from lightspeedpay.kit.signing import equal

router = APIRouter()

_MANDATORY = ("key", "txnid", "amount", "productinfo", "firstname", "email", "hash")
_AMOUNT = re.compile(r"^\d+(\.\d{1,2})?$")
_MAX_TXNID = 25


def _page_error(status: int, code: str, description: str) -> HTMLResponse:
    """PayU answers a bad form post with an error page in the payer's browser."""
    return HTMLResponse(f"<h1>Error</h1><p>Error Reason: {description}</p><p>Error code: {code}</p>", status)


def _api_error(status: int, code: str, description: str) -> JSONResponse:
    return JSONResponse({"status": 0, "msg": description, "error_code": code}, status_code=status)


_PAGE_ERRORS = faults.ErrorStyle(_page_error, decline_code="E1100", outage_code="E500")
_API_ERRORS = faults.ErrorStyle(_api_error, decline_code="E1100", outage_code="E500")


def _mihpayid() -> str:
    return str(10**10 + secrets.randbelow(9 * 10**10))


@router.post("/_payment")
async def payment_form(request: Request) -> Response:
    """The hosted checkout: check the merchant's form and its hash, then show the payer the page."""
    fields, state = await web.form_fields(request), web.sim(request)
    account = web.provider_account(request, fields.get("key", ""), "payu")
    if account is None:
        return _page_error(400, "E1101", "Invalid merchant key")
    fault = await faults.api_fault(state, account, _PAGE_ERRORS, creates_order=True)
    if fault is not None:
        return fault
    missing = [name for name in _MANDATORY if not fields.get(name)]
    if missing:
        return _page_error(400, "E1102", f"Mandatory parameter missing: {', '.join(missing)}")
    if not equal(request_hash(account.key_id, account.key_secret, fields), fields["hash"].lower()):
        return _page_error(400, "E1103", "Transaction failed due to incorrectly calculated hash parameter")
    amount = paise(fields["amount"]) if _AMOUNT.match(fields["amount"]) else None
    if len(fields["txnid"]) > _MAX_TXNID or not amount:
        return _page_error(400, "E1104", "Invalid txnid or amount")
    existing = state.by_receipt.get((account.key_id, fields["txnid"]))
    order = state.orders[existing] if existing else None
    if order is not None and order.status != "created":
        return _page_error(400, "E1105", "Duplicate transaction id: this txnid has been used")
    if order is None:
        order = Order(
            id=state.new_id("payu_"),
            key_id=account.key_id,
            amount=amount,
            currency="INR",
            receipt=fields["txnid"],
            notes={},
            return_url=fields.get("surl", ""),
            webhook_url="",
            extra={"form": {k: v for k, v in fields.items() if k != "hash"}},
        )
        state.orders[order.id] = order
        state.by_receipt[(account.key_id, order.receipt)] = order.id
    if account.auto_outcome in ("success", "failure"):
        return _back_to_merchant(order, complete(state, order, account, account.auto_outcome))
    return web.payer_page(
        psp="PayU",
        amount=order.amount,
        order_id=order.receipt,
        status="pending",
        action=f"{web.base_url(request)}/_sim/payu/checkout/{order.id}",
    )


def _callback(order: Order, account: Account, status: str) -> dict[str, str]:
    """The fields PayU posts back (browser and S2S alike), hashed with the reverse hash."""
    form = order.extra["form"]
    success = status == "success"
    fields = {
        "mihpayid": order.payment_id or "",
        "mode": "UPI",
        "status": status,
        "unmappedstatus": {"success": "captured", "failure": "failed"}.get(status, status),
        "key": account.key_id,
        "txnid": order.receipt,
        "amount": form["amount"],
        "discount": "0.00",
        "net_amount_debit": form["amount"] if success else "0",
        "addedon": time.strftime("%Y-%m-%d %H:%M:%S"),
        "productinfo": form.get("productinfo", ""),
        "firstname": form.get("firstname", ""),
        "lastname": "",
        "email": form.get("email", ""),
        "phone": form.get("phone", ""),
        **{u: form.get(u, "") for u in (*UDFS, "udf6", "udf7", "udf8", "udf9", "udf10")},
        "field9": "Transaction is Successful" if success else "Transaction declined by the payer's bank",
        "payment_source": "payu",
        "PG_TYPE": "UPI-PG",
        "bank_ref_num": order.extra.get("bank_ref_num", ""),
        "bankcode": "UPI",
        "error": "E000" if success else "E1602",
        "error_Message": "No Error" if success else "Bank was unable to authenticate.",
    }
    fields["hash"] = response_hash(account.key_id, account.key_secret, fields)
    return fields


def _s2s(fields: dict[str, str]) -> faults.Webhook:
    return faults.Webhook(urlencode(fields).encode(), {"content-type": "application/x-www-form-urlencoded"})


def complete(state: SimulatorState, order: Order, account: Account, outcome: str) -> dict[str, str]:
    """The payer finished: settle the order and send PayU's S2S callback; returns the callback fields."""
    if order.status == "created":
        order.payment_id = _mihpayid()
        order.status = "paid" if outcome == "success" else "failed"
        order.extra["bank_ref_num"] = str(secrets.randbelow(10**12)).zfill(12)
        # what an out-of-order delivery sends late: the pending callback from before the bank answered
        stale = _s2s(_callback(order, account, "pending"))
        faults.dispatch(
            state,
            account,
            account.webhook_url,
            [_s2s(_callback(order, account, _status(order)))],
            stale=stale,
        )
    return _callback(order, account, _status(order))


def _status(order: Order) -> str:
    return {"paid": "success", "failed": "failure"}.get(order.status, "pending")


def _back_to_merchant(order: Order, fields: dict[str, str]) -> HTMLResponse:
    target = order.return_url if fields["status"] == "success" else order.extra["form"].get("furl", "")
    if target:
        return web.autosubmit_page(target, fields, title="Returning to the merchant")
    return web.finish_page(fields["status"])


@router.post("/_sim/payu/checkout/{order_id}")
async def checkout_submit(order_id: str, request: Request) -> Response:
    choice = await web.payer_choice(request, order_id)
    if isinstance(choice, Response):
        return choice
    state, order, account, outcome = choice
    return _back_to_merchant(order, complete(state, order, account, outcome))


def _details(order: Order) -> dict[str, Any]:
    """One transaction as verify_payment reports it (an order not yet paid or failed is "pending")."""
    form, success = order.extra["form"], order.status == "paid"
    return {
        "mihpayid": order.payment_id or "Not Found",
        "request_id": "",
        "txnid": order.receipt,
        "bank_ref_num": order.extra.get("bank_ref_num"),
        "amt": form["amount"],
        "transaction_amount": form["amount"],
        "additional_charges": "0.00",
        "productinfo": form.get("productinfo", ""),
        "firstname": form.get("firstname", ""),
        "bankcode": "UPI",
        **{u: form.get(u, "") for u in UDFS},
        "error_code": "E000" if success else "E1602",
        "addedon": time.strftime("%Y-%m-%d %H:%M:%S"),
        "payment_source": "payu",
        "mode": "UPI",
        "PG_TYPE": "UPI-PG",
        "status": _status(order),
        "unmappedstatus": {"paid": "captured", "failed": "failed"}.get(order.status, "pending"),
        "net_amount_debit": form["amount"] if success else "0.00",
        "disc": "0.00",
    }


def _verify_payment(state: SimulatorState, account: Account, var1: str) -> dict[str, Any]:
    txnids = [t for t in var1.split("|") if t]
    details: dict[str, Any] = {}
    for txnid in txnids:
        order_id = state.by_receipt.get((account.key_id, txnid))
        details[txnid] = (
            _details(state.orders[order_id]) if order_id else {"mihpayid": "Not Found", "status": "Not Found"}
        )
    found = sum(1 for d in details.values() if d["status"] != "Not Found")
    return {
        "status": 1 if found else 0,
        "msg": f"{found} out of {len(txnids)} Transactions Fetched Successfully",
        "transaction_details": details,
    }


def _refund(state: SimulatorState, account: Account, fields: dict[str, str]) -> dict[str, Any]:
    mihpayid, token, amount_text = fields.get("var1", ""), fields.get("var2", ""), fields.get("var3", "")
    order = next(
        (
            o
            for o in state.orders.values()
            if o.key_id == account.key_id and o.payment_id == mihpayid and mihpayid
        ),
        None,
    )
    if order is None:
        return {"status": 0, "msg": "Invalid payuid: no such transaction", "error_code": 234}
    for done in order.refunds:
        if done["token"] == token:  # the same token is the same refund request
            return done["response"]
    amount = paise(amount_text) if _AMOUNT.match(amount_text) else None
    refunded = sum(r["amount"] for r in order.refunds)
    if order.status != "paid":
        return {"status": 0, "msg": "Transaction is not in captured state", "error_code": 236}
    if not token or not amount or amount + refunded > order.amount:
        return {
            "status": 0,
            "msg": "Refund amount is more than the amount left to refund, or token is missing",
            "error_code": 237,
        }
    response = {
        "status": 1,
        "msg": "Refund Request Queued",
        "request_id": str(secrets.randbelow(10**11)),
        "bank_ref_num": None,
        "mihpayid": mihpayid,
        "error_code": 102,
    }
    order.refunds.append({"token": token, "amount": amount, "response": response})
    return response


@router.post("/merchant/postservice.php")
@router.post("/merchant/postservice")
async def postservice(request: Request) -> Response:
    """PayU's command API (form=2 answers JSON); each command hashed as sha512(key|command|var1|salt)."""
    fields, state = await web.form_fields(request), web.sim(request)
    account = web.provider_account(request, fields.get("key", ""), "payu")
    if account is None:
        return JSONResponse({"status": 0, "msg": "Invalid key"})
    fault = await faults.api_fault(state, account, _API_ERRORS)
    if fault is not None:
        return fault
    command, var1 = fields.get("command", ""), fields.get("var1", "")
    if not equal(
        command_hash(account.key_id, account.key_secret, command, var1), fields.get("hash", "").lower()
    ):
        return JSONResponse({"status": 0, "msg": "Invalid Hash."})
    if command == "verify_payment":
        return JSONResponse(_verify_payment(state, account, var1))
    if command == "cancel_refund_transaction":
        return JSONResponse(_refund(state, account, fields))
    return JSONResponse(
        {
            "status": 0,
            "msg": f"Invalid command {command!r} (the simulator knows verify_payment "
            "and cancel_refund_transaction)",
        }
    )
