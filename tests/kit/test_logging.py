"""Secrets are redacted from every log line: ours (structlog) and the standard-library loggers of the libraries
we use, which go through the same pipeline; httpx's request lines are not printed at INFO."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from lightspeedpay.config import Settings
from lightspeedpay.kit import logging as lsp_logging

ADMIN_TOKEN = "admin-token-that-is-long-enough"
APP_SECRET = "wa+app/secret=value"


@pytest.fixture
def configured(capsys: pytest.CaptureFixture[str]) -> Iterator[pytest.CaptureFixture[str]]:
    """The process's logging as the platform sets it up, writing to the captured stderr; put back afterwards."""
    root = logging.getLogger()
    level = root.level
    named = {
        name: (
            logging.getLogger(name).level,
            logging.getLogger(name).propagate,
            logging.getLogger(name).handlers[:],
        )
        for name in ("httpx", "httpcore", "uvicorn", "uvicorn.error", "uvicorn.access")
    }
    settings = Settings(
        admin_token=ADMIN_TOKEN,
        wa_app_secret=APP_SECRET,
        redis_url="redis://default:redis-password-1@127.0.0.1:6379/0",
    )
    lsp_logging.configure(level="INFO", secrets=lsp_logging.configured_secrets(settings))
    yield capsys
    for handler in [h for h in root.handlers if h.get_name() == "lightspeedpay"]:
        root.removeHandler(handler)
    root.setLevel(level)
    for name, (named_level, propagate, named_handlers) in named.items():
        logger = logging.getLogger(name)
        logger.setLevel(named_level)
        logger.propagate = propagate
        logger.handlers[:] = named_handlers
    structlog.reset_defaults()


def test_a_library_logger_prints_no_secret(configured):
    logging.getLogger("some.library").warning(
        "GET https://graph.example/v21.0/oauth/access_token?grant_type=fb_exchange_token&client_id=app"
        "&client_secret=s3cr3t-value&fb_exchange_token=EAAGtoken123 with Authorization: Bearer abcdefghijklmnop "
        "via redis://default:redis-password-1@127.0.0.1:6379/0; admin %s; app %s",
        ADMIN_TOKEN,
        "wa%2Bapp%2Fsecret%3Dvalue",
    )
    err = configured.readouterr().err
    for secret in (
        "s3cr3t-value",
        "EAAGtoken123",
        "abcdefghijklmnop",
        "redis-password-1",
        ADMIN_TOKEN,
        "wa%2Bapp%2Fsecret%3Dvalue",
    ):
        assert secret not in err, err
    assert "client_id=app" in err and "grant_type=fb_exchange_token" in err and "[some.library]" in err, err


def test_httpx_request_lines_are_not_printed_at_info(configured):
    logging.getLogger("httpx").info('HTTP Request: GET http://127.0.0.1/x?token=abc "HTTP/1.1 200 OK"')
    logging.getLogger("httpx").warning("a warning still shows")
    err = configured.readouterr().err
    assert "HTTP Request" not in err and "a warning still shows" in err, err


def test_a_traceback_is_redacted_too(configured):
    try:
        raise RuntimeError(f"could not call https://u:{ADMIN_TOKEN}@host/?api_key=k-123456")
    except RuntimeError:
        logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
    err = configured.readouterr().err
    assert "RuntimeError" in err and ADMIN_TOKEN not in err and "k-123456" not in err, err


def test_our_events_redact_secret_fields_and_values(configured):
    lsp_logging.log.warning(
        "gateway_added",
        key_secret="ks-1",
        client_salt="salt-1",
        credentials={"k": "v"},
        result={"access_token": "at-1", "count": 2},
        note=f"admin {ADMIN_TOKEN}",
    )
    out = configured.readouterr()
    text = out.out + out.err
    for secret in ("ks-1", "salt-1", "at-1", ADMIN_TOKEN, "'v'"):
        assert secret not in text, text
    assert "count" in text and "gateway_added" in text, text


def test_json_lines_stay_json(capsys, configured):
    lsp_logging.configure(json=True, level="INFO", secrets=[APP_SECRET])
    logging.getLogger("some.library").warning("app secret %s", APP_SECRET)
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert json.loads(line)["event"] == "app secret [redacted]"
