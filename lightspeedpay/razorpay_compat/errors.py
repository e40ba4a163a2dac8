"""Razorpay's error body, for the /v1 surface only:
`{"error": {"code", "description", "field", "source", "step", "reason", "metadata"}}`.

`code` is what Razorpay's client libraries turn into exceptions (BAD_REQUEST_ERROR → BadRequestError,
GATEWAY_ERROR → GatewayError, SERVER_ERROR → ServerError); our own stable code is in `reason`, lower-cased,
or `input_validation_failed` for bad input, as Razorpay words it. Business errors answer 400 as Razorpay's do;
401, 403 of the key (LIVE_MODE_NOT_ACTIVATED, IP_NOT_ALLOWED), 409/422 (idempotency), 413, 415, 429,
unknown paths and 5xx keep their status."""

from __future__ import annotations

from fastapi.responses import Response

from lightspeedpay.errors import AppError, HttpError
from lightspeedpay.kit.responses import json_response

VALIDATION_CODES = frozenset(
    {"VALIDATION_ERROR", "BAD_REQUEST", "INVALID_AMOUNT", "UNSUPPORTED_CURRENCY", "INVALID_ORDER_ID"}
)
# besides 401, the refusals of the key itself (not business errors) keep their 403: live mode before KYC
# activation, a request from outside the key's IP allowlist
_KEEP_STATUS = frozenset(
    {
        "IDEMPOTENCY_KEY_REUSED",
        "IDEMPOTENCY_KEY_IN_USE",
        "PAYLOAD_TOO_LARGE",
        "UNSUPPORTED_MEDIA_TYPE",
        "LIVE_MODE_NOT_ACTIVATED",
        "IP_NOT_ALLOWED",
        "RATE_LIMITED",  # Razorpay answers 429 too ("Too many requests")
    }
)


def render(exc: AppError) -> Response:
    code = exc.body()["error"]["code"]
    status = exc.status_code
    validation = code in VALIDATION_CODES
    if status >= 500:
        rzp_code = "GATEWAY_ERROR" if status in (502, 503, 504) else "SERVER_ERROR"
    else:
        rzp_code = "BAD_REQUEST_ERROR"
        if status != 401 and code not in _KEEP_STATUS and not isinstance(exc, HttpError):
            status = 400
    error: dict[str, object] = {
        "code": rzp_code,
        "description": exc.message,
        "field": exc.field,
        "source": "business" if validation or (status == 400 and code != "NOT_FOUND") else "NA",
        "step": "payment_initiation" if validation else "NA",
        "reason": "input_validation_failed" if validation else code.lower(),
        "metadata": {},
    }
    return json_response({"error": error}, status_code=status)
