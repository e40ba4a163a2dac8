"""The one interface every PSP adapter implements; adding a PSP is adding one module."""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Literal

# Our own normalised view of what a PSP says happened.
PaymentOutcome = Literal["pending", "authorized", "paid", "failed"]
RefundOutcome = Literal["pending", "processed", "failed"]


@dataclass(frozen=True)
class GatewayAccount:
    """A pool gateway with its credentials decrypted, for the adapter's use only."""

    gateway_id: uuid.UUID
    name: str
    provider: str
    base_url: str
    credentials: dict[str, str]

    def __repr__(self) -> str:  # never let credentials reach a log line
        return f"GatewayAccount({self.name!r}, provider={self.provider!r})"


@dataclass(frozen=True)
class OrderRequest:
    transaction_id: uuid.UUID
    amount: int
    currency: str
    receipt: str
    notes: dict[str, Any] = field(default_factory=dict)
    customer: dict[str, Any] = field(default_factory=dict)
    # where the PSP sends its server-to-server webhook, and where the payer returns afterwards
    webhook_url: str = ""
    return_url: str = ""


@dataclass(frozen=True)
class PspOrder:
    gateway_txn_id: str
    checkout_url: str
    raw: dict[str, Any]


@dataclass(frozen=True)
class PspEventData:
    """A verified PSP webhook, parsed into what the platform needs."""

    external_id: str
    event_type: str
    gateway_txn_id: str | None
    payment_outcome: PaymentOutcome | None = None
    gateway_payment_id: str | None = None
    amount: int | None = None
    refund_id: str | None = None
    refund_outcome: RefundOutcome | None = None
    error_code: str | None = None
    error_message: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    # how the payer paid, normalised by payment_method() (None: the event does not say)
    payment_method: str | None = None


@dataclass(frozen=True)
class PspStatus:
    outcome: PaymentOutcome
    gateway_payment_id: str | None
    amount: int | None
    raw: dict[str, Any]


@dataclass(frozen=True)
class PspRefund:
    refund_id: str
    outcome: RefundOutcome
    raw: dict[str, Any]


# PSPs' names for a payment method -> ours (models.transaction.PaymentMethod); any other name is "other"
_METHODS = {
    "upi": "upi",
    "upi_intent": "upi",
    "upi_collect": "upi",
    "upi_qr": "upi",
    "card": "card",
    "cards": "card",
    "cc": "card",
    "dc": "card",
    "credit_card": "card",
    "debit_card": "card",
    "netbanking": "netbanking",
    "net_banking": "netbanking",
    "nb": "netbanking",
    "wallet": "wallet",
    "cash": "wallet",  # PayU's mode for wallets
    "emi": "emi",
    "cardless_emi": "emi",
    "paylater": "paylater",
    "pay_later": "paylater",
    "bnpl": "paylater",
}


def payment_method(raw: Any) -> str | None:
    """A PSP's payment method (Razorpay `method`, PayU `mode`, PhonePe `paymentMode`) in our words."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    return _METHODS.get(raw.strip().lower(), "other")


class PspError(Exception):
    """A PSP call did not succeed. `technical` errors (timeouts, 5xx) may be retried elsewhere;
    declines never are."""

    technical = True

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class PspTechnicalError(PspError):
    technical = True


class PspDeclined(PspError):
    technical = False


class InvalidPspSignature(Exception):
    pass


class PspAdapter(ABC):
    provider: str
    # whether a webhook's body is covered by its signature; if not, confirm with fetch_status first
    webhook_needs_confirmation: bool = False
    # which credential keys a gateway of this provider needs
    credential_fields: tuple[str, ...] = ()

    @abstractmethod
    async def create_order(self, account: GatewayAccount, order: OrderRequest) -> PspOrder: ...

    @abstractmethod
    def parse_webhook(self, account: GatewayAccount, headers: dict[str, str], body: bytes) -> PspEventData:
        """Verify the PSP's signature over the raw body (raise InvalidPspSignature) and parse it."""

    @abstractmethod
    async def fetch_status(self, account: GatewayAccount, gateway_txn_id: str) -> PspStatus: ...

    @abstractmethod
    async def refund(
        self,
        account: GatewayAccount,
        gateway_payment_id: str,
        amount: int,
        *,
        refund_ref: str,
        notes: dict[str, Any] | None = None,
    ) -> PspRefund: ...

    async def capture(
        self, account: GatewayAccount, gateway_payment_id: str, amount: int, currency: str
    ) -> None:
        """Capture an authorized payment (manual capture). A PSP that does not implement it captures every
        payment itself, so there is never an authorization of its to capture."""
        raise PspDeclined("CAPTURE_NOT_SUPPORTED", f"{self.provider} captures payments automatically")

    @abstractmethod
    async def check_connectivity(self, account: GatewayAccount) -> None:
        """A real, harmless call against the PSP's API; raises PspError when it does not answer properly."""
