"""Every scheduler process, leader or standby, with its heartbeat: which one runs the periodic work, and
whether a standby is ready to take over."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, Float, Integer, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from lightspeedpay.models.base import Base, sql_in


class SchedulerRole(StrEnum):
    LEADER = "leader"
    STANDBY = "standby"
    STOPPED = "stopped"


class SchedulerInstance(Base):
    __tablename__ = "scheduler_instances"
    __table_args__ = (
        CheckConstraint(f"role IN {sql_in(SchedulerRole)}", name="ck_scheduler_instances_role"),
    )

    id: Mapped[str] = mapped_column(String(300), primary_key=True)  # host:pid:start, as a worker's
    host: Mapped[str] = mapped_column(String(255), nullable=False)
    pid: Mapped[int] = mapped_column(Integer, nullable=False)
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    beat_seconds: Mapped[float] = mapped_column(Float, nullable=False)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    last_beat_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    leader_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    stopped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # the leader's PostgreSQL backend holding the election lock: a standby that finds the leader silent while
    # this backend still holds the lock (a hung process) terminates it, and so takes over
    lock_backend_pid: Mapped[int | None] = mapped_column(Integer)
    # the periodic table this process runs: [{"task": "sweeper", "schedule": "every 30s"}, ...]
    tasks: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
