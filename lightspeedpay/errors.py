"""The error catalogue: each error carries its HTTP status and a stable code. How they become responses is
`http_errors`."""

from __future__ import annotations

from typing import Any, ClassVar


class AppError(Exception):
    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "BAD_REQUEST"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field:
            error["field"] = self.field
        return {"error": error}

    @classmethod
    def openapi(cls) -> dict[int | str, dict[str, Any]]:
        return {cls.status_code: {"description": cls.code}}


class BadRequest(AppError):
    status_code, code = 400, "BAD_REQUEST"


class ValidationFailed(AppError):
    status_code, code = 422, "VALIDATION_ERROR"


class Unauthorized(AppError):
    status_code, code = 401, "UNAUTHORIZED"


class InvalidSignature(AppError):
    status_code, code = 401, "INVALID_SIGNATURE"


class StaleTimestamp(AppError):
    status_code, code = 401, "STALE_TIMESTAMP"


class RequestReplayed(AppError):
    status_code, code = 401, "REQUEST_REPLAYED"


class ReplayCheckUnavailable(AppError):
    status_code, code = 503, "REPLAY_CHECK_UNAVAILABLE"


class Forbidden(AppError):
    status_code, code = 403, "FORBIDDEN"


class NotFound(AppError):
    status_code, code = 404, "NOT_FOUND"


class Conflict(AppError):
    status_code, code = 409, "CONFLICT"


class DuplicateOrderId(AppError):
    status_code, code = 409, "DUPLICATE_ORDER_ID"


class PayloadTooLarge(AppError):
    status_code, code = 413, "PAYLOAD_TOO_LARGE"


class UnsupportedMediaType(AppError):
    status_code, code = 415, "UNSUPPORTED_MEDIA_TYPE"


class MerchantSuspended(AppError):
    status_code, code = 402, "MERCHANT_SUSPENDED"

    def __init__(self, due: int, threshold: int, status: str = "active") -> None:
        # suspended for dues (status "suspended" and due >= threshold): say how much is due
        if status != "active" and (status != "suspended" or due < threshold):
            super().__init__(
                f"This merchant account is {status}; contact the operator to re-enable payments."
            )
        else:
            super().__init__(
                f"Commission due ₹{due / 100:,.2f} has reached the limit ₹{threshold / 100:,.2f}; "
                "pay your dues to resume payments."
            )


class NoGatewayAvailable(AppError):
    status_code, code = 503, "NO_GATEWAY_AVAILABLE"

    def __init__(self) -> None:
        super().__init__(
            "No payment gateway can take this amount right now; try again later or a smaller amount."
        )


class IdempotencyKeyInvalid(AppError):
    status_code, code = 400, "IDEMPOTENCY_KEY_INVALID"


class IdempotencyKeyReused(AppError):
    status_code, code = 422, "IDEMPOTENCY_KEY_REUSED"


class IdempotencyKeyInUse(AppError):
    status_code, code = 409, "IDEMPOTENCY_KEY_IN_USE"


class InternalError(AppError):
    status_code, code = 500, "INTERNAL_ERROR"


class HttpError(AppError):
    """Starlette's own 404/405 for paths and methods no route serves."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code  # type: ignore[misc]
        self.code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(status_code, "HTTP_ERROR")  # type: ignore[misc]


# analytics (issue 9)
class AnalyticsQueryInvalid(AppError):
    status_code, code = 400, "INVALID_ANALYTICS_QUERY"


class AnalyticsRangeTooLong(AppError):
    status_code, code = 400, "RANGE_TOO_LONG"


class AnalyticsTooManyBuckets(AppError):
    status_code, code = 400, "TOO_MANY_BUCKETS"
