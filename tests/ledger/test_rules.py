"""The commission reversal arithmetic, exhaustively (fast tier: no database, no processes)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from lightspeedpay.kit.money import commission, round_paise
from lightspeedpay.ledger.rules import commission_reversal


def _reverse_all(charged: int, amount: int, refunds: list[int]) -> list[int]:
    reversals: list[int] = []
    refunded = 0
    for r in refunds:
        reversals.append(
            commission_reversal(
                charged=charged,
                amount=amount,
                refunded_before=refunded,
                refund=r,
                reversed_before=sum(reversals),
            )
        )
        refunded += r
    return reversals


@given(amount=st.integers(1, 10**12), fee=st.decimals(0, 100, places=2), data=st.data())
def test_partial_refunds_reverse_exactly_what_one_full_refund_would(amount, fee, data):
    charged = commission(amount, fee)
    cuts = sorted(data.draw(st.lists(st.integers(1, amount), max_size=6, unique=True)))
    refunds = [b - a for a, b in zip([0, *cuts], [*cuts, amount], strict=True) if b > a]
    reversals = _reverse_all(charged, amount, refunds)
    assert all(r >= 0 for r in reversals)
    assert sum(reversals) == charged  # all of it back, never more, however the refund was cut
    for i in range(1, len(refunds) + 1):  # and at every step, the proportional share of what was refunded
        assert sum(reversals[:i]) == min(round_paise(Decimal(charged) * sum(refunds[:i]) / amount), charged)


def test_rounding_is_half_up_and_cumulative():
    # ₹100.01 at 3.50 % is charged 350 paise (350.035 rounded); three thirds give back 117 + 116 + 117
    assert commission(10_001, Decimal("3.50")) == 350
    assert _reverse_all(350, 10_001, [3_333, 3_334, 3_334]) == [117, 116, 117]
    assert (
        commission_reversal(charged=0, amount=5_000, refunded_before=0, refund=5_000, reversed_before=0) == 0
    )
    # a refund past the amount (never allowed upstream) still gives back no more than was charged
    assert (
        commission_reversal(charged=100, amount=1_000, refunded_before=900, refund=500, reversed_before=90)
        == 10
    )
