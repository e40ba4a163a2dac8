"""Money rounding, secrets at rest, and merchant request signatures."""

from __future__ import annotations

import base64
import os
from decimal import Decimal

import pytest
from cryptography.exceptions import InvalidTag

from lightspeedpay.kit import crypto
from lightspeedpay.kit.money import commission, format_inr, round_paise
from lightspeedpay.kit.signing import sign_merchant_request


@pytest.mark.parametrize(
    ("amount", "fee", "expected"),
    [
        (49_900, "3.50", 1747),  # 1746.5 rounds half up
        (10_000, "3.50", 350),
        (1, "3.50", 0),  # 0.035 paise
        (15, "3.50", 1),  # 0.525 rounds up
        (14, "3.50", 0),  # 0.49
        (100, "2.5", 3),  # 2.5 rounds up, never to even
        (10_000_000_000, "3.50", 350_000_000),
        (333, "0", 0),
    ],
)
def test_commission_rounds_half_up_to_the_paisa(amount, fee, expected):
    assert commission(amount, Decimal(fee)) == expected


def test_round_paise_and_format():
    assert round_paise(Decimal("-0.5")) == -1
    assert format_inr(123456) == "₹1,234.56"


def _spec(kid: str) -> str:
    return f"{kid}:{base64.b64encode(os.urandom(32)).decode()}"


def test_encrypt_roundtrip_with_key_rotation():
    old, new = _spec("k1"), _spec("k2")
    ring_old = crypto.KeyRing(old)
    token = ring_old.encrypt("salt-123")
    assert "salt-123" not in token and token.startswith("k1:")
    ring_rotated = crypto.KeyRing(f"{new},{old}")  # new primary, old still readable
    assert ring_rotated.decrypt(token) == "salt-123"
    assert ring_rotated.encrypt("x").startswith("k2:")


def test_tampered_ciphertext_is_refused():
    ring = crypto.KeyRing(_spec("k1"))
    token = ring.encrypt("secret")
    raw = bytearray(base64.b64decode(token.split(":", 1)[1]))
    raw[-1] ^= 1
    with pytest.raises(InvalidTag):
        ring.decrypt("k1:" + base64.b64encode(bytes(raw)).decode())


def test_bad_key_is_refused():
    with pytest.raises(ValueError):
        crypto.KeyRing("k1:" + base64.b64encode(b"short").decode())


def test_mask_never_reveals_the_secret():
    assert crypto.mask("rzp_test_abcdefgh12345") == "rzp_…2345"
    assert crypto.mask("short") == "*****"


def test_merchant_signature_is_over_timestamp_method_path_and_body():
    # a fixed vector so merchants can check their own implementation (also in the README)
    sig = sign_merchant_request(
        "demo_salt",
        "1700000000",
        "post",
        "/api/v1/pay",
        b'{"amount":49900,"order_id":"ORD-1","currency":"INR"}',
    )
    # = hmac.new(b"demo_salt", b'1700000000.POST./api/v1/pay.{"amount":...}', sha256).hexdigest()
    assert sig == "94c643f9f98bd60b1941af35a5627934b84525cabae87cf83a22667ff0b52e2b"
    assert sig != sign_merchant_request(
        "demo_salt",
        "1700000000",
        "POST",
        "/api/v1/pay?x=1",
        b'{"amount":49900,"order_id":"ORD-1","currency":"INR"}',
    )
