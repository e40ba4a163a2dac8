"""Retrying a unit of database work that PostgreSQL chose as a deadlock victim or failed to serialize: both
mean "nothing of this happened, run it again", never a client's or a merchant's error."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.kit.logging import log
from lightspeedpay.kit.retry import RetryPolicy

T = TypeVar("T")

# a short wait, jittered widely so that the two sides of a deadlock do not collide again
_CONFLICT_RETRY = RetryPolicy("db_conflict", (0.01, 0.02, 0.04, 0.08, 0.16), jitter=0.5)

# deadlock_detected, serialization_failure
CONFLICT_SQLSTATES = frozenset({"40P01", "40001"})


def is_conflict(exc: BaseException) -> bool:
    """Whether `exc` (SQLAlchemy's wrapper, the driver's error, or asyncpg's own) is a deadlock or a
    serialization failure."""
    seen: BaseException | None = exc
    for _ in range(4):  # DBAPIError -> .orig (the adapted driver error) -> __cause__ (asyncpg's)
        if seen is None:
            return False
        if getattr(seen, "sqlstate", None) in CONFLICT_SQLSTATES:
            return True
        seen = getattr(seen, "orig", None) or seen.__cause__
    return False


async def retry_on_conflict(
    work: Callable[[], Awaitable[T]], *, what: str, session: AsyncSession | None = None, tries: int = 4
) -> T:
    """Run `work`, again (after a short random pause, so the two sides do not collide again) when PostgreSQL
    aborted it as a deadlock victim or a serialization failure.

    The unit that is redone must be one PostgreSQL rolled back whole: a statement on an autocommit connection,
    or, with `session`, a savepoint around `work` (the deadlock aborts only the savepoint; the session's
    transaction, its row locks and its earlier changes stay)."""
    for attempt in range(1, tries + 1):
        try:
            if session is None:
                return await work()
            async with session.begin_nested():
                return await work()
        except (DBAPIError, asyncpg.PostgresError) as exc:  # SQLAlchemy's, or raw asyncpg's (the hot pool)
            if attempt == tries or not is_conflict(exc):
                raise
            # a warning: the lock order should make this impossible, so each one deserves a look
            detail = str(getattr(exc, "orig", exc)).splitlines()
            log.warning("db_conflict_retried", what=what, attempt=attempt, error=detail[0] if detail else "")
            await asyncio.sleep(_CONFLICT_RETRY.wait(attempt) or 0)
    raise AssertionError("unreachable")
