"""PhonePe PG v2: OAuth client-credentials token, standard checkout, order status, refunds, callbacks.

PhonePe refunds and reports by *our* merchantOrderId, so that id is both the order handle
(gateway_txn_id) and the payment handle (gateway_payment_id); PhonePe's own ids stay in `raw`.
A callback's Authorization header is a static digest of the dashboard username and password that
does not cover the body, so every callback must be confirmed with fetch_status before money moves.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass, field
from typing import Any

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
    RefundOutcome,
    payment_method,
)
from lightspeedpay.kit.signing import equal

# root-level payload.state is the only field PhonePe says to rely on
_ORDER_STATES: dict[str, PaymentOutcome] = {
    "COMPLETED": "paid",
    "FAILED": "failed",
    "EXPIRED": "failed",
    "PENDING": "pending",
}
_REFUND_STATES: dict[str, RefundOutcome] = {
    "COMPLETED": "processed",
    "FAILED": "failed",
    "PENDING": "pending",
    "CONFIRMED": "pending",
    "ACCEPTED": "pending",
}
# production issues tokens from identity-manager, beside the PG host; the sandbox serves both at one base
_TOKEN_HOSTS = {"/apis/pg": "/apis/identity-manager"}
_EXPIRE_AFTER_SECONDS = 1200  # PhonePe's default payment window: 20 minutes


def callback_authorization(username: str, password: str) -> str:
    """The Authorization header PhonePe sends on callbacks: hex sha256 of `username:password`."""
    return hashlib.sha256(f"{username}:{password}".encode()).hexdigest()


def _token_url(account: GatewayAccount) -> str:
    base = account.base_url.rstrip("/")
    for pg, identity in _TOKEN_HOSTS.items():
        if base.endswith(pg):
            base = base[: -len(pg)] + identity
    return base + "/v1/oauth/token"


def _decline(body: Any) -> tuple[str, str]:
    if isinstance(body, dict):
        return str(body.get("code") or body.get("errorCode") or ""), str(body.get("message") or "")
    return "", ""


@dataclass(frozen=True)
class _Token:
    header: str = field(repr=False)  # "O-Bearer <access_token>", a secret
    refresh_at: float  # monotonic clock


class TokenCache:
    """Tokens per account, refreshed at half their lifetime as PhonePe's SDKs do, one fetch at a time."""

    def __init__(self) -> None:
        self._tokens: dict[tuple[str, str, str], _Token] = {}
        self._locks: dict[tuple[str, str, str], asyncio.Lock] = {}

    @staticmethod
    def _key(account: GatewayAccount) -> tuple[str, str, str]:
        return str(account.gateway_id), account.base_url, account.credentials["client_id"]

    async def header(self, account: GatewayAccount, *, stale: str | None = None) -> str:
        """A valid Authorization header; `stale` is one the PSP just refused, never to be handed out again."""
        key = self._key(account)
        token = self._tokens.get(key)
        if token and token.header != stale and time.monotonic() < token.refresh_at:
            return token.header
        async with self._locks.setdefault(key, asyncio.Lock()):
            token = self._tokens.get(key)  # another caller may have refreshed it meanwhile
            if not token or token.header == stale or time.monotonic() >= token.refresh_at:
                token = await self.fetch(account)
        return token.header

    async def fetch(self, account: GatewayAccount) -> _Token:
        creds = account.credentials
        body = await transport.call_json(
            account,
            "POST",
            _token_url(account),
            decline=_decline,
            data={
                "client_id": creds["client_id"],
                "client_version": creds["client_version"],
                "client_secret": creds["client_secret"],
                "grant_type": "client_credentials",
            },
        )
        access_token = transport.require(body, "access_token")
        issued_at, expires_at = body.get("issued_at"), body.get("expires_at")
        if isinstance(issued_at, int) and isinstance(expires_at, int):
            lifetime = float(expires_at - issued_at)
        else:
            lifetime = float(body.get("expires_in") or 0)
        # timed on our own clock from now, so skew between the hosts cannot keep a dead token alive
        token = _Token(
            header=f"{body.get('token_type') or 'O-Bearer'} {access_token}",
            refresh_at=time.monotonic() + max(lifetime, 0.0) / 2,
        )
        self._tokens[self._key(account)] = token
        return token


tokens = TokenCache()


async def _call(account: GatewayAccount, method: str, path: str, **kwargs: Any) -> Any:
    """An authorised call; a 401 means the token was revoked early, so fetch a fresh one and retry once."""
    target, header = transport.url(account, path), await tokens.header(account)
    resp = await transport.send(account, method, target, headers={"Authorization": header}, **kwargs)
    if resp.status_code == 401:
        header = await tokens.header(account, stale=header)
        resp = await transport.send(account, method, target, headers={"Authorization": header}, **kwargs)
    return transport.answer(resp, _decline)


