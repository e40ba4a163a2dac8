"""Helpers for the queue control plane tests: a paused queue that is always resumed, audit rows, intents."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.jobs import queues
from lightspeedpay.models import AuditLog, JobIntent, Transaction

TP = queues.TRANSACTION_PROCESSING
BASE = "/api/v1/admin/queues"


@contextlib.asynccontextmanager
async def paused(admin: httpx.AsyncClient, queue: str = TP) -> AsyncIterator[None]:
    """The queue paused through the API for the block, and resumed whatever happens (the platform is shared by
    the session's tests)."""
    r = await admin.post(f"{BASE}/{queue}/pause", json={"reason": "test"})
    assert r.status_code == 200, r.text
    try:
        yield
    finally:
        await queues.queue(queue).resume()


async def audit_rows(session: AsyncSession, action: str, target_id: str | None = None) -> list[AuditLog]:
    await session.rollback()
    stmt = select(AuditLog).where(AuditLog.action == action)
    if target_id is not None:
        stmt = stmt.where(AuditLog.target_id == target_id)
    return list((await session.execute(stmt.order_by(AuditLog.created_at))).scalars())


async def intent_of(session: AsyncSession, txn_id: str) -> JobIntent:
    await session.rollback()
    return (
        await session.execute(
            select(JobIntent).where(
                JobIntent.name == "transaction.process", JobIntent.payload["transaction_id"].astext == txn_id
            )
        )
    ).scalar_one()


async def txn_status(session: AsyncSession, txn_id: str) -> str:
    await session.rollback()
    return (
        await session.execute(select(Transaction.status).where(Transaction.id == uuid.UUID(txn_id)))
    ).scalar_one()


async def set_intent(session: AsyncSession, intent_id: uuid.UUID, **values: Any) -> None:
    """Write an intent's columns by hand (a failure for good is what an outage of hours leaves)."""
    await session.rollback()
    await session.execute(update(JobIntent).where(JobIntent.id == intent_id).values(**values))
    await session.commit()


async def bull_state(queue: str, job_id: str) -> str:
    return str(await queues.queue(queue).getJobState(job_id))


async def duplicated_pushes(queue: str, job_id: str) -> int:
    """How many times a job with this id was added again while BullMQ still held it (its events stream)."""
    q = queues.queue(queue)
    events = await queues.redis_client().xrange(q.keys["events"], count=100_000)
    return sum(1 for _, e in events if e.get("event") == "duplicated" and e.get("jobId") == job_id)
