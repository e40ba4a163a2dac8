"""Async engine and session wiring; the request or job boundary owns the transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import lru_cache

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from lightspeedpay.config import get_settings


@lru_cache
def engine() -> AsyncEngine:
    s = get_settings()
    return create_async_engine(
        s.database_url,
        pool_size=s.db_pool_size,
        max_overflow=s.db_max_overflow,
        pool_pre_ping=False,
        connect_args={"server_settings": {"application_name": "lightspeedpay"}},
    )


@lru_cache
def sessionmaker() -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine(), expire_on_commit=False)


async def write_session() -> AsyncIterator[AsyncSession]:
    """Request-scoped session: commit when the handler returns, roll back on an exception,
    then hand queued jobs to BullMQ (only after the commit made their intents durable)."""
    from lightspeedpay.jobs import outbox

    async with sessionmaker()() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
        await outbox.push_after_commit(session)
