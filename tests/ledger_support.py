"""Helpers for the ledger, dues, settlement and WhatsApp tests: a shop that pays through the real platform,
the operator's client, and what the merchant's receiver and the WhatsApp stand-in got."""

from __future__ import annotations

import asyncio
import json
import secrets
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks import Webhook

from lightspeedpay.config import get_settings
from lightspeedpay.merchants.service import NewMerchant
from lightspeedpay.models import PaymentGateway
from tests.factories import MerchantClient, create_merchant, create_sandbox_gateway, merchant_client, wait_for
from tests.fixtures import ROOT, Platform


@dataclass
class Shop:
    new: NewMerchant
    client: MerchantClient
    endpoint: str
    platform: Platform
    id: uuid.UUID  # kept apart from new.client, which a test's session.rollback() expires
    company_name: str

    async def pay(self, amount: int) -> str:
        """A payment the payer completes at once (the gateway resolves it); returns its transaction id when paid."""
        r = await self.client.pay(amount=amount)
        assert r.status_code == 201, r.text
        txn_id = r.json()["transaction_id"]
        await wait_for(
            lambda: self._status_in(txn_id, ("paid",)), what=f"transaction {txn_id} paid", timeout=30
        )
        return txn_id

    async def _status_in(self, txn_id: str, statuses: tuple[str, ...]) -> dict[str, Any] | None:
        t = (await self.client.get(f"/api/v1/transactions/{txn_id}")).json()
        return t if t.get("status") in statuses else None

    async def refund(self, txn_id: str, amount: int) -> dict[str, Any]:
        body = json.dumps({"amount": amount}).encode()
        path = f"/api/v1/transactions/{txn_id}/refunds"
        r = await self.client.http.post(
            self.client.base_url + path,
            content=body,
            headers={**self.client.headers("POST", path, body), "Idempotency-Key": uuid.uuid4().hex},
        )
        assert r.status_code == 201, r.text
        refund = r.json()

        async def processed() -> dict[str, Any] | None:
            got = (await self.client.get(f"/api/v1/refunds/{refund['id']}")).json()
            return got if got.get("status") == "processed" else None

        return await wait_for(processed, what=f"refund {refund['id']} processed", timeout=30)

    async def wallet(self) -> dict[str, Any]:
        r = await self.client.get("/api/v1/wallet")
        assert r.status_code == 200, r.text
        return r.json()

    async def events(self) -> list[dict[str, Any]]:
        """Every event the merchant's endpoint received, verified with the Standard Webhooks reference library."""
        async with httpx.AsyncClient() as c:
            got = (
                await c.get(f"{self.platform.receiver_url}/_receiver/endpoints/{self.endpoint}/deliveries")
            ).json()
        return [Webhook(self.new.webhook_secret).verify(d["body"], d["headers"]) for d in got]

    async def wait_event(self, event_type: str, count: int = 1) -> list[dict[str, Any]]:
        async def seen() -> list[dict[str, Any]] | None:
            found = [e for e in await self.events() if e["type"] == event_type]
            return found if len(found) >= count else None

        return await wait_for(seen, what=f"{count} {event_type} event(s)", timeout=30)


@asynccontextmanager
async def open_shop(
    platform: Platform, session: AsyncSession, *, gateway: bool = True, **merchant: Any
) -> AsyncIterator[Shop]:
    """A merchant with a webhook endpoint on the receiver; with `gateway`, a sandbox gateway that completes
    every payment as soon as it is created."""
    endpoint = f"m{secrets.token_hex(5)}"
    new = await create_merchant(session, receiver_url=platform.receiver_url, name=endpoint, **merchant)
    if gateway:
        await create_sandbox_gateway(session, platform.simulator_url, auto_outcome="success")
    async with httpx.AsyncClient(timeout=20) as http:
        yield Shop(
            new,
            merchant_client(platform.api_url, new, http),
            endpoint,
            platform,
            new.client.id,
            new.client.company_name,
        )


async def add_gateway(platform: Platform, session: AsyncSession, *, priority: int) -> PaymentGateway:
    return await create_sandbox_gateway(
        session, platform.simulator_url, auto_outcome="success", priority=priority
    )


@asynccontextmanager
async def admin_client(platform: Platform) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=platform.api_url,
        timeout=20,
        headers={"Authorization": f"Bearer {get_settings().admin_token}"},
    ) as http:
        yield http


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


async def cli(platform: Platform, *args: str, timeout: float = 120, stdin: str | None = None) -> CliResult:
    """`lightspeedpay …` as an operator runs it, against the test platform's database; `stdin` is typed in."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "lightspeedpay.cli",
        *args,
        env=platform.env,
        cwd=ROOT,
        stdin=asyncio.subprocess.PIPE if stdin is not None else None,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(
        proc.communicate(stdin.encode() if stdin is not None else None), timeout
    )
    assert proc.returncode is not None
    return CliResult(proc.returncode, out.decode(), err.decode())


async def wa_messages(platform: Platform, to: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient() as c:
        return (await c.get(f"{platform.whatsapp_url}/_wa/messages", params={"to": to})).json()


async def wa_control(platform: Platform, path: str, body: dict[str, Any]) -> dict[str, Any]:
    async with httpx.AsyncClient() as c:
        r = await c.put(f"{platform.whatsapp_url}/_wa/{path}", json=body)
        r.raise_for_status()
        return r.json()


async def wa_get(platform: Platform, path: str) -> Any:
    async with httpx.AsyncClient() as c:
        return (await c.get(f"{platform.whatsapp_url}/_wa/{path}")).json()
