"""structlog set-up: JSON in production, readable in development; secrets are redacted from every line, ours and
the standard-library loggers' of the libraries we use (httpx, uvicorn, …), which go through the same pipeline."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit

import structlog

from lightspeedpay.config import Settings, get_settings

REDACTED = "[redacted]"

# event keys whose values are secrets; any key ending in one of _SECRET_SUFFIXES is one too
_SECRET_KEYS = {
    "client_salt",
    "salt",
    "secret",
    "api_secret",
    "key_secret",
    "webhook_secret",
    "client_secret",
    "app_secret",
    "password",
    "authorization",
    "x-signature",
    "token",
    "access_token",
    "credentials",
    "fb_exchange_token",
    "admin_token",
    "encryption_keys",
    "jwt_keys",
    "refresh_token",
    "totp_secret",
    "recovery_code",
    "otp",
}
_SECRET_SUFFIXES = ("_secret", "_salt", "_password", "_token")

# In free text (a library's message, an exception, a URL): `name=value` whose name says secret, as in a query
# string or a form; credentials after an auth scheme; the password in a URL's user-info.
_SECRET_PARAM = re.compile(
    r"(?i)(\b[\w.-]*(?:secret|token|password|passwd|salt|signature|api_?key)[\w.-]*=)[^&\s\"',;)]+"
)
_AUTH_SCHEME = re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]{8,}")
_URL_PASSWORD = re.compile(r"(://[^/\s:@]*:)[^@\s/]+@")

# libraries that log every request line at INFO (httpx: the full URL); their warnings and errors still show
_QUIETER = ("httpx", "httpcore")
# uvicorn installs handlers of its own; its lines are routed to ours so that they are redacted and formatted alike
_ROUTED = ("uvicorn", "uvicorn.error", "uvicorn.access")
_HANDLER_NAME = "lightspeedpay"


def _is_secret_key(key: str) -> bool:
    key = key.lower()
    return key in _SECRET_KEYS or key.endswith(_SECRET_SUFFIXES)


def _redact_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: REDACTED if isinstance(k, str) and _is_secret_key(k) else _redact_value(v)
            for k, v in value.items()
        }
    return value


def _redact(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    for key in list(event):
        if _is_secret_key(key):
            event[key] = REDACTED
        else:
            event[key] = _redact_value(event[key])
    return event


def configured_secrets(settings: Settings) -> list[str]:
    """The secrets in this process's configuration, as they could appear in a line: raw and URL-encoded."""
    found = [settings.admin_token, settings.wa_app_secret, settings.wa_access_token]
    for entry in (*settings.encryption_keys.split(","), *settings.jwt_keys.split(",")):
        found.append(entry.strip().partition(":")[2])
    for url in (settings.database_url, settings.redis_url):
        found.append(urlsplit(url).password or "")
    # a Slack incoming webhook's URL is its credential: the token is its path
    if settings.slack_webhook_url:
        found.extend((settings.slack_webhook_url, urlsplit(settings.slack_webhook_url).path))
    # shorter values could be ordinary words; the production check insists on long ones anyway
    values = {
        variant
        for secret in found
        if len(secret) >= 8
        for variant in (secret, quote(secret, safe=""), quote_plus(secret))
    }
    return sorted(values, key=len, reverse=True)


def scrubber(known: Iterable[str]) -> Callable[[str], str]:
    """A function that takes the secrets out of one rendered line: the configured ones by value, others by
    the shape they come in."""
    values = list(known)

    def scrub(line: str) -> str:
        for secret in values:
            if secret in line:
                line = line.replace(secret, REDACTED)
        line = _SECRET_PARAM.sub(rf"\1{REDACTED}", line)
        line = _AUTH_SCHEME.sub(rf"\1\2{REDACTED}", line)
        return _URL_PASSWORD.sub(rf"\1{REDACTED}@", line)

    return scrub


def _scrubbed(renderer: Any, scrub: Callable[[str], str]) -> Callable[[Any, str, dict[str, Any]], str]:
    """The renderer, with its output scrubbed: the last step, so that tracebacks are covered too."""

    def render(logger: Any, method_name: str, event: dict[str, Any]) -> str:
        return scrub(renderer(logger, method_name, event))

    return render


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a line is written (a test's capture, a redirection), as logging's
    last-resort handler does."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self) -> Any:
        return sys.stderr


def configure(
    *, json: bool | None = False, level: str = "INFO", secrets: Iterable[str] | None = None
) -> None:
    """`json`: one JSON object a line (production), else readable text; `secrets`: values never to print, by
    default those in the settings (configured_secrets)."""
    scrub = scrubber(configured_secrets(get_settings()) if secrets is None else secrets)
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json
        else structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)
    )
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso"),
        _redact,
    ]
    tail: list[Any] = [*([structlog.processors.format_exc_info] if json else []), _scrubbed(renderer, scrub)]
    structlog.configure(
        processors=[*shared, *tail],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        cache_logger_on_first_use=True,
    )

    handler = _StderrHandler()
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *tail],
        )
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)  # configure() again (a test, a second app) replaces ours, nobody else's
    root.addHandler(handler)
    root.setLevel(level)
    for name in _QUIETER:
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in _ROUTED:
        routed = logging.getLogger(name)
        for own in list(routed.handlers):
            routed.removeHandler(own)
        routed.propagate = True


log = structlog.get_logger()
