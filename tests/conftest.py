"""Test wiring: a test database built by the migrations, a Redis DB of its own, and the platform's real
processes (API, worker, scheduler, PSP simulator, merchant receiver) on free loopback ports."""

from __future__ import annotations

import os
import tempfile
import uuid

from tests.net import free_port as _free_port

# scripts/test.sh runs the suite as two shards at once (LSP_TEST_SHARD=1/2 and 2/2), each with a platform of its
# own: shard 1 uses the database, Redis database and log folder below; shard N the same database name with
# `_gw<N-1>` (created on first use), Redis database 15 - (N-1) and the log folder with `-gw<N-1>` (the names
# pytest-xdist's workers would get). Nothing else is shared: ports, temp folders, queue prefixes and the metrics
# folder (named after the database) are each process's own.
_SHARD = os.environ.get("LSP_TEST_SHARD", "")
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "") or (
    f"gw{int(_SHARD.split('/')[0]) - 1}" if _SHARD else ""
)
if _WORKER not in ("", "gw0"):
    _n = int(_WORKER.removeprefix("gw"))
    _db = os.environ.get(
        "LSP_TEST_DATABASE_URL", "postgresql+asyncpg://lightspeedpay@127.0.0.1:5432/lightspeedpay_test"
    )
    os.environ["LSP_TEST_DATABASE_URL"] = f"{_db}_gw{_n}"
    _redis, _redis_db = os.environ.get("LSP_TEST_REDIS_URL", "redis://127.0.0.1:6379/15").rsplit("/", 1)
    os.environ["LSP_TEST_REDIS_URL"] = f"{_redis}/{int(_redis_db) - _n}"
    os.environ["LSP_TEST_LOG_DIR"] = os.environ.get("LSP_TEST_LOG_DIR", "/tmp/lsp-test-logs") + f"-gw{_n}"

