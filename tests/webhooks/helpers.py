"""Helpers for the merchant webhook tests: signed API calls, the receiver's controls, events and waits."""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.jobs import outbox
from lightspeedpay.models import Client, WebhookDelivery, WebhookDeliveryAttempt, WebhookEndpoint
from lightspeedpay.webhooks.service import webhook_service
from tests.factories import MerchantClient, wait_for


async def call(client: MerchantClient, method: str, path: str, body: Any = None) -> httpx.Response:
    """A signed merchant request with any method (body: a JSON-able value, raw bytes, or nothing)."""
    raw = body if isinstance(body, bytes) else (b"" if body is None else json.dumps(body).encode())
    return await client.http.request(
        method, client.base_url + path, content=raw, headers=client.headers(method, path, raw)
    )


def receiver_name() -> str:
    return f"ep{secrets.token_hex(4)}"


async def configure(receiver_url: str, name: str, **config: Any) -> None:
    async with httpx.AsyncClient() as c:
        r = await c.put(f"{receiver_url}/_receiver/endpoints/{name}", json=config)
        r.raise_for_status()


async def received(receiver_url: str, name: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient() as c:
        return (await c.get(f"{receiver_url}/_receiver/endpoints/{name}/deliveries")).json()


async def wait_received(receiver_url: str, name: str, n: int, *, timeout: float = 30) -> list[dict[str, Any]]:
    async def enough() -> list[dict[str, Any]] | None:
        got = await received(receiver_url, name)
        return got if len(got) >= n else None

    return await wait_for(enough, timeout=timeout, what=f"{n} deliveries at receiver endpoint {name}")


async def add_endpoint(
    client: MerchantClient,
    receiver_url: str,
    *,
    name: str | None = None,
    event_types: list[str] | None = None,
    configure_receiver: bool = True,
    **receiver_config: Any,
) -> tuple[dict[str, Any], str]:
    """An endpoint created through the API, pointing at a receiver endpoint that verifies with its secret."""
    name = name or receiver_name()
    r = await call(
        client,
        "POST",
        "/api/v1/merchant/webhooks",
        {"url": f"{receiver_url}/webhooks/{name}", "event_types": event_types or []},
    )
    assert r.status_code == 201, r.text
    endpoint = r.json()
    if configure_receiver:
        await configure(receiver_url, name, secret=endpoint["secret"], **receiver_config)
    return endpoint, name


@dataclass(frozen=True)
class Emitted:
    """What a test needs of an emitted event (the ORM object expires with the test session's next rollback)."""

    id: uuid.UUID
    type: str
    payload: dict[str, Any]


async def emit(
    session: AsyncSession,
    client: Client,
    event_type: str = "payment.paid",
    data: dict[str, Any] | None = None,
) -> Emitted:
    """An event the way payments, refunds or settlements emit one: in a transaction, pushed after commit."""
    # as a caller holds it: loaded in its own transaction
    current = await session.get(Client, inspect(client).identity[0], populate_existing=True)
    assert current is not None
    event = await webhook_service.emit(session, current, event_type, data if data is not None else {"n": 1})
    await session.commit()
    await outbox.push_after_commit(session)
    return Emitted(id=event.id, type=event.type, payload=event.payload)


def _detached(session: AsyncSession, row: Any) -> Any:
    """Keep what was read: the test session's next rollback must not expire it (no lazy loads in async)."""
    if row is not None:
        session.expunge(row)
    return row


async def fresh(session: AsyncSession, model: Any, row_id: uuid.UUID) -> Any:
    await session.rollback()
    return _detached(session, await session.get(model, row_id, populate_existing=True))


async def delivery_of(
    session: AsyncSession, event_id: uuid.UUID, endpoint_id: str | uuid.UUID
) -> WebhookDelivery:
    await session.rollback()
    stmt = select(WebhookDelivery).where(
        WebhookDelivery.event_id == event_id, WebhookDelivery.endpoint_id == uuid.UUID(str(endpoint_id))
    )
    return _detached(
        session, (await session.execute(stmt.execution_options(populate_existing=True))).scalar_one()
    )


async def wait_delivery(
    session: AsyncSession,
    event_id: uuid.UUID,
    endpoint_id: str | uuid.UUID,
    status: str,
    *,
    timeout: float = 30,
) -> WebhookDelivery:
    async def done() -> WebhookDelivery | None:
        d = await delivery_of(session, event_id, endpoint_id)
        return d if d.status == status else None

    return await wait_for(done, timeout=timeout, what=f"the delivery of {event_id} to be {status}")


async def attempts_of(session: AsyncSession, delivery_id: uuid.UUID) -> list[WebhookDeliveryAttempt]:
    await session.rollback()
    stmt = (
        select(WebhookDeliveryAttempt)
        .where(WebhookDeliveryAttempt.delivery_id == delivery_id)
        .order_by(WebhookDeliveryAttempt.attempt)
    )
    return [
        _detached(session, row)
        for row in (await session.execute(stmt.execution_options(populate_existing=True))).scalars()
    ]


async def endpoint_row(session: AsyncSession, endpoint_id: str | uuid.UUID) -> WebhookEndpoint:
    return await fresh(session, WebhookEndpoint, uuid.UUID(str(endpoint_id)))
