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
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay import jobs
from lightspeedpay.config import get_settings
from lightspeedpay.db import sessionmaker
from lightspeedpay.jobs import outbox
from lightspeedpay.jobs.queues import MERCHANT_WEBHOOKS
from lightspeedpay.jobs.registry import task
from lightspeedpay.kit import metrics, retry
from lightspeedpay.kit.logging import log
from lightspeedpay.models import WebhookDelivery, WebhookDeliveryAttempt, WebhookEndpoint, WebhookEvent
from lightspeedpay.models.webhook_delivery import WebhookDeliveryKind, WebhookDeliveryStatus
from lightspeedpay.models.webhook_delivery_attempt import (
    WebhookDeliveryAttemptStatus,
    WebhookDeliveryAttemptTrigger,
)
from lightspeedpay.webhooks import rules, sender
from lightspeedpay.webhooks.endpoint_service import endpoint_service
from lightspeedpay.webhooks.repository import delivery_repo, endpoint_repo
from lightspeedpay.webhooks.service import DELIVER, REDELIVER


@task(DELIVER, queue=MERCHANT_WEBHOOKS)
async def deliver(
    session: AsyncSession,
    delivery_id: str | None = None,
    attempt: int = 1,
    event_id: str | None = None,
    dispatch_id: str | None = None,
) -> str:
    """One scheduled attempt of a delivery, then its verdict: delivered, retry later, failed for good, or
    endpoint gone. `dispatch_id` is the name intents queued before the webhook renames (0007) carry."""
    delivery_id = delivery_id or dispatch_id
    if delivery_id is None:  # an intent written before 0005 names its event; it has one delivery
        found = await delivery_repo.for_event(session, uuid.UUID(event_id)) if event_id else None
        if found is None:
            return "missing"
        delivery_id = str(found)
    delivery = await delivery_repo.lock(session, uuid.UUID(delivery_id))
    if delivery is None:
        return "missing_or_busy"  # gone, or another worker is sending it right now
    if delivery.status != WebhookDeliveryStatus.PENDING or delivery.attempts >= attempt:
        return "done"  # finished, or this attempt already ran (a duplicate job)
    if delivery.kind == WebhookDeliveryKind.EVENT and await delivery_repo.has_earlier_pending(
        session, delivery
    ):
        # decide under the endpoint's lock: a delivery finishing right now either sees this one and hands
        # over to it, or has committed before we look again and is no longer pending
        await delivery_repo.lock_endpoint_queue(session, delivery.endpoint_id)
        if await delivery_repo.has_earlier_pending(session, delivery):
            return "waiting"
    # read after any wait above: the delivery before this one may have just disabled the endpoint
    endpoint = await session.get(WebhookEndpoint, delivery.endpoint_id, populate_existing=True)
    assert endpoint is not None
    if not endpoint.enabled or endpoint.deleted_at is not None:
        return await _endpoint_disabled(session, delivery, endpoint)
    event = await session.get(WebhookEvent, delivery.event_id)
    assert event is not None
    trigger = (
        WebhookDeliveryAttemptTrigger.TEST
        if delivery.kind == WebhookDeliveryKind.TEST
        else WebhookDeliveryAttemptTrigger.SCHEDULED
    )
    outcome, record = await _attempt(session, delivery, endpoint, event, trigger=trigger)
    if outcome.verdict is rules.Verdict.DELIVERED:
        result = await _on_delivered(session, delivery, endpoint)
    elif _retries_left(delivery, outcome):
        result = _on_retry_later(session, delivery, record, outcome)
    elif outcome.verdict is rules.Verdict.GONE:
        result = await _on_endpoint_gone(session, delivery, endpoint)
    else:
        result = await _on_failed_for_good(session, delivery, endpoint)
    if result == WebhookDeliveryStatus.FAILED and delivery.kind == WebhookDeliveryKind.EVENT:
        log.warning(
            "merchant_webhook_failed",
            delivery_id=str(delivery.id),
            event_id=str(event.id),
            attempts=delivery.attempts,
            error=outcome.error,
        )
    await delivery_repo.refresh_events(session, [delivery.event_id])
    metrics.on_commit(session, metrics.WEBHOOK_DELIVERIES.labels(result).inc)
    return result


