"""Request-scoped DB sessions for routes: reads, and writes committed before the response is sent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.db import sessionmaker, write_session


async def read_session() -> AsyncIterator[AsyncSession]:
    async with sessionmaker()() as session:
        yield session


# scope="function": the commit happens before the response, so a 2xx means the change is durable
WriteSession = Annotated[AsyncSession, Depends(write_session, scope="function")]
ReadSession = Annotated[AsyncSession, Depends(read_session, scope="function")]
