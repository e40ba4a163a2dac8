"""The retry policy: what is retried (connection failures, 409 IDEMPOTENCY_KEY_IN_USE, 429 after Retry-After,
5xx) and what is not (other 4xx), backoff with jitter, and the same Idempotency-Key on every attempt. The
decisions are checked on answers, then the whole loop against a real loopback server answering a script."""

from __future__ import annotations

import email.utils
import logging
import socket
import time

import httpx
import pytest
from conftest import Traffic, recorded, recorded_async

from lightspeedpay_sdk import (
    APIConnectionError,
    AsyncClient,
    AuthenticationError,
    Client,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    RateLimitError,
    RetryPolicy,
    ServerError,
)
from lightspeedpay_sdk import _calls as calls

POLICY = RetryPolicy(max_retries=3, backoff_base=0.5, backoff_max=4)
IN_USE = {"error": {"code": "IDEMPOTENCY_KEY_IN_USE", "message": "still running", "field": None}}
SECRET = "s3cr3t-never-shown"


def _answer(status: int, body: object = None, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=body if body is not None else {}, headers=headers or {})


def _pay_call() -> calls.Call[object]:
    return calls.pay(
        100, "O-1", currency="INR", customer=None, redirect_url=None, notes=None, idempotency_key=None
    )


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_is_retried_with_growing_jittered_backoff(status):
    delays = [POLICY.after_response(attempt, _answer(status)) for attempt in (1, 2, 3)]
    for attempt, delay in zip((1, 2, 3), delays):
        ceiling = min(4, 0.5 * 2 ** (attempt - 1))
        assert delay is not None and ceiling / 2 <= delay <= ceiling
    assert POLICY.after_response(4, _answer(status)) is None  # 3 retries, then the answer stands
    assert len({POLICY.after_response(1, _answer(status)) for _ in range(20)}) > 1  # jitter


def test_429_waits_for_retry_after_in_seconds_or_as_a_date():
    delay = POLICY.after_response(1, _answer(429, headers={"Retry-After": "2"}))
    assert delay is not None and 2 <= delay <= 2.5
    when = email.utils.formatdate(time.time() + 5, usegmt=True)
    delay = POLICY.after_response(1, _answer(429, headers={"Retry-After": when}))
    assert delay is not None and 3.5 <= delay <= 5.6
    no_header = POLICY.after_response(1, _answer(429))
    assert no_header is not None and no_header <= 0.5
    assert (
        POLICY.after_response(1, _answer(429, headers={"Retry-After": "3600"})) is None
    )  # too long: give up


def test_409_is_retried_only_while_the_key_is_in_use():
    assert POLICY.after_response(1, _answer(409, IN_USE)) is not None
    duplicate = {"error": {"code": "DUPLICATE_ORDER_ID", "message": "taken", "field": "order_id"}}
    assert POLICY.after_response(1, _answer(409, duplicate)) is None
    # /v1 words our code as Razorpay's reason
    v1 = {"error": {"code": "BAD_REQUEST_ERROR", "description": "busy", "reason": "idempotency_key_in_use"}}
    assert POLICY.after_response(1, _answer(409, v1)) is not None


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 405, 413, 415, 422])
def test_other_4xx_are_never_retried(status):
    assert POLICY.after_response(1, _answer(status, {"error": {"code": "X", "message": "no"}})) is None


def test_network_failures():
    deduplicated, other = _pay_call(), calls.rotate_endpoint("e-1")
    request = httpx.Request("POST", "http://127.0.0.1:9/api/v1/pay")
    refused = httpx.ConnectError("refused", request=request)
    lost = httpx.ReadTimeout("no answer", request=request)
    # a refused connection never reached the platform: any call may go again
    assert POLICY.after_error(1, refused, deduplicated) is not None
    assert POLICY.after_error(1, refused, other) is not None
    # an answer lost after sending: only a call the platform deduplicates (Idempotency-Key) or a read
    assert POLICY.after_error(1, lost, deduplicated) is not None
    assert POLICY.after_error(1, lost, calls.wallet()) is not None
    assert POLICY.after_error(1, lost, other) is None
    assert POLICY.after_error(4, refused, deduplicated) is None


def _client(url: str, traffic: Traffic, **options: object) -> Client:
    return Client(
        "lsp_test_k", SECRET, base_url=url, http_client=recorded(traffic), backoff_base=0.05, **options
    )  # type: ignore[arg-type]


