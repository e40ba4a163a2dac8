"""Opaque keyset cursors over (created_at, id), newest first (native API); count/skip windows (Razorpay API)."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import orjson
from sqlalchemy import Select, and_, or_

from lightspeedpay.errors import ValidationFailed

_S = TypeVar("_S", bound=Select)  # type: ignore[type-arg]  # any statement shape


def encode_cursor(created_at: datetime, row_id: uuid.UUID) -> str:
    raw = orjson.dumps([created_at.isoformat(), str(row_id)])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    padded = cursor + "=" * (-len(cursor) % 4)
    created_at, row_id = orjson.loads(base64.urlsafe_b64decode(padded))
    return datetime.fromisoformat(created_at), uuid.UUID(row_id)


@dataclass(frozen=True)
class OffsetWindow:
    """Razorpay's list parameters: `count` rows after skipping `skip`, created in [from, to], newest first."""

    count: int = 10
    skip: int = 0
    created_from: datetime | None = None
    created_to: datetime | None = None

    def apply(self, stmt: Select[Any], model: Any) -> Select[Any]:
        if self.created_from is not None:
            stmt = stmt.where(model.created_at >= self.created_from)
        if self.created_to is not None:
            stmt = stmt.where(model.created_at <= self.created_to)
        return stmt.order_by(model.created_at.desc(), model.id.desc()).offset(self.skip).limit(self.count)


def newest_first(stmt: _S, model: Any, *, after: tuple[datetime, uuid.UUID] | None, limit: int) -> _S:
    """One page of a keyset list over (created_at, id), newest first, starting after the cursor's row: the one
    keyset condition every repository's list uses (the ties on created_at are broken by id)."""
    if after is not None:
        created, row_id = after
        stmt = stmt.where(
            or_(model.created_at < created, and_(model.created_at == created, model.id < row_id))
        )
    return stmt.order_by(model.created_at.desc(), model.id.desc()).limit(limit)


def parse_cursor(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    """A cursor from a query string, or a 422 naming the field when it is not one we handed out."""
    if not cursor:
        return None
    try:
        return decode_cursor(cursor)
    except (ValueError, TypeError):
        raise ValidationFailed("cursor is not one this API returned.", field="cursor") from None


def page_cursor(
    rows: Sequence[Any], limit: int, *, key: Callable[[Any], Any] = lambda row: row
) -> str | None:
    """Lists fetch limit + 1 rows; the extra one says there is a next page, which starts after row `limit`."""
    if len(rows) <= limit:
        return None
    last = key(rows[limit - 1])
    return encode_cursor(last.created_at, last.id)
