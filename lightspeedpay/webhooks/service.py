"""Merchant events: written in the same DB transaction as the change they report."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay import jobs
from lightspeedpay.jobs.queues import MERCHANT_WEBHOOKS
from lightspeedpay.models import Client, WebhookEvent


class WebhookService:
    async def emit(self, session: AsyncSession, client: Client, event_type: str, data: dict[str, Any], *,
                   transaction_id: uuid.UUID | None = None) -> WebhookEvent:
        event_id = uuid.uuid4()
        payload = {"id": f"evt_{event_id.hex}", "type": event_type,
                   "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"), "data": data}
        event = WebhookEvent(id=event_id, client_id=client.id, transaction_id=transaction_id, type=event_type,
                             payload=payload, status="pending", attempts=0)
        session.add(event)
        if client.webhook_url:
            jobs.enqueue(session, MERCHANT_WEBHOOKS, "merchant_webhook.deliver", event_id=str(event_id), attempt=1)
        else:
            event.status = "failed"
            event.last_error = "the merchant has no webhook URL"
        return event


webhook_service = WebhookService()
