"""How adapters talk to PSPs: one HTTP path with one mapping of failures, and links that open a hosted form.

Timeouts, network trouble, 5xx and "try later" answers become PspTechnicalError (retryable elsewhere);
any other 4xx is the PSP saying no, a PspDeclined. Each PSP only says how to read its own error body.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

import httpx

from lightspeedpay.gateways.adapters.base import (
    GatewayAccount,
    InvalidPspSignature,
    PspDeclined,
    PspTechnicalError,
)
from lightspeedpay.kit import http, metrics

# Reads a PSP's error body into (code, message); either may be empty when the body does not say.
DeclineReader = Callable[[Any], tuple[str, str]]

# 4xx answers that mean "not now" rather than "no"
_RETRYABLE_4XX = frozenset({408, 425, 429})


def url(account: GatewayAccount, path: str) -> str:
    return account.base_url.rstrip("/") + path


def _snippet(resp: httpx.Response) -> str:
    return resp.text[:200]


async def send(account: GatewayAccount, method: str, target: str, **kwargs: Any) -> httpx.Response:
    """Send one request; failures to get a usable answer raise PspTechnicalError. 4xx are returned. Each call is
    timed in lsp_psp_call_seconds."""
    started = time.perf_counter()

    def timed(outcome: str) -> None:
        metrics.PSP_CALL_SECONDS.labels(account.name, account.provider, outcome).observe(
            time.perf_counter() - started
        )

    try:
        resp = await http.client().request(method, target, **kwargs)
    except httpx.TimeoutException as exc:
        timed(metrics.psp_outcome(None, timeout=True))
        raise PspTechnicalError("PSP_TIMEOUT", f"{account.provider} did not answer in time") from exc
    except httpx.HTTPError as exc:
        timed(metrics.psp_outcome(None))
        raise PspTechnicalError("PSP_UNREACHABLE", f"{account.provider}: {type(exc).__name__}") from exc
    timed(metrics.psp_outcome(resp.status_code))
    if resp.status_code >= 500 or resp.status_code in _RETRYABLE_4XX:
        raise PspTechnicalError(f"PSP_HTTP_{resp.status_code}", _snippet(resp))
    return resp


def answer(resp: httpx.Response, decline: DeclineReader) -> Any:
    """The JSON body of a 2xx answer; a 4xx becomes PspDeclined with the PSP's own code and words."""
    try:
        body = resp.json() if resp.content else {}
    except ValueError as exc:
        if resp.status_code >= 400:
            raise PspDeclined(f"PSP_HTTP_{resp.status_code}", _snippet(resp)) from exc
        raise PspTechnicalError("PSP_BAD_RESPONSE", _snippet(resp)) from exc
    if resp.status_code >= 400:
        code, message = decline(body)
        raise PspDeclined(code or f"PSP_HTTP_{resp.status_code}", message or _snippet(resp))
    return body


async def call_json(
    account: GatewayAccount, method: str, target: str, *, decline: DeclineReader, **kwargs: Any
) -> Any:
    return answer(await send(account, method, target, **kwargs), decline)


def require(body: Any, key: str) -> Any:
    """A field a successful answer must have; its absence means the PSP answered something else."""
    if not isinstance(body, Mapping) or body.get(key) in (None, ""):
        raise PspTechnicalError("PSP_BAD_RESPONSE", f"answer has no {key!r}")
    return body[key]


def error_object_decline(body: Any) -> tuple[str, str]:
    """`{"error": {"code", "description"}}`, the shape Razorpay and the sandbox use."""
    err = body.get("error") if isinstance(body, Mapping) else None
    if not isinstance(err, Mapping):
        return "", ""
    return str(err.get("code") or ""), str(err.get("description") or "")


def form_launch_url(account: GatewayAccount, action: str, fields: Mapping[str, str]) -> str:
    """A GET link that posts `fields` to a PSP's hosted-form `action` from the payer's browser.

    PayU and Razorpay's hosted checkout start with a browser form POST. The simulator serves the
    launcher page at `<base_url>/_sim/launch`; in production set the optional credential
    `checkout_launcher_url` to the platform page that renders the same self-submitting form.
    """
    launcher = account.credentials.get("checkout_launcher_url") or url(account, "/_sim/launch")
    return f"{launcher}?{urlencode({'action': action, **fields})}"


def lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def json_event(provider: str, body: bytes) -> dict[str, Any]:
    """A verified webhook body that must be a JSON object; anything else is refused like a bad signature."""
    try:
        event = json.loads(body)
    except ValueError as exc:
        raise InvalidPspSignature(f"malformed {provider} event: {exc}") from exc
    if not isinstance(event, dict):
        raise InvalidPspSignature(f"malformed {provider} event: not an object")
    return event


def paise(amount: Any) -> int | None:
    """A rupee amount as PSPs write it in text ("10.00") to integer paise; None when it is not one."""
    try:
        value = Decimal(str(amount)) * 100
    except (InvalidOperation, ValueError):
        return None
    return int(value) if value.is_finite() and value == value.to_integral_value() else None


def rupees(amount: int) -> str:
    """Integer paise as the two-decimal rupee text hosted forms expect ("500.00")."""
    return f"{amount // 100}.{amount % 100:02d}"
