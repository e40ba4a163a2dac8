"""The checkout's payment signature, checked on your server (Razorpay's scheme)."""

import hashlib
import hmac


def verify_payment(key_secret: str, order_id: str, payment_id: str, signature: str) -> bool:
    """True when `signature` is the hex HMAC-SHA256 of "order_id|payment_id", keyed with your key secret.
    `order_id` is the one your server stored when it made the order, never one taken from the browser."""
    expected = hmac.new(key_secret.encode(), f"{order_id}|{payment_id}".encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.lower().encode())
