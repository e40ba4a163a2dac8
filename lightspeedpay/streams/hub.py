"""The per-process fan-out: ONE Redis pub/sub connection per API process (a pattern over every stream topic)
feeding a bounded queue per open stream.

Memory stays flat whatever the clients do: each stream holds at most LSP_STREAM_CLIENT_BUFFER frames, and every
frame is rendered once and shared by all the streams that get it. A stream that falls that far behind (a client
that stopped reading) is dropped at once: its queue is emptied and it is told to close with a `reconnect` event,
which a browser's EventSource answers by reconnecting and starting again from a snapshot. When the Redis
connection breaks, events may have been missed, so every stream is closed the same way; the hub reconnects on
its own, with back-off.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections import Counter
from dataclasses import dataclass, field

import redis.asyncio as redis
from redis.exceptions import RedisError

from lightspeedpay.config import get_settings
from lightspeedpay.jobs import broadcast
from lightspeedpay.kit.logging import log

# how long a new stream waits for the hub's subscription to be live before it takes its snapshot (a change
# committed between the snapshot and a late subscription would be missed)
_READY_WAIT_SECONDS = 3.0
_BACKOFF_SECONDS = (0.5, 1, 2, 5)


@dataclass(eq=False)
class Subscription:
    """One open stream's place in the hub. `closed` is set, and `CLOSE` queued, when the hub drops it."""

    topic: str
    queue: asyncio.Queue[bytes] = field(repr=False)
    closed: str | None = None  # why the hub dropped it: "buffer_full", "resync", "shutdown"


CLOSE = b""  # queued after a drop: the stream sends `reconnect` and ends


def frame(event: str | bytes, data: str | bytes) -> bytes:
    """One SSE frame (`event:` and one `data:` line; the data is one line of JSON)."""
    e = event.encode() if isinstance(event, str) else event
    d = data.encode() if isinstance(data, str) else data
    return b"event: " + e + b"\r\ndata: " + d + b"\r\n\r\n"


class Hub:
    def __init__(self) -> None:
        self._subscriptions: dict[str, set[Subscription]] = {}
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._prefix = b""
        self.dropped: Counter[str] = Counter()
        self.delivered = 0

    # --- streams --------------------------------------------------------------------------------------------

    async def subscribe(self, topic: str) -> Subscription:
        """Register a stream for `topic`, then wait (briefly) until the hub listens: anything published after
        this returns reaches the stream, so a snapshot taken next misses nothing."""
        self._start()
        sub = Subscription(topic, asyncio.Queue(maxsize=max(1, get_settings().stream_client_buffer)))
        self._subscriptions.setdefault(topic, set()).add(sub)
        if not self._ready.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(_READY_WAIT_SECONDS):
                    await self._ready.wait()
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        subs = self._subscriptions.get(sub.topic)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._subscriptions[sub.topic]

    def connections(self) -> int:
        return sum(len(s) for s in self._subscriptions.values())

    def stats(self) -> dict[str, object]:
        by_stream: Counter[str] = Counter()
        for topic, subs in self._subscriptions.items():
            by_stream["merchant_transactions" if topic.startswith("merchant:") else topic] += len(subs)
        return {
            "pid": os.getpid(),
            "listening": self._ready.is_set(),
            "connections": sum(by_stream.values()),
            "by_stream": dict(sorted(by_stream.items())),
            "dropped": dict(self.dropped),
            "events_delivered": self.delivered,
        }

    def deliver(self, topic: str, chunk: bytes) -> None:
        """Queue one frame for every stream of `topic`; a stream whose queue is full is dropped."""
        for sub in list(self._subscriptions.get(topic, ())):
            try:
                sub.queue.put_nowait(chunk)
                self.delivered += 1
            except asyncio.QueueFull:
                self._drop(sub, "buffer_full")

    def _drop(self, sub: Subscription, reason: str) -> None:
        self.unsubscribe(sub)
        if sub.closed is not None:
            return
        sub.closed = reason
        self.dropped[reason] += 1
        # the frames it did not take are released now, not when its connection finally closes
        while not sub.queue.empty():
            sub.queue.get_nowait()
        sub.queue.put_nowait(CLOSE)

    def _drop_all(self, reason: str) -> None:
        for subs in list(self._subscriptions.values()):
            for sub in list(subs):
                self._drop(sub, reason)

    # --- the one subscription -------------------------------------------------------------------------------

    def _start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._listen(), name="stream-hub")

    async def close(self) -> None:
        self._drop_all("shutdown")
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._ready.clear()

    async def _listen(self) -> None:
        failures = 0
        while True:
            try:
                await self._listen_once()
            except (RedisError, OSError) as exc:
                log.warning("stream_hub_disconnected", error=str(exc) or type(exc).__name__)
            self._ready.clear()
            # events published while the hub was away are lost to its streams: each starts again from a snapshot
            self._drop_all("resync")
            await asyncio.sleep(_BACKOFF_SECONDS[min(failures, len(_BACKOFF_SECONDS) - 1)])
            failures += 1

    async def _listen_once(self) -> None:
        s = get_settings()
        # a connection of its own that waits for messages without a read timeout; a Redis gone silent is
        # noticed by the health-check PING, a closed connection at once
        client = redis.Redis.from_url(
            s.redis_url,
            socket_connect_timeout=s.redis_connect_timeout_seconds,
            health_check_interval=10,
            socket_keepalive=True,
            client_name=f"lsp-stream-hub:{os.getpid()}",  # as CLIENT LIST shows it
        )
        prefix = broadcast.channel_prefix().encode()
        try:
            async with client.pubsub() as pubsub:
                await pubsub.psubscribe(prefix + b"*")
                confirmed = False
                while True:
                    message = await pubsub.get_message(timeout=5.0)
                    if message is None:
                        continue
                    kind = message["type"]
                    if kind == "psubscribe":
                        if confirmed:  # the client library re-subscribed after a reconnect: events were lost
                            raise RedisError("the pub/sub connection was re-established")
                        confirmed = True
                        self._prefix = prefix
                        self._ready.set()
                        log.info("stream_hub_listening", pattern=(prefix + b"*").decode())
                    elif kind == "pmessage":
                        self._dispatch(message["channel"], message["data"])
                        # a burst already read from Redis is handed out without awaiting anything: let the
                        # streams take each message before the next, or a burst longer than a buffer would
                        # drop clients that read perfectly well
                        await asyncio.sleep(0)
        finally:
            await client.aclose()

    def _dispatch(self, channel: bytes, data: bytes) -> None:
        topic = channel[len(self._prefix) :].decode()
        if topic not in self._subscriptions:
            return
        event, sep, payload = data.partition(b"\n")
        if not sep or not event:
            log.warning("stream_message_malformed", topic=topic)
            return
        self.deliver(topic, frame(event, payload))


hub = Hub()
