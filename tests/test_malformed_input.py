"""Malformed input on every face (native /api/v1, Razorpay's /v1, the admin API, the checkout): always a 4xx
JSON error with a stable code and the field, never a 500 and nothing stored (issue 8, defect 5)."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from lightspeedpay.config import get_settings
from lightspeedpay.models import Order, Refund, Transaction, WebhookEndpoint
from tests.factories import MerchantClient, count, create_merchant, create_sandbox_gateway, merchant_client
from tests.paying import wait_status

BIG = 2**70  # past 64 bits: orjson (idempotency fingerprint, responses) cannot encode it
NUL = "a\u0000b"


@dataclass
class Face:
    platform: Any
    native: MerchantClient
    basic: tuple[str, str]
    http: httpx.AsyncClient
    ids: dict[str, str] = field(default_factory=dict)

    async def send(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        *,
        content_type: str | None = "application/json",
        headers: dict[str, Any] | None = None,
        auth: str | None = None,
    ) -> httpx.Response:
        path = path.format(**self.ids)
        raw = body or b""
        h: dict[str, Any] = {"Idempotency-Key": str(uuid.uuid4())} if method == "POST" else {}
        if content_type:
            h["content-type"] = content_type
        kind = auth or (
            "basic"
            if path.startswith("/v1/")
            else "admin"
            if path.startswith("/api/v1/admin")
            else "signed"
            if path.startswith("/api/v1/")
            else "none"
        )
        if kind == "signed":
            h.update({k: v for k, v in self.native.headers(method, path, raw).items() if k != "content-type"})
        elif kind == "basic":
            h["authorization"] = "Basic " + base64.b64encode(":".join(self.basic).encode()).decode()
        elif kind == "admin":
            h["authorization"] = f"Bearer {get_settings().admin_token}"
        h.update(headers or {})
        return await self.http.request(method, self.platform.api_url + path, content=raw, headers=h)


@pytest.fixture
async def face(platform, session):
    new = await create_merchant(session)
    await create_sandbox_gateway(session, platform.simulator_url, auto_outcome="success")
    async with httpx.AsyncClient(timeout=20) as http:
        f = Face(
            platform,
            merchant_client(platform.api_url, new, http),
            (new.client.client_key, new.client_salt),
            http,
            {"merchant_id": str(new.client.id)},
        )
        yield f


async def _paid(face: Face) -> None:
    r = await face.native.pay(amount=10_000)
    assert r.status_code == 201, r.text
    txn = await wait_status(face.native, r.json()["transaction_id"], "paid")
    face.ids.update(txn_id=txn["id"], payment_id=txn["payment_id"])


async def _endpoint(face: Face) -> None:
    r = await face.send(
        "POST",
        "/api/v1/merchant/webhooks",
        json.dumps({"url": face.platform.receiver_url + "/webhooks/x"}).encode(),
    )
    assert r.status_code == 201, r.text
    face.ids["endpoint_id"] = r.json()["id"]


def j(value: Any) -> bytes:
    return json.dumps(value).encode()


PAY = {"amount": 10_000, "order_id": "ord-bad-1", "currency": "INR"}
ORDER = {"amount": 10_000, "currency": "INR"}
# (id, setup, method, path, body, content type, extra headers, status, code, field)
# code: our stable code; on /v1 the Razorpay body's `reason` (input_validation_failed for bad input).
CASES: list[tuple[Any, ...]] = [
    # X-Timestamp that str.isdigit() accepts but int() does not, or absurdly long: before authentication
    (
        "timestamp-superscript",
        None,
        "GET",
        "/api/v1/transactions",
        None,
        None,
        {"X-Timestamp": "²³".encode("latin-1")},
        401,
        "UNAUTHORIZED",
        "X-Timestamp",
    ),
    (
        "timestamp-5000-digits",
        None,
        "GET",
        "/api/v1/transactions",
        None,
        None,
        {"X-Timestamp": "1" * 5000},
        401,
        "UNAUTHORIZED",
        "X-Timestamp",
    ),
    (
        "timestamp-14-digits",
        None,
        "POST",
        "/api/v1/pay",
        j(PAY),
        "application/json",
        {"X-Timestamp": "1" * 14},
        401,
        "UNAUTHORIZED",
        "X-Timestamp",
    ),
    # NUL in stored text: the JSON body parser refuses it, keys included
    (
        "nul-customer-name",
        None,
        "POST",
        "/api/v1/pay",
        j({**PAY, "customer": {"name": NUL}}),
        "application/json",
        None,
        422,
        "VALIDATION_ERROR",
        "customer.name",
    ),
    (
        "nul-pay-notes-value",
        None,
        "POST",
        "/api/v1/pay",
        j({**PAY, "notes": {"k": NUL}}),
        "application/json",
        None,
        422,
        "VALIDATION_ERROR",
        "notes.k",
    ),
    (
        "nul-pay-notes-key",
        None,
        "POST",
        "/api/v1/pay",
        j({**PAY, "notes": {NUL: "v"}}),
        "application/json",
        None,
        422,
        "VALIDATION_ERROR",
        "notes",
    ),
    (
        "nul-order-receipt",
        None,
        "POST",
        "/v1/orders",
        j({**ORDER, "receipt": NUL}),
        "application/json",
        None,
        400,
        "input_validation_failed",
        "receipt",
    ),
    (
        "nul-order-notes",
        None,
        "POST",
        "/v1/orders",
        j({**ORDER, "notes": {"k": NUL}}),
        "application/json",
        None,
        400,
        "input_validation_failed",
        "notes",
    ),
    (
        "nul-refund-receipt",
        _paid,
        "POST",
        "/api/v1/transactions/{txn_id}/refunds",
        j({"receipt": NUL}),
        "application/json",
        None,
        422,
        "VALIDATION_ERROR",
        "receipt",
    ),
    (
        "nul-rzp-refund-notes",
        _paid,
        "POST",
        "/v1/payments/{payment_id}/refund",
        j({"notes": {"why": NUL}}),
        "application/json",
        None,
        400,
        "input_validation_failed",
        "notes",
    ),
    (
        "nul-webhook-description",
        None,
        "POST",
        "/api/v1/merchant/webhooks",
        b'{"url": "http://127.0.0.1:9/x", "description": "a\\u0000b"}',
        "application/json",
        None,
        422,
        "VALIDATION_ERROR",
        "description",
    ),
    (
        "nul-adjustment-reason",
        None,
        "POST",
        "/api/v1/admin/merchants/{merchant_id}/adjustments",
        j({"amount": 100, "reason": NUL}),
        "application/json",
        None,
        422,
        "VALIDATION_ERROR",
        "reason",
    ),
    # NUL in a query filter or a path id: refused before any SQL
    (
        "nul-query-receipt",
        None,
        "GET",
        "/v1/orders?receipt=a%00b",
        None,
        None,
        None,
        400,
        "input_validation_failed",
        "receipt",
    ),
    (
        "nul-query-event-type",
        _endpoint,
        "GET",
        "/api/v1/merchant/webhooks/{endpoint_id}/deliveries?event_type=a%00b",
        None,
        None,
        None,
        422,
        "VALIDATION_ERROR",
        "event_type",
    ),
    (
        "nul-query-merchant",
        None,
        "GET",
        "/api/v1/admin/whatsapp?merchant=a%00b",
        None,
        None,
        None,
        422,
        "VALIDATION_ERROR",
        "merchant",
    ),
    # found by the fuzz: Razorpay's list parameters
    (
        "superscript-skip",
        None,
        "GET",
        "/v1/orders?skip=%C2%B2%C2%B3",
        None,
        None,
        None,
        400,
        "input_validation_failed",
        "skip",
    ),
    (
        "5000-digit-count",
        None,
        "GET",
        "/v1/payments?count=" + "9" * 5000,
        None,
        None,
        None,
        400,
        "input_validation_failed",
        "count",
    ),
    ("nul-path-order", None, "GET", "/v1/orders/%00", None, None, None, 400, "not_found", None),
    ("nul-path-refund", None, "GET", "/api/v1/refunds/%00", None, None, None, 404, "NOT_FOUND", None),
    ("nul-path-checkout", None, "GET", "/checkout/%00", None, None, None, 404, "NOT_FOUND", None),
    # numbers JSON can spell but we cannot store or hash: 1e400 (infinite) and integers past 64 bits
    (
        "inf-order-notes",
        None,
        "POST",
        "/v1/orders",
        b'{"amount": 10000, "currency": "INR", "notes": {"n": 1e400}}',
        "application/json",
        None,
        400,
        "input_validation_failed",
        "notes",
    ),
    (
        "inf-pay-notes",
        None,
        "POST",
        "/api/v1/pay",
        j(PAY)[:-1] + b', "notes": {"n": 1e400}}',
        "application/json",
        None,
        422,
        "VALIDATION_ERROR",
        "notes.n",
    ),
    (
        "inf-refund-notes",
        _paid,
        "POST",
        "/api/v1/transactions/{txn_id}/refunds",
        b'{"notes": {"n": -1e400}}',
        "application/json",
        None,
        422,
        "VALIDATION_ERROR",
        "notes.n",
    ),
    (
        "nan-pay-notes",
        None,
        "POST",
        "/api/v1/pay",
        j(PAY)[:-1] + b', "notes": {"n": NaN}}',
        "application/json",
        None,
        422,
        "VALIDATION_ERROR",
        "notes.n",
    ),
    (
        "bigint-pay-notes",
        None,
        "POST",
        "/api/v1/pay",
        j({**PAY, "notes": {"n": BIG}}),
        "application/json",
        None,
        422,
        "VALIDATION_ERROR",
        "notes.n",
    ),
    (
        "bigint-order-notes",
        None,
        "POST",
        "/v1/orders",
        j({**ORDER, "notes": {"n": -BIG}}),
        "application/json",
        None,
        400,
        "input_validation_failed",
        "notes",
    ),
    (
        "bigint-refund-amount",
        None,
        "POST",
        "/api/v1/transactions/{merchant_id}/refunds",
        j({"amount": BIG}),
        "application/json",
        None,
        422,
        "INVALID_AMOUNT",
        "amount",
    ),
    (
        "bigint-rzp-refund-amount",
        None,
        "POST",
        "/v1/payments/pay_nope/refund",
        j({"amount": BIG}),
        "application/json",
        None,
        400,
        "input_validation_failed",
        "amount",
    ),
    (
        "bigint-capture-amount",
        None,
        "POST",
        "/v1/payments/pay_nope/capture",
        j({"amount": BIG}),
        "application/json",
        None,
        400,
        "input_validation_failed",
        "amount",
    ),
    (
        "negative-capture-amount",
        None,
        "POST",
        "/v1/payments/pay_nope/capture",
        j({"amount": -5}),
        "application/json",
        None,
        400,
        "input_validation_failed",
        "amount",
    ),
    # JSON under another media type
    (
        "text-plain-pay",
        None,
        "POST",
        "/api/v1/pay",
        j(PAY),
        "text/plain",
        None,
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        "Content-Type",
    ),
    (
        "form-pay",
        None,
        "POST",
        "/api/v1/pay",
        j(PAY),
        "application/x-www-form-urlencoded",
        None,
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        "Content-Type",
    ),
    (
        "multipart-order",
        None,
        "POST",
        "/v1/orders",
        j(ORDER),
        "multipart/form-data; boundary=x",
        None,
        415,
        "unsupported_media_type",
        "Content-Type",
    ),
    (
        "no-type-order",
        None,
        "POST",
        "/v1/orders",
        j(ORDER),
        None,
        None,
        415,
        "unsupported_media_type",
        "Content-Type",
    ),
    (
        "text-plain-admin",
        None,
        "POST",
        "/api/v1/admin/merchants/{merchant_id}/adjustments",
        j({"amount": 100, "reason": "r"}),
        "text/plain",
        None,
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        "Content-Type",
    ),
]


@pytest.mark.parametrize(
    ("setup", "method", "path", "body", "content_type", "headers", "status", "code", "field"),
    [pytest.param(*c[1:], id=c[0]) for c in CASES],
)
async def test_malformed_input_is_a_4xx_with_a_code(
    face, session, setup, method, path, body, content_type, headers, status, code, field
):
    if setup:
        await setup(face)
    before = [await count(session, m) for m in (Transaction, Order, Refund, WebhookEndpoint)]
    r = await face.send(method, path, body, content_type=content_type, headers=headers)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json"), r.text
    error = r.json()["error"]
    if path.startswith("/v1/"):  # Razorpay's error body: our code in `reason`
        assert (error["reason"], error["field"]) == (code, field), error
        assert error["description"]
    else:
        assert (error["code"], error.get("field")) == (code, field), error
        assert error["message"]
    assert [await count(session, m) for m in (Transaction, Order, Refund, WebhookEndpoint)] == before


async def test_bodies_that_need_no_body_still_work(face):
    """No body where none is needed is fine whatever the content type says (curl, Razorpay's client)."""
    await _paid(face)
    r = await face.send("POST", "/api/v1/transactions/{txn_id}/refunds", None, content_type=None)
    assert r.status_code == 201, r.text
    await _endpoint(face)
    r = await face.send(
        "POST",
        "/api/v1/merchant/webhooks/{endpoint_id}/rotate",
        None,
        content_type="application/x-www-form-urlencoded",
    )
    assert r.status_code == 200, r.text
    r = await face.send("POST", "/v1/orders", j(ORDER), content_type="application/json; charset=utf-8")
    assert r.status_code == 200, r.text
