"""The audit trail: one row per change of state that matters, written in the transaction that made it."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.kit import request_context
from lightspeedpay.models import AuditLog


def record(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    target_type: str | None = None,
    target_id: uuid.UUID | str | None = None,
    client_id: uuid.UUID | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditLog:
    """Add the row to the caller's transaction: it commits with the change or not at all. The caller's address
    and the request id come from the request context (a job carries its request's id; the CLI has neither).
    `before` and `after` hold the changed fields only, never a secret (pass masked values)."""
    row = AuditLog(
        id=uuid.uuid4(),
        actor=actor,
        action=action,
        client_id=client_id,
        target_type=target_type,
        target_id=str(target_id) if target_id is not None else None,
        before=before,
        after=after,
        reason=reason,
        details=details,
        ip=request_context.client_ip(),
        request_id=request_context.request_id(),
    )
    session.add(row)
    return row
