"""Live streams over Server-Sent Events: the operator's six under `/api/v1/admin/streams/{stream}` (bearer admin
token) and each merchant's own transactions at `/api/v1/merchant/streams/transactions` (a signed request).

Every stream starts with `event: snapshot`, then sends one event per change (`transaction`, `gateway`, ...),
a comment line every LSP_STREAM_PING_SECONDS, and ends with `event: reconnect` when the server drops it (too
slow a reader, a lost Redis connection) or it reaches its lifetime; an EventSource then reconnects by itself and
starts again from a snapshot.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter
from sse_starlette import EventSourceResponse
from sse_starlette.sse import SendTimeoutError
from starlette.types import Receive, Scope, Send

from lightspeedpay.config import get_settings
from lightspeedpay.errors import StreamNotFound, StreamsBusy
from lightspeedpay.identity.deps import CurrentMerchant, merchant_guard, operator_guard, operator_requires
from lightspeedpay.kit.logging import log
from lightspeedpay.kit.responses import json_response
from lightspeedpay.streams.service import ADMIN_STREAMS, stream_service

admin_router = APIRouter(
    prefix="/api/v1/admin/streams",
    tags=["admin: live streams"],
    responses={401: {"description": "UNAUTHORIZED: missing or wrong admin token"}},
)
# what each stream needs: a person who may read payments sees them live, and so on (the consoles' pages follow the
# stream of what they show); the stream list and an unknown name ask system:read
STREAM_PERMISSIONS = {
    "gateways": "gateways:read",
    "queues": "queues:read",
    "alerts": "alerts:read",
    "workers": "system:read",
    "transactions": "payments:read",
    "status": "system:read",
}
merchant_router = APIRouter(
    prefix="/api/v1/merchant/streams", tags=["live streams"], dependencies=[merchant_guard("streams")]
)


class StreamResponse(EventSourceResponse):
    media_type = "text/event-stream"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except SendTimeoutError:
            # a client that took no bytes for LSP_STREAM_SEND_TIMEOUT_SECONDS
            log.info("stream_client_stalled", path=scope.get("path"))
            await _abort_connection(receive)


async def _abort_connection(receive: Receive) -> None:
    """Drop a stalled client's connection, with a reset. A plain close (what uvicorn does to a response left
    unfinished) first flushes what is buffered, which a peer that reads nothing never takes: the connection and
    its buffers would stay for as long as the peer stays silent. uvicorn's `receive` is bound to its request
    cycle, which holds the transport: with SO_LINGER 0 its `abort()` resets the connection and the kernel drops
    the unsent bytes at once. Under another server the connection is left to that server's timeouts."""
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    abort = getattr(transport, "abort", None)
    if not callable(abort):
        return
    sock = transport.get_extra_info("socket") if transport is not None else None
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    abort()
    await asyncio.sleep(0)  # uvicorn hears of the lost connection before the application returns


def stream_response(frames: AsyncIterator[bytes]) -> StreamResponse:
    s = get_settings()
    return StreamResponse(frames, ping=s.stream_ping_seconds, send_timeout=s.stream_send_timeout_seconds)


def _sse_doc(example: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "description": "An endless text/event-stream: `snapshot` first, then one event per change, "
            "comment pings, and `reconnect` when the server ends it.",
            "content": {"text/event-stream": {"schema": {"type": "string"}, "example": example}},
        },
        **StreamsBusy.openapi(),
    }


_TXN_EXAMPLE = (
    'retry: 3000\nevent: snapshot\ndata: [{"id": "…", "payment_id": "pay_…", "status": "pending"}]\n\n'
    'event: transaction\ndata: {"id": "…", "payment_id": "pay_…", "status": "paid"}\n\n'
    ": ping - 2026-12-01 10:00:15\n\n"
    'event: reconnect\ndata: {"reason": "lifetime"}\n\n'
)


@admin_router.get(
    "",
    summary="The live streams open on this API process (one process's view)",
    dependencies=[operator_guard("system")],
)
async def stream_stats() -> Any:
    return json_response({"streams": list(ADMIN_STREAMS), **stream_service.stats()})


def _admin_stream_route(name: str) -> None:
    async def admin_stream() -> StreamResponse:
        stream_service.check_capacity()
        return stream_response(stream_service.admin_events(stream_service.admin_topic(name)))

    admin_stream.__name__ = f"admin_stream_{name}"
    admin_router.add_api_route(
        f"/{name}",
        admin_stream,
        methods=["GET"],
        response_class=StreamResponse,
        summary=f"The live stream `{name}`",
        responses=_sse_doc(_TXN_EXAMPLE),
        dependencies=[operator_requires(STREAM_PERMISSIONS[name])],
    )


for _name in ADMIN_STREAMS:
    _admin_stream_route(_name)


@admin_router.get(
    "/{stream}",
    response_class=StreamResponse,
    summary="A live stream: gateways, queues, alerts, workers, transactions or status",
    responses={**_sse_doc(_TXN_EXAMPLE), **StreamNotFound.openapi()},
    dependencies=[operator_guard("system")],
)
async def admin_stream(stream: str) -> StreamResponse:
    """`gateways` (`gateway`, `success_rates`), `queues` (`queues`, sampled), `alerts`, `workers`,
    `transactions` (`transaction`: every status change of every merchant's payments) and `status`. Each named
    stream is its own route above, guarded by what it shows; this one answers 404 for any other name."""
    topic = stream_service.admin_topic(stream)
    stream_service.check_capacity()
    return stream_response(stream_service.admin_events(topic))


@merchant_router.get(
    "/transactions",
    response_class=StreamResponse,
    summary="Your payments, live: the newest first, then every status change",
    responses=_sse_doc(_TXN_EXAMPLE),
)
async def merchant_transactions(merchant: CurrentMerchant) -> StreamResponse:
    stream_service.check_capacity()
    return stream_response(stream_service.merchant_events(merchant.id, merchant.mode))
