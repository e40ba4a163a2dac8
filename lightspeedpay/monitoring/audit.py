"""The audit trail: one row per change of state that matters, written in the transaction that made it
(`record`), and read back by the operator (`audit_service`: filtered pages, CSV export)."""

from __future__ import annotations

import csv
import getpass
import io
import json
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.config import get_settings
from lightspeedpay.db import sessionmaker
from lightspeedpay.kit import request_context
from lightspeedpay.kit.pagination import page_cursor, parse_cursor
from lightspeedpay.models import AuditLog
from lightspeedpay.monitoring.repository import AuditFilter, audit_repo

__all__ = ["AuditFilter", "audit_service", "csv_cell", "record"]


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


def cli_actor() -> str:
    """The actor of a CLI command: `cli:<OS user>` (the operator at the terminal, or the cron job's account)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a bare container)
        user = f"uid{os.getuid()}"
    return f"cli:{user}"[:100]


def plain(values: dict[str, Any]) -> dict[str, Any]:
    """Values as JSON keeps them: Decimals and UUIDs as text, times in ISO 8601."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, Decimal | uuid.UUID):
            value = str(value)
        elif isinstance(value, datetime | date):
            value = value.isoformat()
        elif isinstance(value, dict):
            value = plain(value)
        elif isinstance(value, list | tuple):
            value = [str(v) if isinstance(v, Decimal | uuid.UUID) else v for v in value]
        out[key] = value
    return out


def changed(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields whose value differs, as (before, after), JSON-ready."""
    keys = [k for k in after if before.get(k) != after[k]]
    return plain({k: before.get(k) for k in keys}), plain({k: after[k] for k in keys})


def merchant_actor(client_key: str) -> str:
    """The actor of a change a merchant makes through the signed API: `merchant:<client key>`."""
    return f"merchant:{client_key}"


# ---- reading the trail ---------------------------------------------------------------------------------------

IST = ZoneInfo("Asia/Kolkata")
CSV_COLUMNS = (
    "created_at_utc",
    "created_at_ist",
    "actor",
    "action",
    "merchant_id",
    "target_type",
    "target_id",
    "before",
    "after",
    "reason",
    "details",
    "ip",
    "request_id",
    "id",
)
_EXPORT_BATCH = 500
# a cell a spreadsheet would run as a formula (OWASP "CSV injection"); merchants write some of these values
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class AuditService:
    async def page(
        self, session: AsyncSession, flt: AuditFilter, *, limit: int, cursor: str | None
    ) -> tuple[list[AuditLog], str | None]:
        """One page, newest first, and the cursor of the next (None on the last)."""
        rows = await audit_repo.page(session, flt, limit=limit + 1, after=parse_cursor(cursor))
        return rows[:limit], page_cursor(rows, limit)

    async def export_csv(self, flt: AuditFilter) -> AsyncIterator[bytes]:
        """The whole filtered trail as CSV, newest first, a header row first; read in short transactions of a
        few hundred rows (a slow download holds no transaction open), at most LSP_AUDIT_EXPORT_MAX_ROWS rows."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        yield _drain(out)
        left = get_settings().audit_export_max_rows
        after: tuple[datetime, uuid.UUID] | None = None
        while left > 0:
            async with sessionmaker()() as session:
                rows = await audit_repo.page(session, flt, limit=min(_EXPORT_BATCH, left), after=after)
            for row in rows:
                writer.writerow(_csv_row(row))
            if rows:
                yield _drain(out)
            if len(rows) < _EXPORT_BATCH:
                return
            left -= len(rows)
            after = (rows[-1].created_at, rows[-1].id)


def _drain(out: io.StringIO) -> bytes:
    text = out.getvalue()
    out.seek(0)
    out.truncate()
    return text.encode()


def csv_cell(value: Any) -> str:
    """One CSV cell: JSON for structures, and a leading quote on text a spreadsheet would run as a formula."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    else:
        text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv_row(row: AuditLog) -> list[str]:
    return [
        csv_cell(row.created_at.astimezone(UTC).isoformat()),
        csv_cell(row.created_at.astimezone(IST).isoformat()),
        csv_cell(row.actor),
        csv_cell(row.action),
        csv_cell(row.client_id),
        csv_cell(row.target_type),
        csv_cell(row.target_id),
        csv_cell(row.before),
        csv_cell(row.after),
        csv_cell(row.reason),
        csv_cell(row.details),
        csv_cell(row.ip),
        csv_cell(row.request_id),
        csv_cell(row.id),
    ]


audit_service = AuditService()
