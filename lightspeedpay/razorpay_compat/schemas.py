"""Request bodies and list parameters of the /v1 API, validated with Razorpay's wording."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, ValidationError, field_validator

from lightspeedpay.config import get_settings
from lightspeedpay.errors import AppError, BadRequest, ValidationFailed
from lightspeedpay.kit.pagination import OffsetWindow
from lightspeedpay.kit.parsing import validate_json
from lightspeedpay.payments.schemas import NoteValue
from lightspeedpay.refunds.schemas import RefundCreate

Notes = dict[Annotated[str, Field(max_length=64)], NoteValue]
MIN_ORDER_AMOUNT = 100  # INR 1.00


class OrderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: StrictInt = Field(description="In paise; at least 100 (₹1.00).", examples=[50000])
    currency: str = Field(description="INR is the only currency supported.", examples=["INR"])
    receipt: Annotated[str, Field(max_length=40)] | None = None
    notes: Notes | list[Any] | None = Field(default=None, description="Up to 15 key-value pairs.")
    partial_payment: StrictBool = False

    @field_validator("amount")
    @classmethod
    def _amount(cls, value: int) -> int:
        if value < MIN_ORDER_AMOUNT:
            raise ValueError("The amount must be at least INR 1.00")
        if value > get_settings().max_amount:
            raise ValueError(f"The amount may not be greater than {get_settings().max_amount}")
        return value

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        if value != "INR":
            raise ValueError("The selected currency is invalid; INR is the only currency supported.")
        return value

    @field_validator("notes")
    @classmethod
    def _notes(cls, value: Any) -> Any:
        if isinstance(value, list):
            if value:
                raise ValueError("The notes must be an object of key-value pairs.")
            return None  # Razorpay writes empty notes as []
        if value is not None and len(value) > 15:
            raise ValueError("Number of fields in notes should be less than or equal to 15")
        return value

    @field_validator("partial_payment")
    @classmethod
    def _partial(cls, value: bool) -> bool:
        if value:
            raise ValueError("Partial payments are not supported; create an order for the amount to pay.")
        return value


class CaptureRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: StrictInt = Field(description="Must equal the authorized amount, in paise.", examples=[50000])
    currency: str | None = Field(default=None, examples=["INR"])

    @field_validator("amount")
    @classmethod
    def _amount(cls, value: int) -> int:
        # refused here, so that a negative amount never reaches the capture's own checks
        if value <= 0:
            raise ValueError("The amount must be a positive whole number of paise")
        return value


class RazorpayRefundCreate(RefundCreate):
    """Razorpay's refund request (the same fields as the native one)."""


def parse(model: type[BaseModel], raw: bytes, *, empty_is_object: bool = False) -> Any:
    if not raw.strip():
        if not empty_is_object:
            raise BadRequest("The request body is empty; send a JSON object.")
        raw = b"{}"
    try:
        return validate_json(model, raw)
    except ValidationError as exc:
        raise _error(exc) from None


def _error(exc: ValidationError) -> AppError:
    first = exc.errors()[0]
    kind, loc = first["type"], first["loc"]
    if kind == "json_invalid":
        return BadRequest("The request body is not valid JSON.")
    if kind == "model_type" or not loc:
        return BadRequest("The request body must be a JSON object.")
    field = str(loc[0]) if loc[0] != "notes" else "notes"
    if kind == "missing":
        return ValidationFailed(f"The {field} field is required.", field=field)
    if kind == "extra_forbidden":
        return ValidationFailed(f"{field} is/are not required and should not be sent", field=field)
    if kind in ("int_type", "int_from_float", "int_parsing"):
        return ValidationFailed(f"The {field} must be an integer.", field=field)
    if kind == "string_too_long":
        return ValidationFailed(
            f"The {field} may not be greater than {first['ctx']['max_length']} characters.", field=field
        )
    if kind == "too_long" and field == "notes":
        return ValidationFailed("Number of fields in notes should be less than or equal to 15", field=field)
    if kind in ("bool_type", "string_type"):
        return ValidationFailed(
            f"The {field} must be a {'boolean' if kind == 'bool_type' else 'string'}.", field=field
        )
    if kind == "literal_error":
        return ValidationFailed(f"The selected {field} is invalid.", field=field)
    message = str(first["msg"]).removeprefix("Value error, ")
    if field == "amount" and message.startswith("must be"):
        message = f"The amount {message}."
    return ValidationFailed(message if message[:1].isupper() else f"The {field} {message}.", field=field)


def _int_param(
    request: Request, name: str, default: int | None, *, low: int, high: int | None = None
) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    digits = raw.removeprefix("-")
    # ASCII digits only: str.isdigit() alone accepts '²', which int() refuses
    if not (digits.isascii() and digits.isdigit()):
        raise ValidationFailed(f"The {name} must be an integer.", field=name)
    if len(digits) > 18:  # past every bound here (and int() refuses thousands of digits)
        raise ValidationFailed(f"The {name} is out of range.", field=name)
    value = int(raw)
    if value < low:
        raise ValidationFailed(f"The {name} must be at least {low}.", field=name)
    if high is not None and value > high:
        raise ValidationFailed(f"The {name} may not be greater than {high}.", field=name)
    return value


def window(request: Request, *, extra: tuple[str, ...] = ()) -> OffsetWindow:
    """Razorpay's list parameters: count (1-100, default 10), skip (default 0), from and to (Unix seconds)."""
    for name in request.query_params:
        if name not in ("count", "skip", "from", "to", *extra):
            raise ValidationFailed(f"{name} is/are not required and should not be sent", field=name)
    count = _int_param(request, "count", 10, low=1, high=100)
    skip = _int_param(request, "skip", 0, low=0, high=1_000_000)
    start = _int_param(request, "from", None, low=0, high=4_102_444_800)
    end = _int_param(request, "to", None, low=0, high=4_102_444_800)
    if start is not None and end is not None and end < start:
        raise ValidationFailed("The to must be greater than or equal to from.", field="to")
    assert count is not None and skip is not None
    return OffsetWindow(
        count=count,
        skip=skip,
        created_from=datetime.fromtimestamp(start, UTC) if start is not None else None,
        created_to=datetime.fromtimestamp(end, UTC) if end is not None else None,
    )
