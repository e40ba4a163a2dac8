"""A merchant's webhook endpoint on loopback: verifies Standard Webhooks signatures (with the reference
library `standardwebhooks` when it is installed), records every delivery, and answers as it is told, to
exercise the delivery rules for real. Each path `/webhooks/{name}` is one merchant endpoint with its own secret.

Configure an endpoint with `PUT /_receiver/endpoints/{name}`:
  {"secret": "whsec_…",                      verify with this secret (empty: do not verify)
   "responses": [{"status": 429, "headers": {"Retry-After": "3"}, "body": "…", "delay_ms": 0,
                  "location": "http://…"}, …],   answer the next deliveries like this, one each, in order
   "fail_next": 2, "status": 500,             then fail this many deliveries with this status
   "delay_ms": 0}                             and answer every delivery this much later (slow receivers)
A `location` makes the answer a redirect (status 302 unless given)."""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from lightspeedpay.kit import standard_webhooks

ReferenceWebhook: Any = None
try:  # the reference implementation, as a merchant would use it (a dev dependency)
    from standardwebhooks import Webhook as ReferenceWebhook
except ImportError:  # pragma: no cover - `lightspeedpay up` without the dev extras
    pass


@dataclass
class Endpoint:
    secret: str = ""
    fail_next: int = 0
    fail_status: int = 500
    delay_ms: int = 0
    responses: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    try:
        if ReferenceWebhook is not None:
            ReferenceWebhook(secret).verify(body, headers)
        else:
            standard_webhooks.verify(secret, headers, body)
        return True
    except Exception:  # noqa: BLE001 - any verification failure (the reference raises several kinds)
        return False


def create_app() -> FastAPI:
    app = FastAPI(title="Merchant webhook receiver", docs_url=None, redoc_url=None)
    endpoints: dict[str, Endpoint] = {"demo": Endpoint(secret=os.environ.get("LSP_RECEIVER_SECRET", ""))}

    @app.post("/webhooks/{name}")
    async def receive(name: str, request: Request) -> Response:
        received_at = time.time()
        ep = endpoints.setdefault(name, Endpoint())
        body = await request.body()
        headers = dict(request.headers.items())
        verified = verify(ep.secret, headers, body) if ep.secret else None
        record: dict[str, Any] = {
            "headers": headers,
            "body": body.decode(),
            "verified": verified,
            "received_at": received_at,
            "verified_with": "standardwebhooks" if ReferenceWebhook else "lightspeedpay",
        }
        answer: dict[str, Any]
        if ep.responses:
            answer = ep.responses.pop(0)
        elif ep.fail_next > 0:
            ep.fail_next -= 1
            answer = {"status": ep.fail_status}
        else:
            answer = {"status": 400 if verified is False else 200}
        status = int(answer.get("status", 302 if answer.get("location") else 200))
        out_headers = {str(k): str(v) for k, v in (answer.get("headers") or {}).items()}
        if answer.get("location"):
            out_headers["location"] = str(answer["location"])
        record["answered"] = status
        ep.deliveries.append(record)
        delay_ms = int(answer.get("delay_ms", ep.delay_ms))
        if delay_ms:
            await asyncio.sleep(delay_ms / 1000)
        if "body" in answer:
            return Response(
                str(answer["body"]), status_code=status, headers=out_headers, media_type="text/plain"
            )
        return JSONResponse({"ok": 200 <= status < 300}, status_code=status, headers=out_headers)

    @app.get("/_receiver/endpoints/{name}/deliveries")
    async def deliveries(name: str) -> list[dict[str, Any]]:
        return endpoints.get(name, Endpoint()).deliveries

    @app.put("/_receiver/endpoints/{name}")
    async def configure(name: str, request: Request) -> dict[str, Any]:
        body = await request.json()
        ep = endpoints.setdefault(name, Endpoint())
        ep.secret = body.get("secret", ep.secret)
        ep.fail_next = int(body.get("fail_next", 0))
        ep.fail_status = int(body.get("status", 500))
        ep.delay_ms = int(body.get("delay_ms", 0))
        ep.responses = list(body.get("responses", []))
        return {"name": name, "fail_next": ep.fail_next, "responses": len(ep.responses)}

    return app
