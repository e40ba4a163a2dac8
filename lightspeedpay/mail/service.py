"""Email through the outbox: `email_service.queue(...)` writes the message and its job intent in the caller's
transaction; the email-notifications queue sends it (notifications/tasks.py, `email.send`)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay import jobs
from lightspeedpay.kit import crypto
from lightspeedpay.models import Email
from lightspeedpay.models.email import EmailStatus


class EmailService:
    def queue(
        self,
        session: AsyncSession,
        *,
        to: str,
        subject: str,
        text: str,
        html: str | None = None,
        kind: str,
        client_id: uuid.UUID | None = None,
    ) -> Email:
        """The bodies are stored encrypted (they carry one-time links) until the message is sent."""
        row = Email(
            id=uuid.uuid4(),
            client_id=client_id,
            kind=kind,
            to_address=to,
            subject=subject,
            text_enc=crypto.encrypt(text),
            html_enc=crypto.encrypt(html) if html else None,
            status=EmailStatus.QUEUED,
            attempts=0,
        )
        session.add(row)
        jobs.enqueue(session, "email.send", email_id=str(row.id), attempt=1)
        return row


email_service = EmailService()
