"""The operator's queue control plane (bearer admin token): `/api/v1/admin/queues`. Every action is audited in
its request's transaction; PostgreSQL's job intents stay the truth (a drain parks them, it never deletes one)."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.auth.signature import read_body
from lightspeedpay.errors import (
    BadRequest,
    IntentNotFailed,
    JobNotFound,
    QueueBackendUnavailable,
    QueueNotFound,
)
from lightspeedpay.identity.deps import CurrentAdmin, operator_guard
from lightspeedpay.kit.openapi import request_body
from lightspeedpay.kit.parsing import from_validation_error, parse_json
from lightspeedpay.queue_admin.schemas import (
    CleanRequest,
    CleanResults,
    DrainRequest,
    DrainResult,
    IntentOut,
    JobActionRequest,
    JobDetail,
    ParkedList,
    PauseResult,
    QueueAction,
    QueueList,
    QueueOverview,
    QueueStats,
    RetryRequest,
    RetryResults,
    UnparkRequest,
    UnparkResult,
)
from lightspeedpay.queue_admin.service import queue_admin_service
from lightspeedpay.sessions import ReadSession, WriteSession

router = APIRouter(
    prefix="/api/v1/admin/queues",
    tags=["admin: queues"],
    dependencies=[operator_guard("queues")],
    responses={401: {"description": "UNAUTHORIZED: missing or wrong admin token"}},
)
M = TypeVar("M", bound=BaseModel)
_QUEUE_404 = QueueNotFound.openapi()
_JOB_404 = JobNotFound.openapi()
_BAD: dict[int | str, dict[str, Any]] = {
    400: {"description": "BAD_REQUEST (field names the input)"},
    422: {"description": "VALIDATION_ERROR"},
    **QueueBackendUnavailable.openapi(),
}


async def _optional_body(request: Request, model: type[M]) -> M:
    """Bodies of these actions are optional: none means the defaults."""
    raw = await read_body(request)
    return parse_json(model, raw) if raw.strip() else model()


def _same_queue(path_queue: str, body_queue: str | None) -> str:
    name = queue_admin_service.check_queue(path_queue)
    if body_queue is not None and body_queue != name:
        raise BadRequest("The body names another queue than the path.", field="queue")
    return name


# --- every queue ---------------------------------------------------------------------------------------------


@router.get(
    "",
    response_model=QueueList,
    summary="Every queue: BullMQ's counts by state, paused or not, its workers and oldest waiting job; and the "
    "job intents PostgreSQL still holds for it (pending, failed, parked, discarded)",
)
async def list_queues(session: ReadSession) -> QueueList:
    return QueueList(items=await queue_admin_service.overview(session))


@router.get(
    "/stats",
    response_model=QueueStats,
    responses={**_QUEUE_404, 400: {"description": "BAD_REQUEST (range)"}},
    summary="The queues' history from queue_metrics (sampled every minute, kept 30 days), in buckets",
)
async def queue_stats(
    session: ReadSession,
    queue: Annotated[str | None, Query(description="one queue; every queue without it")] = None,
    range_: Annotated[
        str, Query(alias="range", description="1h, 24h, 7d, 30d (a number and m, h or d)")
    ] = "1h",
) -> QueueStats:
    return await queue_admin_service.stats(session, queue=queue, range_=range_)


@router.post(
    "/pause",
    response_model=PauseResult,
    responses={**_QUEUE_404, **_BAD},
    summary="Pause one queue (named in the body) or every queue: workers take no new job; payments and other "
    "work stay queued (their intents pending) until resumed",
    openapi_extra=request_body(
        QueueAction, {"one": {"queue": "transaction-processing", "reason": "PSP incident"}}, required=False
    ),
)
async def pause_queues(request: Request, admin: CurrentAdmin, session: WriteSession) -> PauseResult:
    body = await _optional_body(request, QueueAction)
    items = await queue_admin_service.pause(session, actor=admin.actor, name=body.queue, reason=body.reason)
    return PauseResult(items=items)


@router.post(
    "/resume",
    response_model=PauseResult,
    responses={**_QUEUE_404, **_BAD},
    summary="Resume one queue (named in the body) or every queue",
    openapi_extra=request_body(QueueAction, {"all": {"reason": "incident over"}}, required=False),
)
async def resume_queues(request: Request, admin: CurrentAdmin, session: WriteSession) -> PauseResult:
    body = await _optional_body(request, QueueAction)
    items = await queue_admin_service.resume(session, actor=admin.actor, name=body.queue, reason=body.reason)
    return PauseResult(items=items)


@router.post(
    "/retry",
    response_model=RetryResults,
    responses={**_QUEUE_404, **_BAD},
    summary="Retry failed job intents of one queue (named in the body) or every queue: back to pending with "
    "their attempts reset, and queued again",
    openapi_extra=request_body(
        RetryRequest, {"one": {"queue": "merchant-webhooks", "count": 100}}, required=False
    ),
)
async def retry_queues(request: Request, admin: CurrentAdmin, session: WriteSession) -> RetryResults:
    body = await _optional_body(request, RetryRequest)
    items = await queue_admin_service.retry_failed(
        session, actor=admin.actor, name=body.queue, count=body.count, reason=body.reason
    )
    return RetryResults(items=items)


_CLEAN_DOC = request_body(
    CleanRequest,
    {
        "completed": {
            "queue": "webhook-processing",
            "status": "completed",
            "grace_seconds": 3600,
            "limit": 1000,
        }
    },
    required=False,
)


@router.post(
    "/clean",
    response_model=CleanResults,
    responses={**_QUEUE_404, **_BAD},
    summary="Remove BullMQ's completed or failed jobs older than a grace from one queue (named in the body) or "
    "every queue; the job intents in PostgreSQL are kept",
    openapi_extra=_CLEAN_DOC,
)
async def clean_queues(request: Request, admin: CurrentAdmin, session: WriteSession) -> CleanResults:
    return await _clean(request, admin.actor, session, {})


@router.delete(
    "/clean",
    response_model=CleanResults,
    responses={**_QUEUE_404, **_BAD},
    summary="The same as POST /clean, with its options in the query string or the body",
    openapi_extra=_CLEAN_DOC,
)
async def clean_queues_delete(
    request: Request,
    admin: CurrentAdmin,
    session: WriteSession,
    queue: str | None = None,
    status: Literal["completed", "failed"] | None = None,
    grace_seconds: int | None = None,
    limit: int | None = None,
    reason: Annotated[str | None, Query(max_length=1000)] = None,
) -> CleanResults:
    given = {
        "queue": queue,
        "status": status,
        "grace_seconds": grace_seconds,
        "limit": limit,
        "reason": reason,
    }
    return await _clean(request, admin.actor, session, {k: v for k, v in given.items() if v is not None})


async def _clean(request: Request, actor: str, session: AsyncSession, query: dict[str, Any]) -> CleanResults:
    raw = await read_body(request)
    fields = dict(query)
    if raw.strip():
        fields.update(parse_json(CleanRequest, raw).model_dump(exclude_unset=True))
    try:
        body = CleanRequest.model_validate(fields)
    except ValidationError as exc:
        raise from_validation_error(exc) from None
    items = await queue_admin_service.clean(
        session,
        actor=actor,
        name=body.queue,
        status=body.status,
        grace_seconds=body.grace_seconds,
        limit=body.limit,
        reason=body.reason,
    )
    return CleanResults(items=items)


# --- one job (its id is its intent's id) ------------------------------------------------------------------------


@router.get(
    "/jobs/{job_id}",
    response_model=JobDetail,
    responses=_JOB_404,
    summary="One job: its job intent row, and BullMQ's job (state, attempts, failure, stack trace, logs) while "
    "BullMQ still holds it",
)
async def get_job(job_id: str, session: ReadSession) -> JobDetail:
    return await queue_admin_service.job(session, job_id)


_REASON_DOC = request_body(JobActionRequest, {"why": {"reason": "PSP fixed the outage"}})


@router.post(
    "/jobs/{job_id}/retry",
    response_model=IntentOut,
    responses={**_JOB_404, **IntentNotFailed.openapi(), **_BAD},
    summary="Retry one failed job intent (a reason is required): pending again, attempts reset, queued",
    openapi_extra=_REASON_DOC,
)
async def retry_job(job_id: str, request: Request, admin: CurrentAdmin, session: WriteSession) -> IntentOut:
    body = _reason(await read_body(request))
    return await queue_admin_service.retry_job(session, actor=admin.actor, raw_id=job_id, reason=body.reason)


@router.post(
    "/jobs/{job_id}/discard",
    response_model=IntentOut,
    responses={**_JOB_404, **IntentNotFailed.openapi(), **_BAD},
    summary="Give up on one failed job intent (a reason is required): marked discarded, the row kept",
    openapi_extra=_REASON_DOC,
)
async def discard_job(job_id: str, request: Request, admin: CurrentAdmin, session: WriteSession) -> IntentOut:
    body = _reason(await read_body(request))
    return await queue_admin_service.discard_job(
        session, actor=admin.actor, raw_id=job_id, reason=body.reason
    )


def _reason(raw: bytes) -> JobActionRequest:
    if not raw.strip():
        raise BadRequest('Send a JSON body with a "reason" (why; kept in the audit log).', field="reason")
    body = parse_json(JobActionRequest, raw)
    if not body.reason.strip():
        raise BadRequest("reason must say why.", field="reason")
    return body


# --- one queue -----------------------------------------------------------------------------------------------------


@router.get("/{queue}", response_model=QueueOverview, responses=_QUEUE_404, summary="One queue")
async def get_queue(queue: str, session: ReadSession) -> QueueOverview:
    return (await queue_admin_service.overview(session, queue))[0]


@router.post(
    "/{queue}/pause",
    response_model=QueueOverview,
    responses={**_QUEUE_404, **_BAD},
    summary="Pause this queue: workers take no new job until it is resumed; running jobs finish",
    openapi_extra=request_body(QueueAction, {"why": {"reason": "PSP incident"}}, required=False),
)
async def pause_queue(
    queue: str, request: Request, admin: CurrentAdmin, session: WriteSession
) -> QueueOverview:
    body = await _optional_body(request, QueueAction)
    name = _same_queue(queue, body.queue)
    return (await queue_admin_service.pause(session, actor=admin.actor, name=name, reason=body.reason))[0]


@router.post(
    "/{queue}/resume",
    response_model=QueueOverview,
    responses={**_QUEUE_404, **_BAD},
    summary="Resume this queue",
    openapi_extra=request_body(QueueAction, {"why": {"reason": "incident over"}}, required=False),
)
async def resume_queue(
    queue: str, request: Request, admin: CurrentAdmin, session: WriteSession
) -> QueueOverview:
    body = await _optional_body(request, QueueAction)
    name = _same_queue(queue, body.queue)
    return (await queue_admin_service.resume(session, actor=admin.actor, name=name, reason=body.reason))[0]


@router.post(
    "/{queue}/retry",
    response_model=RetryResults,
    responses={**_QUEUE_404, **_BAD},
    summary="Retry this queue's failed job intents (all, or the oldest `count`)",
    openapi_extra=request_body(RetryRequest, {"some": {"count": 100}}, required=False),
)
async def retry_queue(
    queue: str, request: Request, admin: CurrentAdmin, session: WriteSession
) -> RetryResults:
    body = await _optional_body(request, RetryRequest)
    name = _same_queue(queue, body.queue)
    items = await queue_admin_service.retry_failed(
        session, actor=admin.actor, name=name, count=body.count, reason=body.reason
    )
    return RetryResults(items=items)


@router.post(
    "/{queue}/clean",
    response_model=CleanResults,
    responses={**_QUEUE_404, **_BAD},
    summary="Remove this queue's completed or failed BullMQ jobs older than `grace_seconds` (at most `limit`)",
    openapi_extra=request_body(
        CleanRequest, {"failed": {"status": "failed", "grace_seconds": 86400}}, required=False
    ),
)
async def clean_queue(
    queue: str, request: Request, admin: CurrentAdmin, session: WriteSession
) -> CleanResults:
    name = queue_admin_service.check_queue(queue)
    raw = await read_body(request)
    body = parse_json(CleanRequest, raw) if raw.strip() else CleanRequest()
    _same_queue(name, body.queue)
    return await _clean_one(session, admin.actor, name, body)


async def _clean_one(session: AsyncSession, actor: str, name: str, body: CleanRequest) -> CleanResults:
    items = await queue_admin_service.clean(
        session,
        actor=actor,
        name=name,
        status=body.status,
        grace_seconds=body.grace_seconds,
        limit=body.limit,
        reason=body.reason,
    )
    return CleanResults(items=items)


@router.post(
    "/{queue}/drain",
    response_model=DrainResult,
    responses={**_QUEUE_404, **_BAD},
    summary="Take this queue's waiting jobs (and delayed ones with `delayed: true`) out of Redis; their job "
    "intents are parked in PostgreSQL, listed at /parked and restored by /unpark. Running jobs are not touched",
    openapi_extra=request_body(DrainRequest, {"waiting": {"reason": "stuck backlog"}}, required=False),
)
async def drain_queue(
    queue: str, request: Request, admin: CurrentAdmin, session: WriteSession
) -> DrainResult:
    body = await _optional_body(request, DrainRequest)
    return await queue_admin_service.drain(
        session, actor=admin.actor, name=queue, delayed=body.delayed, reason=body.reason
    )


@router.get(
    "/{queue}/parked",
    response_model=ParkedList,
    responses={**_QUEUE_404, 422: {"description": "VALIDATION_ERROR"}},
    summary="This queue's parked job intents, oldest parked first",
)
async def parked_intents(
    queue: str,
    session: ReadSession,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: str | None = None,
) -> ParkedList:
    return await queue_admin_service.parked(session, queue, limit=limit, cursor=cursor)


@router.post(
    "/{queue}/unpark",
    response_model=UnparkResult,
    responses={**_QUEUE_404, **_BAD},
    summary="Put parked job intents back (all, or the ids given): pending again and queued",
    openapi_extra=request_body(UnparkRequest, {"all": {"reason": "backlog cleared"}}, required=False),
)
async def unpark_queue(
    queue: str, request: Request, admin: CurrentAdmin, session: WriteSession
) -> UnparkResult:
    body = await _optional_body(request, UnparkRequest)
    return await queue_admin_service.unpark(
        session, actor=admin.actor, name=queue, intent_ids=body.intent_ids, reason=body.reason
    )


__all__ = ["router"]