async def _endpoint_disabled(
    session: AsyncSession, delivery: WebhookDelivery, endpoint: WebhookEndpoint
) -> str:
    delivery.status, delivery.finished_at = WebhookDeliveryStatus.FAILED, datetime.now(UTC)
    delivery.last_error = f"endpoint disabled: {endpoint.disabled_reason or 'deleted'}"
    delivery.next_attempt_at = None
    await delivery_repo.refresh_events(session, [delivery.event_id])
    metrics.on_commit(session, metrics.WEBHOOK_DELIVERIES.labels("endpoint_disabled").inc)
    return "endpoint_disabled"


async def _on_delivered(session: AsyncSession, delivery: WebhookDelivery, endpoint: WebhookEndpoint) -> str:
    _delivered(delivery, datetime.now(UTC))
    if delivery.kind == WebhookDeliveryKind.EVENT:
        await delivery_repo.lock_endpoint_queue(session, endpoint.id)
        await endpoint_repo.reset_failures(session, endpoint.id)
        await _hand_over(session, delivery)
    return WebhookDeliveryStatus.DELIVERED


def _retries_left(delivery: WebhookDelivery, outcome: sender.Outcome) -> bool:
    """Only events retry (a ping is sent once), and only while the policy has a retry left."""
    return (
        outcome.verdict is rules.Verdict.RETRY
        and delivery.kind == WebhookDeliveryKind.EVENT
        and delivery.attempts < retry.merchant_webhook().max_attempts
    )


def _on_retry_later(
    session: AsyncSession, delivery: WebhookDelivery, record: WebhookDeliveryAttempt, outcome: sender.Outcome
) -> str:
    delay = retry.merchant_webhook().wait(
        delivery.attempts,
        retry_after=outcome.retry_after,
        retry_after_cap=get_settings().webhook_retry_after_max_seconds,
    )
    assert delay is not None  # _retries_left said so
    delivery.next_attempt_at = record.retry_at = datetime.now(UTC) + timedelta(seconds=delay)
    jobs.enqueue(
        session, DELIVER, delay_seconds=delay, delivery_id=str(delivery.id), attempt=delivery.attempts + 1
    )
    return "retry_scheduled"


def _finish_failed(delivery: WebhookDelivery) -> None:
    delivery.status = WebhookDeliveryStatus.FAILED
    delivery.finished_at, delivery.next_attempt_at = datetime.now(UTC), None


async def _on_endpoint_gone(
    session: AsyncSession, delivery: WebhookDelivery, endpoint: WebhookEndpoint
) -> str:
    """410 Gone: the receiver says the endpoint no longer exists; stop sending to it (a ping included)."""
    _finish_failed(delivery)
    if delivery.kind == WebhookDeliveryKind.EVENT:
        await delivery_repo.lock_endpoint_queue(session, endpoint.id)
        locked = await endpoint_repo.lock(session, endpoint.id)
        assert locked is not None
        endpoint = locked
    await endpoint_service.disable(
        session, endpoint, reason="the endpoint answered 410 Gone", alert=True, exclude=delivery.id
    )
    return WebhookDeliveryStatus.FAILED


async def _on_failed_for_good(
    session: AsyncSession, delivery: WebhookDelivery, endpoint: WebhookEndpoint
) -> str:
    """This event is not delivered to this endpoint. An event counts against the endpoint (enough in a row
    disable it); otherwise the endpoint's next event may go. A failed ping counts for nothing."""
    _finish_failed(delivery)
    if delivery.kind != WebhookDeliveryKind.EVENT:
        return WebhookDeliveryStatus.FAILED
    await delivery_repo.lock_endpoint_queue(session, endpoint.id)
    locked = await endpoint_repo.lock(session, endpoint.id)
    assert locked is not None
    failures, enabled = await endpoint_repo.add_failure(session, endpoint.id)
    if enabled and failures >= get_settings().webhook_disable_after_failures:
        await session.refresh(locked)
        await endpoint_service.disable(
            session, locked, reason=f"{failures} events in a row failed", alert=True, exclude=delivery.id
        )
    else:
        await _hand_over(session, delivery)
    return WebhookDeliveryStatus.FAILED


