"""A merchant's webhook endpoint on loopback: verifies Standard Webhooks signatures, records every
delivery, and can be told to fail the next N deliveries (to exercise retries). Each path
`/webhooks/{name}` is one merchant endpoint with its own secret."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from lightspeedpay.kit import standard_webhooks


@dataclass
class Endpoint:
    secret: str = ""
    fail_next: int = 0
    fail_status: int = 500
    deliveries: list[dict[str, Any]] = field(default_factory=list)


def create_app() -> FastAPI:
    app = FastAPI(title="Merchant webhook receiver", docs_url=None, redoc_url=None)
    endpoints: dict[str, Endpoint] = {"demo": Endpoint(secret=os.environ.get("LSP_RECEIVER_SECRET", ""))}

    @app.post("/webhooks/{name}")
    async def receive(name: str, request: Request) -> JSONResponse:
        ep = endpoints.setdefault(name, Endpoint())
        body = await request.body()
        headers = dict(request.headers.items())
        verified: bool | None = None
        if ep.secret:
            try:
                standard_webhooks.verify(ep.secret, headers, body)
                verified = True
            except standard_webhooks.WebhookVerificationError:
                verified = False
        record: dict[str, Any] = {"headers": headers, "body": body.decode(), "verified": verified}
        if ep.fail_next > 0:
            ep.fail_next -= 1
            record["answered"] = ep.fail_status
        else:
            record["answered"] = 400 if verified is False else 200
        ep.deliveries.append(record)
        return JSONResponse({"ok": record["answered"] == 200}, status_code=record["answered"])

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
        return {"name": name, "fail_next": ep.fail_next}

    return app
