"""The transaction state machine: a status only ever moves forward."""

from __future__ import annotations

from lightspeedpay.models.transaction import TransactionStatus as S

TRANSITIONS: dict[S, frozenset[S]] = {
    S.CREATED: frozenset({S.PENDING, S.AUTHORIZED, S.PAID, S.FAILED, S.EXPIRED}),
    S.PENDING: frozenset({S.AUTHORIZED, S.PAID, S.FAILED, S.EXPIRED}),
    # refunded without paid: the authorization was never captured and went back to the payer
    S.AUTHORIZED: frozenset({S.PAID, S.REFUNDED}),
    S.PAID: frozenset({S.PARTIALLY_REFUNDED, S.REFUNDED}),
    S.PARTIALLY_REFUNDED: frozenset({S.PARTIALLY_REFUNDED, S.REFUNDED}),
    S.REFUNDED: frozenset(),
    S.FAILED: frozenset(),
    S.EXPIRED: frozenset(),
}


def can_move(current: str, new: str) -> bool:
    # plain strings are accepted too (a row's status, a PSP's parsed verdict): a StrEnum equals and hashes as its
    # value; an unknown status moves nowhere
    return current in TRANSITIONS and new in TRANSITIONS[S(current)]
