"""Request and response bodies of the settlements APIs."""

from __future__ import annotations

import datetime as dt
import uuid
from datetime import date, datetime

from pydantic import AliasChoices, BaseModel, ConfigDict, Field


class SettlementOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    merchant_id: uuid.UUID = Field(validation_alias=AliasChoices("client_id", "merchant_id"))
    period_date: date
    period_start: datetime
    period_end: datetime
    cutoff_at: datetime | None = Field(description="money movements before this instant were taken")
    status: str = Field(description="pending, processing, completed or failed")
    failure_reason: str | None
    currency: str
    payment_count: int
    refund_count: int
    gross_amount: int = Field(description="payments captured, paise")
    refunds_amount: int = Field(description="refunds processed, paise")
    commission_amount: int = Field(description="commission charged less commission reversed, paise")
    net_amount: int = Field(description="gross - refunds - commission")
    dues_deducted: int = Field(
        description="commission dues settled out of this settlement (COMMISSION_PAYOUT)"
    )
    payable_amount: int = Field(description="gross - refunds - dues_deducted: what is paid to the merchant")
    created_at: datetime
    completed_at: datetime | None


class GatewayTotals(BaseModel):
    gateway_id: uuid.UUID
    name: str
    provider: str
    payment_count: int
    refund_count: int
    gross_amount: int
    refunds_amount: int
    commission_amount: int
    net_amount: int


class LineItemOut(BaseModel):
    kind: str = Field(description="payment or refund")
    transaction_id: uuid.UUID
    order_id: str
    refund_id: uuid.UUID | None
    gateway_id: uuid.UUID
    gateway: str
    amount: int
    commission: int = Field(description="charged (payment) or reversed (refund, negative)")
    net: int
    occurred_at: datetime


class SettlementDetail(SettlementOut):
    gateways: list[GatewayTotals]
    line_items: list[LineItemOut]


class SettlementList(BaseModel):
    items: list[SettlementOut]
    next_cursor: str | None


class SettlementRunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: dt.date | None = Field(default=None, description="the day to settle (default: yesterday, IST)")
    merchant_id: uuid.UUID | None = Field(
        default=None, description="one merchant (default: every merchant with something unsettled)"
    )


class SettlementRunItem(BaseModel):
    id: uuid.UUID
    merchant_id: uuid.UUID
    status: str
    created: bool = Field(description="false: the period was settled (or is being settled) already")


class SettlementRunResult(BaseModel):
    date: dt.date
    settlements: list[SettlementRunItem]
