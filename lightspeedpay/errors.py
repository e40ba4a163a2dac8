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


class NoSandboxGateway(AppError):
    """A test-mode payment found no active sandbox gateway: test payments never go to a live one."""

    status_code, code = 503, "NO_SANDBOX_GATEWAY"

    def __init__(self) -> None:
        super().__init__(
            "Test-mode payments go only to sandbox gateways, and none is active that can take this amount; "
            "ask the operator to add a sandbox gateway to the pool, or use your live key."
        )


class LiveModeNotActivated(Forbidden):
    status_code, code = 403, "LIVE_MODE_NOT_ACTIVATED"


class IpNotAllowed(Forbidden):
    status_code, code = 403, "IP_NOT_ALLOWED"


class IdempotencyKeyInvalid(AppError):
    status_code, code = 400, "IDEMPOTENCY_KEY_INVALID"


class IdempotencyKeyReused(AppError):
    status_code, code = 422, "IDEMPOTENCY_KEY_REUSED"


class IdempotencyKeyInUse(AppError):
    status_code, code = 409, "IDEMPOTENCY_KEY_IN_USE"


class AlertNotFound(AppError):
    status_code, code = 404, "ALERT_NOT_FOUND"

    def __init__(self) -> None:
        super().__init__("No alert with this id.", field="alert_id")


class AlertAlreadyResolved(AppError):
    status_code, code = 409, "ALERT_ALREADY_RESOLVED"

    def __init__(self) -> None:
        super().__init__(
            "This alert is already resolved; if its condition comes back, the rules open a new alert."
        )


class AlertAlreadyAcknowledged(AppError):
    status_code, code = 409, "ALERT_ALREADY_ACKNOWLEDGED"

    def __init__(self, by: str | None) -> None:
        super().__init__(
            f"This alert was already acknowledged{f' by {by}' if by else ''}; resolve it instead."
        )


class QueueNotFound(AppError):
    status_code, code = 404, "QUEUE_NOT_FOUND"

    def __init__(self, name: str, known: tuple[str, ...], *, field: str = "queue") -> None:
        super().__init__(f"No queue is named {name[:100]!r}; the queues are {', '.join(known)}.", field=field)


class JobNotFound(AppError):
    status_code, code = 404, "JOB_NOT_FOUND"

    def __init__(self) -> None:
        super().__init__("No job has this id (a job's id is its intent's id).", field="job_id")


class IntentNotFailed(AppError):
    status_code, code = 409, "INTENT_NOT_FAILED"

    def __init__(self, status: str) -> None:
        super().__init__(
            f"This job's intent is {status}, not failed; only a failed intent can be retried or discarded."
        )


class QueueBackendUnavailable(AppError):
    status_code, code = 503, "QUEUE_BACKEND_UNAVAILABLE"

    def __init__(self) -> None:
        super().__init__(
            "Redis, which holds the queues, did not answer; nothing was changed. Try again shortly."
        )


class InternalError(AppError):
    status_code, code = 500, "INTERNAL_ERROR"


class HttpError(AppError):
    """Starlette's own 404/405 for paths and methods no route serves."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code  # type: ignore[misc]
        self.code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(status_code, "HTTP_ERROR")  # type: ignore[misc]


class ReportNotFound(NotFound):
    """No health report for the day asked (issue 9, reports/)."""

    status_code, code = 404, "REPORT_NOT_FOUND"


class StreamNotFound(AppError):
    status_code, code = 404, "STREAM_NOT_FOUND"


class StreamsBusy(AppError):
    """This API process has as many open streams as LSP_STREAM_MAX_CONNECTIONS allows."""

    status_code, code = 503, "STREAMS_BUSY"


# analytics (issue 9)
class AnalyticsQueryInvalid(AppError):
    status_code, code = 400, "INVALID_ANALYTICS_QUERY"


class AnalyticsRangeTooLong(AppError):
    status_code, code = 400, "RANGE_TOO_LONG"


class AnalyticsTooManyBuckets(AppError):
    status_code, code = 400, "TOO_MANY_BUCKETS"
