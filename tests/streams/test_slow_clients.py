"""Clients that stop reading or vanish cost the API nothing lasting: each stream holds at most
LSP_STREAM_CLIENT_BUFFER events, a stream that falls that far behind is dropped (and its connection closed after
LSP_STREAM_SEND_TIMEOUT_SECONDS), a vanished client is forgotten at once, and the API process's memory stays
flat while far more events pass than the stalled streams could hold. Each test runs an API process of its own,
so that its memory and its streams are only this test's."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import time
import uuid
from collections.abc import AsyncIterator

import httpx

from lightspeedpay.jobs import broadcast
from tests.fixtures import Platform
from tests.net import free_port, wait_answering
from tests.streams.support import Listener, admin_headers, stop_all, until

PATH = "/api/v1/admin/streams/transactions"


@contextlib.asynccontextmanager
async def _own_api(platform, **settings: str) -> AsyncIterator[tuple[str, int]]:
    port = free_port()
    api = Platform(
        env={
            **platform.env,
            "LSP_API_PORT": str(port),
            **{f"LSP_{k.upper()}": v for k, v in settings.items()},
        }
    )
    proc = api.start(f"api-streams-{port}", "api")
    try:
        await wait_answering(f"http://127.0.0.1:{port}/health", timeout=60)
        yield f"http://127.0.0.1:{port}", proc.pid
    finally:
        api.stop_all()


def _rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def _request(port: int) -> socket.socket:
    """A raw client: asks for the stream and reads nothing (a receive buffer of a few KB, so the server feels
    it at once)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    token = admin_headers()["Authorization"]
    sock.sendall(f"GET {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {token}\r\n\r\n".encode())
    sock.setblocking(False)
    return sock


async def _read_until(sock: socket.socket, marker: bytes, timeout: float) -> bytes:
    loop, got = asyncio.get_running_loop(), b""
    async with asyncio.timeout(timeout):
        while marker not in got:
            chunk = await loop.sock_recv(sock, 65536)
            if not chunk:
                break
            got += chunk
    return got


async def _ended(sock: socket.socket, timeout: float) -> str:
    """Read what the server sent once the client reads again: "closed" (the connection was dropped), "reconnect"
    (the stream ended with its `reconnect` event and the last chunk) or "open" (still streaming)."""
    loop, tail = asyncio.get_running_loop(), b""
    try:
        async with asyncio.timeout(timeout):
            while chunk := await loop.sock_recv(sock, 1 << 20):
                tail = (tail + chunk)[-4096:]
                if tail.endswith(b"\r\n0\r\n\r\n"):
                    return (
                        "reconnect"
                        if b'event: reconnect\r\ndata: {"reason":"buffer_full"}' in tail
                        else "ended"
                    )
        return "closed"
    except TimeoutError:
        return "open"
    except ConnectionResetError:
        return "closed"


async def _stats(http: httpx.AsyncClient, base: str) -> dict:
    r = await http.get(base + "/api/v1/admin/streams", headers=admin_headers())
    assert r.status_code == 200, r.text
    return r.json()


async def _publish(count: int, size: int) -> None:
    pad = "x" * size
    for i in range(count):
        await broadcast.publish_now(
            (broadcast.TRANSACTIONS, "transaction", {"id": str(uuid.uuid4()), "i": i, "pad": pad})
        )


