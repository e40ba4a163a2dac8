"""Request and response bodies of the ledger APIs (the operator's commission ledger, payouts, adjustments)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, field_validator

Reference = Annotated[
    StrictStr,
    Field(
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-./:#]*$",
        examples=["UTR-2026-000123"],
    ),
]
Paise = Annotated[StrictInt, Field(le=10**15, ge=-(10**15), description="paise (₹1 = 100)")]


class PayoutCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Paise = Field(description="dues paid, in paise", examples=[250_000])
    reference: Reference = Field(
        description="the payment's reference (bank UTR, receipt); the same reference again is the same payout"
    )

    @field_validator("amount")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value <= 0:
            raise ValueError("must be a positive whole number of paise")
        return value


class AdjustmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Paise = Field(
        description="the change to balance_due in paise: positive raises the dues, negative lowers them",
        examples=[-5_000],
    )
    reason: Annotated[StrictStr, Field(max_length=500)] = Field(description="why; mandatory and kept")
    reference: Reference | None = Field(default=None, description="optional; makes the request idempotent")

    @field_validator("amount")
    @classmethod
    def _nonzero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("must not be zero")
        return value

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("is required: say why the dues change")
        return value.strip()


class LegOut(BaseModel):
    account: str = Field(
        description="merchant_dues, or the platform's commission_revenue, cash, "
        "settlement_clearing or adjustments"
    )
    amount: int = Field(description="paise; positive is a debit, negative a credit")


class PostingOut(BaseModel):
    id: uuid.UUID
    type: str
    merchant_id: uuid.UUID
    company_name: str | None = None
    amount: int = Field(description="the change to balance_due, in paise")
    subject_amount: int | None = Field(
        description="the payment (COMMISSION) or refund (COMMISSION_REVERSAL) amount it was computed from"
    )
    transaction_id: uuid.UUID | None
    refund_id: uuid.UUID | None
    settlement_id: uuid.UUID | None
    correlation_key: str
    reference: str | None
    reason: str | None
    actor: str
    created_at: datetime
    legs: list[LegOut] = []


class PostingRecorded(BaseModel):
    posting: PostingOut
    created: bool = Field(description="false when this reference was already recorded (an idempotent replay)")
    balance_due: int
    merchant_status: str


class LedgerTotals(BaseModel):
    merchant_id: uuid.UUID
    company_name: str
    period: str = Field(description="the day or month (YYYY-MM-DD / YYYY-MM), in the settlement time zone")
    commission: int
    reversals: int
    payouts: int
    adjustments: int
    net_change: int
    postings: int


class CommissionLedger(BaseModel):
    items: list[PostingOut]
    totals: list[LedgerTotals]
    next_cursor: str | None


@dataclass(frozen=True)
class LedgerFilter:
    client_id: uuid.UUID | None = None
    type: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
