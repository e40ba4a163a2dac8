"""One exception hierarchy for everything the SDK raises: API refusals (by HTTP status), network failures and
webhook verification failures. Each carries the API's `code`, its `message`, the `field` at fault, the HTTP
`status` and the platform's `request_id` (quote it to support)."""

from __future__ import annotations

from typing import Optional


class LightSpeedPayError(Exception):
    """The base of every error the SDK raises. Act on `code` (stable) and `status`, not on `message`."""

    def __init__(
        self,
        message: str,
        *,
        code: str,
        field: Optional[str] = None,
        status: Optional[int] = None,
        request_id: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field
        self.status = status
        self.request_id = request_id

    def __str__(self) -> str:
        parts = [f"{self.code}: {self.message}"]
        if self.field:
            parts.append(f"field={self.field}")
        if self.status is not None:
            parts.append(f"status={self.status}")
        if self.request_id:
            parts.append(f"request_id={self.request_id}")
        return " ".join(parts)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, message={self.message!r}, field={self.field!r}, "
            f"status={self.status!r}, request_id={self.request_id!r})"
        )


class APIConnectionError(LightSpeedPayError):
    """The platform could not be reached, or did not answer in time (after the retries allowed)."""


class APITimeoutError(APIConnectionError):
    """The request timed out (after the retries allowed)."""


class APIError(LightSpeedPayError):
    """The platform answered with an error status; the subclasses say which kind."""


class InvalidRequestError(APIError):
    """400, 405, 413, 415 or 422: the request is wrong (`field` names what); sending it again fails again."""


class AuthenticationError(APIError):
    """401: a missing or unknown key, a bad signature, a stale timestamp, a replayed request."""


class PaymentRequiredError(APIError):
    """402: the account is suspended for unpaid dues, or the PSP declined."""


class PermissionDeniedError(APIError):
    """403: the key may not do this (live mode not activated, an IP not on the allowlist, ...)."""


class NotFoundError(APIError):
    """404: no such payment, refund, endpoint, ... on this account."""


class ConflictError(APIError):
    """409: the request conflicts with the state of things (DUPLICATE_ORDER_ID, IDEMPOTENCY_KEY_IN_USE, ...)."""


class RateLimitError(APIError):
    """429: too many requests; `retry_after` is how many seconds the platform asked to wait."""

    def __init__(
        self,
        message: str,
        *,
        code: str,
        field: Optional[str] = None,
        status: Optional[int] = None,
        request_id: Optional[str] = None,
        retry_after: Optional[float] = None,
    ) -> None:
        super().__init__(message, code=code, field=field, status=status, request_id=request_id)
        self.retry_after = retry_after


class ServerError(APIError):
    """5xx: nothing was changed; the SDK retried with the same Idempotency-Key before giving up."""


class WebhookVerificationError(LightSpeedPayError):
    """A webhook delivery whose signature, headers or timestamp do not verify: do not trust its body."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="WEBHOOK_VERIFICATION_FAILED")


def error_class(status: int) -> type[APIError]:
    """The exception class for an HTTP error status."""
    if status in (400, 405, 413, 415, 422):
        return InvalidRequestError
    by_status: dict[int, type[APIError]] = {
        401: AuthenticationError,
        402: PaymentRequiredError,
        403: PermissionDeniedError,
        404: NotFoundError,
        409: ConflictError,
        429: RateLimitError,
    }
    if status in by_status:
        return by_status[status]
    return ServerError if status >= 500 else APIError
