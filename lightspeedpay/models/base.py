"""Declarative base and shared column helpers."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, String, func
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


def uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(
        UUID(as_uuid=True), primary_key=True, server_default=func.gen_random_uuid(), default=uuid.uuid4
    )


def created_at() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


def updated_at() -> Mapped[datetime]:
    return mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), nullable=False
    )


def sql_in(group: type[StrEnum]) -> str:
    """A CHECK constraint's list of a group's values: sql_in(OrderStatus) -> "('created', 'attempted', 'paid')".

    Written out as a Python tuple's repr once was, so the constraints' text in the database is unchanged."""
    return "(" + ", ".join(f"'{member.value}'" for member in group) + ")"


def values(group: type[StrEnum]) -> tuple[str, ...]:
    """A group's values as plain strings, for a `Literal[...]` API parameter whose documented values must stay
    plain strings rather than an enum schema."""
    return tuple(member.value for member in group)


def mode_column() -> Mapped[str]:
    """Which mode made the row (models.api_credential.Mode): 'test' data is never mixed with live figures. Rows from
    before modes existed are live."""
    return mapped_column(String(4), nullable=False, server_default="live")
