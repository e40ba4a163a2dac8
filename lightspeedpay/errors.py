"""Errors carry their HTTP status and a stable code; every error response has one shape."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from lightspeedpay.kit.logging import log
from lightspeedpay.kit.responses import json_response


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
            super().__init__(f"This merchant account is {status}; contact the operator to re-enable payments.")
        else:
            super().__init__(
                f"Commission due ₹{due / 100:,.2f} has reached the limit ₹{threshold / 100:,.2f}; "
                "pay your dues to resume payments."
            )


class NoGatewayAvailable(AppError):
    status_code, code = 503, "NO_GATEWAY_AVAILABLE"

    def __init__(self) -> None:
        super().__init__("No payment gateway can take this amount right now; try again later or a smaller amount.")


_FIELD_MESSAGES = {
    "missing": "is required",
    "int_type": "must be an integer number of paise",
    "int_parsing": "must be an integer number of paise",
    "int_from_float": "must be an integer number of paise, not a fraction",
}


def _validation_error(exc: RequestValidationError) -> AppError:
    first = exc.errors()[0] if exc.errors() else {}
    loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path", "header")]
    field = ".".join(loc) or None
    kind = first.get("type", "")
    if kind == "json_invalid":
        return BadRequest("The request body is not valid JSON.", field=None)
    if kind == "model_attributes_type" or (kind == "dict_type" and not loc):
        return BadRequest("The request body must be a JSON object.")
    detail = _FIELD_MESSAGES.get(kind) or first.get("msg", "is invalid")
    return ValidationFailed(f"{field or 'request'} {detail}".strip(), field=field)


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


# An API surface that words its errors differently (the Razorpay-compatible /v1): path prefix -> renderer.
ErrorRenderer = Callable[[AppError], Response]
_SURFACES: list[tuple[str, ErrorRenderer]] = []


def register_surface(path_prefix: str, renderer: ErrorRenderer) -> None:
    _SURFACES.append((path_prefix, renderer))


def render(path: str, exc: AppError) -> Response:
    """The error response for a request to `path`: our shape, or the shape of the surface it belongs to."""
    for prefix, renderer in _SURFACES:
        if path == prefix.rstrip("/") or path.startswith(prefix):
            return renderer(exc)
    return json_response(exc.body(), status_code=exc.status_code)


def install(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> Response:
        return render(request.url.path, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        return render(request.url.path, _validation_error(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        return render(request.url.path, HttpError(exc.status_code, str(exc.detail)))

    @app.exception_handler(ClientDisconnect)
    async def _gone(_: Request, __: ClientDisconnect) -> Response:
        return Response(status_code=499)  # the client went away; nothing to answer, nothing to log

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled_error", path=request.url.path)
        return render(request.url.path, unexpected())


def unexpected() -> AppError:
    return InternalError("Something went wrong on our side; it has been logged.")
