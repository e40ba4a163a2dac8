"""Every query on webhook endpoints, deliveries (one per event and endpoint) and their attempts.

Row locks here are FOR NO KEY UPDATE: they never change a key, so they do not conflict with the KEY SHARE
locks that inserting a referencing row takes (an attempt names its event and endpoint, a new delivery its
endpoint); FOR UPDATE would deadlock two workers finishing deliveries of one event, and make payments that
emit events wait for a merchant editing an endpoint.

Merchant reads start from `endpoint_repo.readable(client_id)`: an endpoint of another merchant, or a deleted
one, does not exist for the caller, and its delivery log is reached only through it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.jobs.queues import MERCHANT_WEBHOOKS
from lightspeedpay.kit.pagination import newest_first
from lightspeedpay.models import (
    Client,
    WebhookDelivery,
    WebhookDeliveryAttempt,
    WebhookEndpoint,
    WebhookEvent,
)
from lightspeedpay.models.webhook_delivery import WebhookDeliveryKind, WebhookDeliveryStatus


class EndpointRepository:
    def readable(self, client_id: uuid.UUID) -> Select[WebhookEndpoint]:
        return select(WebhookEndpoint).where(
            WebhookEndpoint.client_id == client_id, WebhookEndpoint.deleted_at.is_(None)
        )

    async def list_for_merchant(self, session: AsyncSession, client_id: uuid.UUID) -> list[WebhookEndpoint]:
        stmt = self.readable(client_id).order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
        return list((await session.execute(stmt)).scalars())

    async def get_for_merchant(
        self, session: AsyncSession, client_id: uuid.UUID, endpoint_id: uuid.UUID, *, for_update: bool = False
    ) -> WebhookEndpoint | None:
        stmt = self.readable(client_id).where(WebhookEndpoint.id == endpoint_id)
        if for_update:
            stmt = stmt.with_for_update(key_share=True).execution_options(populate_existing=True)
        return (await session.execute(stmt)).scalar_one_or_none()

    async def count_for_merchant(self, session: AsyncSession, client_id: uuid.UUID) -> int:
        stmt = select(func.count()).select_from(self.readable(client_id).subquery())
        return int((await session.execute(stmt)).scalar_one())

    async def insert_default_from_client(self, session: AsyncSession, client_id: uuid.UUID) -> None:
        """The default endpoint from what clients holds *now* (not from a Client object the caller loaded
        earlier): a URL cleared meanwhile by deleting the default endpoint is not brought back."""
        await session.execute(
            text("""
            INSERT INTO webhook_endpoints (id, client_id, url, secret_enc, is_default, enabled, event_types,
                                           consecutive_failures, created_at, updated_at)
            SELECT gen_random_uuid(), c.id, c.webhook_url, c.webhook_secret_enc, true, true, '[]'::jsonb, 0,
                   now(), now()
            FROM clients c WHERE c.id = :client_id AND c.webhook_url IS NOT NULL
            ON CONFLICT (client_id) WHERE is_default DO NOTHING
        """),
            {"client_id": client_id},
        )

    async def add_failure(self, session: AsyncSession, endpoint_id: uuid.UUID) -> tuple[int, bool]:
        stmt = (
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id == endpoint_id)
            .values(consecutive_failures=WebhookEndpoint.consecutive_failures + 1)
            .returning(WebhookEndpoint.consecutive_failures, WebhookEndpoint.enabled)
        )
        row = (await session.execute(stmt)).one()
        return int(row[0]), bool(row[1])

    async def reset_failures(self, session: AsyncSession, endpoint_id: uuid.UUID) -> None:
        # the condition keeps the common case (already 0) from writing, and locking, the row
        await session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.consecutive_failures != 0)
            .values(consecutive_failures=0)
        )

    async def lock(self, session: AsyncSession, endpoint_id: uuid.UUID) -> WebhookEndpoint | None:
        return await session.get(
            WebhookEndpoint, endpoint_id, with_for_update={"key_share": True}, populate_existing=True
        )

    async def mirror_to_client(self, session: AsyncSession, client_id: uuid.UUID, **values: Any) -> None:
        """clients.webhook_url / webhook_secret_enc describe the default endpoint; keep them saying so."""
        await session.execute(update(Client).where(Client.id == client_id).values(**values))


_LOCK_NAMESPACE = (
    0x5748  # "WH": the int4 pair key space of advisory locks, apart from the scheduler's int8 key
)


class DeliveryRepository:
    async def lock_endpoint_queue(self, session: AsyncSession, endpoint_id: uuid.UUID) -> None:
        """The endpoint's order lock (advisory, held to commit): see webhooks/tasks.py."""
        await session.execute(
            text("SELECT pg_advisory_xact_lock(:ns, hashtext(:endpoint))"),
            {"ns": _LOCK_NAMESPACE, "endpoint": str(endpoint_id)},
        )

    async def lock(self, session: AsyncSession, delivery_id: uuid.UUID) -> WebhookDelivery | None:
        """Locked, or None when missing or when another worker is sending it right now."""
        stmt = (
            select(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id)
            .with_for_update(skip_locked=True, key_share=True)
            .execution_options(populate_existing=True)
        )
        return (await session.execute(stmt)).scalar_one_or_none()

    async def lock_for_retry(self, session: AsyncSession, delivery_id: uuid.UUID) -> WebhookDelivery | None:
        """Locked, waiting for a worker sending it: a merchant's retry decides on its settled status."""
        return await session.get(
            WebhookDelivery, delivery_id, with_for_update={"key_share": True}, populate_existing=True
        )

    async def for_event(self, session: AsyncSession, event_id: uuid.UUID) -> uuid.UUID | None:
        """A job intent written before endpoints existed names only its event (one delivery, the default)."""
        stmt = (
            select(WebhookDelivery.id)
            .where(WebhookDelivery.event_id == event_id)
            .order_by(WebhookDelivery.seq)
            .limit(1)
        )
        return (await session.execute(stmt)).scalar_one_or_none()

    async def has_earlier_pending(self, session: AsyncSession, delivery: WebhookDelivery) -> bool:
        stmt = select(
            select(WebhookDelivery.id)
            .where(
                WebhookDelivery.endpoint_id == delivery.endpoint_id,
                WebhookDelivery.kind == WebhookDeliveryKind.EVENT,
                WebhookDelivery.status == WebhookDeliveryStatus.PENDING,
                WebhookDelivery.seq < delivery.seq,
            )
            .exists()
        )
        return bool((await session.execute(stmt)).scalar())

    async def next_pending(
        self, session: AsyncSession, endpoint_id: uuid.UUID, exclude: uuid.UUID
    ) -> WebhookDelivery | None:
        stmt = (
            select(WebhookDelivery)
            .where(
                WebhookDelivery.endpoint_id == endpoint_id,
                WebhookDelivery.kind == WebhookDeliveryKind.EVENT,
                WebhookDelivery.status == WebhookDeliveryStatus.PENDING,
                WebhookDelivery.id != exclude,
            )
            .order_by(WebhookDelivery.seq)
            .limit(1)
        )
        return (await session.execute(stmt)).scalar_one_or_none()

    async def fail_pending(
        self, session: AsyncSession, endpoint_id: uuid.UUID, *, reason: str, exclude: uuid.UUID | None = None
    ) -> list[uuid.UUID]:
        """Every pending delivery of an endpoint that was disabled ends failed; returns their event ids.
        Rows another worker holds are skipped: that worker finds the endpoint disabled or finishes its attempt."""
        cond = [
            WebhookDelivery.endpoint_id == endpoint_id,
            WebhookDelivery.status == WebhookDeliveryStatus.PENDING,
        ]
        if exclude is not None:
            cond.append(WebhookDelivery.id != exclude)
        locked = (
            select(WebhookDelivery.id).where(*cond).with_for_update(skip_locked=True, key_share=True)
        ).scalar_subquery()
        stmt = (
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(locked))
            .values(
                status=WebhookDeliveryStatus.FAILED,
                last_error=reason,
                next_attempt_at=None,
                finished_at=func.now(),
            )
            .returning(WebhookDelivery.event_id)
        )
        return list((await session.execute(stmt)).scalars())

    async def refresh_events(self, session: AsyncSession, event_ids: Sequence[uuid.UUID]) -> None:
        """webhook_events.status/attempts sum up the event's deliveries. The event rows are locked first, so
        that two workers finishing deliveries of one event compute in turn, each seeing the other's commit."""
        ids = sorted(set(event_ids))
        if not ids:
            return
        await session.execute(
            select(WebhookEvent.id)
            .where(WebhookEvent.id.in_(ids))
            .order_by(WebhookEvent.id)
            .with_for_update(key_share=True)
        )
        await session.execute(
            text("""
            UPDATE webhook_events e SET
                status = CASE WHEN s.pending THEN 'pending' WHEN s.all_delivered THEN 'delivered' ELSE 'failed' END,
                attempts = s.attempts,
                next_retry_at = s.next_attempt_at,
                delivered_at = CASE WHEN s.all_delivered THEN s.delivered_at END,
                last_error = CASE WHEN s.all_delivered THEN NULL ELSE s.last_error END
            FROM (
                SELECT event_id,
                       bool_or(status = 'pending') AS pending,
                       bool_and(status = 'delivered') AS all_delivered,
                       sum(attempts) AS attempts,
                       min(next_attempt_at) FILTER (WHERE status = 'pending') AS next_attempt_at,
                       max(delivered_at) AS delivered_at,
                       (array_agg(last_error ORDER BY updated_at DESC)
                            FILTER (WHERE last_error IS NOT NULL))[1] AS last_error
                FROM webhook_deliveries WHERE event_id = ANY(CAST(:ids AS uuid[])) GROUP BY event_id
            ) s
            WHERE e.id = s.event_id
        """),
            {"ids": ids},
        )

    async def stalled(
        self, session: AsyncSession, *, older_than: datetime, limit: int = 500
    ) -> list[Row[Any]]:
        """Pending deliveries that should be moving but have no job: the head of an endpoint's queue (or a
        ping) without a pending job intent, for instance after its intent failed for good. Intents queued before
        migration 0007 name the delivery `dispatch_id`."""
        return list(
            (
                await session.execute(
                    text("""
            SELECT d.id, d.attempts FROM webhook_deliveries d
            WHERE d.status = 'pending' AND d.updated_at < :older_than
              AND (d.kind = 'test' OR NOT EXISTS (
                    SELECT 1 FROM webhook_deliveries p
                    WHERE p.endpoint_id = d.endpoint_id AND p.kind = 'event' AND p.status = 'pending'
                      AND p.seq < d.seq))
              AND NOT EXISTS (
                    -- a parked intent (an operator drained the queue) waits for its unpark, not for a new job
                    SELECT 1 FROM job_intents j
                    WHERE j.status IN ('pending', 'parked') AND j.queue = :queue
                      AND coalesce(j.payload->>'delivery_id', j.payload->>'dispatch_id') = d.id::text)
            ORDER BY d.seq LIMIT :limit
        """),
                    {"older_than": older_than, "queue": MERCHANT_WEBHOOKS, "limit": limit},
                )
            ).all()
        )

    async def purge(
        self, session: AsyncSession, *, status: str, finished_before: datetime, batch: int
    ) -> list[uuid.UUID]:
        """Finished deliveries past retention, with their attempts (ON DELETE CASCADE); one batch. Returns the
        events of the deliveries deleted (one per delivery)."""
        stmt = text("""
            DELETE FROM webhook_deliveries WHERE id IN (
                SELECT id FROM webhook_deliveries
                WHERE status = :status AND finished_at < :before LIMIT :batch)
            RETURNING event_id
        """)
        result = await session.execute(stmt, {"status": status, "before": finished_before, "batch": batch})
        return list(result.scalars())

    async def purge_released_events(self, session: AsyncSession, event_ids: Sequence[uuid.UUID]) -> int:
        """Events none of whose deliveries or attempts is left (their deliveries were just purged, so each was
        past its retention); an event still owed to another endpoint stays until that delivery goes too."""
        if not event_ids:
            return 0
        result: Any = await session.execute(
            text("""
            DELETE FROM webhook_events e
            WHERE e.id = ANY(CAST(:ids AS uuid[])) AND e.status <> 'pending'
              AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id)
              AND NOT EXISTS (SELECT 1 FROM webhook_delivery_attempts a WHERE a.event_id = e.id)
        """),
            {"ids": sorted(set(event_ids))},
        )
        return int(result.rowcount or 0)

    async def purge_unlinked_attempts(
        self, session: AsyncSession, *, status: str, before: datetime, batch: int
    ) -> int:
        """Attempts recorded before 0005 that no delivery row owns."""
        stmt = text("""
            DELETE FROM webhook_delivery_attempts WHERE id IN (
                SELECT id FROM webhook_delivery_attempts
                WHERE delivery_id IS NULL AND status = :status AND created_at < :before LIMIT :batch)
        """)
        result: Any = await session.execute(stmt, {"status": status, "before": before, "batch": batch})
        return int(result.rowcount or 0)

    async def purge_deleted_endpoints(self, session: AsyncSession, *, deleted_before: datetime) -> int:
        """Deleted endpoints (and their encrypted secrets) once nothing refers to them any more."""
        result: Any = await session.execute(
            text("""
            DELETE FROM webhook_endpoints e
            WHERE e.deleted_at < :before
              AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.endpoint_id = e.id)
              AND NOT EXISTS (SELECT 1 FROM webhook_delivery_attempts a WHERE a.endpoint_id = e.id)
        """),
            {"before": deleted_before},
        )
        return int(result.rowcount or 0)


