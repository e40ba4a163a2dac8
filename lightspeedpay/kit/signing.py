"""HMAC helpers shared by merchant request signing and PSP signature schemes."""

from __future__ import annotations

import hashlib
import hmac


def hmac_sha256_hex(key: str | bytes, message: bytes) -> str:
    k = key.encode() if isinstance(key, str) else key
    return hmac.new(k, message, hashlib.sha256).hexdigest()


def equal(a: str | bytes, b: str | bytes) -> bool:
    """Constant-time comparison of two signatures."""
    a_b = a.encode() if isinstance(a, str) else a
    b_b = b.encode() if isinstance(b, str) else b
    return hmac.compare_digest(a_b, b_b)


def merchant_signing_payload(timestamp: str, method: str, path_with_query: str, body: bytes) -> bytes:
    return f"{timestamp}.{method.upper()}.{path_with_query}.".encode() + body


def sign_merchant_request(salt: str, timestamp: str, method: str, path_with_query: str, body: bytes) -> str:
    return hmac_sha256_hex(salt, merchant_signing_payload(timestamp, method, path_with_query, body))
