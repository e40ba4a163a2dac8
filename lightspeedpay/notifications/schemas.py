"""Response bodies of the WhatsApp log (operators) and usage (merchants)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class NotificationOut(BaseModel):
    id: uuid.UUID
    merchant_id: uuid.UUID
    company_name: str | None = None
    type: str
    template: str
    to_phone: str | None
    status: str = Field(description="queued, sent or failed")
    attempts: int
    parameters: list[Any]
    provider_message_id: str | None
    error: str | None
    next_retry_at: datetime | None
    sent_at: datetime | None
    created_at: datetime


class NotificationList(BaseModel):
    items: list[NotificationOut]
    next_cursor: str | None


class StatusCounts(BaseModel):
    queued: int
    sent: int
    failed: int


class TypeUsage(StatusCounts):
    type: str


class WhatsAppUsage(BaseModel):
    whatsapp_phone: str | None
    days: int
    since: datetime
    totals: StatusCounts
    by_type: list[TypeUsage]
    last_sent_at: datetime | None
    recent: list[NotificationOut]
