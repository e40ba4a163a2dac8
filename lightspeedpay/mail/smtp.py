"""Email over SMTP (`LSP_SMTP_URL`), with the standard library's smtplib in a thread.

`smtp://host:port` speaks plain SMTP (the loopback stand-in, a local relay), `smtp+starttls://` upgrades with
STARTTLS, `smtps://` is TLS from the start (port 465); a user and password in the URL log in. A connection error,
a timeout or a 4xx answer (the server's "try again later") is worth a retry; a 5xx refusal is not. The URL's
password is a secret: it is never logged nor put in an error, and neither is the message (its links are
one-time tokens).
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import unquote, urlsplit

from lightspeedpay.config import get_settings


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    tls: str  # "none", "starttls" or "implicit"
    user: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        tls = {"smtp": "none", "smtp+starttls": "starttls", "smtps": "implicit"}.get(parts.scheme)
        if tls is None or not parts.hostname:
            raise ValueError("LSP_SMTP_URL must be smtp://, smtp+starttls:// or smtps:// with a host")
        port = parts.port or (465 if tls == "implicit" else 587 if tls == "starttls" else 25)
        return cls(
            host=parts.hostname,
            port=port,
            tls=tls,
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


@dataclass(frozen=True)
class SendResult:
    ok: bool
    error: str | None = None
    retryable: bool = False


def build_message(
    *, message_id: str, to: str, subject: str, text: str, html: str | None, sender: str | None = None
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender or get_settings().email_from
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    # one Message-ID per emails row: a message sent twice (a crash after SMTP took it) is one message to the
    # receiving side
    msg["Message-ID"] = make_msgid(idstring=message_id, domain="lightspeedpay")
    msg.set_content(text)
    if html:
        msg.add_alternative(html, subtype="html")
    return msg


def _send_sync(server: SmtpServer, msg: EmailMessage, timeout: float) -> None:
    client: smtplib.SMTP
    if server.tls == "implicit":
        client = smtplib.SMTP_SSL(
            server.host, server.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        client = smtplib.SMTP(server.host, server.port, timeout=timeout)
    try:
        client.ehlo()
        if server.tls == "starttls":
            client.starttls(context=ssl.create_default_context())
            client.ehlo()
        if server.user:
            client.login(server.user, server.password or "")
        client.send_message(msg)
    finally:
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()


class SmtpSender:
    async def send(self, msg: EmailMessage) -> SendResult:
        """One attempt."""
        s = get_settings()
        try:
            server = SmtpServer.parse(s.smtp_url)
        except ValueError as exc:
            return SendResult(False, error=str(exc))
        try:
            await asyncio.to_thread(_send_sync, server, msg, s.smtp_timeout_seconds)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            temporary = all(400 <= code < 500 for code in codes)
            return SendResult(False, error=f"recipient refused: SMTP {codes}", retryable=temporary)
        except smtplib.SMTPAuthenticationError as exc:
            return SendResult(False, error=f"SMTP login refused ({exc.smtp_code})")
        except smtplib.SMTPResponseException as exc:
            # the server's text can quote the message or the account; its code says enough
            return SendResult(False, error=f"SMTP {exc.smtp_code}", retryable=400 <= exc.smtp_code < 500)
        except TimeoutError as exc:
            return SendResult(False, error=f"timeout: {type(exc).__name__}", retryable=True)
        except (smtplib.SMTPException, OSError) as exc:
            # connection refused or dropped, TLS failure: the exception's text may hold the host; its type says
            # enough
            return SendResult(False, error=f"connection error: {type(exc).__name__}", retryable=True)
        return SendResult(True)


smtp_sender = SmtpSender()
