"""The outbox: work for a queue, written in the same DB transaction as the change that needs it."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, Index, Integer, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from lightspeedpay.models.base import Base, created_at, sql_in, updated_at, uuid_pk


class JobIntentStatus(StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"
    FAILED = "failed"
    # taken out of its queue by an operator (a drain): kept, listed, restorable (unpark makes it pending again);
    # neither the sweeper nor a worker runs it meanwhile
    PARKED = "parked"
    # a failed intent an operator gave up on, with a reason; the row is kept, never deleted
    DISCARDED = "discarded"


class JobIntent(Base):
    __tablename__ = "job_intents"
    __table_args__ = (
        CheckConstraint(f"status IN {sql_in(JobIntentStatus)}", name="ck_job_intents_status"),
        Index("ix_job_intents_pending", "run_after", postgresql_where=text("status = 'pending'")),
        # the queue admin's counts and lists per queue of what is not done (a small set: completed is left out)
        Index("ix_job_intents_open", "queue", "status", postgresql_where=text("status <> 'completed'")),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    queue: Mapped[str] = mapped_column(String(50), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    run_after: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # set by a drain (status parked), cleared by unpark
    parked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    parked_reason: Mapped[str | None] = mapped_column(Text)
    # set when an operator discards a failed intent (status discarded)
    discarded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    discarded_reason: Mapped[str | None] = mapped_column(Text)
    # the request that caused this work (X-Request-Id), carried into the job's log lines and the jobs it queues
    request_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
