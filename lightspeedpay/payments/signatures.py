"""The payment signature Checkout hands the merchant's page, in Razorpay's scheme, so Razorpay's own
`utility.verify_payment_signature` helpers verify it: hex HMAC-SHA256 of `order_id|payment_id`, keyed with the
merchant's client_salt (its Razorpay-compatible key secret)."""

from __future__ import annotations

from lightspeedpay.kit.signing import equal, hmac_sha256_hex


def payment_signature(client_salt: str, order_id: str, payment_id: str) -> str:
    """`order_id` and `payment_id` are the public ids (`order_…`, `pay_…`)."""
    return hmac_sha256_hex(client_salt, f"{order_id}|{payment_id}".encode())


def verify_payment_signature(client_salt: str, order_id: str, payment_id: str, signature: str) -> bool:
    """Pass the order id the merchant stored, never one taken from the callback."""
    return bool(signature) and equal(payment_signature(client_salt, order_id, payment_id), signature.lower())
