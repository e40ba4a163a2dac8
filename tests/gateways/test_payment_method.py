"""The PSPs' names for how a payer paid, in our words (transactions.method, grouped by the analytics)."""

from __future__ import annotations

import pytest

from lightspeedpay.gateways.adapters.base import payment_method


@pytest.mark.parametrize(
    ("raw", "ours"),
    [
        ("upi", "upi"),  # Razorpay's payment.method
        ("UPI_INTENT", "upi"),  # PhonePe's paymentMode
        ("UPI", "upi"),  # PayU's mode
        ("CC", "card"),
        ("DC", "card"),
        ("card", "card"),
        ("NB", "netbanking"),
        ("netbanking", "netbanking"),
        ("wallet", "wallet"),
        ("CASH", "wallet"),
        ("cardless_emi", "emi"),
        ("paylater", "paylater"),
        ("cod", "other"),
        ("", None),
        (None, None),
        (42, None),
    ],
)
def test_payment_method(raw, ours):
    assert payment_method(raw) == ours
