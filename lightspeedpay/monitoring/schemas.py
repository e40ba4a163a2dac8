"""Response bodies of the monitoring routes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class AuditLogOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    created_at: datetime = Field(description="UTC")
    actor: str = Field(
        description="`admin:<name>`, `cli:<OS user>`, `merchant:<client_key>`, or the platform's own part "
        "(`settlement`, `scheduler`, `webhooks`, …)"
    )
    action: str = Field(examples=["gateway.updated"])
    merchant_id: uuid.UUID | None = Field(validation_alias="client_id")
    target_type: str | None
    target_id: str | None
    before: dict[str, Any] | None = Field(description="the changed fields before the change (masked)")
    after: dict[str, Any] | None = Field(description="the changed fields after the change (masked)")
    reason: str | None
    details: dict[str, Any] | None
    ip: str | None
    request_id: str | None


class AuditLogList(BaseModel):
    items: list[AuditLogOut]
    next_cursor: str | None
