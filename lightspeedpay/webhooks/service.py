"""Merchant events: written in the same DB transaction as the change they report, one delivery per subscribed
endpoint; test pings, manual retries and the delivery log."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay import jobs
from lightspeedpay.auth.principal import MerchantAuth
from lightspeedpay.errors import Conflict, NotFound
from lightspeedpay.kit.pagination import page_cursor, parse_cursor
from lightspeedpay.models import (
    Client,
    WebhookDelivery,
    WebhookDeliveryAttempt,
    WebhookEndpoint,
    WebhookEvent,
)
from lightspeedpay.models.api_credential import Mode
from lightspeedpay.models.webhook_delivery import WebhookDeliveryKind, WebhookDeliveryStatus
from lightspeedpay.models.webhook_event import WebhookEventStatus
from lightspeedpay.monitoring import audit
from lightspeedpay.webhooks.endpoint_service import WebhookEndpointNotFound, endpoint_service
from lightspeedpay.webhooks.repository import attempt_repo, delivery_repo, endpoint_repo
from lightspeedpay.webhooks.schemas import DeliveryList, DeliveryOut, DeliveryRequest, DeliveryResponse

DELIVER = "merchant_webhook.deliver"
REDELIVER = "merchant_webhook.redeliver"


class DeliveryNotFound(NotFound):
    pass


class DeliveryNotRetryable(Conflict):
    status_code, code = 409, "DELIVERY_NOT_RETRYABLE"


class NoEnabledEndpoint(Conflict):
    status_code, code = 409, "NO_ENABLED_ENDPOINT"


def new_payload(
    event_id: uuid.UUID, event_type: str, data: dict[str, Any], *, mode: str = Mode.LIVE
) -> dict[str, Any]:
    return {
        "id": f"evt_{event_id.hex}",
        "type": event_type,
        "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "livemode": mode == Mode.LIVE,
        "data": data,
    }


class WebhookService:
    async def emit(
        self,
        session: AsyncSession,
        client: Client,
        event_type: str,
        data: dict[str, Any],
        *,
        transaction_id: uuid.UUID | None = None,
        mode: str = Mode.LIVE,
    ) -> WebhookEvent:
        """The event, and a delivery with its job intent for each enabled endpoint subscribed to the type.
        `mode`: the mode of what it reports (a test payment's events are test events, marked in the payload's
        `livemode` too).

        No endpoint row is locked here: an endpoint's order comes from `webhook_deliveries.seq`, taken at
        insert, so events of many payments of one merchant do not queue behind one hot row."""
        event_id = uuid.uuid4()
        event = WebhookEvent(
            id=event_id,
            client_id=client.id,
            transaction_id=transaction_id,
            type=event_type,
            payload=new_payload(event_id, event_type, data, mode=mode),
            status=WebhookEventStatus.PENDING,
            attempts=0,
            mode=mode,
        )
        session.add(event)
        endpoints = await self._endpoints(session, client)
        targets = [e for e in endpoints if e.enabled and e.subscribes(event_type)]
        if not targets:
            event.status = WebhookEventStatus.FAILED
            event.last_error = (
                f"no enabled webhook endpoint subscribes to {event_type}"
                if endpoints
                else "the merchant has no webhook endpoint"
            )
            return event
        for endpoint in targets:
            self._add_delivery(session, event, endpoint, kind=WebhookDeliveryKind.EVENT)
        return event

    async def _endpoints(self, session: AsyncSession, client: Client) -> list[WebhookEndpoint]:
        endpoints = await endpoint_repo.list_for_merchant(session, client.id)
        if client.webhook_url and not any(e.is_default for e in endpoints):
            # a merchant whose webhook_url was set without going through merchant creation
            await endpoint_repo.insert_default_from_client(session, client.id)
            endpoints = await endpoint_repo.list_for_merchant(session, client.id)
        return endpoints

    def _add_delivery(
        self, session: AsyncSession, event: WebhookEvent, endpoint: WebhookEndpoint, *, kind: str
    ) -> WebhookDelivery:
        delivery = WebhookDelivery(
            id=uuid.uuid4(),
            event_id=event.id,
            endpoint_id=endpoint.id,
            client_id=event.client_id,
            kind=kind,
            status=WebhookDeliveryStatus.PENDING,
            attempts=0,
            mode=event.mode,
        )
        session.add(delivery)
        jobs.enqueue(session, DELIVER, delivery_id=str(delivery.id), attempt=1)
        return delivery

    async def ping(
        self, session: AsyncSession, merchant: MerchantAuth, endpoint_id: uuid.UUID | None
    ) -> tuple[WebhookEvent, list[uuid.UUID]]:
        """A signed `ping` event, sent once to one endpoint (or every enabled one), outside the endpoints' order:
        it neither waits for nor holds up real events, and its failure does not count against the endpoint."""
        if endpoint_id is not None:
            endpoints = [await endpoint_service.get(session, merchant, endpoint_id)]
            if not endpoints[0].enabled:
                raise NoEnabledEndpoint("This endpoint is disabled; enable it first.", field="endpoint_id")
        else:
            endpoints = [e for e in await endpoint_repo.list_for_merchant(session, merchant.id) if e.enabled]
            if not endpoints:
                raise NoEnabledEndpoint("Your account has no enabled webhook endpoint to ping.")
        event_id = uuid.uuid4()
        data = {
            "message": "A test event from LightSpeedPay: your endpoint is reachable and can verify "
            "our signature."
        }
        event = WebhookEvent(
            id=event_id,
            client_id=merchant.id,
            type="ping",
            payload=new_payload(event_id, "ping", data, mode=merchant.mode),
            status="pending",
            attempts=0,
            mode=merchant.mode,
        )
        session.add(event)
        await session.flush()
        for endpoint in endpoints:
            self._add_delivery(session, event, endpoint, kind=WebhookDeliveryKind.TEST)
        await session.flush()
        audit.record(
            session,
            actor=merchant.actor,
            action="webhook_event.ping_sent",
            client_id=merchant.id,
            target_type="webhook_event",
            target_id=event.id,
            details={"endpoint_ids": [str(e.id) for e in endpoints]},
        )
        return event, [e.id for e in endpoints]

    async def retry(
        self, session: AsyncSession, merchant: MerchantAuth, endpoint_id: uuid.UUID, attempt_id: uuid.UUID
    ) -> tuple[WebhookDelivery, int]:
        """Send the event of a logged attempt to this endpoint once more, now. Only for a delivery that has
        finished (delivered or failed): a pending one is still on its schedule and keeps its place in order."""
        endpoint = await endpoint_service.get(session, merchant, endpoint_id)
        row = await attempt_repo.get_for_endpoint(session, endpoint.id, attempt_id)
        if row is None or row[0].delivery_id is None:
            raise DeliveryNotFound("No delivery with this id belongs to this endpoint.", field="delivery_id")
        if not endpoint.enabled:
            raise DeliveryNotRetryable(
                "This endpoint is disabled; enable it before retrying deliveries.", field="endpoint_id"
            )
        delivery = await delivery_repo.lock_for_retry(session, row[0].delivery_id)
        if delivery is None:
            raise DeliveryNotFound("No delivery with this id belongs to this endpoint.", field="delivery_id")
        if delivery.status == WebhookDeliveryStatus.PENDING:
            when = (
                delivery.next_attempt_at.isoformat()
                if delivery.next_attempt_at
                else "as soon as the events before it are delivered"
            )
            raise DeliveryNotRetryable(
                f"This event is still being delivered; its next attempt is {when}.", field="delivery_id"
            )
        attempt = delivery.attempts + 1
        jobs.enqueue(session, REDELIVER, delivery_id=str(delivery.id), attempt=attempt)
        audit.record(
            session,
            actor=merchant.actor,
            action="webhook_delivery.retried",
            client_id=merchant.id,
            target_type="webhook_delivery",
            target_id=delivery.id,
            before={"status": delivery.status, "attempts": delivery.attempts},
            details={"endpoint_id": str(endpoint.id), "event_id": str(delivery.event_id), "attempt": attempt},
        )
        return delivery, attempt

    async def deliveries(
        self,
        session: AsyncSession,
        merchant: MerchantAuth,
        endpoint_id: uuid.UUID,
        *,
        event_type: str | None,
        status: str | None,
        limit: int,
        cursor: str | None,
    ) -> DeliveryList:
        endpoint = await endpoint_service.get(session, merchant, endpoint_id)
        after = parse_cursor(cursor)
        rows = await attempt_repo.list_for_endpoint(
            session,
            endpoint.id,
            event_type=event_type,
            status=status,
            limit=limit + 1,
            after=after,
            mode=merchant.mode,  # a key sees the deliveries of its own mode's events
        )
        page = rows[:limit]
        next_cursor = page_cursor(rows, limit, key=lambda row: row[0])
        return DeliveryList(
            items=[self._delivery_out(row[0], row[1], row[2]) for row in page], next_cursor=next_cursor
        )

    def _delivery_out(self, attempt: Any, event_type: str, delivery_status: str | None) -> DeliveryOut:
        return DeliveryOut(
            id=attempt.id,
            event_id=attempt.event_id,
            event_type=event_type,
            attempt=attempt.attempt,
            trigger=attempt.trigger,
            status=attempt.status,
            delivery_status=delivery_status,
            request=DeliveryRequest(
                url=attempt.url, headers=attempt.request_headers, body=attempt.request_body
            ),
            response=DeliveryResponse(status_code=attempt.status_code, body_excerpt=attempt.response_excerpt),
            latency_ms=attempt.latency_ms,
            error=attempt.error,
            retry_at=attempt.retry_at,
            created_at=attempt.created_at,
        )

    async def events_of_transaction(
        self, session: AsyncSession, transaction_id: uuid.UUID
    ) -> list[tuple[WebhookEvent, list[WebhookDeliveryAttempt]]]:
        """A payment's merchant events with their delivery attempts (its page's timeline)."""
        return await attempt_repo.of_transaction(session, transaction_id)


webhook_service = WebhookService()

__all__ = ["WebhookEndpointNotFound", "webhook_service"]
