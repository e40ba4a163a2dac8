"""Request-scoped DB sessions for routes: reads, and writes committed before the response is sent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.db import sessionmaker
from lightspeedpay.jobs.unit_of_work import unit_of_work


async def read_session() -> AsyncIterator[AsyncSession]:
    async with sessionmaker()() as session:
        yield session


async def write_session() -> AsyncIterator[AsyncSession]:
    """Request-scoped session: commit when the handler returns, roll back on an exception, then push the
    queued jobs (only after the commit made their intents durable)."""
    async with unit_of_work() as session:
        yield session


# scope="function": the commit happens before the response, so a 2xx means the change is durable
WriteSession = Annotated[AsyncSession, Depends(write_session, scope="function")]
ReadSession = Annotated[AsyncSession, Depends(read_session, scope="function")]
