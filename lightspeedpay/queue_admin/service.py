"""The queue control plane: what each BullMQ queue holds and what PostgreSQL still owes it, and the operator's
actions on both (pause, resume, retry, clean, drain and unpark, one job's retry or discard), each audited in the
caller's transaction. PostgreSQL's intents stay the truth: no action deletes one; a drain parks them visibly and
an unpark puts them back.

Redis is called before the transaction's own changes and never while one of its row locks is held: each change
to an intent is one conditional UPDATE, so a worker running the same intent either finished first (the UPDATE
leaves it alone) or finds it moved (a parked or discarded intent is a no-op for the runner)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.config import get_settings
from lightspeedpay.errors import (
    BadRequest,
    IntentNotFailed,
    JobNotFound,
    QueueBackendUnavailable,
    QueueNotFound,
)
from lightspeedpay.jobs import outbox, queues
from lightspeedpay.kit.logging import log
from lightspeedpay.kit.pagination import encode_cursor, parse_cursor
from lightspeedpay.models import JobIntent
from lightspeedpay.models.job_intent import JobIntentStatus
from lightspeedpay.monitoring import audit
from lightspeedpay.queue_admin.repository import queue_admin_repo
from lightspeedpay.queue_admin.schemas import (
    BullJobOut,
    CleanResult,
    DrainPreview,
    DrainResult,
    IntentCounts,
    IntentOut,
    IntentPage,
    JobCounts,
    JobDetail,
    JobsStatus,
    ParkedList,
    QueueOverview,
    QueueSeries,
    QueueStats,
    RetryResult,
    StatsPoint,
    UnparkResult,
    WorkerOut,
)

# BullMQ states in which the job is still to run (or running): a push with its id would be a no-op
_LIVE_STATES = ("waiting", "active", "delayed", "prioritized", "waiting-children")
_RANGE = re.compile(r"(\d{1,6})([mhd])")
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400}
# a series has at most ~360 points: the smallest of these buckets that keeps it so
_BUCKETS = (60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400)
_MAX_POINTS = 360
_AUDIT_IDS = 1000  # intent ids named in one audit row's details (the count is always exact)
_DRAINED = "drained by an operator"
_MAX_GRACE_SECONDS = 10 * 366 * 86400


class QueueAdminService:
    # --- reading -------------------------------------------------------------------------------------------

    def check_queue(self, name: str, *, field: str = "queue") -> str:
        if name not in queues.QUEUE_NAMES:
            raise QueueNotFound(name, queues.QUEUE_NAMES, field=field)
        return name

    def _targets(self, name: str | None) -> list[str]:
        return list(queues.QUEUE_NAMES) if name is None else [self.check_queue(name)]

    async def overview(self, session: AsyncSession, name: str | None = None) -> list[QueueOverview]:
        """Every queue (or one): BullMQ's counts, pause, workers and oldest waiting job; the intents not done."""
        names = self._targets(name)
        open_counts = await queue_admin_repo.open_counts(session)
        return [await self._one(n, open_counts.get(n, {})) for n in names]

    async def _one(self, name: str, intents: dict[str, int]) -> QueueOverview:
        intent_counts = IntentCounts(
            pending=intents.get(JobIntentStatus.PENDING, 0),
            failed=intents.get(JobIntentStatus.FAILED, 0),
            parked=intents.get(JobIntentStatus.PARKED, 0),
            discarded=intents.get(JobIntentStatus.DISCARDED, 0),
        )
        try:
            counts, paused, workers, oldest = await _bullmq_side(name)
        except (RedisError, TimeoutError, OSError) as exc:
            return QueueOverview(
                name=name,
                paused=False,
                counts=None,
                workers=0,
                worker_connections=[],
                oldest_waiting_seconds=None,
                intents=intent_counts,
                redis_error=f"{type(exc).__name__}: {exc}"[:300],
            )
        return QueueOverview(
            name=name,
            paused=paused,
            counts=counts,
            # Python BullMQ's Worker names both of its connections (commands, blocking reads) after the queue
            workers=(len(workers) + 1) // 2,
            worker_connections=workers,
            oldest_waiting_seconds=oldest,
            intents=intent_counts,
        )

    async def record_metrics(self, session: AsyncSession) -> list[QueueOverview]:
        """The sampler (the scheduler runs it every LSP_QUEUE_METRICS_SECONDS): one queue_metrics row per queue
        whose BullMQ side answered, and samples past LSP_QUEUE_METRICS_RETENTION_DAYS purged. Returns what it
        sampled, for callers that publish it."""
        s = get_settings()
        items = await self.overview(session)
        now = datetime.now(UTC)
        await queue_admin_repo.add_samples(
            session,
            [
                {
                    "id": uuid.uuid4(),
                    "queue_name": q.name,
                    **q.counts.model_dump(),
                    "is_paused": q.paused,
                    "workers": q.workers,
                    "oldest_waiting_seconds": q.oldest_waiting_seconds,
                    "intents_pending": q.intents.pending,
                    "intents_failed": q.intents.failed,
                    "intents_parked": q.intents.parked,
                    "recorded_at": now,
                }
                for q in items
                if q.counts is not None
            ],
        )
        purged = await queue_admin_repo.purge_samples(
            session, before=now - timedelta(days=s.queue_metrics_retention_days)
        )
        if purged:
            log.info("queue_metrics_purged", rows=purged)
        missing = [q.name for q in items if q.counts is None]
        if missing:
            log.warning("queue_metrics_skipped", queues=missing, reason="Redis did not answer")
        return items

    async def stats(self, session: AsyncSession, *, queue: str | None, range_: str) -> QueueStats:
        names = self._targets(queue)
        seconds = parse_range(range_)
        bucket = next((b for b in _BUCKETS if seconds / b <= _MAX_POINTS), _BUCKETS[-1])
        since = datetime.now(UTC) - timedelta(seconds=seconds)
        rows = await queue_admin_repo.series(
            session, queues=names, since=since, bucket=timedelta(seconds=bucket)
        )
        by_queue: dict[str, list[StatsPoint]] = {n: [] for n in names}
        for r in rows:
            by_queue[r.queue_name].append(StatsPoint.model_validate(r, from_attributes=True))
        return QueueStats(
            range=range_,
            bucket_seconds=bucket,
            since=since,
            series=[QueueSeries(queue=n, points=points) for n, points in by_queue.items()],
        )

    async def parked(self, session: AsyncSession, name: str, *, limit: int, cursor: str | None) -> ParkedList:
        self.check_queue(name)
        rows = await queue_admin_repo.parked_page(
            session, queue=name, after=parse_cursor(cursor), limit=limit
        )
        next_cursor = None
        if len(rows) > limit:
            last = rows[limit - 1]
            assert last.parked_at is not None
            next_cursor = encode_cursor(last.parked_at, last.id)
        return ParkedList(
            queue=name, items=[IntentOut.model_validate(r) for r in rows[:limit]], next_cursor=next_cursor
        )

    async def intents(
        self, session: AsyncSession, *, status: str, queue: str | None, limit: int, cursor: str | None
    ) -> IntentPage:
        """Failed, parked or discarded intents (of one queue, or all), most recently changed first."""
        if status not in (JobIntentStatus.FAILED, JobIntentStatus.PARKED, JobIntentStatus.DISCARDED):
            raise BadRequest("status must be failed, parked or discarded.", field="status")
        if queue is not None:
            self.check_queue(queue)
        rows = await queue_admin_repo.status_page(
            session, status=status, queue=queue, after=parse_cursor(cursor), limit=limit
        )
        next_cursor = (
            encode_cursor(rows[limit - 1].updated_at, rows[limit - 1].id) if len(rows) > limit else None
        )
        return IntentPage(
            status=status,
            queue=queue,
            items=[IntentOut.model_validate(r) for r in rows[:limit]],
            next_cursor=next_cursor,
        )

    async def drain_preview(
        self, session: AsyncSession, name: str, *, delayed: bool, limit: int = 50
    ) -> DrainPreview:
        """What `drain` would take if it ran now (the same listing it starts with): nothing is changed."""
        self.check_queue(name)
        states = ["wait", "paused", "prioritized"] + (["delayed"] if delayed else [])
        with _redis_answers():
            job_ids = await queues.queue(name).backend.getRanges(states, 0, -1, True)
        ids = _intent_ids(job_ids)
        rows = await queue_admin_repo.many(session, ids, limit=limit)
        return DrainPreview(
            queue=name,
            delayed=delayed,
            jobs=len(job_ids),
            intents=[IntentOut.model_validate(r) for r in rows],
            more=max(0, len(ids) - len(rows)),
        )

    async def job(self, session: AsyncSession, raw_id: str) -> JobDetail:
        """The intent row always; BullMQ's job (state, attempts, failure, stack trace, logs) while it has it."""
        intent = await self._intent(session, raw_id)
        return JobDetail(
            id=intent.id,
            queue=intent.queue,
            intent=IntentOut.model_validate(intent),
            job=await _bullmq_job(intent.queue, str(intent.id)),
        )

    async def _intent(self, session: AsyncSession, raw_id: str) -> JobIntent:
        try:
            intent_id = uuid.UUID(raw_id)
        except ValueError:
            raise JobNotFound() from None
        intent = await queue_admin_repo.get(session, intent_id)
        if intent is None:
            raise JobNotFound()
        return intent

    async def jobs_status(self, session: AsyncSession) -> JobsStatus:
        """Seed 002's test helper: totals over every queue."""
        counts = await queue_admin_repo.status_counts(session)
        processing, any_worker, any_paused = 0, False, False
        with _redis_answers():
            for name in queues.QUEUE_NAMES:
                q = queues.queue(name)
                processing += (await q.getJobCounts("active")).get("active", 0)
                any_paused = any_paused or await q.isPaused()
                any_worker = any_worker or bool(await q.get_workers())
        return JobsStatus(
            pending=counts.get(JobIntentStatus.PENDING, 0),
            processing=processing,
            completed=counts.get(JobIntentStatus.COMPLETED, 0),
            failed=counts.get(JobIntentStatus.FAILED, 0),
            worker_status="stopped" if not any_worker else "paused" if any_paused else "running",
        )

    # --- acting on queues ----------------------------------------------------------------------------------

    async def pause(
        self, session: AsyncSession, *, actor: str, name: str | None, reason: str | None
    ) -> list[QueueOverview]:
        """New jobs still reach Redis while a queue is paused (their intents stay pending, and the sweeper sees
        them waiting and leaves them alone); workers take none until it is resumed. Running jobs finish."""
        return await self._set_paused(session, actor=actor, name=name, reason=reason, paused=True)

    async def resume(
        self, session: AsyncSession, *, actor: str, name: str | None, reason: str | None
    ) -> list[QueueOverview]:
        return await self._set_paused(session, actor=actor, name=name, reason=reason, paused=False)

    async def _set_paused(
        self, session: AsyncSession, *, actor: str, name: str | None, reason: str | None, paused: bool
    ) -> list[QueueOverview]:
        names = self._targets(name)
        for n in names:
            q = queues.queue(n)
            with _redis_answers():
                was = await q.isPaused()
                await (q.pause() if paused else q.resume())
            audit.record(
                session,
                actor=actor,
                action="queue.paused" if paused else "queue.resumed",
                target_type="queue",
                target_id=n,
                before={"paused": was},
                after={"paused": paused},
                reason=reason,
            )
        return await self.overview(session, name)

    async def retry_failed(
        self, session: AsyncSession, *, actor: str, name: str | None, count: int | None, reason: str | None
    ) -> list[RetryResult]:
        """The failed intents of a queue (the oldest `count`, at most LSP_QUEUE_ADMIN_BATCH_LIMIT) back to
        pending with their attempts reset, and pushed after the commit. BullMQ's failed job of each is removed
        first: a job id BullMQ still holds would make the push a no-op."""
        limit = get_settings().queue_admin_batch_limit
        if count is not None and not 1 <= count <= limit:
            raise BadRequest(f"count must be between 1 and {limit}.", field="count")
        results = []
        for n in self._targets(name):
            ids = await queue_admin_repo.oldest_ids(
                session, queue=n, status=JobIntentStatus.FAILED, limit=count or limit
            )
            for intent_id in ids:
                await _release_finished_job(n, intent_id)
            moved = await queue_admin_repo.retry_failed(session, ids, queue=n)
            for intent_id, task_name in moved:
                outbox.remember(session, task_name, intent_id)
            moved_ids = [i for i, _ in moved]
            audit.record(
                session,
                actor=actor,
                action="queue.retried",
                target_type="queue",
                target_id=n,
                after={"retried": len(moved_ids)},
                reason=reason,
                details={"count": count, "intent_ids": [str(i) for i in moved_ids[:_AUDIT_IDS]]},
            )
            results.append(RetryResult(queue=n, retried=len(moved_ids), intent_ids=moved_ids))
        return results

    async def clean(
        self,
        session: AsyncSession,
        *,
        actor: str,
        name: str | None,
        status: str,
        grace_seconds: int,
        limit: int,
        reason: str | None,
    ) -> list[CleanResult]:
        """BullMQ's finished jobs older than the grace removed from Redis (its housekeeping only: the intents,
        the history, stay in PostgreSQL)."""
        if grace_seconds > _MAX_GRACE_SECONDS:
            raise BadRequest("grace_seconds must be at most ten years.", field="grace_seconds")
        if grace_seconds < 0:
            raise BadRequest(
                "grace_seconds must be 0 or more (seconds since the job finished).", field="grace_seconds"
            )
        if status not in ("completed", "failed"):
            raise BadRequest("status must be completed or failed.", field="status")
        if not 1 <= limit <= 100_000:
            raise BadRequest("limit must be between 1 and 100000.", field="limit")
        results = []
        for n in self._targets(name):
            with _redis_answers():
                removed = await queues.queue(n).clean(grace_seconds * 1000, limit, status)
            audit.record(
                session,
                actor=actor,
                action="queue.cleaned",
                target_type="queue",
                target_id=n,
                after={"removed": len(removed)},
                reason=reason,
                details={"status": status, "grace_seconds": grace_seconds, "limit": limit},
            )
            results.append(CleanResult(queue=n, status=status, removed=len(removed)))
        return results

    async def drain(
        self, session: AsyncSession, *, actor: str, name: str, delayed: bool, reason: str | None
    ) -> DrainResult:
        """The queue's waiting jobs (and delayed ones when asked) leave Redis and their intents are parked.

        Redis first, then PostgreSQL: an intent whose job a worker took before the drain is either done (the
        park leaves a completed intent alone) or is parked and its job finds it parked (a no-op); a job queued
        between the listing and the drain loses its job but keeps a pending intent, which the sweeper pushes
        again; if this transaction fails after the drain, every drained intent is still pending and the sweeper
        pushes them all back. Nothing is lost; nothing runs twice (the runner runs pending intents only)."""
        self.check_queue(name)
        q = queues.queue(name)
        states = ["wait", "paused", "prioritized"] + (["delayed"] if delayed else [])
        with _redis_answers():
            job_ids = await q.backend.getRanges(states, 0, -1, True)
            await q.drain(delayed)
        ids = _intent_ids(job_ids)
        parked = await queue_admin_repo.park(session, queue=name, ids=ids, reason=reason or _DRAINED)
        audit.record(
            session,
            actor=actor,
            action="queue.drained",
            target_type="queue",
            target_id=name,
            after={"removed": len(job_ids), "parked": len(parked)},
            reason=reason,
            details={"delayed": delayed, "intent_ids": [str(i) for i in parked[:_AUDIT_IDS]]},
        )
        return DrainResult(queue=name, removed=len(job_ids), parked=len(parked), intent_ids=parked)

    async def unpark(
        self,
        session: AsyncSession,
        *,
        actor: str,
        name: str,
        intent_ids: list[uuid.UUID] | None,
        reason: str | None,
    ) -> UnparkResult:
        """Parked intents (the ones named, or all, at most LSP_QUEUE_ADMIN_BATCH_LIMIT per call) back to pending
        and pushed after the commit. A job that reached a worker while its intent was parked finished as a
        no-op; it is removed first so that the push is not one."""
        self.check_queue(name)
        limit = get_settings().queue_admin_batch_limit
        not_parked: list[uuid.UUID] = []
        if intent_ids is not None:
            if len(intent_ids) > limit:
                raise BadRequest(f"At most {limit} intent ids per call.", field="intent_ids")
            known = {
                i: (queue, status)
                for i, queue, status in await queue_admin_repo.known_ids(session, intent_ids)
            }
            targets = [i for i in dict.fromkeys(intent_ids) if known.get(i) == (name, JobIntentStatus.PARKED)]
            not_parked = [i for i in dict.fromkeys(intent_ids) if i not in targets]
        else:
            targets = await queue_admin_repo.oldest_ids(
                session, queue=name, status=JobIntentStatus.PARKED, limit=limit
            )
        for intent_id in targets:
            await _release_finished_job(name, intent_id)
        moved = await queue_admin_repo.unpark(session, queue=name, ids=targets)
        for intent_id, task_name in moved:
            outbox.remember(session, task_name, intent_id)
        moved_ids = [i for i, _ in moved]
        remaining = (await queue_admin_repo.open_counts(session)).get(name, {}).get(JobIntentStatus.PARKED, 0)
        audit.record(
            session,
            actor=actor,
            action="queue.unparked",
            target_type="queue",
            target_id=name,
            after={"unparked": len(moved_ids), "remaining": remaining},
            reason=reason,
            details={"intent_ids": [str(i) for i in moved_ids[:_AUDIT_IDS]]},
        )
        return UnparkResult(
            queue=name,
            unparked=len(moved_ids),
            intent_ids=moved_ids,
            not_parked=not_parked,
            remaining=remaining,
        )

    # --- acting on one job ---------------------------------------------------------------------------------

    async def retry_job(self, session: AsyncSession, *, actor: str, raw_id: str, reason: str) -> IntentOut:
        """One failed intent back to pending with its attempts reset, pushed after the commit."""
        intent = await self._failed_intent(session, raw_id)
        before = _intent_state(intent)
        await _release_finished_job(intent.queue, intent.id)
        moved = await queue_admin_repo.retry_failed(session, [intent.id])
        if not moved:
            await session.refresh(intent)
            raise IntentNotFailed(intent.status)
        outbox.remember(session, intent.name, intent.id)
        return await _audited_intent(
            session, intent, actor=actor, action="job_intent.retried", before=before, reason=reason
        )

    async def discard_job(self, session: AsyncSession, *, actor: str, raw_id: str, reason: str) -> IntentOut:
        """One failed intent given up on: status discarded, the row kept; its BullMQ job is left for history."""
        intent = await self._failed_intent(session, raw_id)
        before = _intent_state(intent)
        if not await queue_admin_repo.discard_failed(session, intent.id, reason=reason):
            await session.refresh(intent)
            raise IntentNotFailed(intent.status)
        return await _audited_intent(
            session, intent, actor=actor, action="job_intent.discarded", before=before, reason=reason
        )

    async def _failed_intent(self, session: AsyncSession, raw_id: str) -> JobIntent:
        intent = await self._intent(session, raw_id)
        if intent.status != JobIntentStatus.FAILED:
            raise IntentNotFailed(intent.status)
        return intent


