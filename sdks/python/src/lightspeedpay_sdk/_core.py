"""What the sync and the async client share, without doing any I/O: the configuration, the description of an
API call, its signed HTTP request, the retry policy, and the mapping of error answers to exceptions. The two
clients only send the requests and sleep."""

from __future__ import annotations

import base64
import email.utils
import hashlib
import hmac
import json
import logging
import os
import random
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Callable, Generic, Optional, TypeVar, Union
from urllib.parse import urlencode, urlsplit

import httpx

from lightspeedpay_sdk._version import __version__
from lightspeedpay_sdk.errors import (
    APIConnectionError,
    APITimeoutError,
    LightSpeedPayError,
    RateLimitError,
    error_class,
)

T = TypeVar("T")
QueryValue = Union[str, int, bool, None]

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
USER_AGENT = f"lightspeedpay-python/{__version__}"
log = logging.getLogger("lightspeedpay_sdk")


def sign(secret: str, timestamp: str, method: str, path: str, body: bytes) -> str:
    """The native API's X-Signature: hex HMAC-SHA256 of "timestamp.METHOD.path.body" keyed with the key secret.
    `path` is the request line's path with its query; `body` the exact bytes sent (empty for a GET)."""
    message = f"{timestamp}.{method}.{path}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class _Secret:
    """The key secret, kept out of every repr, str and log line."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "<secret hidden>"

    __str__ = __repr__


@dataclass(frozen=True)
class Config:
    """A client's settings. `key_secret` is held so that it never shows in a repr."""

    base_url: str
    key_id: str
    key_secret: _Secret = field(repr=False)
    timeout: float
    max_retries: int
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    max_retry_after: float = 60.0
    user_agent: str = USER_AGENT

    @classmethod
    def make(
        cls,
        key_id: Optional[str],
        key_secret: Optional[str],
        base_url: Optional[str],
        *,
        timeout: float,
        max_retries: int,
        backoff_base: float,
        backoff_max: float,
    ) -> Config:
        """The settings from the arguments, falling back on LSP_KEY_ID, LSP_KEY_SECRET and LSP_API."""
        key_id = key_id or os.environ.get("LSP_KEY_ID")
        key_secret = key_secret or os.environ.get("LSP_KEY_SECRET")
        if not key_id or not key_secret:
            raise ValueError(
                "an API key id and secret are needed (arguments, or LSP_KEY_ID and LSP_KEY_SECRET)"
            )
        if max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        return cls(
            base_url=(base_url or os.environ.get("LSP_API") or DEFAULT_BASE_URL).rstrip("/"),
            key_id=key_id,
            key_secret=_Secret(key_secret),
            timeout=timeout,
            max_retries=max_retries,
            backoff_base=backoff_base,
            backoff_max=backoff_max,
        )

    @property
    def mode(self) -> str:
        return "test" if self.key_id.startswith("lsp_test_") else "live"


def json_body(response: httpx.Response) -> Any:
    return response.json()


@dataclass(frozen=True)
class Call(Generic[T]):
    """One API operation: what to send, how to authenticate it, whether resending it is safe, and how to read
    the answer. A POST gets its Idempotency-Key when the call is made; every retry of the call reuses it."""

    method: str
    path: str
    parse: Callable[[httpx.Response], T]
    query: Mapping[str, QueryValue] = field(default_factory=dict)
    body: Optional[Mapping[str, Any]] = None
    basic_auth: bool = False  # the Razorpay-compatible /v1 takes HTTP Basic, not the signature
    # the platform deduplicates this route by Idempotency-Key (or it only reads): a resend after a lost answer
    # is safe; other calls are retried only when the request cannot have been acted on
    idempotent: bool = False
    idempotency_key: Optional[str] = None

    def path_with_query(self) -> str:
        pairs = [(k, _query_text(v)) for k, v in self.query.items() if v is not None]
        return f"{self.path}?{urlencode(pairs)}" if pairs else self.path


