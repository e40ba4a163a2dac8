"""The async engine and session factory, and the hot path's raw pool. Transactions are owned by the boundary:
`jobs.unit_of_work`."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import asyncpg
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.sql.elements import TextClause

from lightspeedpay.config import get_settings

APPLICATION_NAME = "lightspeedpay"


@lru_cache
def engine() -> AsyncEngine:
    s = get_settings()
    return create_async_engine(
        s.database_url,
        pool_size=s.db_pool_size,
        max_overflow=s.db_max_overflow,
        pool_pre_ping=False,
        connect_args={"server_settings": {"application_name": APPLICATION_NAME}},
    )


@lru_cache
def sessionmaker() -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine(), expire_on_commit=False)


# ---- the hot path: raw asyncpg ---------------------------------------------------------------------------------
# The payment initiation is one statement on an autocommit connection. Through SQLAlchemy it cost a connection
# checkout, an AsyncConnection, a greenlet hop and the result machinery: several times what asyncpg itself spends
# (issue 14's profile). Its statements run here on a small asyncpg pool of their own, prepared once per connection
# (asyncpg's statement cache), with the SQL text the repositories write for SQLAlchemy compiled once to asyncpg's
# positional form.


@dataclass(frozen=True)
class RawStatement:
    """A `text()` statement compiled for asyncpg: `$n` placeholders, and the parameter names in their order."""

    sql: str
    names: Sequence[str]

    def args(self, params: dict[str, Any]) -> list[Any]:
        return [params[name] for name in self.names]


def raw_statement(stmt: TextClause) -> RawStatement:
    compiled = stmt.compile(dialect=asyncpg_dialect.dialect())
    return RawStatement(compiled.string, tuple(compiled.positiontup or ()))


_hot_pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Future[asyncpg.Pool]] = (
    weakref.WeakKeyDictionary()
)


async def hot_pool() -> asyncpg.Pool:
    """This event loop's pool (LSP_DB_HOT_POOL_SIZE connections), made on first use; a failed attempt to make it is
    not kept, so the next call tries again."""
    loop = asyncio.get_running_loop()
    made = _hot_pools.get(loop)
    if made is None or (made.done() and (made.cancelled() or made.exception() is not None)):
        made = _hot_pools[loop] = loop.create_task(_new_hot_pool())
    return await asyncio.shield(made)


class _HotConnection(asyncpg.Connection):  # type: ignore[misc]
    """A hot-pool connection runs single autocommit statements that change no session state (no SET, LISTEN,
    cursor or advisory lock), so it goes back to the pool without asyncpg's reset query: that was a second round
    trip per initiation. An open transaction would still be rolled back by the pool."""

    def get_reset_query(self) -> str:
        return ""


async def _new_hot_pool() -> asyncpg.Pool:
    s = get_settings()
    return await asyncpg.create_pool(
        s.database_url.replace("postgresql+asyncpg://", "postgresql://", 1),
        min_size=1,
        max_size=s.db_hot_pool_size,
        server_settings={"application_name": APPLICATION_NAME},
        connection_class=_HotConnection,
    )


async def close_hot_pool() -> None:
    """Close this event loop's pool (the app's shutdown, the tests' end)."""
    made = _hot_pools.pop(asyncio.get_running_loop(), None)
    if made is not None and made.done() and not made.cancelled() and made.exception() is None:
        await made.result().close()
    elif made is not None:
        made.cancel()
