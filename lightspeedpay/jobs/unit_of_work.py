"""The one unit of work: commit, then push the jobs the block queued and publish its live-stream events; or roll
back and drop both."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.db import sessionmaker
from lightspeedpay.jobs import broadcast, outbox


@asynccontextmanager
async def unit_of_work() -> AsyncIterator[AsyncSession]:
    """One unit of work, the only one in the code base: the block's changes commit together, then the jobs it
    queued (`jobs.outbox.enqueue`) are handed to BullMQ and the stream events it noted (`jobs.broadcast.publish`)
    go to Redis pub/sub; an exception rolls everything back and drops both.
    Requests, jobs, idempotent calls, the scheduler and the CLIs all go through it."""
    async with sessionmaker()() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            outbox.forget(session)
            broadcast.forget(session)
            raise
    await outbox.push_after_commit(session)
    await broadcast.publish_after_commit(session)
