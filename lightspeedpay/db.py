"""The async engine and session factory. Transactions are owned by the boundary: `jobs.unit_of_work`."""

from __future__ import annotations

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
