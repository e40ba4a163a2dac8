"""Reading the console's filter and form fields: ids, amounts in rupees, local times; a malformed one is a
VALIDATION_ERROR that names the field, shown to the person like any refusal."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from lightspeedpay.dashboard import i18n
from lightspeedpay.errors import ValidationFailed
from lightspeedpay.kit.parsing import from_validation_error

M = TypeVar("M", bound=BaseModel)


def validated(model: type[M], values: dict[str, Any]) -> M:
    """A form's fields checked by the JSON API's own model, refused in the API's words."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise from_validation_error(exc) from None


def optional_uuid(value: str | None, field: str) -> uuid.UUID | None:
    if not value or not value.strip():
        return None
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        raise ValidationFailed(
            f"{field} must be an id like 0b9c…-…; copy it from the list.", field=field
        ) from None


def required_uuid(value: str | None, field: str) -> uuid.UUID:
    found = optional_uuid(value, field)
    if found is None:
        raise ValidationFailed(f"{field} is required.", field=field)
    return found


# the largest amount a form takes, in paise (₹10 lakh crore): far past any payment, well inside PostgreSQL's bigint
MAX_PAISE = 10**15


def rupees(value: str | None, field: str, *, signed: bool = False) -> int:
    """₹ as typed (1,00,000.50 or -250) -> paise; at most two decimals."""
    raw = (value or "").replace(",", "").replace("₹", "").strip()
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        raise ValidationFailed(f"{field} must be an amount in rupees, like 2500.00.", field=field) from None
    paise = amount * 100
    if not amount.is_finite() or paise != paise.to_integral_value():
        raise ValidationFailed(f"{field} takes at most two decimals (paise).", field=field)
    if not signed and paise <= 0:
        raise ValidationFailed(f"{field} must be more than zero.", field=field)
    if abs(paise) > MAX_PAISE:
        raise ValidationFailed(f"{field} is larger than any amount the platform handles.", field=field)
    return int(paise)


def local_time(value: str | None, field: str) -> datetime | None:
    """A datetime-local field in the person's zone, as UTC."""
    if not value or not value.strip():
        return None
    found = i18n.parse_local(value.strip())
    if found is None:
        raise ValidationFailed(f"{field} must be a date and time.", field=field)
    return found


def optional_date(value: str | None, field: str) -> date | None:
    if not value or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed(f"{field} must be a date (YYYY-MM-DD).", field=field) from None


def choice(value: str | None, allowed: tuple[str, ...] | list[str]) -> str | None:
    """A select's value when it is one of the choices, else none (a stale bookmark shows everything)."""
    return value if value in allowed else None
