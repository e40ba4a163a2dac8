"""Response bodies of health, system status, workers and the scheduler, and of the audit log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class HealthOut(BaseModel):
    status: str = Field(description="ok when every dependency answers, else degraded (with a 503)")
    checks: dict[str, str] = Field(description='"ok" or "error: <why>" per dependency: postgresql, redis')


class ComponentOut(BaseModel):
    component: str = Field(
        description="api, postgresql, redis, scheduler, queue:<name>, gateway:<name>, whatsapp or slack"
    )
    status: str = Field(description="ok, degraded, down, or not_configured (an optional integration unset)")
    since: datetime = Field(description="the first check that saw the component in this state")
    reason: str | None = Field(description="why it is not ok (or a note), in words")
    details: dict[str, Any] | None = Field(
        description="what the check saw: workers with their heartbeats, the scheduler's leader, standbys and "
        "each periodic task's last run, a gateway's breaker, message counts"
    )
    checked_at: datetime


class SystemStatusOut(BaseModel):
    status: str = Field(description="the worst component's state")
    check_id: uuid.UUID
    checked_at: datetime
    components: list[ComponentOut]


class StatusHistoryItem(BaseModel):
    component: str
    status: str
    since: datetime
    reason: str | None
    checked_at: datetime


class StatusHistoryOut(BaseModel):
    component: str | None
    range: str
    start: datetime
    end: datetime
    items: list[StatusHistoryItem] = Field(description="one row per component per check, newest first")


class WorkerOut(BaseModel):
    id: str = Field(description="host:pid:start")
    host: str
    pid: int
    queues: list[str]
    concurrency: int
    state: str = Field(description="alive, down (silent for LSP_WORKER_DOWN_AFTER_BEATS beats) or stopped")
    started_at: datetime
    last_beat_at: datetime
    beat_seconds: float
    jobs_done: int
    jobs_failed: int
    rss_bytes: int | None
    stopped_at: datetime | None
    replaced_by: str | None = Field(
        description="for a down worker: the worker started after it on its queues"
    )


class WorkerList(BaseModel):
    items: list[WorkerOut]


class SchedulerInstanceOut(BaseModel):
    id: str
    host: str
    pid: int
    role: str
    started_at: datetime
    last_beat_at: datetime
    leader_since: datetime | None
    stopped_at: datetime | None


class PeriodicTaskOut(BaseModel):
    task: str
    schedule: str | None = Field(description='"cron <expression>" (Asia/Kolkata) or "every <n>s"')
    last_started_at: datetime | None
    last_finished_at: datetime | None
    last_duration_ms: int | None
    last_outcome: str | None = Field(description="ok, failed or timeout")
    last_error: str | None


class SchedulerOut(BaseModel):
    leader: SchedulerInstanceOut | None
    standbys: list[SchedulerInstanceOut]
    silent: list[SchedulerInstanceOut] = Field(description="instances that stopped beating without stopping")
    tasks: list[PeriodicTaskOut]


class ScheduledRunOut(BaseModel):
    id: int
    task: str
    instance_id: str
    started_at: datetime
    finished_at: datetime
    duration_ms: int
    outcome: str
    error: str | None
    result: Any | None


class ScheduledRunList(BaseModel):
    items: list[ScheduledRunOut]


class AuditLogOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    created_at: datetime = Field(description="UTC")
    actor: str = Field(
        description="`admin:<name>`, `cli:<OS user>`, `merchant:<client_key>`, or the platform's own part "
        "(`settlement`, `scheduler`, `webhooks`, …)"
    )
    action: str = Field(examples=["gateway.updated"])
    merchant_id: uuid.UUID | None = Field(validation_alias="client_id")
    target_type: str | None
    target_id: str | None
    before: dict[str, Any] | None = Field(description="the changed fields before the change (masked)")
    after: dict[str, Any] | None = Field(description="the changed fields after the change (masked)")
    reason: str | None
    details: dict[str, Any] | None
    ip: str | None
    request_id: str | None


class AuditLogList(BaseModel):
    items: list[AuditLogOut]
    next_cursor: str | None
