"""Our Standard Webhooks signer and verifier against the spec's published vectors and the reference library."""

from __future__ import annotations

import time

import pytest
from standardwebhooks import Webhook

from lightspeedpay.kit import standard_webhooks as sw

SW_A = (
    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "msg_p5jXN8AQM9LWM0D4loKWxJek",
    1614265330,
    b'{"test": 2432232314}',
    "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
)
SW_B = (
    "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
    "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
    1649367553,
    b'{"email":"test@example.com","username":"test_user"}',
    "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=",
)


@pytest.mark.parametrize("vector", [SW_A, SW_B], ids=["SW-A", "SW-B"])
def test_published_vectors(vector):
    secret, msg_id, ts, payload, expected = vector
    assert sw.sign(secret, msg_id, ts, payload) == expected
    assert sw.sign(secret.removeprefix("whsec_"), msg_id, ts, payload) == expected
    sw.verify(
        secret,
        {"webhook-id": msg_id, "webhook-timestamp": str(ts), "webhook-signature": expected},
        payload,
        now=ts,
    )


def _headers(sig: str, msg_id: str = SW_A[1], ts: int = SW_A[2]) -> dict[str, str]:
    return {"webhook-id": msg_id, "webhook-timestamp": str(ts), "webhook-signature": sig}


@pytest.mark.parametrize(
    "sig",
    [
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA=",
        "v1,dawfeoifkpqwoekfpqoekf",
        "v1,",
        "nocomma",
        "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    ],
)
def test_rejects_wrong_signatures(sig):
    secret, _, ts, payload, _ = SW_A
    with pytest.raises(sw.WebhookVerificationError):
        sw.verify(secret, _headers(sig), payload, now=ts)


def test_accepts_any_matching_signature_among_several():
    secret, _, ts, payload, good = SW_A
    decoy = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="
    header = f"{decoy} v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= {good} {decoy}"
    sw.verify(secret, _headers(header), payload, now=ts)


def test_rotation_header_carries_both_signatures():
    old, new = sw.new_secret(), sw.new_secret()
    ts = int(time.time())
    header = sw.signature_header([new, old], "msg_1", ts, b"{}")
    for secret in (old, new):
        sw.verify(secret, _headers(header, "msg_1", ts), b"{}")
        Webhook(secret).verify(b"{}", _headers(header, "msg_1", ts))


@pytest.mark.parametrize("skew", [-301, 301])
def test_timestamp_tolerance(skew):
    secret, msg_id, ts, payload, good = SW_A
    with pytest.raises(sw.WebhookVerificationError):
        sw.verify(secret, _headers(good), payload, now=ts - skew)
    sw.verify(secret, _headers(good), payload, now=ts - skew + (1 if skew > 0 else -1))


def test_missing_headers_and_bad_timestamp_and_empty_secret():
    secret, msg_id, ts, payload, good = SW_A
    with pytest.raises(sw.WebhookVerificationError):
        sw.verify(secret, {"webhook-id": msg_id}, payload, now=ts)
    with pytest.raises(sw.WebhookVerificationError):
        sw.verify(secret, _headers(good) | {"webhook-timestamp": "hello"}, payload, now=ts)
    with pytest.raises(sw.WebhookVerificationError):
        sw.sign("whsec_", msg_id, ts, payload)


def test_reference_library_accepts_what_we_sign():
    secret = sw.new_secret()
    ts = int(time.time())
    body = b'{"type":"payment.paid","data":{"amount":100}}'
    headers = _headers(sw.sign(secret, "msg_abc", ts, body), "msg_abc", ts)
    assert Webhook(secret).verify(body, headers)["type"] == "payment.paid"
