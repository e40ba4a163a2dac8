"""One row per queue worker process (seed 001's `worker_health`): written by the worker itself every
LSP_WORKER_HEARTBEAT_SECONDS, so a worker that stops writing (killed, hung, cut off) is seen as down."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Float, Index, Integer, String, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from lightspeedpay.models.base import Base


class WorkerHealth(Base):
    __tablename__ = "worker_health"
    __table_args__ = (Index("ix_worker_health_last_beat", "last_beat_at"),)

    # host:pid:start (the start in epoch seconds): unique per process, readable in a list of workers
    id: Mapped[str] = mapped_column(String(300), primary_key=True)
    host: Mapped[str] = mapped_column(String(255), nullable=False)
    pid: Mapped[int] = mapped_column(Integer, nullable=False)
    queues: Mapped[list[str]] = mapped_column(ARRAY(String(100)), nullable=False)
    concurrency: Mapped[int] = mapped_column(Integer, nullable=False)
    # the process's own beat interval: "down" is judged against the interval the worker promised, so workers
    # with different settings are each judged fairly
    beat_seconds: Mapped[float] = mapped_column(Float, nullable=False)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    # the database's clock, not the worker's, so hosts with skewed clocks are compared on one clock
    last_beat_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    jobs_done: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")
    jobs_failed: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")
    rss_bytes: Mapped[int | None] = mapped_column(BigInteger)
    stopped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
