"""What may be refunded (fast tier: no database, no processes)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lightspeedpay.payments.errors import RefundExceedsPaid, RefundNotAllowed
from lightspeedpay.refunds.rules import refund_amount


@given(amount=st.integers(1, 10**12), data=st.data())
def test_refunds_never_exceed_what_was_paid(amount, data):
    committed = 0
    for requested in data.draw(st.lists(st.one_of(st.none(), st.integers(1, 2 * amount)), max_size=8)):
        status = "paid" if committed == 0 else ("refunded" if committed == amount else "partially_refunded")
        left = amount - committed
        try:
            chosen = refund_amount(status=status, amount=amount, committed=committed, requested=requested)
        except RefundNotAllowed:
            assert status == "refunded"
            continue
        except RefundExceedsPaid as exc:
            assert requested is not None and requested > left
            assert exc.field == "amount" and f"({left} paise" in exc.message
            continue
        assert chosen == (left if requested is None else requested) and 0 < chosen <= left
        committed += chosen
    assert committed <= amount


@pytest.mark.parametrize("status", ["created", "pending", "authorized", "failed", "expired"])
def test_only_captured_payments_are_refundable(status):
    with pytest.raises(RefundNotAllowed, match=f"this payment is {status}"):
        refund_amount(status=status, amount=1_000, committed=0, requested=None)
