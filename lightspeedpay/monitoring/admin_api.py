"""The operator's view of the platform's health (bearer admin token): system status (seed 003's
`/api/v1/system/status`) with its history and an on-demand check; the workers' heartbeats; the scheduler."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from lightspeedpay.config import get_settings
from lightspeedpay.identity.deps import operator_guard
from lightspeedpay.monitoring.schemas import (
    ComponentOut,
    PeriodicTaskOut,
    ScheduledRunList,
    ScheduledRunOut,
    SchedulerInstanceOut,
    SchedulerOut,
    StatusHistoryItem,
    StatusHistoryOut,
    SystemStatusOut,
    WorkerList,
    WorkerOut,
)
from lightspeedpay.monitoring.service import scheduler_dict, worker_health_service
from lightspeedpay.monitoring.status import StatusReport, parse_range, status_checker
from lightspeedpay.sessions import ReadSession, WriteSession

_AUTH = {
    "dependencies": [operator_guard("system")],
    "responses": {401: {"description": "UNAUTHORIZED: missing or wrong admin token"}},
}
system_router = APIRouter(prefix="/api/v1/system", tags=["admin: system status"], **_AUTH)  # type: ignore[arg-type]
router = APIRouter(prefix="/api/v1/admin", tags=["admin: workers and scheduler"], **_AUTH)  # type: ignore[arg-type]

_RANGE = Query(description='how far back: "30m", "24h", "7d" (at most LSP_STATUS_HISTORY_DAYS)')


def _out(report: StatusReport) -> SystemStatusOut:
    assert report.check_id is not None and report.checked_at is not None
    return SystemStatusOut(
        status=report.status,
        check_id=report.check_id,
        checked_at=report.checked_at,
        components=[ComponentOut.model_validate(c, from_attributes=True) for c in report.components],
    )


@system_router.get(
    "/status",
    response_model=SystemStatusOut,
    summary="Each component (api, postgresql, redis, scheduler, each queue's workers, each gateway's PSP, "
    "whatsapp, slack): ok, degraded or down, since when and why, as of the latest check (every 10 minutes, "
    "or POST /check); the first call on a new install runs the first check",
)
async def system_status(session: WriteSession) -> SystemStatusOut:
    report = await status_checker.latest(session)
    if report is None:
        await session.rollback()  # no transaction stays open while the components are asked
        report = await status_checker.record(session, await status_checker.read())
    return _out(report)


@system_router.post(
    "/status/check",
    response_model=SystemStatusOut,
    summary="Check every component now and record the result in the status history",
)
async def check_system_status(session: WriteSession) -> SystemStatusOut:
    # the components are asked before the session's transaction begins: none is open across their answers
    readings = await status_checker.read()
    return _out(await status_checker.record(session, readings))


@system_router.get(
    "/status/history",
    response_model=StatusHistoryOut,
    responses={422: {"description": "VALIDATION_ERROR (range)"}},
    summary="The status checks of a range, one row per component per check, newest first",
)
async def system_status_history(
    session: ReadSession,
    component: Annotated[str | None, Query(max_length=200, description="e.g. redis, queue:refunds")] = None,
    range: Annotated[str, _RANGE] = "24h",
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> StatusHistoryOut:
    span = parse_range(range, max_days=get_settings().status_history_days)
    end = datetime.now(UTC)
    items = await status_checker.history(session, component=component, since=end - span, limit=limit)
    return StatusHistoryOut(
        component=component,
        range=range,
        start=end - span,
        end=end,
        items=[StatusHistoryItem.model_validate(i, from_attributes=True) for i in items],
    )


@router.get(
    "/workers",
    response_model=WorkerList,
    summary="Every worker process with its heartbeat: queues, concurrency, jobs done and failed, memory; "
    "alive, down (silent for 3 beats) or stopped",
)
async def workers(session: ReadSession) -> WorkerList:
    return WorkerList(items=[WorkerOut(**w.as_dict()) for w in await worker_health_service.workers(session)])


@router.get(
    "/scheduler",
    response_model=SchedulerOut,
    summary="The scheduler leading, its standbys, and each periodic task's schedule and last run",
)
async def scheduler(session: ReadSession) -> SchedulerOut:
    view = scheduler_dict(await worker_health_service.scheduler(session))
    return SchedulerOut(
        leader=SchedulerInstanceOut(**view["leader"]) if view["leader"] else None,
        standbys=[SchedulerInstanceOut(**i) for i in view["standbys"]],
        silent=[SchedulerInstanceOut(**i) for i in view["silent"]],
        tasks=[PeriodicTaskOut(**t) for t in view["tasks"]],
    )


@router.get(
    "/scheduler/runs",
    response_model=ScheduledRunList,
    responses={422: {"description": "VALIDATION_ERROR (range)"}},
    summary="Recorded periodic runs (kept LSP_SCHEDULER_RUN_HISTORY_DAYS), newest first",
)
async def scheduler_runs(
    session: ReadSession,
    task: Annotated[str | None, Query(max_length=100)] = None,
    range: Annotated[str, _RANGE] = "24h",
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> ScheduledRunList:
    span = parse_range(range, max_days=get_settings().scheduler_run_history_days)
    runs = await worker_health_service.runs(session, task=task, since=datetime.now(UTC) - span, limit=limit)
    return ScheduledRunList(items=[ScheduledRunOut.model_validate(r, from_attributes=True) for r in runs])