async def test_stalled_and_vanished_clients_are_dropped_and_memory_stays_flat(platform, session):
    stalled_n, vanished_n, events, size, buffer = 20, 20, 6000, 8000, 64
    async with (
        # the send timeout is longer than the burst below takes, so that only the buffer bound keeps memory down
        _own_api(platform, stream_client_buffer=str(buffer), stream_send_timeout_seconds="20") as (base, pid),
        httpx.AsyncClient(timeout=30) as http,
    ):
        port = int(base.rsplit(":", 1)[1])
        # warm up: a client that reads and a burst like the one below, so the process has allocated what a
        # stream and a message cost before the baseline is taken
        reader = Listener(http, base + PATH, admin_headers()).start()
        await until(lambda: bool(reader.events), timeout=30, what="the warm-up snapshot")
        await _publish(buffer * 4, size)
        await until(lambda: len(reader.events) > buffer * 4, timeout=30, what="the warm-up events")
        assert not reader.of("reconnect")  # a client that reads keeps up with a burst 4 times its buffer
        await reader.stop()
        await asyncio.sleep(1)
        before = _rss_kb(pid)

        stalled = [_request(port) for _ in range(stalled_n)]
        vanished = [_request(port) for _ in range(vanished_n)]
        for sock in vanished:  # each gets its snapshot, then disappears without a word (RST)
            assert b"event: snapshot" in await _read_until(sock, b"event: snapshot", 30)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
        stats: dict = {}

        async def only_stalled_left() -> bool:
            stats.update(await _stats(http, base))
            return stats["connections"] == stalled_n

        await _poll(only_stalled_left, 20, "the vanished clients to be forgotten")

        # far more than the stalled streams may hold: 48 MB of events, each stalled stream may keep 64
        started = time.monotonic()
        await _publish(events, size)
        burst = time.monotonic() - started

        async def all_dropped() -> bool:
            stats.update(await _stats(http, base))
            return stats["connections"] == 0 and stats["dropped"].get("buffer_full", 0) == stalled_n

        await _poll(all_dropped, 10, "the stalled clients to be dropped")
        after = _rss_kb(pid)
        grown_mb = (after - before) / 1024
        print(
            f"burst {burst:.1f} s; api rss: {before / 1024:.1f} MB -> {after / 1024:.1f} MB (+{grown_mb:.1f} MB)"
        )
        assert time.monotonic() - started < 20, "the send timeout, not the buffer, may have dropped them"
        # kept, the events alone would be 48 MB; bounded, the streams hold at most 20 x 64 frames of 8 KB
        assert grown_mb < 20, f"the API grew by {grown_mb:.1f} MB with stalled clients"
        # the server ended each stalled stream: a client that reads again finds `reconnect` and the end of the
        # stream (or, past the send timeout, a closed connection)
        ends = await asyncio.gather(*(_ended(sock, 30) for sock in stalled))
        assert set(ends) <= {"reconnect", "closed"}, ends
        for sock in stalled:
            sock.close()

        # and the process serves new streams as before
        fresh = Listener(http, base + PATH, admin_headers()).start()
        try:
            await until(lambda: bool(fresh.events), timeout=30, what="a new snapshot")
            await _publish(1, 10)
            await until(lambda: len(fresh.of("transaction")) == 1, timeout=10, what="a new event")
        finally:
            await fresh.stop()


async def test_a_client_that_reads_nothing_is_disconnected_after_the_send_timeout(platform, session):
    async with (
        _own_api(platform, stream_send_timeout_seconds="2") as (base, _),
        httpx.AsyncClient(timeout=30) as http,
    ):
        port = int(base.rsplit(":", 1)[1])
        stalled = [_request(port) for _ in range(5)]
        ports = {sock.getsockname()[1] for sock in stalled}
        await _poll(lambda: _connections(http, base, 5), 20, "the streams to open")
        assert len(_server_side(port, ports)) == 5
        await _publish(1000, 8000)  # 8 MB: more than the kernel buffers of a connection take
        await _poll(lambda: _connections(http, base, 0), 20, "the streams to end")
        # past the send timeout the server's end of each connection is gone (reset, its unsent bytes dropped),
        # though the client has read nothing: a close that waited to flush them would keep it open for ever
        await _poll(lambda: _true(not _server_side(port, ports)), 15, "the server to drop the connections")
        assert await asyncio.gather(*(_ended(sock, 10) for sock in stalled)) == ["closed"] * 5
        for sock in stalled:
            sock.close()


def _server_side(port: int, client_ports: set[int]) -> list[str]:
    """The states of the server's ends of these clients' connections, from /proc/net/tcp (any state)."""
    found = []
    with open("/proc/net/tcp") as f:
        for line in list(f)[1:]:
            fields = line.split()
            local, remote, state = fields[1], fields[2], fields[3]
            if int(local.split(":")[1], 16) == port and int(remote.split(":")[1], 16) in client_ports:
                found.append(state)
    return found


async def _true(value: bool) -> bool:
    return value


async def _connections(http: httpx.AsyncClient, base: str, n: int) -> bool:
    return (await _stats(http, base))["connections"] == n


async def test_a_stream_ends_with_reconnect_at_its_lifetime(platform, session):
    async with (
        _own_api(platform, stream_max_lifetime_seconds="1") as (base, _),
        httpx.AsyncClient(timeout=30) as http,
    ):
        listener = Listener(http, base + PATH, admin_headers()).start()
        try:
            started = time.monotonic()
            await until(lambda: listener.ended, timeout=20, what="the stream to end")
            assert time.monotonic() - started < 10
            assert [e.event for e in listener.events] == ["snapshot", "reconnect"]
            assert listener.events[-1].data == {"reason": "lifetime"}
        finally:
            await stop_all([listener])


async def _poll(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.2)
