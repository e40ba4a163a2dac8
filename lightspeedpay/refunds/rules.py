"""What may be refunded, free of I/O so that it can be checked exhaustively (tests/refunds/test_rules.py)."""

from __future__ import annotations

from lightspeedpay.models.transaction import TransactionStatus
from lightspeedpay.payments.errors import RefundExceedsPaid, RefundNotAllowed

REFUNDABLE_STATUSES = (TransactionStatus.PAID, TransactionStatus.PARTIALLY_REFUNDED)


def refund_amount(*, status: str, amount: int, committed: int, requested: int | None) -> int:
    """The amount of a new refund of a payment of `amount` in `status` with `committed` paise already refunded
    or being refunded: `requested`, or all that is left when None. Raises the error the merchant sees."""
    if status not in REFUNDABLE_STATUSES:
        if status == TransactionStatus.REFUNDED:
            raise RefundNotAllowed("The payment has been fully refunded already.", field="payment_id")
        raise RefundNotAllowed(
            f"Only captured payments can be refunded; this payment is {status}.", field="payment_id"
        )
    refundable = amount - committed
    chosen = requested if requested is not None else refundable
    if refundable <= 0 or chosen > refundable:
        raise RefundExceedsPaid(chosen, max(refundable, 0))
    return chosen