# --- BullMQ ---------------------------------------------------------------------------------------------------


async def _bullmq_side(name: str) -> tuple[JobCounts, bool, list[WorkerOut], float | None]:
    q = queues.queue(name)
    raw = await q.getJobCounts("waiting", "active", "delayed", "prioritized", "completed", "failed", "paused")
    paused = await q.isPaused()
    # BullMQ 5+ keeps a paused queue's jobs in its wait list ("paused" only holds jobs of an older layout)
    held = raw.get("waiting", 0) + raw.get("paused", 0)
    counts = JobCounts(
        waiting=0 if paused else held,
        active=raw.get("active", 0),
        delayed=raw.get("delayed", 0),
        prioritized=raw.get("prioritized", 0),
        completed=raw.get("completed", 0),
        failed=raw.get("failed", 0),
        paused=held if paused else 0,
    )
    workers = [
        WorkerOut(
            name=str(w.get("rawname") or w.get("name") or ""),
            addr=w.get("addr"),
            age_seconds=_int(w.get("age")),
            idle_seconds=_int(w.get("idle")),
        )
        for w in await q.get_workers()
    ]
    oldest = None
    head = await q.backend.getRanges(["wait"], 0, 0, True)  # the wait list's oldest end
    if head:
        job = await q.getJob(head[0])
        if job is not None and job.timestamp:
            oldest = max(0.0, datetime.now(UTC).timestamp() - job.timestamp / 1000)
    return counts, paused, workers, oldest


