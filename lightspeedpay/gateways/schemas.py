"""Request and response bodies of the admin gateway API; credentials go in, only a masked hint comes out."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    StrictBool,
    StrictInt,
    StrictStr,
    field_validator,
)

GatewayName = Annotated[
    str,
    Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", examples=["razorpay_1"]),
]
BaseUrl = Annotated[
    str,
    Field(
        min_length=8,
        max_length=500,
        pattern=r"^https?://[^\s/?#]+[^\s]*$",
        examples=["https://api.razorpay.com"],
    ),
]
# PostgreSQL BIGINT, and INTEGER for priority
MonthlyLimit = Annotated[StrictInt, Field(gt=0, le=2**63 - 1, description="paise per calendar month (IST)")]
Priority = Annotated[StrictInt, Field(ge=-1000, le=1000, description="higher is tried first")]
Credentials = Annotated[
    dict[Annotated[str, Field(min_length=1, max_length=64)], Annotated[StrictStr, Field(max_length=4000)]],
    Field(
        min_length=1,
        max_length=20,
        description="the provider's credential fields; stored encrypted, never returned",
    ),
]


class GatewayCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: GatewayName
    provider: StrictStr = Field(examples=["razorpay"])
    base_url: BaseUrl
    credentials: Credentials
    monthly_limit: MonthlyLimit
    priority: Priority = 1
    is_active: StrictBool = True


class GatewayUpdate(BaseModel):
    """Only the fields present change; `credentials` replaces the whole set."""

    model_config = ConfigDict(extra="forbid")

    name: GatewayName | None = None
    base_url: BaseUrl | None = None
    credentials: Credentials | None = None
    monthly_limit: MonthlyLimit | None = None
    priority: Priority | None = None
    is_active: StrictBool | None = None
    temp_failed: StrictBool | None = Field(default=None, description="false clears the breaker")

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # absent means "keep"; an explicit null is almost always a client bug, so say so
        if value is None:
            raise ValueError("cannot be null; leave the field out to keep its current value")
        return value

    def changes(self) -> dict[str, Any]:
        return self.model_dump(include=self.model_fields_set)


class PriorityItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID
    priority: Priority


class PriorityUpdate(RootModel[list[PriorityItem]]):
    """`[{"id", "priority"}, ...]`, applied all together or not at all."""


class GatewayOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    provider: str
    base_url: str
    credentials_hint: str
    monthly_limit: int
    current_volume: int = Field(description="paise reserved this calendar month (IST)")
    volume_month: date
    success_rate: Decimal
    priority: int
    is_active: bool
    temp_failed: bool
    consecutive_failures: int
    temp_failed_at: datetime | None
    last_used_at: datetime
    created_at: datetime
    updated_at: datetime


class GatewayDeactivated(GatewayOut):
    deactivated: bool = True


class GatewayList(BaseModel):
    items: list[GatewayOut]


class WindowFigures(BaseModel):
    minutes: int
    attempts: int
    created: int
    declines: int
    technical_errors: int
    technical_error_rate: Decimal | None = Field(description="percent of attempts; null without attempts")
    latency_p50_ms: float | None
    latency_p95_ms: float | None


class VolumeFigures(BaseModel):
    used: int
    monthly_limit: int
    percent: Decimal


class BreakerState(BaseModel):
    temp_failed: bool
    consecutive_failures: int
    temp_failed_at: datetime | None


class GatewayHealth(BaseModel):
    id: uuid.UUID
    name: str
    provider: str
    is_active: bool
    priority: int
    success_rate: Decimal
    window: WindowFigures
    volume: VolumeFigures
    breaker: BreakerState
    last_used_at: datetime


class GatewayHealthList(BaseModel):
    window_minutes: int
    items: list[GatewayHealth]


class ConnectivityResult(BaseModel):
    ok: bool
    latency_ms: int
    error_code: str | None = None
    message: str | None = None
