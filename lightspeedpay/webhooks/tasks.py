"""merchant-webhooks queue: POST each event to each subscribed endpoint, signed per Standard Webhooks, in the
endpoint's order, retried on a schedule; manual retries; retention and repair of stalled queues.

Order per endpoint: a delivery is attempted only when no earlier delivery (smaller `seq`) of the same
endpoint is still pending. A delivery that finds one pending does nothing ("waiting"); whoever finishes a
delivery hands over to the endpoint's next pending one by writing its job intent in the same transaction.
The check and the hand-over both run under a per-endpoint advisory lock, held to commit, so a waiting
delivery cannot miss the hand-over (see docs/architecture.md, "Merchant webhooks")."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay import jobs
from lightspeedpay.config import get_settings
from lightspeedpay.db import sessionmaker
from lightspeedpay.jobs import outbox
from lightspeedpay.jobs.queues import MERCHANT_WEBHOOKS
from lightspeedpay.jobs.registry import task
from lightspeedpay.kit.logging import log
from lightspeedpay.models import WebhookDelivery, WebhookDispatch, WebhookEndpoint, WebhookEvent
from lightspeedpay.webhooks import delivery, rules
from lightspeedpay.webhooks.endpoints import endpoint_service
from lightspeedpay.webhooks.repository import dispatch_repo, endpoint_repo
from lightspeedpay.webhooks.service import DELIVER, REDELIVER

_LOCK_NAMESPACE = 0x5748  # "WH": the int4 pair key space of advisory locks, apart from the scheduler's int8 key


async def _lock_endpoint_queue(session: AsyncSession, endpoint_id: uuid.UUID) -> None:
    await session.execute(text("SELECT pg_advisory_xact_lock(:ns, hashtext(:endpoint))"),
                          {"ns": _LOCK_NAMESPACE, "endpoint": str(endpoint_id)})


@task(DELIVER, queue=MERCHANT_WEBHOOKS)
async def deliver(session: AsyncSession, dispatch_id: str | None = None, attempt: int = 1,
                  event_id: str | None = None) -> str:
    if dispatch_id is None:  # an intent written before 0005 names its event; it has one delivery
        found = await dispatch_repo.for_event(session, uuid.UUID(event_id)) if event_id else None
        if found is None:
            return "missing"
        dispatch_id = str(found)
    dispatch = await dispatch_repo.lock(session, uuid.UUID(dispatch_id))
    if dispatch is None:
        return "missing_or_busy"  # gone, or another worker is sending it right now
    if dispatch.status != "pending" or dispatch.attempts >= attempt:
        return "done"  # finished, or this attempt already ran (a duplicate job)
    if dispatch.kind == "event" and await dispatch_repo.has_earlier_pending(session, dispatch):
        # decide under the endpoint's lock: a delivery finishing right now either sees this one and hands
        # over to it, or has committed before we look again and is no longer pending
        await _lock_endpoint_queue(session, dispatch.endpoint_id)
        if await dispatch_repo.has_earlier_pending(session, dispatch):
            return "waiting"
    # read after any wait above: the delivery before this one may have just disabled the endpoint
    endpoint = await session.get(WebhookEndpoint, dispatch.endpoint_id, populate_existing=True)
    assert endpoint is not None
    if not endpoint.enabled or endpoint.deleted_at is not None:
        dispatch.status, dispatch.finished_at = "failed", datetime.now(UTC)
        dispatch.last_error = f"endpoint disabled: {endpoint.disabled_reason or 'deleted'}"
        dispatch.next_attempt_at = None
        await dispatch_repo.refresh_events(session, [dispatch.event_id])
        return "endpoint_disabled"
    event = await session.get(WebhookEvent, dispatch.event_id)
    assert event is not None
    trigger = "test" if dispatch.kind == "test" else "scheduled"
    outcome, record = await _attempt(session, dispatch, endpoint, event, trigger=trigger)
    verdict = outcome.verdict
    now = datetime.now(UTC)

    if verdict is rules.Verdict.DELIVERED:
        _delivered(dispatch, now)
        if dispatch.kind == "event":
            await _lock_endpoint_queue(session, endpoint.id)
            await endpoint_repo.reset_failures(session, endpoint.id)
            await _hand_over(session, dispatch)
        await dispatch_repo.refresh_events(session, [dispatch.event_id])
        return "delivered"

    schedule = get_settings().retry_schedule
    if verdict is rules.Verdict.RETRY and dispatch.kind == "event" and dispatch.attempts <= len(schedule):
        delay = rules.next_delay(schedule[dispatch.attempts - 1], outcome.retry_after,
                                 cap=get_settings().webhook_retry_after_max_seconds)
        dispatch.next_attempt_at = record.retry_at = now + timedelta(seconds=delay)
        jobs.enqueue(session, DELIVER, delay_seconds=delay, dispatch_id=str(dispatch.id),
                     attempt=dispatch.attempts + 1)
        await dispatch_repo.refresh_events(session, [dispatch.event_id])
        return "retry_scheduled"

    # a final failure: this event is not delivered to this endpoint
    dispatch.status, dispatch.finished_at, dispatch.next_attempt_at = "failed", now, None
    if dispatch.kind == "event":
        await _lock_endpoint_queue(session, endpoint.id)
        locked = await endpoint_repo.lock(session, endpoint.id)
        assert locked is not None
        if verdict is rules.Verdict.GONE:
            await endpoint_service.disable(session, locked, reason="the endpoint answered 410 Gone", alert=True,
                                           exclude=dispatch.id)
        else:
            failures, enabled = await endpoint_repo.add_failure(session, endpoint.id)
            limit = get_settings().webhook_disable_after_failures
            if enabled and failures >= limit:
                await session.refresh(locked)
                await endpoint_service.disable(session, locked, reason=f"{failures} events in a row failed",
                                               alert=True, exclude=dispatch.id)
            else:
                await _hand_over(session, dispatch)
        log.warning("merchant_webhook_failed", dispatch_id=str(dispatch.id), event_id=str(event.id),
                    attempts=dispatch.attempts, error=outcome.error)
    elif verdict is rules.Verdict.GONE:
        await endpoint_service.disable(session, endpoint, reason="the endpoint answered 410 Gone", alert=True,
                                       exclude=dispatch.id)
    await dispatch_repo.refresh_events(session, [dispatch.event_id])
    return "failed"


@task(REDELIVER, queue=MERCHANT_WEBHOOKS)
async def redeliver(session: AsyncSession, dispatch_id: str, attempt: int) -> str:
    """A merchant's retry of a finished delivery: one attempt now, outside the endpoint's order."""
    dispatch = await dispatch_repo.lock(session, uuid.UUID(dispatch_id))
    if dispatch is None:
        return "missing_or_busy"
    if dispatch.status == "pending" or dispatch.attempts >= attempt:
        return "done"
    endpoint = await session.get(WebhookEndpoint, dispatch.endpoint_id)
    event = await session.get(WebhookEvent, dispatch.event_id)
    assert endpoint is not None and event is not None
    if not endpoint.enabled or endpoint.deleted_at is not None:
        return "endpoint_disabled"
    outcome, _ = await _attempt(session, dispatch, endpoint, event, trigger="manual")
    now = datetime.now(UTC)
    if outcome.verdict is rules.Verdict.DELIVERED:
        _delivered(dispatch, now)
        await endpoint_repo.reset_failures(session, endpoint.id)
    else:
        # a delivery that once succeeded stays delivered; either way its retention starts again from now
        dispatch.finished_at = now
        if outcome.verdict is rules.Verdict.GONE:
            locked = await endpoint_repo.lock(session, endpoint.id)
            assert locked is not None
            await endpoint_service.disable(session, locked, reason="the endpoint answered 410 Gone", alert=True,
                                           exclude=dispatch.id)
    await dispatch_repo.refresh_events(session, [dispatch.event_id])
    return "delivered" if outcome.verdict is rules.Verdict.DELIVERED else "failed"


async def _attempt(session: AsyncSession, dispatch: WebhookDispatch, endpoint: WebhookEndpoint,
                   event: WebhookEvent, *, trigger: str) -> tuple[delivery.Outcome, WebhookDelivery]:
    """Sign, send, and log the attempt (the webhook-id is the event's, the same on every retry and endpoint)."""
    body = orjson.dumps(event.payload)
    request = delivery.build_request(endpoint.url, msg_id=f"msg_{event.id.hex}", body=body,
                                     secrets=endpoint_service.signing_secrets(endpoint))
    outcome = await delivery.send(request)
    dispatch.attempts += 1
    dispatch.last_status_code = outcome.status_code
    dispatch.last_error = outcome.error
    record = WebhookDelivery(
        id=uuid.uuid4(), event_id=event.id, endpoint_id=endpoint.id, dispatch_id=dispatch.id,
        attempt=dispatch.attempts, trigger=trigger,
        status="succeeded" if outcome.verdict is rules.Verdict.DELIVERED else "failed",
        url=endpoint.url, request_headers=request.headers, request_body=body.decode(),
        status_code=outcome.status_code, latency_ms=outcome.latency_ms, error=outcome.error,
        response_excerpt=outcome.response_excerpt,
    )
    session.add(record)
    return outcome, record


def _delivered(dispatch: WebhookDispatch, now: datetime) -> None:
    dispatch.status, dispatch.delivered_at, dispatch.finished_at = "delivered", now, now
    dispatch.last_error, dispatch.next_attempt_at = None, None


async def _hand_over(session: AsyncSession, finished: WebhookDispatch) -> None:
    """The endpoint's next pending delivery may go now (not before a retry time it already has)."""
    following = await dispatch_repo.next_pending(session, finished.endpoint_id, exclude=finished.id)
    if following is None:
        return
    _enqueue(session, following.id, following.attempts, following.next_attempt_at)


def _enqueue(session: AsyncSession, dispatch_id: uuid.UUID, attempts: int, not_before: datetime | None) -> None:
    delay = max(0.0, (not_before - datetime.now(UTC)).total_seconds()) if not_before else 0.0
    jobs.enqueue(session, DELIVER, delay_seconds=delay, dispatch_id=str(dispatch_id),
                 attempt=attempts + 1)


async def housekeeping(*, now: datetime | None = None, stalled_after_seconds: float | None = None,
                       batch: int = 1000) -> dict[str, int]:
    """Scheduled: purge deliveries past retention (delivered after LSP_WEBHOOK_RETENTION_SUCCESS_DAYS, failed
    after LSP_WEBHOOK_RETENTION_FAILED_DAYS, with their attempts), then give a job back to any endpoint queue
    whose head has none (its intent failed for good, say), so no endpoint stalls for ever."""
    s = get_settings()
    now = now or datetime.now(UTC)
    stalled_after = stalled_after_seconds if stalled_after_seconds is not None else 10 * s.sweeper_grace_seconds
    counts = {"purged_delivered": 0, "purged_failed": 0, "purged_unlinked_attempts": 0, "purged_endpoints": 0,
              "requeued": 0}
    async with sessionmaker()() as session:
        for status, attempt_status, days in (("delivered", "succeeded", s.webhook_retention_success_days),
                                             ("failed", "failed", s.webhook_retention_failed_days)):
            cutoff = now - timedelta(days=days)
            while True:
                n = await dispatch_repo.purge(session, status=status, finished_before=cutoff, batch=batch)
                await session.commit()
                counts[f"purged_{status}"] += n
                if n < batch:
                    break
            while True:
                n = await dispatch_repo.purge_unlinked_attempts(session, status=attempt_status, before=cutoff,
                                                                batch=batch)
                await session.commit()
                counts["purged_unlinked_attempts"] += n
                if n < batch:
                    break
        counts["purged_endpoints"] = await dispatch_repo.purge_deleted_endpoints(
            session, deleted_before=now - timedelta(days=s.webhook_retention_failed_days))
        await session.commit()
        stalled = await dispatch_repo.stalled(session, older_than=now - timedelta(seconds=stalled_after))
        for row in stalled:
            dispatch = await session.get(WebhookDispatch, row.id)
            if dispatch is not None:
                _enqueue(session, dispatch.id, dispatch.attempts, dispatch.next_attempt_at)
        counts["requeued"] = len(stalled)
        await session.commit()
        await outbox.push_after_commit(session)
    if counts["requeued"]:
        log.warning("merchant_webhook_queues_repaired", count=counts["requeued"])
    return {k: v for k, v in counts.items() if v}


__all__ = ["deliver", "housekeeping", "redeliver"]
