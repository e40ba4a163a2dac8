"""The sandbox PSP: our own simple wire format, served by the PSP simulator, for demos and tests."""

from __future__ import annotations

import json
from typing import Any

from lightspeedpay.gateways.adapters import transport
from lightspeedpay.gateways.adapters.base import (
    GatewayAccount,
    InvalidPspSignature,
    OrderRequest,
    PspAdapter,
    PspEventData,
    PspOrder,
    PspRefund,
    PspStatus,
    payment_method,
)
from lightspeedpay.kit.signing import equal, hmac_sha256_hex

SIGNATURE_HEADER = "x-sandbox-signature"

_OUTCOMES = {
    "payment.succeeded": "paid",
    "payment.failed": "failed",
    "payment.authorized": "authorized",
    "payment.pending": "pending",
}
_ORDER_STATUS = {
    "created": "pending",
    "attempted": "pending",
    "authorized": "authorized",
    "paid": "paid",
    "failed": "failed",
}


def sign_body(webhook_secret: str, body: bytes) -> str:
    return hmac_sha256_hex(webhook_secret, body)


async def call(account: GatewayAccount, method: str, path: str, json_body: Any = None) -> dict[str, Any]:
    """One authenticated call; 5xx and network trouble are technical, 4xx are declines."""
    auth = (account.credentials["key_id"], account.credentials["key_secret"])
    return await transport.call_json(
        account,
        method,
        transport.url(account, path),
        json=json_body,
        auth=auth,
        decline=transport.error_object_decline,
    )


class SandboxAdapter(PspAdapter):
    provider = "sandbox"
    credential_fields = ("key_id", "key_secret", "webhook_secret")

    async def create_order(self, account: GatewayAccount, order: OrderRequest) -> PspOrder:
        body = await call(
            account,
            "POST",
            "/sandbox/v1/orders",
            {
                "amount": order.amount,
                "currency": order.currency,
                "receipt": order.receipt,
                "notes": order.notes,
                "return_url": order.return_url,
                "webhook_url": order.webhook_url,
            },
        )
        return PspOrder(gateway_txn_id=body["id"], checkout_url=body["checkout_url"], raw=body)

    def parse_webhook(self, account: GatewayAccount, headers: dict[str, str], body: bytes) -> PspEventData:
        signature = {k.lower(): v for k, v in headers.items()}.get(SIGNATURE_HEADER, "")
        if not signature or not equal(sign_body(account.credentials["webhook_secret"], body), signature):
            raise InvalidPspSignature("sandbox signature does not match")
        try:
            event = json.loads(body)
            data = event["data"]
            return PspEventData(
                external_id=str(event["id"]),
                event_type=str(event["type"]),
                gateway_txn_id=data.get("order_id"),
                payment_outcome=_OUTCOMES.get(event["type"]),  # type: ignore[arg-type]
                gateway_payment_id=data.get("payment_id"),
                amount=data.get("amount"),
                error_code=data.get("error_code"),
                error_message=data.get("error_description"),
                raw=event,
                payment_method=payment_method(data.get("method")),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InvalidPspSignature(f"malformed sandbox event: {exc}") from exc

    async def fetch_status(self, account: GatewayAccount, gateway_txn_id: str) -> PspStatus:
        body = await call(account, "GET", f"/sandbox/v1/orders/{gateway_txn_id}")
        return PspStatus(
            outcome=_ORDER_STATUS.get(body["status"], "pending"),  # type: ignore[arg-type]
            gateway_payment_id=body.get("payment_id"),
            amount=body.get("amount"),
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
        body = await call(
            account,
            "POST",
            f"/sandbox/v1/payments/{gateway_payment_id}/refunds",
            {"amount": amount, "reference": refund_ref, "notes": notes or {}},
        )
        return PspRefund(refund_id=body["id"], outcome=body["status"], raw=body)

    async def capture(
        self, account: GatewayAccount, gateway_payment_id: str, amount: int, currency: str
    ) -> None:
        await call(
            account,
            "POST",
            f"/sandbox/v1/payments/{gateway_payment_id}/capture",
            {"amount": amount, "currency": currency},
        )

    async def check_connectivity(self, account: GatewayAccount) -> None:
        await call(account, "GET", "/sandbox/v1/ping")
