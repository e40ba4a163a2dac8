"""Issue 8, defects 1, 10 and 11: an idempotent payment and its stored answer commit together (a process killed
after the payment's commit leaves an answer to replay, not an orphan), a claim that was taken over cannot
overwrite its successor's answer, and a transient failure (5xx) is not stored as the key's answer."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select, update
from starlette.requests import Request

from lightspeedpay.idempotency import service as idempotency
from lightspeedpay.kit.responses import json_response
from lightspeedpay.models import IdempotencyKey, Transaction
from tests.factories import count, create_merchant, create_sandbox_gateway, merchant_client, wait_for
from tests.fixtures import LOG_DIR, ROOT
from tests.net import free_port, wait_answering
from tests.redis_proxy import FreezingRedisProxy


@pytest.fixture
def second_api(platform) -> Iterator[Callable[..., Awaitable[tuple[str, subprocess.Popen[bytes]]]]]:
    procs: list[subprocess.Popen[bytes]] = []

    async def start(**env: str) -> tuple[str, subprocess.Popen[bytes]]:
        port = free_port()
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        with open(LOG_DIR / "api-second.log", "ab") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "lightspeedpay.cli", "api"],
                env={**platform.env, "LSP_API_PORT": str(port), **env},
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
            )
        procs.append(proc)
        url = f"http://127.0.0.1:{port}"
        # waited for asynchronously: the Redis proxy serving its health check runs on this event loop
        await wait_answering(url + "/health", timeout=30)
        return f"http://127.0.0.1:{port}", proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=15)


async def test_a_payment_committed_before_the_process_died_is_replayed_not_refused(
    platform, session, second_api
):
    new = await create_merchant(session)
    await create_sandbox_gateway(session, platform.simulator_url)
    redis_url = platform.env["LSP_REDIS_URL"]
    async with (
        FreezingRedisProxy(b"transaction-processing", redis_url=redis_url) as proxy,
        httpx.AsyncClient(timeout=30) as http,
    ):
        # pushes are bounded now (LSP_JOB_PUSH_TIMEOUT_SECONDS): a long bound keeps the process at the push
        url, proc = await second_api(
            LSP_REDIS_URL=proxy.url(redis_url),
            LSP_JOB_PUSH_TIMEOUT_SECONDS="60",
            LSP_REDIS_SOCKET_TIMEOUT_SECONDS="60",
        )
        doomed = merchant_client(url, new, http)
        body = json.dumps({"amount": 4_200, "order_id": "ORD-KILLED", "currency": "INR"}).encode()
        key = {"Idempotency-Key": "pay-before-the-crash"}
        request = asyncio.create_task(
            http.post(
                url + "/api/v1/pay",
                content=body,
                headers={**doomed.headers("POST", "/api/v1/pay", body), **key},
            )
        )
        # the payment is committed and the API is pushing its job: the process dies right there (the answer does
        # not wait for the push since issue 14, so it may have gone out first; or it is lost with the process)
        await asyncio.wait_for(proxy.frozen.wait(), 20)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=15)
        try:
            first: httpx.Response | None = await request
        except httpx.HTTPError:
            first = None
        assert first is None or first.status_code == 201, first.text
    assert await count(session, Transaction) == 1
    # long after, the merchant's retry with its key: the claim is stale by now
    await session.execute(update(IdempotencyKey).values(locked_at=datetime.now(UTC) - timedelta(hours=1)))
    await session.commit()
    async with httpx.AsyncClient(timeout=30) as http:
        live = merchant_client(platform.api_url, new, http)
        retry = await http.post(
            platform.api_url + "/api/v1/pay",
            content=body,
            headers={**live.headers("POST", "/api/v1/pay", body), **key},
        )
    assert retry.status_code == 201, retry.text
    assert retry.headers.get("Idempotent-Replayed") == "true"
    txn = (await session.execute(select(Transaction))).scalar_one()
    assert retry.json() == {"transaction_id": str(txn.id), "payment_id": txn.payment_id, "status": "created"}
    # the sweeper pushes the job the dead process never pushed: the payment goes on
    await wait_for(lambda: _status(session, txn.id, "pending"), timeout=30, what="the payment's PSP order")


async def _status(session, txn_id: uuid.UUID, status: str) -> bool:
    await session.rollback()
    return (await session.get(Transaction, txn_id, populate_existing=True)).status == status


def _request(key: str) -> Request:
    return Request(
        {
            "type": "http",
            "method": "POST",
            "path": "/v1/orders",
            "query_string": b"",
            "headers": [(b"idempotency-key", key.encode())],
        }
    )


async def test_a_claim_taken_over_cannot_overwrite_its_successors_answer(platform, session):
    client_id = (await create_merchant(session)).client.id
    key = f"fenced-{uuid.uuid4().hex[:8]}"
    release_first = asyncio.Event()

    async def slow_first(_session):
        await release_first.wait()
        return json_response({"answer": "first"}, status_code=201)

    async def second(_session):
        return json_response({"answer": "second"}, status_code=201)

    first = asyncio.create_task(idempotency.run(_request(key), client_id, {"p": 1}, slow_first))
    await wait_for(lambda: count(session, IdempotencyKey), what="the first claim")
    # the first request outlived LSP_IDEMPOTENCY_LOCK_SECONDS: a retry takes the key over and answers
    await session.execute(update(IdempotencyKey).values(locked_at=datetime.now(UTC) - timedelta(hours=1)))
    await session.commit()
    taken_over = await idempotency.run(_request(key), client_id, {"p": 1}, second)
    assert (taken_over.status_code, json.loads(taken_over.body)) == (201, {"answer": "second"})

    release_first.set()
    late = await first
    assert late.status_code == 409
    assert json.loads(late.body)["error"]["code"] == "IDEMPOTENCY_KEY_IN_USE"
    replay = await idempotency.run(_request(key), client_id, {"p": 1}, second)
    assert json.loads(replay.body) == {"answer": "second"} and replay.headers["Idempotent-Replayed"] == "true"


async def test_a_transient_failure_is_not_the_keys_answer(platform, session):
    new = await create_merchant(session)  # no gateway yet: 503 NO_GATEWAY_AVAILABLE
    body = json.dumps({"amount": 5_000, "order_id": "ORD-LATER", "currency": "INR"}).encode()
    key = {"Idempotency-Key": "pay-when-a-gateway-is-back"}
    async with httpx.AsyncClient(timeout=30) as http:
        client = merchant_client(platform.api_url, new, http)
        down = await http.post(
            platform.api_url + "/api/v1/pay",
            content=body,
            headers={**client.headers("POST", "/api/v1/pay", body), **key},
        )
        assert down.status_code == 503 and down.json()["error"]["code"] == "NO_GATEWAY_AVAILABLE"
        assert await count(session, IdempotencyKey) == 0
        await create_sandbox_gateway(session, platform.simulator_url)
        again = await http.post(
            platform.api_url + "/api/v1/pay",
            content=body,
            headers={**client.headers("POST", "/api/v1/pay", body), **key},
        )
    assert again.status_code == 201, again.text
    assert "Idempotent-Replayed" not in again.headers
    assert await count(session, Transaction) == 1


async def test_a_500_is_not_stored_either(platform, session):
    client_id = (await create_merchant(session)).client.id
    key = f"boom-{uuid.uuid4().hex[:8]}"

    async def broken(_session):
        raise RuntimeError("a bug")

    async def fixed(_session):
        return json_response({"ok": True}, status_code=201)

    failed = await idempotency.run(_request(key), client_id, {}, broken)
    assert failed.status_code == 500 and json.loads(failed.body)["error"]["code"] == "INTERNAL_ERROR"
    retried = await idempotency.run(_request(key), client_id, {}, fixed)
    assert (retried.status_code, "Idempotent-Replayed" in retried.headers) == (201, False)
