"""The seven live streams: each starts with a snapshot of what it shows, then sends the changes published after
commit (`jobs.broadcast`) as the hub delivers them.

Snapshots come from providers registered by stream name (`stream_service.register_snapshot`), so each domain
supplies its own view and the streams stay a transport. A stream subscribes before it reads its snapshot: a change
committed in between is sent after the snapshot too, never lost (a view applies changes by id, so seeing one
twice is harmless).
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.alerts.repository import AlertFilter
from lightspeedpay.alerts.schemas import AlertOut
from lightspeedpay.alerts.service import alert_service
from lightspeedpay.config import get_settings
from lightspeedpay.db import engine
from lightspeedpay.errors import StreamNotFound, StreamsBusy
from lightspeedpay.gateways.service import gateway_service
from lightspeedpay.jobs import broadcast
from lightspeedpay.kit.logging import log
from lightspeedpay.monitoring.schemas import WorkerOut
from lightspeedpay.monitoring.service import worker_health_service
from lightspeedpay.monitoring.status import status_checker
from lightspeedpay.payments.service import payment_service
from lightspeedpay.queue_admin.schemas import QueueList
from lightspeedpay.queue_admin.service import queue_admin_service
from lightspeedpay.streams.hub import CLOSE, Hub, frame, hub

# the operator's six streams, in the order the seed lists them; the seventh is each merchant's transactions
ADMIN_STREAMS = (
    broadcast.GATEWAYS,
    broadcast.QUEUES,
    broadcast.ALERTS,
    broadcast.WORKERS,
    broadcast.TRANSACTIONS,
    broadcast.STATUS,
)
# how long a browser waits before it reconnects a stream that ended (the SSE `retry:` field)
RECONNECT_MS = 3000

Snapshot = Callable[[AsyncSession], Awaitable[Any]]
MerchantSnapshot = Callable[[AsyncSession, uuid.UUID, str], Awaitable[Any]]


def _json(data: Any) -> bytes:
    return orjson.dumps(data, default=str)


async def _gateways(session: AsyncSession) -> Any:
    window = get_settings().success_window_minutes
    return [g.model_dump(mode="json") for g in await gateway_service.health(session, window_minutes=window)]


async def _queues(session: AsyncSession) -> Any:
    """GET /api/v1/admin/queues' answer: BullMQ's counts, pause, workers, oldest waiting job, open intents."""
    return QueueList(items=await queue_admin_service.overview(session)).model_dump(mode="json")


async def _alerts(session: AsyncSession) -> Any:
    """The unresolved alerts (open or acknowledged), newest first, as GET /api/v1/admin/alerts shows them."""
    limit = get_settings().stream_snapshot_limit
    rows, _ = await alert_service.page(session, AlertFilter(status="unresolved"), limit=limit, cursor=None)
    return [AlertOut.model_validate(a).model_dump(mode="json") for a in rows]


async def _workers(session: AsyncSession) -> Any:
    """Every worker with a heartbeat row, alive, down or stopped, as GET /api/v1/admin/workers lists them."""
    return [
        WorkerOut(**w.as_dict()).model_dump(mode="json") for w in await worker_health_service.workers(session)
    ]


async def _status(session: AsyncSession) -> Any:
    """The latest check, as GET /api/v1/system/status answers it (null before the first check)."""
    report = await status_checker.latest(session)
    return report.as_dict() if report is not None else None


async def _transactions(session: AsyncSession) -> Any:
    return await payment_service.latest(session, limit=get_settings().stream_snapshot_limit)


async def _merchant_transactions(session: AsyncSession, client_id: uuid.UUID, mode: str) -> Any:
    return await payment_service.latest(
        session, limit=get_settings().stream_snapshot_limit, client_id=client_id, mode=mode
    )


@asynccontextmanager
async def _reading() -> AsyncIterator[AsyncSession]:
    """A read session that holds no transaction between its statements (autocommit). A snapshot may also ask
    Redis (the queues: some thirty round trips) or wait for a busy process: it must not keep a transaction,
    and its locks, open meanwhile (a TRUNCATE or a migration queued behind it would hold up every writer)."""
    async with engine().connect() as conn:
        auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
        async with AsyncSession(bind=auto, expire_on_commit=False) as session:
            yield session


class StreamService:
    def __init__(self, the_hub: Hub) -> None:
        self.hub = the_hub
        self._snapshots: dict[str, Snapshot] = {
            broadcast.GATEWAYS: _gateways,
            broadcast.QUEUES: _queues,
            broadcast.ALERTS: _alerts,
            broadcast.WORKERS: _workers,
            broadcast.TRANSACTIONS: _transactions,
            broadcast.STATUS: _status,
        }
        self._merchant_snapshot: MerchantSnapshot = _merchant_transactions

    def register_snapshot(self, stream: str, provider: Snapshot) -> None:
        """Replace a stream's snapshot: `provider(session)` returns what the stream shows now, as JSON-able data
        (it gets a short read session, closed before the stream goes on)."""
        if stream not in ADMIN_STREAMS:
            raise ValueError(f"no stream named {stream!r}; the streams are {', '.join(ADMIN_STREAMS)}")
        self._snapshots[stream] = provider

    def admin_topic(self, stream: str) -> str:
        if stream not in ADMIN_STREAMS:
            raise StreamNotFound(
                f"No stream named {stream!r}; the streams are: {', '.join(ADMIN_STREAMS)}.", field="stream"
            )
        return stream

    def check_capacity(self) -> None:
        limit = get_settings().stream_max_connections
        if self.hub.connections() >= limit:
            raise StreamsBusy(
                f"This server has {limit} streams open, its limit; try again in a few seconds "
                "(another API replica may take you)."
            )

    def admin_events(self, stream: str) -> AsyncIterator[bytes]:
        provider = self._snapshots.get(stream)

        async def snapshot() -> Any:
            if provider is None:
                return None
            async with _reading() as session:
                return await provider(session)

        return self._events(stream, snapshot)

    def merchant_events(self, client_id: uuid.UUID, mode: str) -> AsyncIterator[bytes]:
        """A merchant's payments of one mode (its request's)."""

        async def snapshot() -> Any:
            async with _reading() as session:
                return await self._merchant_snapshot(session, client_id, mode)

        return self._events(broadcast.merchant_transactions(client_id, mode), snapshot)

    async def _events(self, topic: str, snapshot: Callable[[], Awaitable[Any]]) -> AsyncIterator[bytes]:
        """The stream's frames: `snapshot`, then the changes, until the hub drops it (`reconnect`), it reaches
        its lifetime (`reconnect`), or the client goes (the generator is closed and unsubscribes)."""
        s = get_settings()
        sub = await self.hub.subscribe(topic)
        try:
            try:
                data = await snapshot()
            except Exception as exc:  # noqa: BLE001 - a stream answers with an event, not a broken response
                log.warning("stream_snapshot_failed", topic=topic, error=f"{type(exc).__name__}: {exc}")
                yield b"retry: %d\r\n" % RECONNECT_MS + frame(
                    "error",
                    _json(
                        {
                            "code": "SNAPSHOT_UNAVAILABLE",
                            "message": "The snapshot could not be read; reconnect.",
                        }
                    ),
                )
                return
            yield b"retry: %d\r\n" % RECONNECT_MS + frame("snapshot", _json(data))
            # spread over ±10 %, so that streams opened together do not all reconnect together
            lifetime = s.stream_max_lifetime_seconds * random.uniform(0.9, 1.1)
            deadline = asyncio.get_running_loop().time() + lifetime
            while True:
                try:
                    async with asyncio.timeout_at(deadline):
                        chunk = await sub.queue.get()
                except TimeoutError:
                    yield frame("reconnect", _json({"reason": "lifetime"}))
                    return
                if chunk == CLOSE:
                    yield frame("reconnect", _json({"reason": sub.closed}))
                    return
                yield chunk
        finally:
            self.hub.unsubscribe(sub)

    async def publish_queues(self) -> None:
        """The scheduler's sampler: the queues' overview to the queue stream every LSP_STREAM_QUEUE_SAMPLE_SECONDS
        (queue_metrics keeps a sample a minute; this one is only sent)."""
        async with _reading() as session:
            data = await _queues(session)
        await broadcast.publish_now((broadcast.QUEUES, "queues", data))

    def stats(self) -> dict[str, Any]:
        return self.hub.stats()


stream_service = StreamService(hub)
