"""A loopback SMTP stand-in for the demo and tests: a real SMTP server (aiosmtpd) that keeps every message it
takes in memory, and a small HTTP API to read them.

SMTP listens on `LSP_SMTP_STANDIN_PORT` (8925; the platform's default `LSP_SMTP_URL` points there); the HTTP API
on the port uvicorn serves (`LSP_SMTP_STANDIN_HTTP_PORT`, 8926):
- `GET /_smtp/messages?to=<address>&contains=<text>`: the messages, oldest first, each with its sender,
  recipients, subject, plain text, HTML and the links found in the text;
- `DELETE /_smtp/messages`: forget them;
- `PUT /_smtp/faults` {"mode": "temporary" | "permanent" | null, "count": N | null}: refuse the next N messages
  with `451` (try again later) or `550`, for retry tests;
- `GET /_smtp/health`.
Nothing here is sent on: a message stops at the stand-in.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi import FastAPI, Request

from lightspeedpay.config import get_settings
from lightspeedpay.devtools.faults import CountedFault

_LINK = re.compile(r"https?://[^\s<>\"')]+")


@dataclass
class StandIn:
    messages: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    faults: CountedFault = field(default_factory=CountedFault)


def _part(msg: EmailMessage, subtype: str) -> str | None:
    body = msg.get_body(preferencelist=(subtype,))
    # SMTP carries CRLF line ends; readers of the API get the text as it was written
    return str(body.get_content()).replace("\r\n", "\n") if body is not None else None


def parse(raw: bytes, envelope_from: str | None, recipients: list[str]) -> dict[str, Any]:
    msg = message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    text = _part(msg, "plain") or ""
    html = _part(msg, "html")
    return {
        "from": str(msg.get("From", envelope_from or "")),
        "to": [r.lower() for r in recipients],
        "subject": str(msg.get("Subject", "")),
        "message_id": str(msg.get("Message-ID", "")),
        "text": text,
        "html": html,
        "links": _LINK.findall(text),
        "at": time.time(),
    }


class Handler:
    """aiosmtpd's hook: take the message, or refuse it as the fault switch says."""

    def __init__(self, state: StandIn) -> None:
        self.state = state

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        fault = self.state.faults.take()
        if fault is not None:
            self.state.rejected.append({"reason": fault, "to": envelope.rcpt_tos, "at": time.time()})
            return "451 4.3.0 Try again later" if fault == "temporary" else "550 5.7.1 Refused"
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode()
        message = parse(raw, envelope.mail_from, list(envelope.rcpt_tos))
        message["id"] = len(self.state.messages) + 1
        self.state.messages.append(message)
        return "250 2.0.0 Message accepted"


def create_app(smtp_port: int | None = None) -> FastAPI:
    state = StandIn()
    port = smtp_port or get_settings().smtp_standin_port

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        handler = Handler(state)
        server = await loop.create_server(
            lambda: SMTP(handler, hostname="lightspeedpay-smtp-standin"), host="127.0.0.1", port=port
        )
        try:
            yield
        finally:
            server.close()
            await server.wait_closed()

    app = FastAPI(title="SMTP stand-in", docs_url=None, redoc_url=None, lifespan=lifespan)
    app.state.smtp = state

    @app.get("/_smtp/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "smtp_port": port}

    @app.get("/_smtp/messages")
    async def messages(to: str | None = None, contains: str | None = None) -> list[dict[str, Any]]:
        """What was received, oldest first; `to`: only messages to this address; `contains`: only those whose
        subject or text holds this string."""
        wanted = to.strip().lower() if to else None
        return [
            m
            for m in state.messages
            if (wanted is None or wanted in m["to"])
            and (contains is None or contains in m["subject"] or contains in m["text"])
        ]

    @app.delete("/_smtp/messages")
    async def forget() -> dict[str, int]:
        dropped = len(state.messages)
        state.messages.clear()
        state.rejected.clear()
        return {"dropped": dropped}

    @app.get("/_smtp/rejected")
    async def rejected() -> list[dict[str, Any]]:
        return state.rejected

    @app.put("/_smtp/faults")
    async def faults(request: Request) -> dict[str, Any]:
        """{"mode": "temporary" (451) | "permanent" (550) | null, "count": N | null}"""
        raw = await request.body()
        body = (await request.json()) if raw.strip() else {}
        state.faults = CountedFault(mode=body.get("mode"), count=body.get("count"))
        return {"mode": state.faults.mode, "count": state.faults.count}

    return app
