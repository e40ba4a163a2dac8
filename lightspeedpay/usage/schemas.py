"""The usage report (seed 001's GET /api/v1/merchant/usage)."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, Field


class UsageRow(BaseModel):
    day: date = Field(description="a calendar day of IST")
    route: str = Field(
        description='method and route template, e.g. "GET /api/v1/transactions/{transaction_id}"'
    )
    status: int
    requests: int


class UsageRoute(BaseModel):
    route: str
    requests: int
    errors: int = Field(description="answers with status 400 or above (429 included)")
    error_rate: float = Field(description="errors / requests, 0..1")
    p50_ms: float | None
    p95_ms: float | None
    mean_ms: float | None


class UsageDay(BaseModel):
    day: date
    requests: int
    errors: int
    error_rate: float
    p50_ms: float | None
    p95_ms: float | None


class UsageReport(BaseModel):
    merchant_id: uuid.UUID
    from_date: date = Field(serialization_alias="from", description="first IST day")
    to_date: date = Field(serialization_alias="to", description="last IST day, included")
    requests: int
    errors: int
    error_rate: float
    p50_ms: float | None = Field(
        description="estimated from a histogram: within about ±12 % of the true value"
    )
    p95_ms: float | None
    days: list[UsageDay]
    routes: list[UsageRoute] = Field(description="over the whole range, busiest first")
    rows: list[UsageRow] = Field(description="requests per day, route and status")
