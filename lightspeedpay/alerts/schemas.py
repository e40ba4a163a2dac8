"""Alerts as the API shows them, and an operator's note on an acknowledgement or a resolution."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class AlertOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str = Field(description="what kind of condition, e.g. gateway.down, payments.failure_rate")
    severity: str = Field(description="info, warning or critical")
    status: str = Field(description="open, acknowledged or resolved")
    dedup_key: str = Field(description="names the condition: one unresolved alert per key")
    title: str
    message: str
    details: dict[str, Any] | None = None
    gateway_id: uuid.UUID | None = None
    merchant_id: uuid.UUID | None = Field(default=None, validation_alias="client_id")
    occurrences: int = Field(
        description="how many times the condition was raised while this alert was unresolved"
    )
    opened_at: datetime
    last_seen_at: datetime
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    acknowledged_note: str | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = Field(default=None, description='"system" when the condition cleared')
    resolved_note: str | None = None


class AlertList(BaseModel):
    items: list[AlertOut]
    next_cursor: str | None = None


class AlertNote(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=2000, description="what was found or done")
