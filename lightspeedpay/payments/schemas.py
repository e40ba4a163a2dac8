"""Request and response bodies of the native payments API."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator

from lightspeedpay.config import get_settings
from lightspeedpay.models.transaction import TransactionStatus

NoteValue = Annotated[str, Field(max_length=256)] | StrictInt | float | bool


class Customer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    email: Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = None
    phone: Annotated[str, Field(pattern=r"^\+?[0-9]{10,15}$")] | None = None


class PayRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: StrictInt = Field(description="Amount in paise (₹1 = 100).", examples=[49900])
    order_id: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_\-.:/#]+$")]
    currency: Literal["INR"] = "INR"
    customer: Customer | None = None
    redirect_url: Annotated[str, Field(max_length=500, pattern=r"^https?://\S+$")] | None = None
    notes: dict[Annotated[str, Field(max_length=64)], NoteValue] | None = Field(default=None, max_length=15)

    @field_validator("amount")
    @classmethod
    def _amount(cls, value: int) -> int:
        if value <= 0:
            raise ValueError("must be a positive whole number of paise")
        cap = get_settings().max_amount
        if value > cap:
            raise ValueError(f"must not exceed {cap} paise")
        return value


class PayResponse(BaseModel):
    transaction_id: uuid.UUID
    payment_id: str = Field(description="The payment's public id, pay_… (also its id on the /v1 API).")
    status: str


def pay_response_body(transaction_id: uuid.UUID, payment_id: str) -> bytes:
    """The 201 answer of POST /api/v1/pay, byte for byte: sent, and stored for idempotent replays."""
    return orjson.dumps(
        {"transaction_id": str(transaction_id), "payment_id": payment_id, "status": TransactionStatus.CREATED}
    )


class TransactionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    payment_id: str
    order_id: str
    amount: int
    amount_refunded: int
    currency: str
    status: str
    checkout_url: str | None
    gateway_txn_id: str | None
    customer: dict[str, Any] | None
    notes: dict[str, Any] | None
    redirect_url: str | None
    error_code: str | None
    error_message: str | None
    authorized_at: datetime | None
    paid_at: datetime | None
    created_at: datetime
    updated_at: datetime
    mode: str = Field(description="test (made with a test key, sandbox gateways only) or live")


class TransactionList(BaseModel):
    items: list[TransactionOut]
    next_cursor: str | None


@dataclass(frozen=True)
class TransactionFilter:
    """A merchant's filter of its own payments (in the mode it acts in): every field narrows."""

    status: str | None = None
    created_from: datetime | None = None  # inclusive
    created_to: datetime | None = None  # exclusive
    amount_min: int | None = None  # paise, inclusive
    amount_max: int | None = None  # paise, inclusive
    # one search box: a payment id (pay_…), a transaction id, an order id or its receipt, a customer's email or
    # phone, matched exactly (payments.schemas.recognise tells which)
    text: str | None = None


class CaptureRequest(BaseModel):
    """The native capture: the whole authorized amount (partial capture is not offered)."""

    model_config = ConfigDict(extra="forbid")

    amount: StrictInt | None = Field(
        default=None,
        description="Amount in paise; omit to capture the authorized amount, which it must equal.",
        examples=[49900],
    )
    currency: Literal["INR"] | None = None


@dataclass(frozen=True)
class OrderFilter:
    receipt: str | None = None
    # Razorpay's `authorized`: orders with (True) or without (False) an authorized or captured payment
    authorized: bool | None = None


# ---- the operator's payment search (the console's payments list and its CSV export) --------------------------

# the quick views' statuses, as the analytics count them (analytics/repository.py SUCCEEDED, FAILED)
SUCCEEDED_STATUSES = (
    TransactionStatus.AUTHORIZED,
    TransactionStatus.PAID,
    TransactionStatus.PARTIALLY_REFUNDED,
    TransactionStatus.REFUNDED,
)
FAILED_STATUSES = (TransactionStatus.FAILED, TransactionStatus.EXPIRED)
REFUNDED_STATUSES = (TransactionStatus.PARTIALLY_REFUNDED, TransactionStatus.REFUNDED)
UNFINISHED_STATUSES = (TransactionStatus.CREATED, TransactionStatus.PENDING)
PENDING_TOO_LONG_MINUTES = 15

_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{8,18}[0-9]$")


@dataclass(frozen=True)
class PaymentSearch:
    """Which payments an operator asks for, across merchants (or a merchant, of its own: `client_id` and `mode`);
    every field narrows (all must hold).

    `text` is the one search box: `recognise` tells which kind of id it is. The explicit fields are exact
    matches, except `merchant` (its id, client key, or the start of its company name) and `email` (any case)."""

    text: str | None = None
    # one merchant's payments only (its own search): the search box then matches that merchant's ids and its
    # orders' receipts, never a merchant
    client_id: uuid.UUID | None = None
    payment_id: str | None = None
    transaction_id: uuid.UUID | None = None
    order_id: str | None = None
    merchant: str | None = None
    gateway_txn_id: str | None = None
    email: str | None = None
    phone: str | None = None
    statuses: tuple[str, ...] = ()
    gateway_id: uuid.UUID | None = None
    provider: str | None = None
    mode: str | None = None
    created_from: datetime | None = None  # inclusive
    created_to: datetime | None = None  # exclusive
    amount_min: int | None = None  # paise, inclusive
    amount_max: int | None = None
    # unfinished (created or pending) and created before this moment: the "pending too long" quick view
    unfinished_before: datetime | None = None


@dataclass(frozen=True)
class RecognisedId:
    """What the search box's text looks like: one kind of id, or (`any_id`) an order id, a gateway transaction
    id or a merchant's client key, tried together."""

    kind: Literal["payment_id", "uuid", "order", "email", "phone", "any_id"]
    value: str


def recognise(text: str) -> RecognisedId:
    value = text.strip()
    if value.startswith("pay_"):
        return RecognisedId("payment_id", value)
    if value.startswith("order_") and "/" not in value:
        return RecognisedId("order", value)  # a /v1 order: its payments are "{order id}/{attempt}"
    if "@" in value:
        return RecognisedId("email", value.lower())
    if _PHONE.match(value):
        return RecognisedId("phone", re.sub(r"[ \-]", "", value))
    try:
        return RecognisedId("uuid", str(uuid.UUID(value)))
    except ValueError:
        return RecognisedId("any_id", value)


def phone_forms(phone: str) -> list[str]:
    """The ways a payer's phone may have been stored: as typed, with or without India's +91 / 91 / 0."""
    digits = phone.lstrip("+")
    local = digits[-10:]
    return sorted({phone, digits, local, f"+91{local}", f"91{local}", f"0{local}"})


@dataclass(frozen=True)
class PaymentPage:
    """One page of a search, newest first, with the cursors of the pages either side (None: no such page)."""

    rows: Sequence[Any]
    next_cursor: str | None
    previous_cursor: str | None
