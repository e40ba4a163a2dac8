"""Bad input on /api/v1/pay: a 4xx JSON error with a stable code (and field), nothing written, never a 500."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from lightspeedpay.models import JobIntent, Transaction
from tests.factories import count, create_merchant, create_sandbox_gateway, merchant_client


@pytest.fixture
async def client(platform, session):
    new = await create_merchant(session)
    await create_sandbox_gateway(session, platform.simulator_url, monthly_limit=1_000_000)
    async with httpx.AsyncClient(timeout=15) as http:
        yield merchant_client(platform.api_url, new, http)


BODY_CASES = [
    (b'{"amount": 100, "order_id": ', 400, "BAD_REQUEST", None),
    (b"[1, 2]", 400, "BAD_REQUEST", None),
    (b"", 400, "BAD_REQUEST", None),
    (b'{"order_id": "o1", "currency": "INR"}', 422, "INVALID_AMOUNT", "amount"),
    (b'{"amount": 0, "order_id": "o1"}', 422, "INVALID_AMOUNT", "amount"),
    (b'{"amount": -500, "order_id": "o1"}', 422, "INVALID_AMOUNT", "amount"),
    (b'{"amount": 100.5, "order_id": "o1"}', 422, "INVALID_AMOUNT", "amount"),
    (b'{"amount": 100.0, "order_id": "o1"}', 422, "INVALID_AMOUNT", "amount"),
    (b'{"amount": "100", "order_id": "o1"}', 422, "INVALID_AMOUNT", "amount"),
    (b'{"amount": true, "order_id": "o1"}', 422, "INVALID_AMOUNT", "amount"),
    (b'{"amount": 100000000000000000000, "order_id": "o1"}', 422, "INVALID_AMOUNT", "amount"),
    (b'{"amount": 10000000001, "order_id": "o1"}', 422, "INVALID_AMOUNT", "amount"),
    (b'{"amount": 100, "order_id": "o1", "currency": "USD"}', 422, "UNSUPPORTED_CURRENCY", "currency"),
    (b'{"amount": 100}', 422, "INVALID_ORDER_ID", "order_id"),
    (b'{"amount": 100, "order_id": ""}', 422, "INVALID_ORDER_ID", "order_id"),
    (b'{"amount": 100, "order_id": "has space"}', 422, "INVALID_ORDER_ID", "order_id"),
    (json.dumps({"amount": 100, "order_id": "x" * 101}).encode(), 422, "INVALID_ORDER_ID", "order_id"),
    (
        b'{"amount": 100, "order_id": "o1", "customer": {"email": "nope"}}',
        422,
        "VALIDATION_ERROR",
        "customer.email",
    ),
    (
        b'{"amount": 100, "order_id": "o1", "redirect_url": "javascript:alert(1)"}',
        422,
        "VALIDATION_ERROR",
        "redirect_url",
    ),
    (b'{"amount": 100, "order_id": "o1", "surprise": 1}', 422, "VALIDATION_ERROR", "surprise"),
    (
        json.dumps({"amount": 100, "order_id": "o1", "notes": {f"k{i}": "v" for i in range(16)}}).encode(),
        422,
        "VALIDATION_ERROR",
        "notes",
    ),
]


@pytest.mark.parametrize(("body", "status", "code", "field"), BODY_CASES)
async def test_bad_body(client, session, body, status, code, field):
    r = await client.post("/api/v1/pay", body)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["code"] == code
    assert error.get("field") == field
    assert error["message"] and len(error["message"]) > 10
    assert await count(session, Transaction) == 0
    assert await count(session, JobIntent) == 0


async def test_oversized_body(client, session):
    body = json.dumps({"amount": 100, "order_id": "o1", "pad": "x" * 70_000}).encode()
    r = await client.post("/api/v1/pay", body)
    assert r.status_code == 413 and r.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert await count(session, Transaction) == 0


async def test_duplicate_order_id(client, session):
    assert (await client.pay(amount=100, order_id="same")).status_code == 201
    r = await client.pay(amount=200, order_id="same")
    assert r.status_code == 409
    assert r.json()["error"] == {
        "code": "DUPLICATE_ORDER_ID",
        "field": "order_id",
        "message": r.json()["error"]["message"],
    }
    assert await count(session, Transaction) == 1
    assert await count(session, JobIntent) == 1


async def _raw(client, headers, body=b'{"amount": 100, "order_id": "o9"}'):
    return await client.http.post(client.base_url + "/api/v1/pay", content=body, headers=headers)


@pytest.mark.parametrize("missing", ["X-Client-Key", "X-Timestamp", "X-Signature"])
async def test_missing_header(client, session, missing):
    body = b'{"amount": 100, "order_id": "o9"}'
    headers = client.headers("POST", "/api/v1/pay", body)
    del headers[missing]
    r = await _raw(client, headers, body)
    assert r.status_code == 401 and r.json()["error"]["field"] == missing
    assert await count(session, Transaction) == 0


async def test_wrong_signature_stale_timestamp_unknown_key(client, session):
    body = b'{"amount": 100, "order_id": "o9"}'
    h = client.headers("POST", "/api/v1/pay", body)
    h["X-Signature"] = "0" * 64
    r = await _raw(client, h, body)
    assert (r.status_code, r.json()["error"]["code"]) == (401, "INVALID_SIGNATURE")

    # the signature covers the body: a changed amount no longer verifies
    h = client.headers("POST", "/api/v1/pay", body)
    r = await _raw(client, h, body.replace(b"100", b"900"))
    assert (r.status_code, r.json()["error"]["code"]) == (401, "INVALID_SIGNATURE")

    for skew in (-301, 301):
        h = client.headers("POST", "/api/v1/pay", body, timestamp=int(time.time()) + skew)
        r = await _raw(client, h, body)
        assert (r.status_code, r.json()["error"]["code"]) == (401, "STALE_TIMESTAMP")

    h = client.headers("POST", "/api/v1/pay", body)
    h["X-Timestamp"] = "yesterday"
    assert (await _raw(client, h, body)).status_code == 401

    h = client.headers("POST", "/api/v1/pay", body)
    h["X-Client-Key"] = "lsp_unknown"
    r = await _raw(client, h, body)
    assert (r.status_code, r.json()["error"]["field"]) == (401, "X-Client-Key")
    assert await count(session, Transaction) == 0


async def test_query_string_is_signed(client):
    h = client.headers("GET", "/api/v1/transactions?limit=5", b"")
    ok = await client.http.get(client.base_url + "/api/v1/transactions?limit=5", headers=h)
    assert ok.status_code == 200
    tampered = await client.http.get(client.base_url + "/api/v1/transactions?limit=50", headers=h)
    assert tampered.status_code == 401


async def test_suspended_merchant_is_refused(platform, session):
    from lightspeedpay.ledger.service import ledger_service

    new = await create_merchant(session, suspend_threshold=5000)
    await create_sandbox_gateway(session, platform.simulator_url)
    # dues move only through the ledger (an operator's adjustment here), never by writing balance_due
    await ledger_service.record_adjustment(session, new.client.id, amount=5000, reason="dues", actor="test")
    await session.commit()
    async with httpx.AsyncClient() as http:
        r = await merchant_client(platform.api_url, new, http).pay(amount=100)
    assert r.status_code == 402
    assert r.json()["error"]["code"] == "MERCHANT_SUSPENDED"
    assert "₹50.00" in r.json()["error"]["message"]
    assert await count(session, Transaction) == 0


async def test_no_gateway_can_take_the_amount(client, session):
    r = await client.pay(amount=1_000_001)  # the only gateway's monthly limit is 1,000,000
    assert r.status_code == 503 and r.json()["error"]["code"] == "NO_GATEWAY_AVAILABLE"
    assert await count(session, Transaction) == 0
