"""The operator's queues (seed 004's QueueMonitor, bull-board's actions): a card per queue with its counts live
from the queues stream and a chart of waiting/active/failed, pause, resume, retry, clean, drain (a preview of the
intents it parks first) and unpark; the failed and parked intents with retry and discard; one job's detail.

Every action calls `queue_admin_service`, as the admin API does; PostgreSQL's intents stay the truth (a drain
parks them, nothing here deletes one)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.dashboard import charts, i18n, web
from lightspeedpay.errors import BadRequest
from lightspeedpay.identity.deps import Operator, operator_requires
from lightspeedpay.models.job_intent import JobIntentStatus
from lightspeedpay.queue_admin.schemas import QueueOverview
from lightspeedpay.queue_admin.service import queue_admin_service
from lightspeedpay.sessions import ReadSession, WriteSession

router = APIRouter()
_ = web._lazy
Reader = Annotated[Operator, operator_requires("queues:read")]
Writer = Annotated[Operator, operator_requires("queues:write")]
LIST = "/admin/queues"
INTENT_STATUSES = (JobIntentStatus.FAILED, JobIntentStatus.PARKED, JobIntentStatus.DISCARDED)
STATUS_LABELS = {
    JobIntentStatus.FAILED: _("Failed"),
    JobIntentStatus.PARKED: _("Parked"),
    JobIntentStatus.DISCARDED: _("Discarded"),
    JobIntentStatus.PENDING: _("Pending"),
    JobIntentStatus.COMPLETED: _("Completed"),
}
# what the chart draws of a queue, from the stream's overview (console.js sums the paths joined by "+"): jobs
# held by a pause are still waiting to run, so they count as waiting
CHART_PICK = "counts.waiting+counts.prioritized+counts.paused,counts.active,counts.failed"
PAGE_SIZE = 25
GRACES = ((0, _("any age")), (3600, _("older than an hour")), (86400, _("older than a day")))


def waiting(q: QueueOverview) -> int | None:
    return None if q.counts is None else q.counts.waiting + q.counts.prioritized + q.counts.paused


async def _charts(session: AsyncSession) -> dict[str, str]:
    """The last hour of each queue from queue_metrics (a sample a minute); the stream appends to it live."""
    stats = await queue_admin_service.stats(session, queue=None, range_="1h")
    labels = [i18n.gettext(_("Waiting")), i18n.gettext(_("Active")), i18n.gettext(_("Failed"))]
    out = {}
    for series in stats.series:
        points = series.points
        out[series.queue] = charts.spec(
            [charts.unix(p.at) for p in points],
            [
                (labels[0], [p.waiting + p.prioritized + p.paused for p in points]),
                (labels[1], [p.active for p in points]),
                (labels[2], [p.failed for p in points]),
            ],
            height=150,
        )
    return out


def _live_context(queues: list[QueueOverview]) -> dict[str, Any]:
    return {"queues": queues, "waiting": waiting, "graces": GRACES}


@router.get(LIST, summary="Queues")
async def queues_page(
    request: Request,
    operator: Reader,
    session: ReadSession,
    status: Annotated[str, Query()] = JobIntentStatus.FAILED,
    queue: Annotated[str, Query()] = "",
    cursor: Annotated[str | None, Query()] = None,
) -> HTMLResponse:
    if status not in INTENT_STATUSES:
        raise BadRequest("status must be failed, parked or discarded.", field="status")
    queues = await queue_admin_service.overview(session)
    intents = await queue_admin_service.intents(
        session, status=status, queue=queue or None, limit=PAGE_SIZE, cursor=cursor
    )
    context = {
        **_live_context(queues),
        "charts": await _charts(session),
        "chart_pick": CHART_PICK,
        "intents": intents,
        "status": status,
        "queue_filter": queue,
        "statuses": [(s, STATUS_LABELS[s]) for s in INTENT_STATUSES],
        "status_labels": STATUS_LABELS,
    }
    return web.page(request, "admin/queues.html", context, operator=operator)


@router.get(f"{LIST}/live", summary="Every queue's figures, for the live refresh")
async def queues_live(request: Request, operator: Reader, session: ReadSession) -> HTMLResponse:
    queues = await queue_admin_service.overview(session)
    return web.fragment(request, "admin/_queues_live.html", _live_context(queues), operator=operator)


async def _answer(
    request: Request, session: AsyncSession, operator: Operator, name: str, message: str
) -> Response:
    """A queue action's answer: that queue's live part and a notice for htmx; back to the page for a form."""
    if not web.is_htmx(request):
        return RedirectResponse(LIST, status_code=303)
    queue = (await queue_admin_service.overview(session, name))[0]
    return web.fragment(
        request,
        "admin/_queue_answer.html",
        {**_live_context([queue]), "q": queue, "message": message},
        operator=operator,
    )


def _reason(reason: str) -> str | None:
    return reason.strip()[:1000] or None


@router.post(f"{LIST}/{{name}}/pause", summary="Pause a queue")
async def pause(
    request: Request, name: str, operator: Writer, session: WriteSession, reason: Annotated[str, Form()] = ""
) -> Response:
    name = queue_admin_service.check_queue(name)
    await queue_admin_service.pause(session, actor=operator.actor, name=name, reason=_reason(reason))
    return await _answer(request, session, operator, name, i18n.gettext(_("%(q)s is paused.")) % {"q": name})


@router.post(f"{LIST}/{{name}}/resume", summary="Resume a queue")
async def resume(
    request: Request, name: str, operator: Writer, session: WriteSession, reason: Annotated[str, Form()] = ""
) -> Response:
    name = queue_admin_service.check_queue(name)
    await queue_admin_service.resume(session, actor=operator.actor, name=name, reason=_reason(reason))
    return await _answer(request, session, operator, name, i18n.gettext(_("%(q)s is running.")) % {"q": name})


@router.post(f"{LIST}/{{name}}/retry", summary="Retry a queue's failed intents")
async def retry(
    request: Request, name: str, operator: Writer, session: WriteSession, reason: Annotated[str, Form()] = ""
) -> Response:
    name = queue_admin_service.check_queue(name)
    [result] = await queue_admin_service.retry_failed(
        session, actor=operator.actor, name=name, count=None, reason=_reason(reason)
    )
    message = i18n.gettext(_("%(n)s failed jobs of %(q)s are queued again.")) % {
        "n": result.retried,
        "q": name,
    }
    return await _answer(request, session, operator, name, message)


@router.post(f"{LIST}/{{name}}/clean", summary="Clean a queue's finished jobs")
async def clean(
    request: Request,
    name: str,
    operator: Writer,
    session: WriteSession,
    status: Annotated[str, Form()] = "completed",
    grace_seconds: Annotated[int, Form()] = 3600,
    reason: Annotated[str, Form()] = "",
) -> Response:
    name = queue_admin_service.check_queue(name)
    [result] = await queue_admin_service.clean(
        session,
        actor=operator.actor,
        name=name,
        status=status,
        grace_seconds=grace_seconds,
        limit=1000,
        reason=_reason(reason),
    )
    message = i18n.gettext(_("%(n)s finished jobs removed from %(q)s (their intents are kept).")) % {
        "n": result.removed,
        "q": name,
    }
    return await _answer(request, session, operator, name, message)


@router.post(f"{LIST}/{{name}}/unpark", summary="Put parked intents back")
async def unpark(
    request: Request,
    name: str,
    operator: Writer,
    session: WriteSession,
    intent_id: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    name = queue_admin_service.check_queue(name)
    ids = None
    if intent_id:
        try:
            ids = [uuid.UUID(intent_id)]
        except ValueError:
            raise BadRequest("intent_id is not an intent's id.", field="intent_id") from None
    result = await queue_admin_service.unpark(
        session, actor=operator.actor, name=name, intent_ids=ids, reason=_reason(reason)
    )
    message = i18n.gettext(_("%(n)s parked intents of %(q)s are queued again.")) % {
        "n": result.unparked,
        "q": name,
    }
    if intent_id and web.is_htmx(request):
        return web.fragment(
            request, "admin/_notice.html", {"kind": "ok", "message": message}, operator=operator
        )
    return await _answer(request, session, operator, name, message)


@router.get(f"{LIST}/{{name}}/drain", summary="Drain a queue: what it would park")
async def drain_preview(
    request: Request, name: str, operator: Writer, session: ReadSession, delayed: bool = False
) -> HTMLResponse:
    preview = await queue_admin_service.drain_preview(session, name, delayed=delayed)
    return web.page(
        request, "admin/queue_drain.html", {"preview": preview, "result": None}, operator=operator
    )


@router.post(f"{LIST}/{{name}}/drain", summary="Drain a queue")
async def drain(
    request: Request,
    name: str,
    operator: Writer,
    session: WriteSession,
    delayed: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> HTMLResponse:
    result = await queue_admin_service.drain(
        session, actor=operator.actor, name=name, delayed=delayed == "true", reason=_reason(reason)
    )
    return web.page(request, "admin/queue_drain.html", {"preview": None, "result": result}, operator=operator)


# ---- one job --------------------------------------------------------------------------------------------------


@router.get(f"{LIST}/jobs/{{job_id}}", summary="One job")
async def job(request: Request, job_id: str, operator: Reader, session: ReadSession) -> HTMLResponse:
    detail = await queue_admin_service.job(session, job_id)
    return web.page(
        request, "admin/queue_job.html", {"d": detail, "status_labels": STATUS_LABELS}, operator=operator
    )


async def _job_answer(request: Request, session: AsyncSession, operator: Operator, job_id: str) -> Response:
    if not web.is_htmx(request):
        return RedirectResponse(f"{LIST}/jobs/{job_id}", status_code=303)
    detail = await queue_admin_service.job(session, job_id)
    return web.fragment(
        request,
        "admin/_intent_row.html",
        {"i": detail.intent, "status_labels": STATUS_LABELS},
        operator=operator,
    )


@router.post(f"{LIST}/jobs/{{job_id}}/retry", summary="Retry one failed job")
async def retry_job(
    request: Request,
    job_id: str,
    operator: Writer,
    session: WriteSession,
    reason: Annotated[str, Form()] = "",
) -> Response:
    await queue_admin_service.retry_job(
        session, actor=operator.actor, raw_id=job_id, reason=_required(reason)
    )
    return await _job_answer(request, session, operator, job_id)


@router.post(f"{LIST}/jobs/{{job_id}}/discard", summary="Discard one failed job")
async def discard_job(
    request: Request,
    job_id: str,
    operator: Writer,
    session: WriteSession,
    reason: Annotated[str, Form()] = "",
) -> Response:
    await queue_admin_service.discard_job(
        session, actor=operator.actor, raw_id=job_id, reason=_required(reason)
    )
    return await _job_answer(request, session, operator, job_id)


def _required(reason: str) -> str:
    if not reason.strip():
        raise BadRequest("Say why (the reason is kept in the audit log).", field="reason")
    return reason.strip()[:1000]
