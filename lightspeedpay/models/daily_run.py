"""One run of a daily scheduled task for one day in IST: claimed before the work, finished after it, so a task
called twice on a day does its work once, and a run that died half-way is taken up again (retention/)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, Integer, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from lightspeedpay.models.base import Base, created_at, updated_at


class DailyRun(Base):
    __tablename__ = "daily_runs"

    task: Mapped[str] = mapped_column(String(100), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)  # the IST day the run belongs to
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # what the run did, and for a batched run where it got to (a resumed run goes on from there)
    progress: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default="{}")
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
