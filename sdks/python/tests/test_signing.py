"""The native request signature against the published test vector (docs/developers/signing.md), the signed
request the SDK builds, and HTTP Basic on the Razorpay-compatible /v1."""

from __future__ import annotations

import base64
import hashlib
import hmac

from lightspeedpay_sdk import Client, sign
from lightspeedpay_sdk import _calls as calls
from lightspeedpay_sdk._core import Config, build_request

VECTOR_BODY = b'{"amount":49900,"order_id":"ORD-1","currency":"INR"}'


def _config(base_url: str = "http://127.0.0.1:8000") -> Config:
    return Config.make(
        "lsp_test_abc",
        "demo_salt",
        base_url,
        timeout=5,
        max_retries=2,
        backoff_base=0.1,
        backoff_max=1,
    )


def test_the_published_vector():
    assert (
        sign("demo_salt", "1700000000", "POST", "/api/v1/pay", VECTOR_BODY)
        == "94c643f9f98bd60b1941af35a5627934b84525cabae87cf83a22667ff0b52e2b"
    )


def test_a_signed_post_carries_key_millisecond_timestamp_signature_and_idempotency_key():
    call = calls.pay(
        49900, "ORD-1", currency="INR", customer=None, redirect_url=None, notes=None, idempotency_key=None
    )
    request = build_request(_config(), call, now=1700000000.123)
    headers = request.headers
    assert headers["X-Client-Key"] == "lsp_test_abc"
    assert headers["X-Timestamp"] == "1700000000123"
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"].startswith("lightspeedpay-python/")
    assert headers["Idempotency-Key"] == call.idempotency_key and len(call.idempotency_key or "") == 36
    body = request.content
    assert body == VECTOR_BODY  # compact JSON, the bytes that were signed
    expected = hmac.new(b"demo_salt", b"1700000000123.POST./api/v1/pay." + body, hashlib.sha256).hexdigest()
    assert headers["X-Signature"] == expected
    assert "Authorization" not in headers


def test_the_query_is_signed_as_it_is_on_the_request_line_and_a_get_signs_an_empty_body():
    filters = calls.payment_filters("paid", "2026-01-01T00:00:00+05:30", None, 100, None, "a b")
    request = build_request(_config(), calls.list_payments(filters, 20, None), now=1700000000)
    target = request.url.raw_path.decode()
    assert target.startswith("/api/v1/transactions?status=paid&from=2026-01-01T00%3A00%3A00%2B05%3A30")
    assert "amount_min=100" in target and "q=a+b" in target and "cursor" not in target
    expected = sign("demo_salt", "1700000000000", "GET", target, b"")
    assert request.headers["X-Signature"] == expected
    assert request.content == b"" and "Idempotency-Key" not in request.headers


def test_a_base_url_with_a_path_signs_the_whole_path():
    request = build_request(_config("https://pay.example.com/lsp/"), calls.wallet(), now=1700000000)
    assert str(request.url) == "https://pay.example.com/lsp/api/v1/wallet"
    assert request.headers["X-Signature"] == sign(
        "demo_salt", "1700000000000", "GET", "/lsp/api/v1/wallet", b""
    )


def test_v1_orders_use_http_basic_and_no_signature():
    call = calls.create_order(
        49900, currency="INR", receipt="r-1", notes=None, partial_payment=None, idempotency_key="k-1"
    )
    request = build_request(_config(), call)
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(b"lsp_test_abc:demo_salt").decode()
    assert "X-Signature" not in request.headers and request.headers["Idempotency-Key"] == "k-1"
    assert request.url.path == "/v1/orders"


def test_each_call_gets_its_own_idempotency_key_unless_given():
    def one(key: str | None = None) -> calls.Call[object]:
        return calls.pay(
            1, "O", currency="INR", customer=None, redirect_url=None, notes=None, idempotency_key=key
        )

    assert one().idempotency_key != one().idempotency_key
    assert one("pay-ORD-1").idempotency_key == "pay-ORD-1"


def test_the_secret_is_in_no_repr(monkeypatch):
    client = Client("lsp_test_abc", "s3cr3t-value", base_url="http://127.0.0.1:9")
    assert "s3cr3t-value" not in repr(client) and "s3cr3t-value" not in repr(client._config)
    assert client.mode == "test" and Client("lsp_live", "x").mode == "live"
    monkeypatch.setenv("LSP_KEY_ID", "lsp_test_env")
    monkeypatch.setenv("LSP_KEY_SECRET", "from-env")
    monkeypatch.setenv("LSP_API", "http://127.0.0.1:7/")
    from_env = Client()
    assert from_env.key_id == "lsp_test_env" and from_env.base_url == "http://127.0.0.1:7"
