"""Helpers for the payments API tests: a Razorpay-style client (HTTP Basic) and payments driven to an outcome
through the real platform and the sandbox PSP simulator, as a payer would."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.merchants.service import NewMerchant
from lightspeedpay.models import WebhookEvent
from lightspeedpay.payments.service import payment_service
from tests.factories import MerchantClient, create_merchant, create_sandbox_gateway, merchant_client, wait_for


def rzp_http(platform: Any, new: NewMerchant, **kwargs: Any) -> httpx.AsyncClient:
    """What a merchant's code does with Razorpay's API: Basic auth with key id and key secret."""
    kwargs.setdefault("timeout", 30)
    return httpx.AsyncClient(
        base_url=platform.api_url, auth=(new.client.client_key, new.client_salt), **kwargs
    )


@contextlib.asynccontextmanager
async def open_shop(
    platform: Any, session: Any, *, connections: int = 100, timeout: float = 30
) -> AsyncIterator[Shop]:
    """A fresh merchant with one sandbox gateway, and both of its API clients (signed native and Basic /v1)."""
    new = await create_merchant(session)
    await create_sandbox_gateway(session, platform.simulator_url)
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with (
        httpx.AsyncClient(timeout=timeout, limits=limits) as http,
        rzp_http(platform, new, limits=limits, timeout=timeout) as rzp,
    ):
        yield Shop(new, merchant_client(platform.api_url, new, http), rzp)


@dataclass
class Shop:
    new: NewMerchant
    native: MerchantClient  # signed /api/v1 requests
    rzp: httpx.AsyncClient  # Basic-auth /v1 requests


async def payer(checkout_url: str, outcome: str) -> None:
    """The payer on the PSP's hosted page: success, failure, or authorize (manual capture)."""
    async with httpx.AsyncClient(timeout=15) as c:
        r = await c.post(checkout_url, data={"outcome": outcome}, headers={"accept": "application/json"})
        assert r.status_code == 200, r.text


async def native_txn(native: MerchantClient, txn_id: str) -> dict[str, Any]:
    r = await native.get(f"/api/v1/transactions/{txn_id}")
    assert r.status_code == 200, r.text
    return r.json()


async def wait_status(
    native: MerchantClient, txn_id: str, *statuses: str, timeout: float = 20
) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        t = await native_txn(native, txn_id)
        return t if t["status"] in statuses else None

    return await wait_for(check, timeout=timeout, what=f"transaction {txn_id} to be {'/'.join(statuses)}")


async def settle(native: MerchantClient, txn_id: str, outcome: str) -> dict[str, Any]:
    """Wait for the PSP order, act as the payer, wait for the outcome the platform records."""
    pending = await wait_status(native, txn_id, "pending")
    await payer(pending["checkout_url"], outcome)
    final = {"success": "paid", "failure": "failed", "authorize": "authorized"}[outcome]
    return await wait_status(native, txn_id, final)


async def paid_payment(
    native: MerchantClient, amount: int = 10_000, outcome: str = "success"
) -> dict[str, Any]:
    """A payment started on the native API (POST /api/v1/pay) and settled by the payer."""
    r = await native.pay(amount=amount)
    assert r.status_code == 201, r.text
    return await settle(native, r.json()["transaction_id"], outcome)


async def order_payment(
    rzp: httpx.AsyncClient,
    native: MerchantClient,
    amount: int = 10_000,
    outcome: str = "success",
    **order: Any,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """An order on /v1, a payment started for it the way the hosted checkout does, settled by the payer."""
    r = await rzp.post("/v1/orders", json={"amount": amount, "currency": "INR", **order})
    assert r.status_code == 200, r.text
    started = await payment_service.start_for_order(r.json()["id"])
    txn = await settle(native, str(started.transaction_id), outcome)
    return r.json(), txn


async def event_types(session: AsyncSession, txn_id: str | uuid.UUID) -> list[str]:
    await session.rollback()
    rows = await session.execute(
        select(WebhookEvent.type)
        .where(WebhookEvent.transaction_id == uuid.UUID(str(txn_id)))
        .order_by(WebhookEvent.created_at)
    )
    return list(rows.scalars())


def assert_rzp_error(
    r: httpx.Response, status: int, field: str | None = None, reason: str | None = None
) -> dict:
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert set(error) == {"code", "description", "field", "source", "step", "reason", "metadata"}, error
    assert error["code"] in ("BAD_REQUEST_ERROR", "GATEWAY_ERROR", "SERVER_ERROR")
    assert error["description"] and isinstance(error["metadata"], dict)
    if field is not None:
        assert error["field"] == field, error
    if reason is not None:
        assert error["reason"] == reason, error
    return error