async def _bullmq_job(queue_name: str, job_id: str) -> BullJobOut | None:
    q = queues.queue(queue_name)
    try:
        job = await q.getJob(job_id)
        if job is None:
            return None
        state = await q.getJobState(job_id)
        logs = await q.getJobLogs(job_id)
    except (RedisError, TimeoutError, OSError) as exc:
        log.warning("queue_admin_job_unreadable", job_id=job_id, error=f"{type(exc).__name__}: {exc}")
        return None
    return BullJobOut(
        id=job_id,
        name=job.name or "",
        state=state,
        data=job.data if isinstance(job.data, dict) else {"value": job.data},
        opts=dict(job.opts or {}),
        attempts_made=job.attemptsMade or 0,
        attempts_started=getattr(job, "attemptsStarted", 0) or 0,
        failed_reason=job.failedReason,
        stacktrace=list(job.stacktrace or []),
        return_value=job.returnvalue,
        progress=job.progress,
        timestamp=_ms(job.timestamp),
        processed_on=_ms(getattr(job, "processedOn", None)),
        finished_on=_ms(getattr(job, "finishedOn", None)),
        logs=list(logs.get("logs", [])),
        log_count=int(logs.get("count", 0)),
    )


async def _release_finished_job(queue_name: str, intent_id: uuid.UUID) -> None:
    """Remove the intent's job from BullMQ when it is finished (completed or failed), so that the next push
    with the same job id is a new job; a job still to run is left alone (the push will be a no-op and that job
    runs the intent). What the sweeper does for an overdue intent."""
    q = queues.queue(queue_name)
    job_id = str(intent_id)
    with _redis_answers():
        state = await q.getJobState(job_id)
        if state not in _LIVE_STATES and state != "unknown":
            await q.remove(job_id)


