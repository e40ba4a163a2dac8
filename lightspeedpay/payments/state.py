"""The transaction state machine: a status only ever moves forward."""

from __future__ import annotations

TRANSITIONS: dict[str, frozenset[str]] = {
    "created": frozenset({"pending", "authorized", "paid", "failed", "expired"}),
    "pending": frozenset({"authorized", "paid", "failed", "expired"}),
    # refunded without paid: the authorization was never captured and went back to the payer
    "authorized": frozenset({"paid", "refunded"}),
    "paid": frozenset({"partially_refunded", "refunded"}),
    "partially_refunded": frozenset({"partially_refunded", "refunded"}),
    "refunded": frozenset(),
    "failed": frozenset(),
    "expired": frozenset(),
}


def can_move(current: str, new: str) -> bool:
    return new in TRANSITIONS.get(current, frozenset())
