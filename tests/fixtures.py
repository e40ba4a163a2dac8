"""Session fixtures: schema, processes; per-test: a clean database and helpers."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# tasks: services called in the test process enqueue by task name, which needs every handler registered
from lightspeedpay import tasks  # noqa: F401
from lightspeedpay.kit.readiness import wait_http

ROOT = Path(__file__).resolve().parent.parent
LOG_DIR = Path(os.environ.get("LSP_TEST_LOG_DIR", "/tmp/lsp-test-logs"))


def app_tables() -> list[str]:
    """Every table of the models, discovered (a new model's table is emptied between tests without listing it)."""
    from lightspeedpay.models import Base

    return [t.name for t in Base.metadata.sorted_tables]


_FILLED_TABLES = " UNION ALL ".join(
    f"SELECT '{table}' WHERE EXISTS (SELECT 1 FROM {table})" for table in app_tables()
)


def _reset_schema() -> None:
    import asyncpg

    from lightspeedpay.db_admin import create_database_if_missing, upgrade_database

    async def reset() -> None:
        await create_database_if_missing(os.environ["LSP_DATABASE_URL"])
        conn = await asyncpg.connect(os.environ["LSP_DATABASE_URL"].replace("+asyncpg", ""))
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        await conn.close()

    asyncio.run(reset())

    upgrade_database()


@dataclass
class Platform:
    """The running processes; tests may kill and restart the worker."""

    env: dict[str, str]
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def api_url(self) -> str:
        return self.env["LSP_PUBLIC_BASE_URL"]

    @property
    def simulator_url(self) -> str:
        return f"http://127.0.0.1:{self.env['LSP_SIMULATOR_PORT']}"

    @property
    def receiver_url(self) -> str:
        return f"http://127.0.0.1:{self.env['LSP_RECEIVER_PORT']}"

    @property
    def whatsapp_url(self) -> str:
        return self.env["LSP_WA_BASE_URL"]

    @property
    def slack_url(self) -> str:
        """The Slack stand-in's base URL (its control endpoints are under /_slack/)."""
        return f"http://127.0.0.1:{self.env['LSP_SLACK_STANDIN_PORT']}"

    @property
    def smtp_url(self) -> str:
        """The SMTP stand-in's read API (GET /_smtp/messages?to=…)."""
        return f"http://127.0.0.1:{self.env['LSP_SMTP_STANDIN_HTTP_PORT']}"

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        log = open(LOG_DIR / f"{name}.log", "ab")  # noqa: SIM115 - lives as long as the process
        proc = subprocess.Popen(
            [sys.executable, "-m", "lightspeedpay.cli", *args],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        self.procs[name] = proc
        return proc

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        proc = self.procs.pop(name)
        proc.send_signal(sig)
        proc.wait(timeout=15)

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.procs.clear()


@pytest.fixture(scope="session")
def platform() -> Iterator[Platform]:
    _reset_schema()
    env = dict(os.environ)
    p = Platform(env=env)
    p.start("api", "api")
    p.start("simulator", "simulator")
    p.start("receiver", "receiver")
    p.start("whatsapp", "whatsapp-standin")
    p.start("slack", "slack-standin")
    p.start("smtp", "smtp-standin")
    p.start("worker", "worker")
    p.start("scheduler", "scheduler")
    try:
        wait_http(f"{p.api_url}/health", 60)  # seven processes start at once on a busy machine
        wait_http(f"{p.simulator_url}/_sim/health", 30)
        wait_http(f"{p.receiver_url}/_receiver/endpoints/x/deliveries", 30)
        wait_http(f"{p.whatsapp_url}/_wa/health", 30)
        wait_http(f"{p.slack_url}/_slack/health", 30)
        wait_http(f"{p.smtp_url}/_smtp/health", 30)
        yield p
    finally:
        p.stop_all()
        r = redis.Redis.from_url(env["LSP_REDIS_URL"])
        keys = list(r.scan_iter(f"{env['LSP_QUEUE_PREFIX']}:*", count=1000))
        for i in range(0, len(keys), 500):
            r.delete(*keys[i : i + 500])
        r.close()


@pytest.fixture
async def session(platform: Platform) -> AsyncIterator[AsyncSession]:
    """A session on the test database; the tables are emptied before each test."""
    from sqlalchemy.exc import DBAPIError

    from lightspeedpay.db import sessionmaker

    async with sessionmaker()() as s:
        for attempt in range(20):
            try:
                # only the tables that hold rows (a test fills a handful of the fifty): TRUNCATE costs per table,
                # about 0.2 s for all of them against 0.03 s for a typical test's, before every test. CASCADE
                # empties whatever refers to them as before; a row another process adds between the probe and
                # the TRUNCATE is no different from one it adds just after.
                # The background worker and scheduler (heartbeats, rules, folds) may hold row locks; a deadlock
                # here is retried, with a growing wait
                filled = (await s.execute(text(_FILLED_TABLES))).scalars().all()
                if filled:
                    await s.execute(text(f"TRUNCATE {', '.join(filled)} CASCADE"))
                await s.commit()
                break
            except DBAPIError:
                await s.rollback()
                if attempt == 19:
                    raise
                await asyncio.sleep(min(0.2 * (attempt + 1), 1.0))
        yield s
        await s.rollback()


@pytest.fixture(scope="session", autouse=True)
async def _dispose_engine() -> AsyncIterator[None]:
    yield
    from lightspeedpay.db import close_hot_pool, engine
    from lightspeedpay.jobs import queues

    await queues.close()
    await close_hot_pool()
    await engine().dispose()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "ledger_violation: the test breaks a ledger invariant on purpose, so the "
        "ledger check after it is skipped",
    )
    config.addinivalue_line(
        "markers",
        "chaos: the chaos test (tests/test_chaos.py): processes killed under load; "
        "`-m chaos` selects it, `-m 'not chaos'` leaves it out",
    )


@pytest.fixture(autouse=True)
async def _ledger_check_after_test(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """`lightspeedpay ledger check` must be clean after every scenario that ran against the platform."""
    yield
    if "platform" not in request.fixturenames or request.node.get_closest_marker("ledger_violation"):
        return
    from lightspeedpay.ledger.checker import ledger_checker

    violations = await ledger_checker.run(alert=False)
    assert not violations, "ledger invariants violated:\n" + "\n".join(
        f"  {v.check}: {v.message}" for v in violations
    )
