"""Business errors of orders, capture and refunds, each with its HTTP status and stable code."""

from __future__ import annotations

from lightspeedpay.errors import AppError


class OrderNotPayable(AppError):
    status_code, code = 409, "ORDER_NOT_PAYABLE"


class PaymentNotCapturable(AppError):
    status_code, code = 409, "PAYMENT_NOT_CAPTURABLE"


class CaptureAmountMismatch(AppError):
    status_code, code = 422, "CAPTURE_AMOUNT_MISMATCH"


class RefundNotAllowed(AppError):
    status_code, code = 409, "REFUND_NOT_ALLOWED"


class RefundLimitExceeded(AppError):
    """A person with the merchant's support role asked for more than the support refund limit."""

    status_code, code = 403, "REFUND_LIMIT_EXCEEDED"


class RefundExceedsPaid(AppError):
    status_code, code = 422, "REFUND_EXCEEDS_PAID"

    def __init__(self, requested: int, refundable: int) -> None:
        super().__init__(
            f"The refund amount ({requested} paise) is greater than what is left to refund of the "
            f"captured amount ({refundable} paise, counting refunds still pending).",
            field="amount",
        )


class PspRefused(AppError):
    """The PSP answered no to a capture."""

    status_code, code = 402, "PSP_DECLINED"


class PspUnavailable(AppError):
    status_code, code = 502, "PSP_UNAVAILABLE"
