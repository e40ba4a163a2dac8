"""A loopback stand-in of Slack's incoming webhooks for the demo and tests: it records every message.

It speaks Slack's wire format: `POST /services/{team}/{bot}/{token}` with a JSON body (or the legacy form field
`payload=<json>`) holding `text` and/or Block Kit `blocks`; `200 ok` when taken, a plain-text error otherwise
(`400 invalid_payload`, `400 no_text`). It can be told to fail, for retry tests: answer 5xx, answer `429
rate_limited` with a Retry-After, or hang past the sender's timeout, for the next N messages or until cleared.
Control endpoints are under `/_slack/`.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse

from lightspeedpay.devtools.faults import CountedFault


@dataclass
class Faults(CountedFault):
    mode: str | None = None  # "http_5xx", "rate_limited", "timeout"
    status: int = 500
    retry_after: int = 1  # seconds, on a 429


@dataclass
class StandIn:
    messages: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    faults: Faults = field(default_factory=Faults)


def _text(status: int, body: str, headers: dict[str, str] | None = None) -> PlainTextResponse:
    return PlainTextResponse(body, status_code=status, headers=headers)


async def _payload(request: Request) -> Any:
    raw = await request.body()
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        form = dict(parse_qsl(raw.decode("utf-8", errors="replace")))
        raw = form.get("payload", "").encode()
    return json.loads(raw)


def create_app() -> FastAPI:
    app = FastAPI(title="Slack incoming webhooks stand-in", docs_url=None, redoc_url=None)
    state = StandIn()
    app.state.slack = state

    @app.post("/services/{team}/{bot}/{token}")
    async def incoming_webhook(team: str, bot: str, token: str, request: Request) -> PlainTextResponse:
        fault = state.faults.take()
        if fault is not None:
            state.rejected.append({"reason": fault, "at": time.time()})
        if fault == "timeout":
            await asyncio.sleep(state.faults.seconds)
            return _text(500, "rollup_error")
        if fault == "http_5xx":
            return _text(state.faults.status, "rollup_error")
        if fault == "rate_limited":
            return _text(429, "rate_limited", {"retry-after": str(state.faults.retry_after)})
        try:
            body = await _payload(request)
        except ValueError:
            state.rejected.append({"reason": "invalid_payload", "at": time.time()})
            return _text(400, "invalid_payload")
        if not isinstance(body, dict) or not (body.get("text") or body.get("blocks")):
            state.rejected.append({"reason": "no_text", "at": time.time()})
            return _text(400, "no_text")
        if "blocks" in body and not isinstance(body["blocks"], list):
            state.rejected.append({"reason": "invalid_blocks", "at": time.time()})
            return _text(400, "invalid_blocks")
        state.messages.append(
            {
                "id": len(state.messages) + 1,
                "webhook": f"{team}/{bot}",
                "text": body.get("text"),
                "blocks": body.get("blocks") or [],
                "at": time.time(),
            }
        )
        return _text(200, "ok")

    # ---- control, for tests and the demo

    @app.get("/_slack/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/_slack/messages")
    async def messages(contains: str | None = None) -> list[dict[str, Any]]:
        """What was posted, oldest first; `contains`: only messages whose text or blocks hold this string."""
        return [m for m in state.messages if contains is None or contains in json.dumps(m)]

    @app.delete("/_slack/messages")
    async def forget() -> dict[str, int]:
        dropped = len(state.messages)
        state.messages.clear()
        state.rejected.clear()
        return {"dropped": dropped}

    @app.get("/_slack/rejected")
    async def rejected() -> list[dict[str, Any]]:
        return state.rejected

    @app.put("/_slack/faults")
    async def faults(request: Request) -> dict[str, Any]:
        """{"mode": "http_5xx" | "rate_limited" | "timeout" | null, "status": 500, "count": N | null,
        "retry_after": 1, "seconds": 15}"""
        raw = await request.body()
        body = json.loads(raw) if raw.strip() else {}
        state.faults = Faults(
            mode=body.get("mode"),
            status=int(body.get("status", 500)),
            count=body.get("count"),
            retry_after=int(body.get("retry_after", 1)),
            seconds=float(body.get("seconds", 15.0)),
        )
        return {"mode": state.faults.mode, "count": state.faults.count}

    return app
