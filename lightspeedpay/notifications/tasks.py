"""whatsapp-notifications queue: send one queued message; 5xx and timeouts retry with back-off, four
attempts in all; every outcome is on the message's row. slack-notifications queue: the same for the operator's
Slack (the `slack` retry policy)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay import jobs
from lightspeedpay.config import get_settings
from lightspeedpay.jobs.queues import SLACK_NOTIFICATIONS, WHATSAPP_NOTIFICATIONS
from lightspeedpay.jobs.registry import task
from lightspeedpay.kit import retry
from lightspeedpay.kit.logging import log
from lightspeedpay.models.slack_message import SlackMessageEvent, SlackMessageStatus
from lightspeedpay.models.whatsapp_notification import WhatsAppNotificationStatus
from lightspeedpay.notifications.repository import notification_repo, slack_repo
from lightspeedpay.notifications.slack import slack_webhook
from lightspeedpay.notifications.whatsapp import whatsapp_sender

# a "resolved" message waits this long at a time while its alert's "opened" one is still being tried
_AFTER_OPENED_SECONDS = 2.0


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


@task("slack.send", queue=SLACK_NOTIFICATIONS)
async def send_slack(session: AsyncSession, message_id: str, attempt: int = 1) -> str:
    """One attempt at one message. The row is read, Slack called with no row lock held, then the row locked,
    checked again and updated; the next attempt, if any, is a new intent after the policy's wait."""
    row = await slack_repo.get(session, uuid.UUID(message_id))
    if row is None or row.status != SlackMessageStatus.QUEUED or row.attempts >= attempt:
        return "done"  # sent, given up, or this attempt already ran
    opened = (
        await slack_repo.opened_still_queued(session, row.alert_id)
        if row.event == SlackMessageEvent.RESOLVED and row.alert_id is not None
        else None
    )
    if opened is not None:
        # the channel reads "resolved" after "opened", not before: this attempt waits (uncounted) until the
        # opened message's next attempt is due
        due = (opened.next_retry_at - datetime.now(UTC)).total_seconds() if opened.next_retry_at else 0.0
        jobs.enqueue(
            session,
            "slack.send",
            delay_seconds=max(_AFTER_OPENED_SECONDS, due + _AFTER_OPENED_SECONDS),
            message_id=message_id,
            attempt=attempt,
        )
        return "after_opened"
    payload = {"text": row.text, **({"blocks": row.blocks} if row.blocks else {})}
    result = await slack_webhook.post(payload)
    locked = await slack_repo.lock(session, uuid.UUID(message_id))
    if locked is None or locked.status != SlackMessageStatus.QUEUED or locked.attempts >= attempt:
        return "done"
    locked.attempts = attempt
    now = datetime.now(UTC)
    if result.ok:
        locked.status, locked.sent_at = SlackMessageStatus.SENT, now
        locked.error, locked.next_retry_at = None, None
        return SlackMessageStatus.SENT
    locked.error = result.error
    s = get_settings()
    delay = (
        retry.slack().wait(
            attempt, retry_after=result.retry_after, retry_after_cap=s.slack_retry_after_max_seconds
        )
        if result.retryable
        else None
    )
    if delay is not None:
        locked.next_retry_at = now + timedelta(seconds=delay)
        jobs.enqueue(session, "slack.send", delay_seconds=delay, message_id=message_id, attempt=attempt + 1)
        return "retry_scheduled"
    locked.status, locked.next_retry_at = SlackMessageStatus.FAILED, None
    log.warning("slack_failed", message_id=message_id, attempts=attempt, error=result.error)
    return SlackMessageStatus.FAILED
