"""Opaque keyset cursors over (created_at, id), newest first."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime

import orjson


def encode_cursor(created_at: datetime, row_id: uuid.UUID) -> str:
    raw = orjson.dumps([created_at.isoformat(), str(row_id)])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    padded = cursor + "=" * (-len(cursor) % 4)
    created_at, row_id = orjson.loads(base64.urlsafe_b64decode(padded))
    return datetime.fromisoformat(created_at), uuid.UUID(row_id)