_TMP = tempfile.mkdtemp(prefix="lsp-test-")
API_PORT, SIM_PORT, RECEIVER_PORT = _free_port(), _free_port(), _free_port()
WA_PORT = _free_port()  # the WhatsApp Cloud API stand-in
SLACK_PORT = _free_port()  # the Slack incoming-webhook stand-in
SMTP_PORT, SMTP_HTTP_PORT = _free_port(), _free_port()  # the SMTP stand-in: SMTP, and its read API
TEST_ENV = {
    "LSP_ENV": "test",
    "LSP_DATABASE_URL": os.environ.get(
        "LSP_TEST_DATABASE_URL", "postgresql+asyncpg://lightspeedpay@127.0.0.1:5432/lightspeedpay_test"
    ),
    "LSP_REDIS_URL": os.environ.get("LSP_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
    "LSP_QUEUE_PREFIX": f"lsptest{uuid.uuid4().hex[:6]}",
    "LSP_API_PORT": str(API_PORT),
    "LSP_PUBLIC_BASE_URL": f"http://127.0.0.1:{API_PORT}",
    "LSP_SIMULATOR_PORT": str(SIM_PORT),
    "LSP_RECEIVER_PORT": str(RECEIVER_PORT),
    "LSP_SIMULATOR_ACCOUNTS_FILE": os.path.join(_TMP, "simulator-accounts.json"),
    "LSP_KYC_STORAGE_DIR": os.path.join(_TMP, "kyc-documents"),
    "LSP_WEBHOOK_RETRY_SCHEDULE": "1,1,1,1",
    "LSP_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",  # the receiver is on loopback
    "LSP_SWEEPER_INTERVAL_SECONDS": "1",
    "LSP_SWEEPER_GRACE_SECONDS": "3",
    "LSP_WORKER_LOCK_MS": "4000",
    "LSP_MERCHANT_CACHE_SECONDS": "0",
    "LSP_DB_POOL_SIZE": "10",
    "LSP_LOG_LEVEL": "WARNING",
    "LSP_HEALTH_PROBE_SECONDS": "1",
    "LSP_ROUTING_REFRESH_SECONDS": "1",
    "LSP_JANITOR_INTERVAL_SECONDS": "1",
    "LSP_JANITOR_PENDING_AFTER_SECONDS": "2",
    "LSP_TRANSACTION_TTL_SECONDS": "600",
    "LSP_ROUTING_EXPLORATION": "0.2",
    "LSP_PSP_TIMEOUT_SECONDS": "3",
    "LSP_WA_STANDIN_PORT": str(WA_PORT),
    "LSP_WA_BASE_URL": f"http://127.0.0.1:{WA_PORT}",
    "LSP_WA_RETRY_BACKOFF": "1,1,1",
    "LSP_WA_TIMEOUT_SECONDS": "2",
    "LSP_LEDGER_CHECK_SECONDS": "5",
    "LSP_SLACK_STANDIN_PORT": str(SLACK_PORT),
    "LSP_SLACK_WEBHOOK_URL": f"http://127.0.0.1:{SLACK_PORT}/services/TTEST0000/BTEST0000/test-slack-token-{uuid.uuid4().hex[:8]}",
    "LSP_SLACK_RETRY_BACKOFF": "1,1,1",
    "LSP_SLACK_TIMEOUT_SECONDS": "2",
    "LSP_SMTP_STANDIN_PORT": str(SMTP_PORT),
    "LSP_SMTP_STANDIN_HTTP_PORT": str(SMTP_HTTP_PORT),
    "LSP_SMTP_URL": f"smtp://127.0.0.1:{SMTP_PORT}",
    "LSP_SMTP_TIMEOUT_SECONDS": "3",
    "LSP_EMAIL_RETRY_BACKOFF": "1,1,1,1",
    "LSP_EMAIL_TOKEN_RESEND_SECONDS": "0",
    # the alert rules run often, so that a test sees an alert open and resolve in seconds
    "LSP_ALERT_RULES_SECONDS": "2",
    "LSP_ALERT_SLA_SECONDS": "2",
    "LSP_ALERT_SLA_PENDING_MINUTES": "5",  # under LSP_TRANSACTION_TTL_SECONDS, so the janitor expires none first
    # heartbeats every 2 s: the tables are emptied before each test, and a worker or scheduler must show again
    # soon; a worker silent for 3 beats (6 s, not a busy second) is down
    "LSP_WORKER_HEARTBEAT_SECONDS": "2",
    "LSP_SCHEDULER_HEARTBEAT_SECONDS": "2",
    "LSP_SCHEDULER_STANDBY_POLL_SECONDS": "1",
    # the suite's load, fuzz and chaos tests make hundreds of requests per merchant a minute: the platform's default
    # limit is lifted here, and the rate-limit tests give their merchants a limit of their own (tests/ratelimit)
    "LSP_RATE_LIMIT_PER_MINUTE": "1000000",
    # every test logs in and signs up from 127.0.0.1: the per-IP limits are lifted, the per-account ones kept
    # above what one test's account needs (tests/ratelimit/test_login_limits.py sets the real defaults)
    "LSP_LOGIN_LIMIT_PER_IP": "1000000",
    "LSP_LOGIN_LIMIT_PER_ACCOUNT": "100",
    "LSP_SIGNUP_LIMIT_PER_IP": "1000000",
    "LSP_SIGNUP_LIMIT_PER_ACCOUNT": "100",
    "LSP_USAGE_FLUSH_SECONDS": "0.5",  # usage counts reach the rollup quickly
}
os.environ.update(TEST_ENV)  # before anything reads the settings

pytest_plugins = ["tests.fixtures"]


# seconds a file takes, measured, where far from the estimate below (the shards are balanced by these)
_SLOW_FILES = {
    "tests/test_chaos.py": 200,
    "tests/dashboard/test_every_page.py": 60,
    "tests/dashboard/test_merchant_onboarding.py": 120,
    "tests/dashboard/test_merchant_developers.py": 90,
    "tests/dashboard/test_merchant_money.py": 80,
    "tests/devdocs/test_quickstart.py": 90,
    "tests/devdocs/test_checkout_sample.py": 30,
    "tests/test_fuzz.py": 45,
    "tests/gateways/test_routing.py": 50,
    "tests/monitoring/test_metrics_and_logs.py": 40,
}


def _shard_files(items, shard: int, shards: int) -> set[str]:  # type: ignore[no-untyped-def]
    """The files of one shard: whole files (their module fixtures stay whole), the heaviest first to the lightest
    shard; every shard computes the same split from the same collection."""
    weights: dict[str, float] = {}
    for item in items:
        path = item.nodeid.split("::", 1)[0]
        weights[path] = weights.get(path, 2.0) + 0.4
    for path, seconds in _SLOW_FILES.items():
        if path in weights:
            weights[path] = seconds
    loads = [0.0] * shards
    mine: set[str] = set()
    for path in sorted(weights, key=lambda p: (-weights[p], p)):
        lightest = loads.index(min(loads))
        loads[lightest] += weights[path]
        if lightest == shard - 1:
            mine.add(path)
    return mine


def pytest_collection_modifyitems(config, items):  # type: ignore[no-untyped-def]
    """The fast tier (`pytest -m fast`): every test that needs no running platform (rules, vectors, codecs). With
    LSP_TEST_SHARD=i/n, only the i-th of n shards of the files runs."""
    import pytest

    for item in items:
        if "platform" not in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.fast)
    if _SHARD:
        shard, shards = (int(x) for x in _SHARD.split("/"))
        mine = _shard_files(items, shard, shards)
        keep = [i for i in items if i.nodeid.split("::", 1)[0] in mine]
        config.hook.pytest_deselected(items=[i for i in items if i.nodeid.split("::", 1)[0] not in mine])
        items[:] = keep
