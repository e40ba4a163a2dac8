"""whatsapp-notifications queue: send one queued message; 5xx and timeouts retry with back-off, four
attempts in all; every outcome is on the message's row."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay import jobs
from lightspeedpay.config import get_settings
from lightspeedpay.jobs.queues import WHATSAPP_NOTIFICATIONS
from lightspeedpay.jobs.registry import task
from lightspeedpay.kit import retry
from lightspeedpay.kit.logging import log
from lightspeedpay.models.whatsapp_notification import WhatsAppNotificationStatus
from lightspeedpay.notifications.repository import notification_repo
from lightspeedpay.notifications.whatsapp import whatsapp_sender


@task("whatsapp.send", queue=WHATSAPP_NOTIFICATIONS)
async def send(session: AsyncSession, notification_id: str, attempt: int) -> None:
    row = await notification_repo.lock(session, uuid.UUID(notification_id))
    if row is None or row.status != WhatsAppNotificationStatus.QUEUED or row.attempts >= attempt:
        return  # sent, given up, or this attempt already ran
    if not row.to_phone:
        row.status = WhatsAppNotificationStatus.FAILED
        row.error = "The merchant has no WhatsApp number (whatsapp_phone)."
        return
    payload = row.payload_json
    result = await whatsapp_sender.send(
        to=row.to_phone,
        template=row.template,
        language=payload.get("language") or get_settings().wa_template_language,
        parameters=[str(p) for p in payload.get("parameters", [])],
    )
    row.attempts = attempt
    now = datetime.now(UTC)
    if result.ok:
        row.status = WhatsAppNotificationStatus.SENT
        row.sent_at, row.provider_message_id = now, result.message_id
        row.error, row.next_retry_at = None, None
        return
    row.error = result.error
    delay = retry.whatsapp().wait(attempt) if result.retryable else None
    if delay is not None:
        row.next_retry_at = now + timedelta(seconds=delay)
        jobs.enqueue(
            session,
            "whatsapp.send",
            delay_seconds=delay,
            notification_id=notification_id,
            attempt=attempt + 1,
        )
        return
    row.status, row.next_retry_at = WhatsAppNotificationStatus.FAILED, None
    log.warning("whatsapp_failed", notification_id=notification_id, attempts=attempt, error=result.error)