def _intent_ids(job_ids: list[Any]) -> list[uuid.UUID]:
    """Our jobs' ids are their intents' ids; anything else in a queue (a job scheduler's) is not an intent."""
    out = []
    for raw in job_ids:
        try:
            out.append(uuid.UUID(raw.decode() if isinstance(raw, bytes) else str(raw)))
        except ValueError:
            continue
    return out


async def _audited_intent(
    session: AsyncSession, intent: JobIntent, *, actor: str, action: str, before: dict[str, Any], reason: str
) -> IntentOut:
    """The intent as changed (re-read), its audit row added to the same transaction."""
    await session.refresh(intent)
    audit.record(
        session,
        actor=actor,
        action=action,
        target_type="job_intent",
        target_id=intent.id,
        before=before,
        after=_intent_state(intent),
        reason=reason,
        details={"queue": intent.queue, "name": intent.name},
    )
    return IntentOut.model_validate(intent)


def _intent_state(intent: JobIntent) -> dict[str, Any]:
    return {"status": intent.status, "attempts": intent.attempts, "last_error": intent.last_error}


def parse_range(value: str) -> int:
    """ "30m", "1h", "24h", "7d", "30d" → seconds; from a minute up to the samples' retention."""
    retention_days = get_settings().queue_metrics_retention_days
    match = _RANGE.fullmatch(value.strip())
    seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)] if match else 0
    if not match or not 60 <= seconds <= retention_days * 86400:
        raise BadRequest(
            f"range must be a number and a unit (m, h or d) from 1m to {retention_days}d, like 1h, 24h or 7d.",
            field="range",
        )
    return seconds


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _ms(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromtimestamp(int(value) / 1000, tz=UTC)


@contextmanager
def _redis_answers() -> Iterator[None]:
    """An action whose Redis call failed is a 503 with a code (the transaction, and its audit row, roll back)."""
    try:
        yield
    except (RedisError, TimeoutError) as exc:
        log.warning("queue_admin_redis_failed", error=f"{type(exc).__name__}: {exc}")
        raise QueueBackendUnavailable() from exc


queue_admin_service = QueueAdminService()
