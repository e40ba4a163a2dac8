"""Validating a raw JSON body (already read for its signature) into a model, with our error shape."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from lightspeedpay.errors import AppError, BadRequest, ValidationFailed

M = TypeVar("M", bound=BaseModel)

# stable codes for the fields merchants most often get wrong
_FIELD_CODES = {"amount": "INVALID_AMOUNT", "currency": "UNSUPPORTED_CURRENCY", "order_id": "INVALID_ORDER_ID"}


class FieldError(AppError):
    status_code = 422

    def __init__(self, code: str, message: str, field: str) -> None:
        super().__init__(message, field=field)
        self._code = code

    def body(self) -> dict[str, Any]:
        out = super().body()
        out["error"]["code"] = self._code
        return out


def parse_json(model: type[M], raw: bytes) -> M:
    if not raw.strip():
        raise BadRequest("The request body is empty; send a JSON object.")
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise from_validation_error(exc) from None


def from_validation_error(exc: ValidationError) -> AppError:
    first = exc.errors()[0]
    kind = first["type"]
    if kind == "json_invalid":
        return BadRequest("The request body is not valid JSON.")
    if kind == "model_type" or not first["loc"]:
        return BadRequest("The request body must be a JSON object.")
    field = ".".join(str(p) for p in first["loc"])
    top = str(first["loc"][0])
    message = _message(field, first)
    if kind == "extra_forbidden":
        return ValidationFailed(f"{field} is not a known field.", field=field)
    code = _FIELD_CODES.get(top)
    if code:
        return FieldError(code, message, field)
    return ValidationFailed(message, field=field)


def _message(field: str, error: Any) -> str:
    kind = error["type"]
    if kind == "missing":
        return f"{field} is required."
    if kind in ("int_type", "int_from_float", "int_parsing"):
        return f"{field} must be a whole number of paise (₹1 = 100), without quotes or decimals."
    if kind == "literal_error" and field == "currency":
        return "currency must be INR; no other currency is supported yet."
    if kind == "string_pattern_mismatch":
        return f"{field} has characters or a format that is not allowed."
    msg = str(error["msg"]).removeprefix("Value error, ")
    return f"{field} {msg[0].lower() + msg[1:] if msg else 'is invalid'}."