@task(REDELIVER, queue=MERCHANT_WEBHOOKS)
async def redeliver(
    session: AsyncSession, delivery_id: str | None = None, attempt: int = 1, dispatch_id: str | None = None
) -> str:
    """A merchant's retry of a finished delivery: one attempt now, outside the endpoint's order."""
    delivery_id = delivery_id or dispatch_id  # `dispatch_id`: intents queued before 0007
    if delivery_id is None:
        return "missing"
    delivery = await delivery_repo.lock(session, uuid.UUID(delivery_id))
    if delivery is None:
        return "missing_or_busy"
    if delivery.status == WebhookDeliveryStatus.PENDING or delivery.attempts >= attempt:
        return "done"
    endpoint = await session.get(WebhookEndpoint, delivery.endpoint_id)
    event = await session.get(WebhookEvent, delivery.event_id)
    assert endpoint is not None and event is not None
    if not endpoint.enabled or endpoint.deleted_at is not None:
        return "endpoint_disabled"
    outcome, _ = await _attempt(
        session, delivery, endpoint, event, trigger=WebhookDeliveryAttemptTrigger.MANUAL
    )
    now = datetime.now(UTC)
    if outcome.verdict is rules.Verdict.DELIVERED:
        _delivered(delivery, now)
        await endpoint_repo.reset_failures(session, endpoint.id)
    else:
        # a delivery that once succeeded stays delivered; either way its retention starts again from now
        delivery.finished_at = now
        if outcome.verdict is rules.Verdict.GONE:
            locked = await endpoint_repo.lock(session, endpoint.id)
            assert locked is not None
            await endpoint_service.disable(
                session, locked, reason="the endpoint answered 410 Gone", alert=True, exclude=delivery.id
            )
    await delivery_repo.refresh_events(session, [delivery.event_id])
    result = (
        WebhookDeliveryStatus.DELIVERED
        if outcome.verdict is rules.Verdict.DELIVERED
        else WebhookDeliveryStatus.FAILED
    )
    metrics.on_commit(session, metrics.WEBHOOK_DELIVERIES.labels(f"manual_{result}").inc)
    return result


async def _attempt(
    session: AsyncSession,
    delivery: WebhookDelivery,
    endpoint: WebhookEndpoint,
    event: WebhookEvent,
    *,
    trigger: str,
) -> tuple[sender.Outcome, WebhookDeliveryAttempt]:
    """Sign, send, and log the attempt (the webhook-id is the event's, the same on every retry and endpoint)."""
    body = orjson.dumps(event.payload)
    request = sender.build_request(
        endpoint.url,
        msg_id=f"msg_{event.id.hex}",
        body=body,
        secrets=endpoint_service.signing_secrets(endpoint),
    )
    outcome = await sender.send(request)
    delivery.attempts += 1
    delivery.last_status_code = outcome.status_code
    delivery.last_error = outcome.error
    record = WebhookDeliveryAttempt(
        id=uuid.uuid4(),
        event_id=event.id,
        endpoint_id=endpoint.id,
        delivery_id=delivery.id,
        attempt=delivery.attempts,
        trigger=trigger,
        status=(
            WebhookDeliveryAttemptStatus.SUCCEEDED
            if outcome.verdict is rules.Verdict.DELIVERED
            else WebhookDeliveryAttemptStatus.FAILED
        ),
        url=endpoint.url,
        request_headers=request.headers,
        request_body=body.decode(),
        status_code=outcome.status_code,
        latency_ms=outcome.latency_ms,
        error=outcome.error,
        response_excerpt=outcome.response_excerpt,
    )
    session.add(record)
    return outcome, record


