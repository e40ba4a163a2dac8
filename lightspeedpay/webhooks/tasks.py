"""merchant-webhooks queue: POST an event to the merchant, signed per Standard Webhooks, on a retry schedule."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay import jobs
from lightspeedpay.config import get_settings
from lightspeedpay.jobs.queues import MERCHANT_WEBHOOKS
from lightspeedpay.jobs.registry import task
from lightspeedpay.kit import standard_webhooks
from lightspeedpay.kit.logging import log
from lightspeedpay.merchants.service import merchant_service
from lightspeedpay.models import Client, WebhookDelivery, WebhookEvent

_client: httpx.AsyncClient | None = None


def _http() -> httpx.AsyncClient:
    global _client
    if _client is None or _client.is_closed:
        s = get_settings()
        # redirects are never followed: a 3xx is a failed delivery
        _client = httpx.AsyncClient(timeout=httpx.Timeout(s.webhook_timeout_seconds), follow_redirects=False)
    return _client


@task("merchant_webhook.deliver")
async def deliver(session: AsyncSession, event_id: str, attempt: int) -> None:
    event = await session.get(WebhookEvent, uuid.UUID(event_id), with_for_update=True)
    if event is None or event.status != "pending" or event.attempts >= attempt:
        return  # already delivered, given up, or this attempt already ran
    client = await session.get(Client, event.client_id)
    assert client is not None
    url = client.webhook_url
    if not url:
        event.status, event.last_error = "failed", "the merchant has no webhook URL"
        return
    body = orjson.dumps(event.payload)
    msg_id = f"msg_{event.id.hex}"
    timestamp = int(time.time())
    headers = {
        "content-type": "application/json",
        "user-agent": "LightSpeedPay-Webhooks/1.0",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": standard_webhooks.sign(merchant_service.webhook_secret(client), msg_id, timestamp, body),
    }
    started = time.perf_counter()
    status_code: int | None = None
    error: str | None = None
    excerpt: str | None = None
    try:
        resp = await _http().post(url, content=body, headers=headers)
        status_code, excerpt = resp.status_code, resp.text[:500]
        if not 200 <= resp.status_code < 300:
            error = f"HTTP {resp.status_code}"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500] or type(exc).__name__
    latency_ms = int((time.perf_counter() - started) * 1000)
    session.add(WebhookDelivery(event_id=event.id, attempt=attempt, url=url, status_code=status_code,
                                latency_ms=latency_ms, error=error, response_excerpt=excerpt))
    event.attempts = attempt
    now = datetime.now(UTC)
    if error is None:
        event.status, event.delivered_at, event.last_error, event.next_retry_at = "delivered", now, None, None
        return
    event.last_error = error
    schedule = get_settings().retry_schedule
    if attempt <= len(schedule):
        delay = schedule[attempt - 1]
        event.next_retry_at = now + timedelta(seconds=delay)
        jobs.enqueue(session, MERCHANT_WEBHOOKS, "merchant_webhook.deliver", delay_seconds=delay,
                     event_id=event_id, attempt=attempt + 1)
    else:
        event.status, event.next_retry_at = "failed", None
        log.warning("merchant_webhook_failed", event_id=event_id, attempts=attempt, error=error)
