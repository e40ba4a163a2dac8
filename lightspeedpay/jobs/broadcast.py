"""Live-stream events: noted in the caller's DB transaction, published to Redis pub/sub only after it commits.

A unit of work calls `publish(session, topic, event, data)`; `jobs.unit_of_work` publishes what was noted once
the commit succeeded and drops it on a rollback, so no stream ever shows a change that did not happen. Pub/sub
keeps nothing: a client that was not listening catches up from the snapshot its stream starts with. Publishing
is best effort and bounded (LSP_STREAM_PUBLISH_TIMEOUT_SECONDS): a Redis that fails never fails the request
or the job whose change it reports. The API processes' hubs (lightspeedpay.streams) subscribe to every topic
with one pattern.
"""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.config import get_settings
from lightspeedpay.jobs import queues
from lightspeedpay.kit.logging import log

# the topics of the seven streams (a merchant's own transactions: `merchant_transactions(client_id)`)
GATEWAYS = "gateways"
QUEUES = "queues"
ALERTS = "alerts"
WORKERS = "workers"
TRANSACTIONS = "transactions"
STATUS = "status"

_PENDING = "lsp_pending_broadcasts"


def merchant_transactions(client_id: uuid.UUID | str, mode: str = "live") -> str:
    """One merchant's own transactions of one mode: the hub delivers a topic only to streams of that exact topic,
    so a merchant's stream never carries another merchant's events, nor a live stream test ones."""
    return (
        f"merchant:{client_id}:transactions"
        if mode == "live"
        else f"merchant:{client_id}:{mode}:transactions"
    )


def channel_prefix() -> str:
    """Pub/sub channels are global to a Redis server (SELECT does not scope them), so the channel names carry
    the database number as well as the key prefix: two deployments sharing a server never hear each other."""
    db = queues.redis_client().connection_pool.connection_kwargs.get("db", 0)
    return f"{get_settings().queue_prefix}:{db}:stream:"


def _default(value: Any) -> Any:
    # Decimal; and asyncpg's own UUID class, which raw statements return and orjson does not know
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def encode(event: str, data: Any) -> bytes:
    """The message on the wire: the event name, a newline, the data as one line of JSON. The hub turns it into
    an SSE frame without parsing the JSON."""
    if not event or not event.isascii() or any(c in event for c in "\r\n: "):
        raise ValueError(f"an event name is one ASCII word, not {event!r}")
    return event.encode() + b"\n" + orjson.dumps(data, default=_default)


def _encoded(topic: str, event: str, data: Any) -> bytes | None:
    try:
        return encode(event, data)
    except (TypeError, ValueError) as exc:  # a bug to fix, but never a reason to fail the change itself
        log.error("stream_event_unencodable", topic=topic, stream_event=event, error=str(exc))
        return None


def publish(session: AsyncSession, topic: str, event: str, data: Any, *, key: str | None = None) -> None:
    """Note an event for `topic`, sent once the session's unit of work commits. The data is serialized now, as
    the state stands at this point of the transaction. `key` (say, a transaction id): a later event with the
    same topic and key in the same unit replaces the earlier one, so a row changed twice in one commit is
    published once, in its committed state (and a block redone after a deadlock does not publish twice)."""
    message = _encoded(topic, event, data)
    if message is None:
        return
    pending: dict[tuple[str, str], tuple[str, bytes]] = session.info.setdefault(_PENDING, {})
    slot = (topic, key if key is not None else f"#{len(pending)}")
    # a replaced event moves to the end: events go out in the order of their last change
    pending.pop(slot, None)
    pending[slot] = (topic, message)


def forget(session: AsyncSession) -> None:
    session.info.pop(_PENDING, None)


async def publish_after_commit(session: AsyncSession) -> None:
    pending: dict[tuple[str, str], tuple[str, bytes]] = session.info.pop(_PENDING, {})
    if pending:
        await _send(list(pending.values()))


async def publish_now(*events: tuple[str, str, Any]) -> None:
    """(topic, event, data) for a change that is already durable (a statement on an autocommit connection) or
    that no transaction holds (a sampled figure): published at once, with the same bound and best effort."""
    messages = [(topic, _encoded(topic, event, data)) for topic, event, data in events]
    await _send([(topic, message) for topic, message in messages if message is not None])


async def _send(messages: list[tuple[str, bytes]]) -> None:
    if not messages:
        return
    s = get_settings()
    try:
        prefix = channel_prefix()
        client = queues.redis_client()
        async with asyncio.timeout(s.stream_publish_timeout_seconds):
            # a unit of work publishes one or two events as a rule: one round trip each is fine
            for topic, message in messages:
                await client.publish(prefix + topic, message)
    except Exception as exc:  # noqa: BLE001 - a live view missing an event must never fail the change itself
        log.warning(
            "stream_publish_failed",
            topics=sorted({topic for topic, _ in messages}),
            events=len(messages),
            error=str(exc) or type(exc).__name__,
        )
