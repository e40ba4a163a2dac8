"""What the payer's pages need: the order and its merchant, starting a payment, and its progress."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.auth.repository import principal_repo
from lightspeedpay.errors import NotFound
from lightspeedpay.gateways.repository import gateway_repo
from lightspeedpay.gateways.service import volume_month
from lightspeedpay.kit.signing import equal
from lightspeedpay.merchants.credentials import credential_service
from lightspeedpay.models import Client, Order
from lightspeedpay.models.api_credential import Mode
from lightspeedpay.models.gateway import Provider
from lightspeedpay.models.transaction import TransactionStatus
from lightspeedpay.payments.repository import order_repo, transaction_repo
from lightspeedpay.payments.signatures import payment_signature

# what each PSP's hosted page offers the payer
METHODS: dict[str, list[str]] = {
    Provider.SANDBOX: ["UPI", "Cards", "Netbanking"],
    Provider.RAZORPAY: ["UPI", "Cards", "Netbanking", "Wallets"],
    Provider.PAYU: ["Cards", "Netbanking", "UPI"],
    Provider.PHONEPE: ["UPI", "Cards"],
}
_TERMINAL = {
    TransactionStatus.PAID,
    TransactionStatus.PARTIALLY_REFUNDED,
    TransactionStatus.REFUNDED,
    TransactionStatus.AUTHORIZED,
    TransactionStatus.FAILED,
    TransactionStatus.EXPIRED,
}


@dataclass(frozen=True)
class CheckoutOrder:
    order: Order
    client: Client
    methods: list[str]


@dataclass(frozen=True)
class PaymentProgress:
    status: str  # created | pending | paid | failed | ... (the transaction's)
    done: bool
    checkout_url: str | None
    signature: str | None
    error_code: str | None
    error_message: str | None

    def as_json(self, order_id: str, payment_id: str) -> dict[str, Any]:
        return {
            "order_id": order_id,
            "payment_id": payment_id,
            "status": self.status,
            "done": self.done,
            "checkout_url": self.checkout_url,
            "signature": self.signature,
            "error": {"code": self.error_code, "description": self.error_message}
            if self.error_code
            else None,
        }


class CheckoutService:
    async def order(self, session: AsyncSession, order_public_id: str, key: str) -> CheckoutOrder:
        """The order, if `key` is its merchant's client key (a checkout link names both)."""
        found = await order_repo.with_merchant(session, order_public_id)
        # the key id of the order's mode: a test order's link names the test key
        key_id = await principal_repo.key_id_of(session, found[0].client_id, found[0].mode) if found else None
        if found is None or not key or not key_id or not equal(key_id, key):
            raise NotFound("This checkout link is not valid.", field="order_id")
        order, client = found
        # the gateway the router would pick now (the pool's one eligibility rule), only to show its methods
        provider = await gateway_repo.best_eligible_provider(
            session, order.amount, volume_month(), sandbox_only=order.mode == Mode.TEST
        )
        return CheckoutOrder(order=order, client=client, methods=METHODS.get(provider or "", []))

    async def registered_origins(self, session: AsyncSession, order_public_id: str) -> list[str]:
        """The origins the order's merchant registered for its checkout (none for an unknown order)."""
        found = await order_repo.with_merchant(session, order_public_id)
        return list(found[1].checkout_origins) if found else []

    async def latest_payment_id(self, session: AsyncSession, checkout: CheckoutOrder) -> str:
        payment_id = await transaction_repo.latest_payment_id_of_order(session, checkout.order.id)
        if payment_id is None:
            raise NotFound("No payment was started for this order.", field="order_id")
        return payment_id

    async def progress(
        self, session: AsyncSession, checkout: CheckoutOrder, payment_id: str
    ) -> PaymentProgress:
        txn = await transaction_repo.of_order(session, checkout.order.id, payment_id)
        if txn is None:
            raise NotFound("No such payment for this order.", field="payment_id")
        succeeded = txn.status in (
            TransactionStatus.PAID,
            TransactionStatus.PARTIALLY_REFUNDED,
            TransactionStatus.REFUNDED,
            TransactionStatus.AUTHORIZED,
        )
        # signed with the current secret of the order's mode, as Razorpay's handler signs with the key secret
        secret = (
            await credential_service.current_secret(session, checkout.client.id, checkout.order.mode)
            if succeeded
            else None
        )
        signature = payment_signature(secret, checkout.order.public_id, txn.payment_id) if secret else None
        return PaymentProgress(
            status=txn.status,
            done=txn.status in _TERMINAL,
            checkout_url=txn.checkout_url,
            signature=signature,
            error_code=txn.error_code,
            error_message=txn.error_message,
        )


checkout_service = CheckoutService()
