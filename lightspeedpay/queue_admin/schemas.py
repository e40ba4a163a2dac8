"""Request and response bodies of the queue control plane and the test helpers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# --- reading ------------------------------------------------------------------------------------------------


class JobCounts(BaseModel):
    """BullMQ's jobs by state. A paused queue keeps its jobs in BullMQ's wait list (BullMQ 5+); they are counted
    here as `paused`, not `waiting`, as BullMQ's own tools show them. `completed` and `failed` are BullMQ's
    bounded tails of finished jobs (the history is in PostgreSQL)."""

    waiting: int
    active: int
    delayed: int
    prioritized: int
    completed: int
    failed: int
    paused: int


class IntentCounts(BaseModel):
    """PostgreSQL, the truth: this queue's job intents that are not done."""

    pending: int = Field(description="to run (queued in Redis, or waiting for the sweeper)")
    failed: int = Field(description="used up their attempts; retry or discard them")
    parked: int = Field(description="taken out by a drain; unpark restores them")
    discarded: int = Field(description="failed ones an operator gave up on (kept)")


class WorkerOut(BaseModel):
    """One Redis connection of a worker serving the queue, as BullMQ finds them (CLIENT LIST, by name)."""

    name: str
    addr: str | None
    age_seconds: int | None
    idle_seconds: int | None


class QueueOverview(BaseModel):
    name: str
    paused: bool
    counts: JobCounts | None = Field(description="null when Redis did not answer")
    workers: int = Field(
        description="BullMQ workers serving the queue (each holds two named connections: commands and blocking reads)"
    )
    worker_connections: list[WorkerOut]
    oldest_waiting_seconds: float | None = Field(description="age of the oldest job waiting to run, if any")
    intents: IntentCounts
    redis_error: str | None = Field(default=None, description="why the BullMQ side is missing, when it is")


class QueueList(BaseModel):
    items: list[QueueOverview]


class StatsPoint(BaseModel):
    """One bucket: each count's highest sample in it (a backlog chart shows its peaks)."""

    at: datetime
    waiting: int
    active: int
    delayed: int
    prioritized: int
    completed: int
    failed: int
    paused: int
    is_paused: bool
    workers: int
    oldest_waiting_seconds: float | None
    intents_pending: int
    intents_failed: int
    intents_parked: int
    samples: int


class QueueSeries(BaseModel):
    queue: str
    points: list[StatsPoint]


class QueueStats(BaseModel):
    range: str
    bucket_seconds: int
    since: datetime
    series: list[QueueSeries]


class IntentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    queue: str
    name: str
    payload: dict[str, Any]
    status: str = Field(description="pending, completed, failed, parked or discarded")
    attempts: int
    last_error: str | None
    run_after: datetime
    completed_at: datetime | None
    parked_at: datetime | None
    parked_reason: str | None
    discarded_at: datetime | None
    discarded_reason: str | None
    request_id: str | None
    created_at: datetime
    updated_at: datetime


class ParkedList(BaseModel):
    queue: str
    items: list[IntentOut]
    next_cursor: str | None


class IntentPage(BaseModel):
    status: str
    queue: str | None
    items: list[IntentOut]
    next_cursor: str | None


class DrainPreview(BaseModel):
    """What a drain would take now: the jobs waiting in Redis, and the intents that would be parked."""

    queue: str
    delayed: bool
    jobs: int = Field(description="jobs a drain would take out of Redis now")
    intents: list[IntentOut] = Field(
        description="the first of the intents that would be parked, oldest first"
    )
    more: int = Field(description="how many more would be parked than listed")


class BullJobOut(BaseModel):
    """The job as BullMQ holds it (gone once BullMQ trimmed or cleaned it)."""

    id: str
    name: str
    state: str
    data: dict[str, Any]
    opts: dict[str, Any]
    attempts_made: int
    attempts_started: int
    failed_reason: str | None
    stacktrace: list[str]
    return_value: Any
    progress: Any
    timestamp: datetime | None
    processed_on: datetime | None
    finished_on: datetime | None
    logs: list[str]
    log_count: int


class JobDetail(BaseModel):
    id: uuid.UUID = Field(description="the intent's id, which is also the BullMQ job id")
    queue: str
    intent: IntentOut
    job: BullJobOut | None = Field(description="null when BullMQ no longer holds the job")


# --- acting -------------------------------------------------------------------------------------------------


class QueueAction(BaseModel):
    """`queue` names one queue; without it the action applies to every queue."""

    model_config = ConfigDict(extra="forbid")

    queue: str | None = None
    reason: str | None = Field(default=None, max_length=1000)


class RetryRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    queue: str | None = None
    count: int | None = Field(default=None, description="at most this many failed intents, oldest first")
    reason: str | None = Field(default=None, max_length=1000)


class CleanRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    queue: str | None = None
    status: Literal["completed", "failed"] = "completed"
    grace_seconds: int = Field(default=0, description="only jobs finished longer ago than this")
    limit: int = Field(default=1000, description="at most this many jobs per queue")
    reason: str | None = Field(default=None, max_length=1000)


class DrainRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    delayed: bool = Field(
        default=False, description="take the delayed jobs (retries waiting for their back-off) too"
    )
    reason: str | None = Field(default=None, max_length=1000)


class UnparkRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    intent_ids: list[uuid.UUID] | None = Field(
        None, description="these parked intents; without it, all of them"
    )
    reason: str | None = Field(default=None, max_length=1000)


class JobActionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=1000, description="why; kept in the audit log")


class PauseResult(BaseModel):
    items: list[QueueOverview]


class RetryResult(BaseModel):
    queue: str
    retried: int
    intent_ids: list[uuid.UUID]


class RetryResults(BaseModel):
    items: list[RetryResult]


class CleanResult(BaseModel):
    queue: str
    status: str
    removed: int


class CleanResults(BaseModel):
    items: list[CleanResult]


class DrainResult(BaseModel):
    queue: str
    removed: int = Field(description="jobs taken out of Redis")
    parked: int = Field(description="their intents parked (one a worker finished meanwhile is not)")
    intent_ids: list[uuid.UUID]


class UnparkResult(BaseModel):
    queue: str
    unparked: int
    intent_ids: list[uuid.UUID]
    not_parked: list[uuid.UUID] = Field(description="ids given that are not parked intents of this queue")
    remaining: int = Field(
        description="parked intents still left (an unpark takes LSP_QUEUE_ADMIN_BATCH_LIMIT)"
    )


# --- test helpers (seed 002) --------------------------------------------------------------------------------


class JobsStatus(BaseModel):
    pending: int = Field(description="intents not yet done")
    processing: int = Field(description="jobs running on a worker now")
    completed: int
    failed: int = Field(description="intents that used up their attempts (manual retry needed)")
    worker_status: Literal["running", "paused", "stopped"] = Field(
        description="stopped: no worker is connected; paused: some queue is paused"
    )


class DemoMerchant(BaseModel):
    client_id: uuid.UUID
    company_name: str
    client_key: str = Field(description="the live key id")
    client_salt: str = Field(description="the live key's secret")
    test_key_id: str = Field(description="the test key id (sandbox gateways only, test data)")
    test_key_secret: str | None = Field(description="its secret (null until `lightspeedpay up` makes one)")
    webhook_secret: str
