"""One finished run of one periodic task (kept LSP_SCHEDULER_RUN_HISTORY_DAYS, at most so many per task)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Identity, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from lightspeedpay.models.base import Base, sql_in


class RunOutcome(StrEnum):
    OK = "ok"
    FAILED = "failed"
    TIMEOUT = "timeout"


class ScheduledRun(Base):
    __tablename__ = "scheduled_runs"
    __table_args__ = (
        CheckConstraint(f"outcome IN {sql_in(RunOutcome)}", name="ck_scheduled_runs_outcome"),
        Index("ix_scheduled_runs_task_started", "task", "started_at"),
        Index("ix_scheduled_runs_started", "started_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    task: Mapped[str] = mapped_column(String(100), nullable=False)
    instance_id: Mapped[str] = mapped_column(String(300), nullable=False)  # the scheduler that ran it
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    duration_ms: Mapped[int] = mapped_column(Integer, nullable=False)
    outcome: Mapped[str] = mapped_column(String(20), nullable=False)
    error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[Any | None] = mapped_column(JSONB)  # the task's own short summary, when it returned one
