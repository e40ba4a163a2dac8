"""A Redis that accepts connections and never answers must not hang `POST /api/v1/pay` after its commit: the
push is bounded, the API answers 201, and the intent it could not hand over waits for the outbox sweeper."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select

from lightspeedpay.cli import wait_http
from lightspeedpay.models import JobIntent
from tests.factories import merchant_client, wait_for
from tests.fixtures import LOG_DIR, Platform
from tests.ledger_support import open_shop


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def silent_redis() -> Iterator[int]:
    """A TCP server on loopback that accepts every connection, reads what it is sent and never answers."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(conn)  # kept open and never read from: the client's request waits for an answer

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in held:
            conn.close()
        server.close()


@pytest.mark.parametrize("socket_timeout", ["0.5", "30"], ids=["short-socket-timeout", "long-socket-timeout"])
async def test_pay_answers_when_redis_accepts_connections_but_never_answers(platform, session, socket_timeout):
    """With a short socket timeout the read gives up; with a long one the push's own bound does."""
    async with open_shop(platform, session) as shop:
        with silent_redis() as redis_port:
            port = _free_port()
            name = f"api-silent-redis-{port}"
            log_file = LOG_DIR / f"{name}.log"
            cut = log_file.stat().st_size if log_file.exists() else 0
            stalled = Platform(env={**platform.env, "LSP_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
                                    "LSP_API_PORT": str(port), "LSP_REDIS_SOCKET_TIMEOUT_SECONDS": socket_timeout,
                                    "LSP_REDIS_CONNECT_TIMEOUT_SECONDS": socket_timeout,
                                    "LSP_JOB_PUSH_TIMEOUT_SECONDS": "1"})
            stalled.start(name, "api")
            try:
                # /health asks Redis too; the OpenAPI document says the process is up
                wait_http(f"http://127.0.0.1:{port}/openapi.json", 60)
                async with httpx.AsyncClient(timeout=60) as http:
                    client = merchant_client(f"http://127.0.0.1:{port}", shop.new, http)
                    # a first signed request (no Redis in its path) opens the process's database connections
                    assert (await client.get(f"/api/v1/transactions/{uuid.uuid4()}")).status_code == 404
                    started = time.monotonic()
                    r = await client.pay(amount=2_500)
                    elapsed = time.monotonic() - started
            finally:
                stalled.stop_all()
            assert r.status_code == 201, r.text
            txn_id = r.json()["transaction_id"]
            # Bounded by our settings (1 s here), not by the Redis client's own defaults: redis-py 8 gives up on
            # a read after 5 s of its own accord, older ones never did. The margin is for a loaded machine.
            assert elapsed < 4, f"POST /api/v1/pay took {elapsed:.1f} s against a Redis that never answers"

        # the API could not hand the job over; it said so and left the intent to the sweeper
        logged = log_file.read_bytes()[cut:].decode(errors="replace")
        assert "job_push_failed" in logged, logged[-2000:]
        await session.rollback()
        intent_status = (await session.execute(select(JobIntent.status).where(
            JobIntent.payload["transaction_id"].astext == txn_id))).scalar_one()
        assert intent_status in ("pending", "completed")  # the real platform's sweeper may already have run it

        # the real platform's sweeper pushes it and the payment goes on as usual
        await wait_for(lambda: shop._status_in(txn_id, ("paid",)), what=f"transaction {txn_id} paid", timeout=60)
        await session.rollback()
        assert (await session.execute(select(JobIntent.status).where(
            JobIntent.payload["transaction_id"].astext == txn_id))).scalar_one() == "completed"