def _delivered(delivery: WebhookDelivery, now: datetime) -> None:
    delivery.status, delivery.delivered_at, delivery.finished_at = WebhookDeliveryStatus.DELIVERED, now, now
    delivery.last_error, delivery.next_attempt_at = None, None


async def _hand_over(session: AsyncSession, finished: WebhookDelivery) -> None:
    """The endpoint's next pending delivery may go now (not before a retry time it already has)."""
    following = await delivery_repo.next_pending(session, finished.endpoint_id, exclude=finished.id)
    if following is None:
        return
    _enqueue(session, following.id, following.attempts, following.next_attempt_at)


def _enqueue(
    session: AsyncSession, delivery_id: uuid.UUID, attempts: int, not_before: datetime | None
) -> None:
    delay = max(0.0, (not_before - datetime.now(UTC)).total_seconds()) if not_before else 0.0
    jobs.enqueue(session, DELIVER, delay_seconds=delay, delivery_id=str(delivery_id), attempt=attempts + 1)


async def housekeeping(
    *, now: datetime | None = None, stalled_after_seconds: float | None = None, batch: int = 1000
) -> dict[str, int]:
    """Scheduled: purge deliveries past retention (delivered after LSP_WEBHOOK_RETENTION_SUCCESS_DAYS, failed
    after LSP_WEBHOOK_RETENTION_FAILED_DAYS, with their attempts) and the events none of whose deliveries is
    left (events that never had a delivery go with the daily retention run, retention/), then give a job back to any endpoint queue
    whose head has none (its intent failed for good, say), so no endpoint stalls for ever."""
    s = get_settings()
    now = now or datetime.now(UTC)
    stalled_after = (
        stalled_after_seconds if stalled_after_seconds is not None else 10 * s.sweeper_grace_seconds
    )
    counts = {
        "purged_delivered": 0,
        "purged_failed": 0,
        "purged_events": 0,
        "purged_unlinked_attempts": 0,
        "purged_endpoints": 0,
        "requeued": 0,
    }
    async with sessionmaker()() as session:
        retention = (
            (
                WebhookDeliveryStatus.DELIVERED,
                WebhookDeliveryAttemptStatus.SUCCEEDED,
                s.webhook_retention_success_days,
            ),
            (
                WebhookDeliveryStatus.FAILED,
                WebhookDeliveryAttemptStatus.FAILED,
                s.webhook_retention_failed_days,
            ),
        )
        for status, attempt_status, days in retention:
            cutoff = now - timedelta(days=days)
            while True:
                events = await delivery_repo.purge(
                    session, status=status, finished_before=cutoff, batch=batch
                )
                counts["purged_events"] += await delivery_repo.purge_released_events(session, events)
                await session.commit()
                counts[f"purged_{status}"] += len(events)
                if len(events) < batch:
                    break
            while True:
                n = await delivery_repo.purge_unlinked_attempts(
                    session, status=attempt_status, before=cutoff, batch=batch
                )
                await session.commit()
                counts["purged_unlinked_attempts"] += n
                if n < batch:
                    break
        counts["purged_endpoints"] = await delivery_repo.purge_deleted_endpoints(
            session, deleted_before=now - timedelta(days=s.webhook_retention_failed_days)
        )
        await session.commit()
        stalled = await delivery_repo.stalled(session, older_than=now - timedelta(seconds=stalled_after))
        for row in stalled:
            delivery = await session.get(WebhookDelivery, row.id)
            if delivery is not None:
                _enqueue(session, delivery.id, delivery.attempts, delivery.next_attempt_at)
        counts["requeued"] = len(stalled)
        await session.commit()
        await outbox.push_after_commit(session)
    if counts["requeued"]:
        log.warning("merchant_webhook_queues_repaired", count=counts["requeued"])
    return {k: v for k, v in counts.items() if v}


__all__ = ["deliver", "housekeeping", "redeliver"]
