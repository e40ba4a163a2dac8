"""Async engine and session wiring; the request or job boundary owns the transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
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


@asynccontextmanager
async def unit_of_work() -> AsyncIterator[AsyncSession]:
    """One unit of work, the only one in the code base: the block's changes commit together, then the jobs it
    queued (`jobs.outbox.enqueue`) are handed to BullMQ; an exception rolls everything back and drops them.
    Requests, jobs, idempotent calls, the scheduler and the CLIs all go through it."""
    from lightspeedpay.jobs import outbox

    async with sessionmaker()() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            outbox.forget(session)
            raise
    await outbox.push_after_commit(session)


async def write_session() -> AsyncIterator[AsyncSession]:
    """Request-scoped session: commit when the handler returns, roll back on an exception, then push the
    queued jobs (only after the commit made their intents durable)."""
    async with unit_of_work() as session:
        yield session
