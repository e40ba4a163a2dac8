"""Small async factories and a signed merchant client for tests."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.gateways.service import gateway_service
from lightspeedpay.kit.signing import sign_merchant_request
from lightspeedpay.merchants.service import NewMerchant, merchant_service
from lightspeedpay.models import PaymentGateway, Transaction

T = TypeVar("T")


async def create_merchant(
    session: AsyncSession,
    *,
    receiver_url: str | None = None,
    name: str | None = None,
    fee_percent: Decimal | None = None,
    suspend_threshold: int | None = None,
    kyc_status: str = "activated",
    **settings: Any,
) -> NewMerchant:
    """`settings`: more of merchant_service.create's options (warn_threshold, whatsapp_phone, ...)."""
    endpoint = name or f"m{secrets.token_hex(4)}"
    webhook_url = f"{receiver_url}/webhooks/{endpoint}" if receiver_url else None
    new = await merchant_service.create(
        session,
        company_name=f"Shop {endpoint}",
        webhook_url=webhook_url,
        fee_percent=fee_percent,
        suspend_threshold=suspend_threshold,
        kyc_status=kyc_status,  # onboarded by an operator unless the test says otherwise
        **settings,
    )
    await session.commit()
    if receiver_url:
        async with httpx.AsyncClient() as c:
            await c.put(f"{receiver_url}/_receiver/endpoints/{endpoint}", json={"secret": new.webhook_secret})
    return new


async def create_sandbox_gateway(
    session: AsyncSession,
    simulator_url: str,
    *,
    name: str | None = None,
    monthly_limit: int = 10_000_000_00,
    priority: int = 1,
    auto_outcome: str | None = None,
    delay_ms: int = 0,
) -> PaymentGateway:
    creds = {
        "key_id": f"sbx_{secrets.token_hex(5)}",
        "key_secret": secrets.token_hex(12),
        "webhook_secret": secrets.token_hex(12),
    }
    gw = await gateway_service.add(
        session,
        name=name or f"sandbox_{secrets.token_hex(3)}",
        provider="sandbox",
        base_url=simulator_url,
        credentials=creds,
        monthly_limit=monthly_limit,
        priority=priority,
    )
    await session.commit()
    async with httpx.AsyncClient() as c:
        r = await c.put(
            f"{simulator_url}/_sim/accounts/{creds['key_id']}",
            json={**creds, "provider": "sandbox", "auto_outcome": auto_outcome, "delay_ms": delay_ms},
        )
        r.raise_for_status()
    return gw


def add_transaction(
    session: AsyncSession,
    client_id: uuid.UUID,
    gateway: PaymentGateway,
    *,
    amount: int = 5_000,
    status: str = "created",
    **fields: Any,
) -> Transaction:
    """A transaction row written directly, as the initiation would have left it (its amount reserved on the
    gateway for this month), for tests that drive the jobs around it by hand. Not committed."""
    from lightspeedpay.gateways.service import volume_month

    txn = Transaction(
        id=uuid.uuid4(),
        order_id=fields.pop("order_id", f"t-{uuid.uuid4().hex[:12]}"),
        client_id=client_id,
        gateway_id=gateway.id,
        amount=amount,
        currency="INR",
        status=status,
        **fields,
    )
    month = volume_month()
    gateway.current_volume = (gateway.current_volume if gateway.volume_month == month else 0) + amount
    gateway.volume_month = month
    session.add(txn)
    return txn


@dataclass
class MerchantClient:
    """Signs every request the way the README tells merchants to."""

    base_url: str
    client_key: str
    salt: str
    http: httpx.AsyncClient

    def headers(self, method: str, path: str, body: bytes, *, timestamp: int | None = None) -> dict[str, str]:
        # milliseconds by default: a test may send the same request twice within a second, which the replay
        # check would refuse if both were signed to the same bytes (the README's seconds are tested explicitly)
        ts = str(timestamp if timestamp is not None else int(time.time() * 1000))
        return {
            "X-Client-Key": self.client_key,
            "X-Timestamp": ts,
            "content-type": "application/json",
            "X-Signature": sign_merchant_request(self.salt, ts, method, path, body),
        }

    async def pay(self, amount: int = 10_000, order_id: str | None = None, **extra: Any) -> httpx.Response:
        payload = {
            "amount": amount,
            "order_id": order_id or f"ord_{uuid.uuid4().hex[:12]}",
            "currency": "INR",
            **extra,
        }
        return await self.post("/api/v1/pay", json.dumps(payload).encode())

    async def post(self, path: str, body: bytes) -> httpx.Response:
        return await self.http.post(
            self.base_url + path, content=body, headers=self.headers("POST", path, body)
        )

    async def get(self, path: str) -> httpx.Response:
        return await self.http.get(self.base_url + path, headers=self.headers("GET", path, b""))


def merchant_client(base_url: str, new: NewMerchant, http: httpx.AsyncClient) -> MerchantClient:
    return MerchantClient(
        base_url=base_url, client_key=new.client.client_key, salt=new.client_salt, http=http
    )


async def wait_for(
    check: Callable[[], Awaitable[T]], *, timeout: float = 20, every: float = 0.2, what: str = "condition"
) -> T:
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(every)


async def jobs_settled(session: AsyncSession, *, timeout: float = 30) -> None:
    """Wait until no job intent is pending (none running, none waiting for a retry): whatever the jobs were
    going to do is done, so a test may assert that something did not happen."""
    from lightspeedpay.models import JobIntent

    async def settled() -> bool:
        return await count(session, JobIntent, JobIntent.status == "pending") == 0

    await wait_for(settled, timeout=timeout, every=0.1, what="every job intent to finish")


async def count(session: AsyncSession, model: Any, *where: Any) -> int:
    await session.rollback()  # see other processes' commits
    return int((await session.execute(select(func.count()).select_from(model).where(*where))).scalar_one())
