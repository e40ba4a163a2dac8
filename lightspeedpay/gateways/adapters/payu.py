"""PayU India: hosted-form checkout (request hash), verify_payment, refunds, and S2S callbacks (reverse hash).

For PayU the "order" is our own `txnid`: nothing is created at PayU until the payer's browser posts the
signed form to `_payment`, so create_order makes no call and returns a link that posts that form.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from lightspeedpay.gateways.adapters import transport
from lightspeedpay.gateways.adapters.base import (
    GatewayAccount,
    InvalidPspSignature,
    OrderRequest,
    PaymentOutcome,
    PspAdapter,
    PspDeclined,
    PspEventData,
    PspOrder,
    PspRefund,
    PspStatus,
    PspTechnicalError,
    payment_method,
)
from lightspeedpay.kit.signing import equal

UDFS = ("udf1", "udf2", "udf3", "udf4", "udf5")
# PayU's own limits (docs and the official Node SDK's hasher)
_MAX = {"txnid": 25, "productinfo": 100, "firstname": 60, "email": 50}
# A "pending" callback is left pending, not failed as PayU's callback page suggests: the platform
# reconciles with verify_payment and expires what never settles, while failing early could fail a
# payment that later succeeds.
_OUTCOMES: dict[str, PaymentOutcome] = {
    "success": "paid",
    "failure": "failed",
    "failed": "failed",
    "pending": "pending",
}
# production splits the hosted form and the command API over two hosts; test and the simulator do not
_POSTSERVICE_HOSTS = {"https://secure.payu.in": "https://info.payu.in"}
_CONNECTIVITY_TXNID = "lsp-connectivity-check"


def _sha512(text: str) -> str:
    return hashlib.sha512(text.encode()).hexdigest()


def request_hash_string(key: str, salt: str, fields: Mapping[str, str]) -> str:
    """`key|txnid|amount|productinfo|firstname|email|udf1..udf5||||||SALT`: udf6-10 slots left empty."""
    head = [key, *(fields.get(name, "") for name in ("txnid", "amount", "productinfo", "firstname", "email"))]
    return "|".join([*head, *(fields.get(u, "") for u in UDFS), "", "", "", "", "", salt])


def request_hash(key: str, salt: str, fields: Mapping[str, str]) -> str:
    return _sha512(request_hash_string(key, salt, fields))


def response_hash_string(key: str, salt: str, fields: Mapping[str, str]) -> str:
    """`[additionalCharges|]SALT|status||||||udf5..udf1|email|firstname|productinfo|amount|txnid|key`,
    from the posted-back values (the documented formula, not the Python SDKs' one that omits status)."""
    tail = [
        *(fields.get(u, "") for u in reversed(UDFS)),
        *(fields.get(name, "") for name in ("email", "firstname", "productinfo", "amount", "txnid")),
    ]
    parts = [salt, fields.get("status", ""), "", "", "", "", "", *tail, key]
    charges = fields.get("additionalCharges")
    return "|".join([charges, *parts] if charges else parts)


def response_hash(key: str, salt: str, fields: Mapping[str, str]) -> str:
    return _sha512(response_hash_string(key, salt, fields))


def verify_response_hash(key: str, salt: str, fields: Mapping[str, str]) -> bool:
    posted = fields.get("hash", "")
    return bool(posted) and equal(response_hash(key, salt, fields), posted.lower())


def command_hash(key: str, salt: str, command: str, var1: str) -> str:
    """General (postservice) APIs: `sha512(key|command|var1|salt)`."""
    return _sha512(f"{key}|{command}|{var1}|{salt}")


def txnid_for(transaction_id: uuid.UUID) -> str:
    """Our transaction id in PayU's 25-character txnid: base 36 fits all 128 bits and reads back."""
    n, digits = transaction_id.int, []
    while n:
        n, d = divmod(n, 36)
        digits.append("0123456789abcdefghijklmnopqrstuvwxyz"[d])
    return "".join(reversed(digits)).rjust(_MAX["txnid"], "0")


def _form_fields(account: GatewayAccount, order: OrderRequest) -> dict[str, str]:
    customer = order.customer
    fields = {
        "key": account.credentials["key"],
        "txnid": txnid_for(order.transaction_id),
        "amount": transport.rupees(order.amount),
        "productinfo": str(order.notes.get("description") or f"Order {order.receipt}")[: _MAX["productinfo"]],
        "firstname": str(customer.get("name") or customer.get("firstname") or "Customer")[
            : _MAX["firstname"]
        ],
        "email": str(customer.get("email") or "")[: _MAX["email"]],
        "phone": str(customer.get("phone") or customer.get("contact") or ""),
        "surl": order.return_url,
        "furl": order.return_url,
        "udf1": order.receipt[:255],
    }
    fields["hash"] = request_hash(account.credentials["key"], account.credentials["salt"], fields)
    return fields


def _postservice_url(account: GatewayAccount) -> str:
    base = account.base_url.rstrip("/")
    return _POSTSERVICE_HOSTS.get(base, base) + "/merchant/postservice.php?form=2"


def _decline(body: Any) -> tuple[str, str]:
    if isinstance(body, Mapping):
        return f"PAYU_{body.get('error_code') or 'ERROR'}", str(body.get("msg") or "")
    return "", ""


async def _command(account: GatewayAccount, command: str, var1: str, **more: str) -> dict[str, Any]:
    """One postservice command; PayU answers business failures with HTTP 200 and `status: 0`."""
    key, salt = account.credentials["key"], account.credentials["salt"]
    data = {
        "key": key,
        "command": command,
        "var1": var1,
        **more,
        "hash": command_hash(key, salt, command, var1),
    }
    body = await transport.call_json(account, "POST", _postservice_url(account), data=data, decline=_decline)
    if not isinstance(body, dict):
        raise PspTechnicalError("PSP_BAD_RESPONSE", f"payu {command} answered a non-object")
    return body


def _callback_fields(body: bytes) -> dict[str, str]:
    """PayU posts callbacks form-encoded, or as JSON when the merchant chose JSON payloads."""
    text = body.decode("utf-8", "replace")
    if text.lstrip().startswith("{"):
        event = transport.json_event("payu", body)
        return {str(k): "" if v is None else str(v) for k, v in event.items()}
    return dict(parse_qsl(text, keep_blank_values=True))


class PayUAdapter(PspAdapter):
    provider = "payu"
    credential_fields = ("key", "salt")

    async def create_order(self, account: GatewayAccount, order: OrderRequest) -> PspOrder:
        if order.currency != "INR":
            raise PspDeclined("CURRENCY_NOT_SUPPORTED", f"PayU India takes INR, not {order.currency}")
        fields = _form_fields(account, order)
        action = transport.url(account, "/_payment")
        return PspOrder(
            gateway_txn_id=fields["txnid"],
            checkout_url=transport.form_launch_url(account, action, fields),
            raw={"action": action, "form": fields},
        )

    def parse_webhook(self, account: GatewayAccount, headers: dict[str, str], body: bytes) -> PspEventData:
        fields = _callback_fields(body)
        key, salt = account.credentials["key"], account.credentials["salt"]
        if fields.get("key") != key or not verify_response_hash(key, salt, fields):
            raise InvalidPspSignature("payu reverse hash does not match")
        status, mihpayid = fields.get("status", ""), fields.get("mihpayid", "")
        if not mihpayid or not fields.get("txnid"):
            raise InvalidPspSignature("malformed payu callback: no mihpayid or txnid")
        failed = _OUTCOMES.get(status) == "failed"
        return PspEventData(
            # one callback per payment and status: a resent callback repeats both
            external_id=f"{mihpayid}:{status}",
            event_type=f"payment.{status}",
            gateway_txn_id=fields["txnid"],
            payment_outcome=_OUTCOMES.get(status),
            gateway_payment_id=mihpayid,
            amount=transport.paise(fields.get("amount")),
            error_code=(fields.get("error") or None) if failed else None,
            error_message=(fields.get("error_Message") or fields.get("field9") or None) if failed else None,
            raw=fields,
            payment_method=payment_method(fields.get("mode")),
        )

    async def fetch_status(self, account: GatewayAccount, gateway_txn_id: str) -> PspStatus:
        body = await _command(account, "verify_payment", gateway_txn_id)
        details = (body.get("transaction_details") or {}).get(gateway_txn_id)
        if not isinstance(details, dict):
            code, message = _decline(body)
            raise PspDeclined(code, message or "payu verify_payment gave no transaction details")
        mihpayid = details.get("mihpayid")
        found = mihpayid not in (None, "", "Not Found")
        return PspStatus(
            outcome=_OUTCOMES.get(str(details.get("status")), "pending"),
            gateway_payment_id=str(mihpayid) if found else None,
            amount=transport.paise(details.get("amt")) if found else None,
            raw=body,
        )

    async def refund(
        self,
        account: GatewayAccount,
        gateway_payment_id: str,
        amount: int,
        *,
        refund_ref: str,
        notes: dict[str, Any] | None = None,
    ) -> PspRefund:
        # var2 is the merchant's unique token for this refund, var3 the amount in rupees
        body = await _command(
            account,
            "cancel_refund_transaction",
            gateway_payment_id,
            var2=refund_ref,
            var3=transport.rupees(amount),
        )
        if body.get("status") != 1:
            raise PspDeclined(*_decline(body))
        refund_id = body.get("request_id") or body.get("txn_update_id")
        # "Refund Request Queued": PayU settles refunds later
        return PspRefund(refund_id=str(refund_id or refund_ref), outcome="pending", raw=body)

    async def check_connectivity(self, account: GatewayAccount) -> None:
        # verify_payment for a txnid that does not exist: harmless, and PayU checks the key and hash
        body = await _command(account, "verify_payment", _CONNECTIVITY_TXNID)
        if not isinstance(body.get("transaction_details"), dict):
            raise PspDeclined(*_decline(body))