def _query_text(value: QueryValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def new_idempotency_key(given: Optional[str] = None) -> str:
    return given or str(uuid.uuid4())


def build_request(config: Config, call: Call[Any], *, now: Optional[float] = None) -> httpx.Request:
    """The call's HTTP request, signed now (every attempt is signed anew: a retry must not go stale)."""
    target = call.path_with_query()
    url = config.base_url + target
    content = b"" if call.body is None else json.dumps(call.body, separators=(",", ":")).encode()
    headers = {"User-Agent": config.user_agent, "Accept": "application/json"}
    if content:
        headers["Content-Type"] = "application/json"
    if call.idempotency_key is not None:
        headers["Idempotency-Key"] = call.idempotency_key
    secret = config.key_secret.reveal()
    if call.basic_auth:
        pair = base64.b64encode(f"{config.key_id}:{secret}".encode()).decode()
        headers["Authorization"] = f"Basic {pair}"
    else:
        # milliseconds: two identical requests within a second are signed differently (not REQUEST_REPLAYED)
        timestamp = str(int((time.time() if now is None else now) * 1000))
        # the request line's path, with the base URL's own path prefix if it has one
        signed_path = urlsplit(config.base_url).path + target
        headers["X-Client-Key"] = config.key_id
        headers["X-Timestamp"] = timestamp
        headers["X-Signature"] = sign(secret, timestamp, call.method, signed_path, content)
    return httpx.Request(call.method, url, headers=headers, content=content)


# ---- retries --------------------------------------------------------------------------------------------------

# failures where the request never reached the platform: safe to resend whatever the call
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def retry_after_seconds(response: httpx.Response, *, now: Optional[float] = None) -> Optional[float]:
    """The Retry-After header as seconds to wait: a number of seconds or an HTTP date; None when absent or
    unreadable."""
    raw = response.headers.get("Retry-After")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _error_code(response: httpx.Response) -> Optional[str]:
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        return None
    reason = error.get("reason")  # /v1 words our code as Razorpay's reason, lower-cased
    code = reason.upper() if isinstance(reason, str) and reason else error.get("code")
    return code if isinstance(code, str) else None


@dataclass(frozen=True)
class RetryPolicy:
    """When to try a call again, and after how long: connection failures, 409 IDEMPOTENCY_KEY_IN_USE, 429 (after
    its Retry-After) and 5xx, with exponential backoff and jitter; never another 4xx."""

    max_retries: int
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    max_retry_after: float = 60.0

    def backoff(self, attempt: int) -> float:
        """Attempt 1 failed: about base, then 2x, 4x, ... (capped), each a random point in its upper half."""
        ceiling = min(self.backoff_max, self.backoff_base * 2.0 ** (attempt - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def after_response(self, attempt: int, response: httpx.Response) -> Optional[float]:
        """Seconds to wait before attempt `attempt + 1`, or None to give up with this answer."""
        if attempt > self.max_retries:
            return None
        status = response.status_code
        if status == 429:
            asked = retry_after_seconds(response)
            if asked is None:
                return self.backoff(attempt)
            if asked > self.max_retry_after:
                return None
            # a little after the moment asked for, so that the window has surely moved on
            return asked + random.uniform(0, min(1.0, self.backoff_base))
        if status == 409:
            return self.backoff(attempt) if _error_code(response) == "IDEMPOTENCY_KEY_IN_USE" else None
        if status >= 500:
            return self.backoff(attempt)
        return None

    def after_error(self, attempt: int, error: httpx.TransportError, call: Call[Any]) -> Optional[float]:
        """Seconds to wait after a network failure, or None to give up. A call the platform does not
        deduplicate is resent only when the request surely never left (a refused connection)."""
        if attempt > self.max_retries:
            return None
        if call.idempotent or isinstance(error, _NOT_SENT):
            return self.backoff(attempt)
        return None


def policy_of(config: Config) -> RetryPolicy:
    return RetryPolicy(
        max_retries=config.max_retries,
        backoff_base=config.backoff_base,
        backoff_max=config.backoff_max,
        max_retry_after=config.max_retry_after,
    )


# ---- errors ---------------------------------------------------------------------------------------------------


def error_from_response(response: httpx.Response) -> LightSpeedPayError:
    """The exception for an error answer: the native `{"error": {"code", "message", "field"}}`, or /v1's
    Razorpay shape `{"error": {"code", "description", "field", "reason"}}` (our code is its reason)."""
    status = response.status_code
    request_id = response.headers.get("X-Request-Id")
    code, message, field_name = f"HTTP_{status}", response.reason_phrase or f"HTTP {status}", None
    try:
        payload = response.json()
    except ValueError:
        payload = None
    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(error, dict):
        reason = error.get("reason")
        if isinstance(reason, str) and reason:
            code = reason.upper()
        elif isinstance(error.get("code"), str):
            code = error["code"]
        text = error.get("message") or error.get("description")
        if isinstance(text, str) and text:
            message = text
        if isinstance(error.get("field"), str):
            field_name = error["field"]
    cls = error_class(status)
    if cls is RateLimitError:
        return RateLimitError(
            message,
            code=code,
            field=field_name,
            status=status,
            request_id=request_id,
            retry_after=retry_after_seconds(response),
        )
    return cls(message, code=code, field=field_name, status=status, request_id=request_id)


def connection_error(error: httpx.TransportError, call: Call[Any], attempts: int) -> APIConnectionError:
    cls = APITimeoutError if isinstance(error, httpx.TimeoutException) else APIConnectionError
    code = "TIMEOUT" if cls is APITimeoutError else "CONNECTION_ERROR"
    # the exception's own text names the failure, never a header: the secret cannot leak through it
    return cls(
        f"{call.method} {call.path}: {type(error).__name__}: {error} (after {attempts} attempt(s))", code=code
    )


# ---- one call, attempt after attempt --------------------------------------------------------------------------


@dataclass
class Retry:
    delay: float


@dataclass
class Done(Generic[T]):
    value: T


class Attempts(Generic[T]):
    """The loop both clients run for a call: `request()` gives the next signed attempt; `answered()` or
    `failed()` says what to do next: Done (the answer), Retry (after a delay), or raise."""

    def __init__(self, config: Config, call: Call[T]) -> None:
        self.config, self.call = config, call
        self.policy = policy_of(config)
        self.attempt = 0

    def request(self) -> httpx.Request:
        self.attempt += 1
        return build_request(self.config, self.call)

    def answered(self, response: httpx.Response) -> Union[Done[T], Retry]:
        if response.is_success:
            return Done(self.call.parse(response))
        delay = self.policy.after_response(self.attempt, response)
        if delay is None:
            raise error_from_response(response)
        self._log(f"{response.status_code} {_error_code(response) or ''}".strip(), delay)
        return Retry(delay)

    def failed(self, error: httpx.TransportError) -> Retry:
        delay = self.policy.after_error(self.attempt, error, self.call)
        if delay is None:
            raise connection_error(error, self.call, self.attempt) from error
        self._log(type(error).__name__, delay)
        return Retry(delay)

    def _log(self, cause: str, delay: float) -> None:
        log.info(
            "lightspeedpay: retrying %s %s after %s in %.2f s (attempt %d of %d, Idempotency-Key %s)",
            self.call.method,
            self.call.path,
            cause,
            delay,
            self.attempt + 1,
            self.config.max_retries + 1,
            self.call.idempotency_key or "-",
        )
