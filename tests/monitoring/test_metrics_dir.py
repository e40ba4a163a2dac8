"""The multiprocess metrics directory the CLI prepares before a process starts: emptied when no process of the
platform is alive (a fresh start), otherwise only the dead processes' live gauges are dropped (their counts stay,
as counters must); one directory per platform. And the log format's production default."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from lightspeedpay.config import Settings
from lightspeedpay.monitoring import metrics


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


@pytest.fixture
def prepared_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv(metrics.ENV, "/nonexistent")  # restored afterwards: prepare() sets it for the process
    yield


def test_a_fresh_start_empties_the_directory(tmp_path: Path, prepared_env: None) -> None:
    dead = _dead_pid()
    for stale in (f"counter_{dead}.db", f"histogram_{dead}.db", f"gauge_livesum_{dead}.db", f"live-{dead}"):
        (tmp_path / stale).write_bytes(b"x")
    path = metrics.prepare(Settings(metrics_dir=str(tmp_path)))
    assert path == tmp_path
    assert sorted(p.name for p in tmp_path.iterdir()) == [".lock", f"live-{os.getpid()}"]
    assert os.environ[metrics.ENV] == str(tmp_path)


def test_a_process_joining_a_running_platform_keeps_its_counts(tmp_path: Path, prepared_env: None) -> None:
    alive = subprocess.Popen(["sleep", "30"])
    try:
        dead = _dead_pid()
        (tmp_path / f"live-{alive.pid}").touch()
        (tmp_path / f"live-{dead}").touch()
        for kept in (f"counter_{alive.pid}.db", f"counter_{dead}.db", f"histogram_{dead}.db"):
            (tmp_path / kept).write_bytes(b"x")
        (tmp_path / f"gauge_livesum_{dead}.db").write_bytes(b"x")
        (tmp_path / f"gauge_livesum_{alive.pid}.db").write_bytes(b"x")
        metrics.prepare(Settings(metrics_dir=str(tmp_path)))
        names = {p.name for p in tmp_path.iterdir()}
        # the dead process: counts kept, its live gauge and its marker gone
        assert {f"counter_{dead}.db", f"histogram_{dead}.db"} <= names
        assert f"gauge_livesum_{dead}.db" not in names and f"live-{dead}" not in names
        # the live one untouched; this process registered
        assert {f"live-{alive.pid}", f"counter_{alive.pid}.db", f"gauge_livesum_{alive.pid}.db"} <= names
        assert f"live-{os.getpid()}" in names
    finally:
        alive.kill()
        alive.wait()


def test_one_directory_per_platform(tmp_path: Path) -> None:
    a = Settings(database_url="postgresql+asyncpg://x@h/a", redis_url="redis://h/1")
    b = Settings(database_url="postgresql+asyncpg://x@h/b", redis_url="redis://h/1")
    assert metrics.directory(a) != metrics.directory(b)
    # a process reaching the platform's Redis through a proxy still adds to the same figures
    through_proxy = Settings(database_url=a.database_url, redis_url="redis://127.0.0.1:6390/1")
    assert metrics.directory(a) == metrics.directory(through_proxy)
    assert metrics.directory(Settings(metrics_dir=str(tmp_path))) == tmp_path


def test_logs_are_json_in_production_unless_told_otherwise() -> None:
    assert Settings(env="production").log_json is True
    assert Settings(env="production", log_json=False).log_json is False
    assert Settings(env="development").log_json is False
    assert Settings(env="development", log_json=True).log_json is True
