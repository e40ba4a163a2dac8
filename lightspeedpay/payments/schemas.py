"""Request and response bodies of the native payments API."""

from __future__ import annotations

import uuid
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
    status: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


@dataclass(frozen=True)
class OrderFilter:
    receipt: str | None = None
    # Razorpay's `authorized`: orders with (True) or without (False) an authorized or captured payment
    authorized: bool | None = None
