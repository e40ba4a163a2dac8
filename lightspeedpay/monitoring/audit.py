"""The audit trail: one row per change of state that matters, written in the transaction that made it."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.models import AuditLog


def record(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    client_id: uuid.UUID | None = None,
    subject_type: str | None = None,
    subject_id: uuid.UUID | str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditLog:
    row = AuditLog(
        id=uuid.uuid4(),
        actor=actor,
        action=action,
        client_id=client_id,
        subject_type=subject_type,
        subject_id=str(subject_id) if subject_id is not None else None,
        details=details,
    )
    session.add(row)
    return row