def test_a_payment_retried_through_5xx_429_and_409_keeps_its_idempotency_key(scripted, caplog):
    caplog.set_level(logging.DEBUG)
    server = scripted(
        (503, {}, {"error": {"code": "NO_GATEWAY_AVAILABLE", "message": "down"}}),
        (429, {"Retry-After": "1"}, {"error": {"code": "RATE_LIMITED", "message": "slow down"}}),
        (409, {}, IN_USE),
        (
            201,
            {"Idempotent-Replayed": "true"},
            {"transaction_id": "t-1", "payment_id": "pay_1", "status": "created"},
        ),
    )
    traffic = Traffic()
    started = time.monotonic()
    created = _client(server.url, traffic).payments.pay(49900, "ORD-1")
    assert created["payment_id"] == "pay_1" and time.monotonic() - started >= 1  # waited for Retry-After
    assert [r[1] for r in server.requests] == ["/api/v1/pay"] * 4
    keys = {r[2]["Idempotency-Key"] for r in server.requests}
    signatures = {r[2]["X-Signature"] for r in server.requests}
    assert len(keys) == 1 and len(signatures) == 4  # one key, each attempt signed anew
    assert {r[3] for r in server.requests} == {b'{"amount":49900,"order_id":"ORD-1","currency":"INR"}'}
    retries = [r.getMessage() for r in caplog.records if "retrying" in r.getMessage()]
    assert len(retries) == 3 and "503" in retries[0] and "429 RATE_LIMITED" in retries[1]
    assert all(SECRET not in r.getMessage() for r in caplog.records)


def test_a_4xx_is_raised_at_once_as_a_typed_error(scripted):
    refused = {"error": {"code": "INVALID_AMOUNT", "message": "Amount must be positive.", "field": "amount"}}
    server = scripted((422, {"X-Request-Id": "req-42"}, refused))
    traffic = Traffic()
    with pytest.raises(InvalidRequestError) as raised:
        _client(server.url, traffic).payments.pay(0, "ORD-1")
    error = raised.value
    assert (error.code, error.field, error.status, error.request_id) == (
        "INVALID_AMOUNT",
        "amount",
        422,
        "req-42",
    )
    assert error.message == "Amount must be positive." and "INVALID_AMOUNT" in str(error)
    assert len(server.requests) == 1 and SECRET not in str(error) + repr(error)


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (401, AuthenticationError),
        (404, NotFoundError),
        (409, ConflictError),
        (500, ServerError),
        (429, RateLimitError),
    ],
)
def test_each_status_has_its_class_and_the_last_answer_stands_when_retries_run_out(scripted, status, kind):
    server = scripted((status, {"Retry-After": "0"}, {"error": {"code": "C", "message": "m"}}))
    with pytest.raises(kind) as raised:
        _client(server.url, Traffic(), max_retries=1).wallet.get()
    assert raised.value.status == status
    assert len(server.requests) == (2 if status in (429, 500) else 1)


def test_v1_errors_carry_our_code_from_razorpays_reason(scripted):
    body = {
        "error": {
            "code": "BAD_REQUEST_ERROR",
            "description": "The amount must be at least INR 1.00",
            "field": "amount",
            "reason": "input_validation_failed",
        }
    }
    server = scripted((400, {}, body))
    with pytest.raises(InvalidRequestError) as raised:
        _client(server.url, Traffic()).orders.create(1)
    assert raised.value.code == "INPUT_VALIDATION_FAILED" and raised.value.field == "amount"
    assert server.requests[0][2]["Authorization"].startswith("Basic ")


def test_a_refused_connection_is_retried_then_raised(caplog):
    caplog.set_level(logging.INFO, logger="lightspeedpay_sdk")
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = Client(
        "lsp_test_k", SECRET, base_url=f"http://127.0.0.1:{port}", max_retries=2, backoff_base=0.01
    )
    with pytest.raises(APIConnectionError) as raised:
        client.webhooks.rotate("e-1")
    assert raised.value.code == "CONNECTION_ERROR" and "after 3 attempt(s)" in str(raised.value)
    assert len([r for r in caplog.records if "retrying" in r.getMessage()]) == 2
    assert SECRET not in str(raised.value)


async def test_the_async_client_runs_the_same_loop(scripted):
    server = scripted(
        (502, {}, b"bad gateway"),
        (200, {}, {"items": [{"id": "a"}, {"id": "b"}], "next_cursor": "c2"}),
        (200, {}, {"items": [{"id": "c"}], "next_cursor": None}),
    )
    traffic = Traffic()
    async with AsyncClient(
        "lsp_test_k", SECRET, base_url=server.url, http_client=recorded_async(traffic), backoff_base=0.05
    ) as client:
        ids = [p["id"] async for p in client.payments.list(page_size=2)]
    assert ids == ["a", "b", "c"]
    paths = [r[1] for r in server.requests]
    assert paths == ["/api/v1/transactions?limit=2"] * 2 + ["/api/v1/transactions?limit=2&cursor=c2"]