def _last_payment(payload: dict[str, Any]) -> dict[str, Any]:
    details = payload.get("paymentDetails")
    return details[-1] if isinstance(details, list) and details and isinstance(details[-1], dict) else {}


def _event_data(event: dict[str, Any]) -> PspEventData:
    name = str(event.get("event") or event.get("type") or "")
    payload = event["payload"]
    state = str(payload.get("state") or "")
    if "refund" in name.lower():
        order_id, refund_id = payload.get("originalMerchantOrderId"), payload.get("refundId")
        return PspEventData(
            external_id=f"{name}:{refund_id}:{state}",
            event_type=name,
            gateway_txn_id=order_id,
            gateway_payment_id=order_id,
            amount=payload.get("amount"),
            refund_id=refund_id,
            refund_outcome=_REFUND_STATES.get(state),
            error_code=payload.get("errorCode"),
            raw=event,
        )
    order_id, attempt = payload.get("merchantOrderId"), _last_payment(payload)
    return PspEventData(
        # PhonePe callbacks carry no event id; the event, order and state identify one, resends included
        external_id=f"{name}:{payload.get('orderId') or order_id}:{state}",
        event_type=name,
        gateway_txn_id=order_id,
        payment_outcome=_ORDER_STATES.get(state),
        gateway_payment_id=order_id,
        amount=payload.get("amount"),
        error_code=payload.get("errorCode") or attempt.get("errorCode"),
        error_message=payload.get("detailedErrorCode") or attempt.get("detailedErrorCode"),
        raw=event,
        payment_method=payment_method(attempt.get("paymentMode")),
    )


class PhonePeAdapter(PspAdapter):
    provider = "phonepe"
    webhook_needs_confirmation = True
    credential_fields = (
        "client_id",
        "client_secret",
        "client_version",
        "webhook_username",
        "webhook_password",
    )

    async def create_order(self, account: GatewayAccount, order: OrderRequest) -> PspOrder:
        if order.currency != "INR":
            raise PspDeclined("CURRENCY_NOT_SUPPORTED", f"PhonePe takes INR, not {order.currency}")
        merchant_order_id = order.transaction_id.hex  # letters and digits, within PhonePe's 63 characters
        body = await _call(
            account,
            "POST",
            "/checkout/v2/pay",
            json={
                "merchantOrderId": merchant_order_id,
                "amount": order.amount,
                "expireAfter": _EXPIRE_AFTER_SECONDS,
                "metaInfo": {"udf1": order.receipt[:256]},
                "paymentFlow": {
                    "type": "PG_CHECKOUT",
                    "message": str(order.notes.get("description") or "")[:100],
                    "merchantUrls": {"redirectUrl": order.return_url},
                },
            },
        )
        return PspOrder(
            gateway_txn_id=merchant_order_id,
            checkout_url=str(transport.require(body, "redirectUrl")),
            raw=body,
        )

    def parse_webhook(self, account: GatewayAccount, headers: dict[str, str], body: bytes) -> PspEventData:
        creds = account.credentials
        expected = callback_authorization(creds["webhook_username"], creds["webhook_password"])
        given = transport.lower_headers(headers).get("authorization", "").strip().lower()
        if not given or not equal(expected, given):
            raise InvalidPspSignature("phonepe callback authorization does not match")
        event = transport.json_event(self.provider, body)
        try:
            return _event_data(event)
        except (KeyError, TypeError, AttributeError) as exc:
            raise InvalidPspSignature(f"malformed phonepe event: {exc}") from exc

    async def fetch_status(self, account: GatewayAccount, gateway_txn_id: str) -> PspStatus:
        body = await _call(
            account, "GET", f"/checkout/v2/order/{gateway_txn_id}/status", params={"details": "false"}
        )
        outcome = _ORDER_STATES.get(str(transport.require(body, "state")), "pending")
        return PspStatus(
            outcome=outcome,
            gateway_payment_id=gateway_txn_id if outcome == "paid" else None,
            amount=body.get("amount") if outcome == "paid" else None,
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
        body = await _call(
            account,
            "POST",
            "/payments/v2/refund",
            json={
                "merchantRefundId": refund_ref,
                "originalMerchantOrderId": gateway_payment_id,
                "amount": amount,
            },
        )
        return PspRefund(
            refund_id=str(transport.require(body, "refundId")),
            outcome=_REFUND_STATES.get(str(body.get("state")), "pending"),
            raw=body,
        )

    async def check_connectivity(self, account: GatewayAccount) -> None:
        await tokens.fetch(account)  # a fresh token proves the host answers and the credentials hold
