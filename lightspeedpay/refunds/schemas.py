"""Request and response bodies of the native refunds API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator

from lightspeedpay.models.base import values
from lightspeedpay.models.refund import RefundKind, RefundSpeed, RefundStatus
from lightspeedpay.payments.schemas import NoteValue


class RefundCreate(BaseModel):
    """Both surfaces' refund request: no amount refunds what is left of the captured amount."""

    model_config = ConfigDict(extra="forbid")

    amount: StrictInt | None = Field(
        default=None, description="Amount in paise; omit to refund the rest.", examples=[5000]
    )
    speed: Literal[values(RefundSpeed)] = RefundSpeed.NORMAL  # type: ignore[valid-type]
    notes: dict[Annotated[str, Field(max_length=64)], NoteValue] | None = Field(default=None, max_length=15)
    receipt: Annotated[str, Field(min_length=1, max_length=40)] | None = None

    @field_validator("amount")
    @classmethod
    def _amount(cls, value: int | None) -> int | None:
        if value is not None and value <= 0:
            raise ValueError("must be a positive whole number of paise")
        return value


class RefundOut(BaseModel):
    id: str = Field(description="rfnd_…", examples=["rfnd_FP8DDKxqJif6ca"])
    transaction_id: uuid.UUID
    payment_id: str
    amount: int
    currency: str
    status: Literal[values(RefundStatus)]  # type: ignore[valid-type]
    kind: Literal[values(RefundKind)]  # type: ignore[valid-type]
    speed: str
    notes: dict[str, Any] | None
    receipt: str | None
    gateway_refund_id: str | None
    error_code: str | None
    error_message: str | None
    processed_at: datetime | None
    created_at: datetime


class RefundList(BaseModel):
    items: list[RefundOut]
    next_cursor: str | None
