"""Validating a raw JSON body (already read for its signature) into a model, with our error shape; and the
one rule for which media types a JSON route takes."""

from __future__ import annotations

import json
import math
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from lightspeedpay.errors import AppError, BadRequest, UnsupportedMediaType, ValidationFailed

M = TypeVar("M", bound=BaseModel)

# stable codes for the fields merchants most often get wrong
_FIELD_CODES = {
    "amount": "INVALID_AMOUNT",
    "currency": "UNSUPPORTED_CURRENCY",
    "order_id": "INVALID_ORDER_ID",
}


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
        return validate_json(model, raw)
    except ValidationError as exc:
        raise from_validation_error(exc) from None


def validate_json(model: type[M], raw: bytes) -> M:
    """`model.model_validate_json`, then refuse what JSON can spell but we can neither store nor hash, anywhere
    in the document (free-form notes included): a NUL character in a string or a key (PostgreSQL text cannot
    hold it), a number that is not finite (`1e400`, `NaN`: JSON columns and responses cannot carry it) and an
    integer past 64 bits (the idempotency fingerprint, the response encoder and bigint columns cannot).
    Raises pydantic's ValidationError, so each API face words the error its own way."""
    value = model.model_validate_json(raw)
    problem = _unstorable(raw)
    if problem is not None:
        raise ValidationError.from_exception_data(model.__name__, [problem])
    return value


_INT64 = 2**63
_TOO_LONG = object()  # an integer literal of more than 19 digits: past 64 bits, and not worth converting


def _int_literal(text: str) -> object:
    return _TOO_LONG if len(text.lstrip("-")) > 19 else int(text)


def _unstorable(raw: bytes) -> InitErrorDetails | None:
    try:
        document = json.loads(raw, parse_int=_int_literal)
    except (ValueError, RecursionError):
        return None  # pydantic's parser accepted it and is the judge of syntax; nothing here to refuse
    # iterative: a deeply nested document must not exhaust the stack
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), document)]
    while stack:
        loc, node = stack.pop()
        if isinstance(node, dict):
            for key, child in node.items():
                if "\x00" in key:
                    return _problem(
                        loc or ("body",),
                        "nul_character",
                        "must not have a key with a NUL character (\\u0000)",
                    )
                stack.append(((*loc, key), child))
        elif isinstance(node, list):
            stack.extend(((*loc, i), child) for i, child in enumerate(node))
        elif isinstance(node, str):
            if "\x00" in node:
                return _problem(loc, "nul_character", "must not contain a NUL character (\\u0000)")
        elif node is _TOO_LONG or (
            isinstance(node, int) and not isinstance(node, bool) and not -_INT64 <= node < _INT64
        ):
            return _problem(
                loc, "int_too_large", "must be an integer within 64 bits (at most 9223372036854775807)"
            )
        elif isinstance(node, float) and not math.isfinite(node):
            return _problem(loc, "finite_number", "must be a finite number")
    return None


def _problem(loc: tuple[str | int, ...], kind: str, message: str) -> InitErrorDetails:
    return {"type": PydanticCustomError(kind, message), "loc": loc or ("body",), "input": None}


# --- media types ----------------------------------------------------------------------------------------


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


_JSON_ONLY: dict[int, bool] = {}


def _takes_json_only(route: Any) -> bool:
    """Whether the route documents a request body and only as JSON (routes that read their signed body by hand
    say so in `openapi_extra`; PSP webhooks and the checkout's forms do not)."""
    known = _JSON_ONLY.get(id(route))
    if known is None:
        content = ((getattr(route, "openapi_extra", None) or {}).get("requestBody") or {}).get(
            "content"
        ) or {}
        known = _JSON_ONLY[id(route)] = bool(content) and all(_is_json(t) for t in content)
    return known


async def require_json_media_type(request: Request) -> None:
    """An app-wide dependency: a body sent to a JSON route must say it is JSON. Without this, the same bytes sent
    as text/plain, a form or multipart were parsed as JSON anyway (a form post from any web page is a "simple"
    request that browsers send cross-origin without asking). A request without a body passes."""
    route = request.scope.get("route")
    if route is None or not _takes_json_only(route):
        return
    headers = request.headers
    if headers.get("content-length", "0") in ("", "0") and "transfer-encoding" not in headers:
        return
    media_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if not _is_json(media_type):
        raise UnsupportedMediaType(
            f"Send the request body as JSON with `Content-Type: application/json` (got "
            f"{'no Content-Type' if not media_type else repr(media_type[:100])}).",
            field="Content-Type",
        )


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
