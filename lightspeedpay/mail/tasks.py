"""email-notifications queue: send one queued email over SMTP; connection errors, timeouts and 4xx answers retry
with the `email` policy's back-off; every outcome is on the email's row."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay import jobs
from lightspeedpay.jobs.queues import EMAIL_NOTIFICATIONS
from lightspeedpay.jobs.registry import task
from lightspeedpay.kit import crypto, retry
from lightspeedpay.kit.logging import log
from lightspeedpay.mail.repository import email_repo
from lightspeedpay.mail.smtp import build_message, smtp_sender
from lightspeedpay.models.email import EmailStatus


@task("email.send", queue=EMAIL_NOTIFICATIONS)
async def send_email(session: AsyncSession, email_id: str, attempt: int = 1) -> str:
    """One attempt at one email. The row stays locked while the SMTP server takes the message, so two runs of
    one job (a redelivery, the sweeper) cannot both send it; `sent_at` and the attempt count make a rerun a no-op.
    Once sent or given up, the bodies (with their one-time links) are dropped."""
    row = await email_repo.lock(session, uuid.UUID(email_id))
    if row is None or row.status != EmailStatus.QUEUED or row.sent_at is not None or row.attempts >= attempt:
        return "done"  # sent, given up, or this attempt already ran
    if row.text_enc is None:
        row.status, row.error = EmailStatus.FAILED, "The message has no body."
        return EmailStatus.FAILED
    msg = build_message(
        message_id=email_id,
        to=row.to_address,
        subject=row.subject,
        text=crypto.decrypt(row.text_enc),
        html=crypto.decrypt(row.html_enc) if row.html_enc else None,
    )
    result = await smtp_sender.send(msg)
    row.attempts = attempt
    now = datetime.now(UTC)
    if result.ok:
        row.status, row.sent_at = EmailStatus.SENT, now
        row.error, row.next_retry_at = None, None
        row.text_enc, row.html_enc = None, None
        return EmailStatus.SENT
    row.error = result.error
    delay = retry.email().wait(attempt) if result.retryable else None
    if delay is not None:
        row.next_retry_at = now + timedelta(seconds=delay)
        jobs.enqueue(session, "email.send", delay_seconds=delay, email_id=email_id, attempt=attempt + 1)
        return "retry_scheduled"
    row.status, row.next_retry_at = EmailStatus.FAILED, None
    row.text_enc, row.html_enc = None, None
    # the address is the person's: the kind and the id say which message without it
    log.warning("email_failed", email_id=email_id, kind=row.kind, attempts=attempt, error=result.error)
    return EmailStatus.FAILED