class AttemptRepository:
    """The delivery log: webhook_delivery_attempts rows, each one HTTP attempt."""

    def _for_endpoint(self, endpoint_id: uuid.UUID) -> Any:
        return (
            select(WebhookDeliveryAttempt, WebhookEvent.type, WebhookDelivery.status)
            .join(WebhookEvent, WebhookEvent.id == WebhookDeliveryAttempt.event_id)
            .outerjoin(WebhookDelivery, WebhookDelivery.id == WebhookDeliveryAttempt.delivery_id)
            .where(WebhookDeliveryAttempt.endpoint_id == endpoint_id)
        )

    async def list_for_endpoint(
        self,
        session: AsyncSession,
        endpoint_id: uuid.UUID,
        *,
        event_type: str | None,
        status: str | None,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None,
        mode: str | None = None,
    ) -> list[Any]:
        """Rows of (attempt, event type, the delivery's status now); of events of one `mode` when given."""
        stmt = self._for_endpoint(endpoint_id)
        if mode is not None:
            stmt = stmt.where(WebhookEvent.mode == mode)
        if event_type:
            stmt = stmt.where(WebhookEvent.type == event_type)
        if status:
            stmt = stmt.where(WebhookDeliveryAttempt.status == status)
        stmt = newest_first(stmt, WebhookDeliveryAttempt, after=after, limit=limit)
        return list((await session.execute(stmt)).all())

    async def get_for_endpoint(
        self, session: AsyncSession, endpoint_id: uuid.UUID, attempt_id: uuid.UUID
    ) -> Any:
        stmt = self._for_endpoint(endpoint_id).where(WebhookDeliveryAttempt.id == attempt_id)
        return (await session.execute(stmt)).one_or_none()

    async def of_transaction(
        self, session: AsyncSession, transaction_id: uuid.UUID
    ) -> list[tuple[WebhookEvent, list[WebhookDeliveryAttempt]]]:
        """A payment's merchant events, oldest first, each with its HTTP delivery attempts in order (two
        queries: ix_webhook_events_transaction, then the attempts by event)."""
        events = list(
            (
                await session.execute(
                    select(WebhookEvent)
                    .where(WebhookEvent.transaction_id == transaction_id)
                    .order_by(WebhookEvent.created_at, WebhookEvent.id)
                )
            ).scalars()
        )
        attempts: dict[uuid.UUID, list[WebhookDeliveryAttempt]] = {e.id: [] for e in events}
        if events:
            rows = await session.execute(
                select(WebhookDeliveryAttempt)
                .where(WebhookDeliveryAttempt.event_id.in_(attempts.keys()))
                .order_by(WebhookDeliveryAttempt.created_at, WebhookDeliveryAttempt.attempt)
            )
            for attempt in rows.scalars():
                attempts[attempt.event_id].append(attempt)
        return [(e, attempts[e.id]) for e in events]


endpoint_repo = EndpointRepository()
delivery_repo = DeliveryRepository()
attempt_repo = AttemptRepository()
