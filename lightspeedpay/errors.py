"""Errors carry their HTTP status and a stable code; every error response has one shape."""

from __future__ import annotations

from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

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


class MerchantSuspended(AppError):
    status_code, code = 402, "MERCHANT_SUSPENDED"

    def __init__(self, due: int, threshold: int, status: str = "active") -> None:
        if status != "active":
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


def install(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(_: Request, exc: AppError) -> Response:
        return json_response(exc.body(), status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> Response:
        err = _validation_error(exc)
        return json_response(err.body(), status_code=err.status_code)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(exc.status_code, "HTTP_ERROR")
        return json_response({"error": {"code": code, "message": str(exc.detail)}}, status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled_error", path=request.url.path)
        return json_response({"error": {"code": "INTERNAL_ERROR", "message": "Something went wrong on our side; "
                                         "it has been logged."}}, status_code=500)
