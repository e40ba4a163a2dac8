"""The webhook verifier against the Standard Webhooks published vectors and edge cases (the shared specs' §1.7 and
tests/kit/test_standard_webhooks.py): tolerance, several signatures, several secrets during a rotation."""

from __future__ import annotations

import base64
import os

import pytest

from lightspeedpay_sdk import (
    LightSpeedPayError,
    WebhookVerificationError,
    WebhookVerifier,
    sign_webhook,
    verify_webhook,
)

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


def _headers(signature: str, msg_id: str = SW_A[1], ts: int = SW_A[2]) -> dict[str, str]:
    return {"webhook-id": msg_id, "webhook-timestamp": str(ts), "webhook-signature": signature}


def _new_secret() -> str:
    return "whsec_" + base64.b64encode(os.urandom(24)).decode()


@pytest.mark.parametrize("vector", [SW_A, SW_B], ids=["SW-A", "SW-B"])
def test_published_vectors(vector):
    secret, msg_id, ts, body, expected = vector
    assert sign_webhook(secret, msg_id, ts, body) == expected
    assert sign_webhook(secret.removeprefix("whsec_"), msg_id, ts, body) == expected
    event = verify_webhook(secret, _headers(expected, msg_id, ts), body, now=ts)
    assert event == __import__("json").loads(body)
    # header names in any case
    verify_webhook(secret, {k.title(): v for k, v in _headers(expected, msg_id, ts).items()}, body, now=ts)


@pytest.mark.parametrize(
    "signature",
    [
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA=",
        "v1,dawfeoifkpqwoekfpqoekf",
        "v1,",
        "nocomma",
        "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
        "v1a,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    ],
)
def test_wrong_signatures_are_refused(signature):
    secret, _, ts, body, _ = SW_A
    with pytest.raises(WebhookVerificationError) as refused:
        verify_webhook(secret, _headers(signature), body, now=ts)
    assert (
        isinstance(refused.value, LightSpeedPayError) and refused.value.code == "WEBHOOK_VERIFICATION_FAILED"
    )


def test_the_rust_wrong_signature_for_sw_b_is_refused():
    secret, msg_id, ts, body, _ = SW_B
    with pytest.raises(WebhookVerificationError):
        verify_webhook(
            secret, _headers("v1,R3PTzyfHASBKHH98a7yexTwaJ4yNIcGhFQc1yuN+BPU=", msg_id, ts), body, now=ts
        )


def test_a_changed_body_is_refused():
    secret, _, ts, body, good = SW_A
    with pytest.raises(WebhookVerificationError):
        verify_webhook(secret, _headers(good), body + b" ", now=ts)


def test_any_matching_signature_among_several_is_accepted():
    secret, _, ts, body, good = SW_A
    decoy = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="
    header = f"{decoy} v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= {good} {decoy}"
    verify_webhook(secret, _headers(header), body, now=ts)
    secret_b, msg_b, ts_b, body_b, good_b = SW_B
    decoys = (
        "v1,tFtCZ5RDCPxzWQRWXWPgrCgE2frDBe9gjpbWQxnVfsQ=  v1,Mm7xgUVICxZfQ3bgf0h0Dof65L/IFx+PnZvnDWPCX6Q=  "
        "v1,9DfC1c3eeOrXB6w/5dIDydLNQaEyww5KalE5jLBZucE="
    )
    with pytest.raises(WebhookVerificationError):
        verify_webhook(secret_b, _headers(decoys, msg_b, ts_b), body_b, now=ts_b)
    verify_webhook(secret_b, _headers(f"{decoys} {good_b}", msg_b, ts_b), body_b, now=ts_b)


def test_a_rotation_two_signatures_and_either_secret_or_both():
    old, new = _new_secret(), _new_secret()
    body, ts = b'{"id":"evt_1","type":"ping","timestamp":"x","livemode":false,"data":{}}', 1_700_000_000
    header = f"{sign_webhook(new, 'msg_1', ts, body)} {sign_webhook(old, 'msg_1', ts, body)}"
    for secrets in (old, new, [old, new], [new, old]):
        assert verify_webhook(secrets, _headers(header, "msg_1", ts), body, now=ts)["type"] == "ping"
    # a receiver that already switched to the new secret accepts a delivery signed with it alone, and the
    # receiver holding both accepts one signed with the old alone
    verify_webhook([old, new], _headers(sign_webhook(old, "msg_1", ts, body), "msg_1", ts), body, now=ts)
    with pytest.raises(WebhookVerificationError):
        verify_webhook(_new_secret(), _headers(header, "msg_1", ts), body, now=ts)


@pytest.mark.parametrize("skew", [-301, 301])
def test_timestamp_tolerance_is_five_minutes_both_ways(skew):
    secret, _, ts, body, good = SW_A
    with pytest.raises(WebhookVerificationError, match="too (old|new)"):
        verify_webhook(secret, _headers(good), body, now=ts - skew)
    verify_webhook(secret, _headers(good), body, now=ts - skew + (1 if skew > 0 else -1))
    verifier = WebhookVerifier(secret, tolerance=10)
    with pytest.raises(WebhookVerificationError):
        verifier.verify(_headers(good), body, now=ts + 11)
    assert verifier.verify(_headers(good), body, now=ts + 10) == {"test": 2432232314}


@pytest.mark.parametrize(
    "secret",
    [
        "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS",
        "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwBr",
    ],
)
def test_unpadded_secrets(secret):
    _, msg_id, ts, body, _ = SW_A
    signature = sign_webhook(secret, msg_id, ts, body)
    verify_webhook(secret, _headers(signature), body, now=ts)
    verify_webhook("whsec_" + secret, _headers(signature), body, now=ts)


def test_missing_headers_bad_timestamps_empty_secrets():
    secret, msg_id, ts, body, good = SW_A
    for headers in (
        {"webhook-id": msg_id},
        {**_headers(good), "webhook-timestamp": "hello"},
        {**_headers(good), "webhook-timestamp": "-1614265330"},
        {**_headers(good), "webhook-timestamp": "1614265330.0"},
        {**_headers(good), "webhook-signature": ""},
        {**_headers(good), "webhook-id": ""},
    ):
        with pytest.raises(WebhookVerificationError):
            verify_webhook(secret, headers, body, now=ts)
    for empty in ("", "whsec_", []):
        with pytest.raises(WebhookVerificationError):
            verify_webhook(empty, _headers(good), body, now=ts)
    with pytest.raises(WebhookVerificationError):
        WebhookVerifier("whsec_")
    assert "MfKQ" not in repr(WebhookVerifier(secret))


def test_a_body_that_is_not_a_json_object_is_refused_even_when_signed():
    secret, msg_id, ts, _, _ = SW_A
    for body in (b"[1, 2]", b"not json"):
        with pytest.raises(WebhookVerificationError):
            verify_webhook(secret, _headers(sign_webhook(secret, msg_id, ts, body)), body, now=ts)
