"""What every benchmark shares: the tree it measures, where results go, the console."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from rich.console import Console

ROOT = Path(__file__).resolve().parents[2]  # the repository this bench/ sits in, also an exported copy
RESULTS = ROOT / "bench" / "results"
PY = sys.executable

console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)


def source_info() -> dict[str, Any]:
    """Which code is measured: the tree's path, its commit and its uncommitted files (read-only git calls)."""

    def git(*cmd: str) -> str:
        try:
            return subprocess.run(
                ["git", "--no-optional-locks", *cmd], cwd=ROOT, capture_output=True, text=True, timeout=10
            ).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return ""

    import lightspeedpay

    changed = [line for line in git("status", "--porcelain", "--untracked-files=no").splitlines() if line]
    commit = git("rev-parse", "HEAD") or os.environ.get(
        "LSP_BENCH_SOURCE_COMMIT", ""
    )  # e.g. a `git archive` copy
    return {
        "root": str(ROOT),
        "package": str(Path(lightspeedpay.__file__).parent),
        "commit": commit,
        "uncommitted_files": len(changed),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bench_env(
    database_url: str, redis_url: str, port: int, workers: int, **extra: str
) -> tuple[dict[str, str], str]:
    """The environment a benchmark runs the platform in: the bench database and Redis, a queue prefix and a
    simulator-accounts file of its own, this tree first on PYTHONPATH. Applied to this process too (the seeding
    code reads the same settings). Returns it and the queue prefix."""
    prefix = f"lspbench{secrets.token_hex(3)}"
    tmp = tempfile.mkdtemp(prefix="lsp-bench-")
    env = dict(os.environ)
    env.update(
        {
            "LSP_ENV": "development",
            "LSP_DATABASE_URL": database_url,
            "LSP_REDIS_URL": redis_url,
            "LSP_QUEUE_PREFIX": prefix,
            "LSP_API_HOST": "127.0.0.1",
            "LSP_API_PORT": str(port),
            "LSP_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "LSP_API_WORKERS": str(workers),
            "LSP_LOG_LEVEL": "WARNING",
            "LSP_SIMULATOR_ACCOUNTS_FILE": os.path.join(tmp, "simulator-accounts.json"),
            "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
            **extra,
        }
    )
    os.environ.update(env)
    return env, prefix
