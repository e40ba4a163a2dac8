"""Response bodies of the health reports API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class HealthReportOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    period_date: date = Field(description="the IST day the report is about")
    period_start: datetime
    period_end: datetime
    generated_at: datetime
    body: dict[str, Any] = Field(
        description="payments (by status, success rate, volume), commission, gateways (failures, PSP errors), "
        "alerts, queues (intents pending and failed, BullMQ counts), webhooks (delivery success)"
    )


class HealthReportSummary(BaseModel):
    id: uuid.UUID
    period_date: date
    generated_at: datetime
    payments: int
    success_rate: float | None
    volume: int
    commission: int
    alerts_open: int
    intents_failed: int
    webhook_success_rate: float | None


class HealthReportList(BaseModel):
    items: list[HealthReportSummary]
    next_cursor: str | None
