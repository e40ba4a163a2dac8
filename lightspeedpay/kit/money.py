"""Money is integer minor units (paise) plus an ISO currency; rates are Decimal; one rounding rule."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

SUPPORTED_CURRENCIES = frozenset({"INR"})


def round_paise(value: Decimal) -> int:
    """The one rounding rule: half-up to the whole paisa."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def commission(amount: int, fee_percent: Decimal) -> int:
    return round_paise(Decimal(amount) * fee_percent / Decimal(100))


def format_inr(paise: int) -> str:
    return f"₹{Decimal(paise) / 100:,.2f}"
