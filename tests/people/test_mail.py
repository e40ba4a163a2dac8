"""Email through the outbox to the SMTP stand-in: queued with the change, sent by the worker, readable; a 4xx
answer is retried with back-off, a 5xx refusal is not; a second run of a sent email's job sends nothing."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from lightspeedpay.jobs import registry
from lightspeedpay.jobs.unit_of_work import unit_of_work
from lightspeedpay.mail.service import email_service
from lightspeedpay.models import Email, JobIntent
from tests.factories import wait_for
from tests.people.support import mails, new_email, wait_mail


async def _queue(to: str, subject: str) -> str:
    async with unit_of_work() as s:
        row = email_service.queue(
            s,
            to=to,
            subject=subject,
            text="Hello.\n\nOpen: http://127.0.0.1:9/auth/x?token=lspe_secret123",
            html="<p>Hello.</p>",
            kind="test",
        )
        email_id = str(row.id)
    return email_id


async def _row(session, email_id: str) -> Email:
    await session.rollback()
    return (await session.execute(select(Email).where(Email.id == email_id))).scalar_one()


async def _faults(platform, body: dict) -> None:
    async with httpx.AsyncClient() as c:
        (await c.put(f"{platform.smtp_url}/_smtp/faults", json=body)).raise_for_status()


async def test_an_email_is_sent_once_and_readable(platform, session):
    to = new_email("mail")
    email_id = await _queue(to, "Welcome")
    [intent] = (await session.execute(select(JobIntent).where(JobIntent.name == "email.send"))).scalars()
    assert intent.queue == "email-notifications" and intent.payload["email_id"] == email_id

    message = await wait_mail(platform, to)
    assert message["subject"] == "Welcome" and message["to"] == [to]
    assert message["links"] == ["http://127.0.0.1:9/auth/x?token=lspe_secret123"]
    assert message["html"] == "<p>Hello.</p>\n" and email_id in message["message_id"]

    async def sent() -> Email | None:
        row = await _row(session, email_id)
        return row if row.status == "sent" else None

    row = await wait_for(sent, what="the email to be sent")
    assert row.attempts == 1 and row.sent_at is not None
    assert row.text_enc is None and row.html_enc is None  # the link does not outlive the delivery

    # the job run again (a redelivery, the sweeper): nothing more is sent
    assert await registry.call("email.send", session, {"email_id": email_id, "attempt": 1}) == "done"
    assert await registry.call("email.send", session, {"email_id": email_id, "attempt": 2}) == "done"
    assert len(await mails(platform, to)) == 1


async def test_a_temporary_refusal_is_retried_and_a_permanent_one_is_not(platform, session):
    await _faults(platform, {"mode": "temporary", "count": 2})
    try:
        to = new_email("retry")
        email_id = await _queue(to, "Retried")
        row = await _row(session, email_id)
        # until sent, the body (with its link) is stored encrypted
        assert row.text_enc is None or "lspe_secret123" not in row.text_enc
        await wait_mail(platform, to, timeout=40)
        row = await _row(session, email_id)
        assert (row.status, row.attempts, row.error) == ("sent", 3, None)

        await _faults(platform, {"mode": "permanent", "count": 1})
        to = new_email("refused")
        email_id = await _queue(to, "Refused")

        async def failed() -> Email | None:
            row = await _row(session, email_id)
            return row if row.status == "failed" else None

        row = await wait_for(failed, what="the refused email to fail")
        assert row.attempts == 1 and row.error == "SMTP 550" and row.text_enc is None
        assert await mails(platform, to) == []
    finally:
        await _faults(platform, {"mode": None})


@pytest.mark.fast
def test_the_smtp_url_forms():
    from lightspeedpay.mail.smtp import SmtpServer

    assert SmtpServer.parse("smtp://127.0.0.1:8925") == SmtpServer("127.0.0.1", 8925, "none")
    assert SmtpServer.parse("smtps://u%40x:p%2Fw@mail.example.in") == SmtpServer(
        "mail.example.in", 465, "implicit", "u@x", "p/w"
    )
    assert SmtpServer.parse("smtp+starttls://relay").port == 587
    with pytest.raises(ValueError):
        SmtpServer.parse("http://relay")
