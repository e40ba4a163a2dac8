"""The ledger's arithmetic, free of I/O so that it can be checked exhaustively (tests/ledger/test_rules.py)."""

from __future__ import annotations

from decimal import Decimal

from lightspeedpay.kit.money import round_paise


def commission_reversal(
    *, charged: int, amount: int, refunded_before: int, refund: int, reversed_before: int
) -> int:
    """The commission to give back for a processed refund of `refund` paise of a payment of `amount` that was
    charged `charged`. Proportional and cumulative: after refunds totalling R the reversals total
    round_paise(charged * R / amount), so partial refunds never drift from one full refund and never give
    back more than was charged."""
    refunded = min(refunded_before + refund, amount)
    target = min(round_paise(Decimal(charged) * refunded / amount), charged)
    return max(target - reversed_before, 0)
