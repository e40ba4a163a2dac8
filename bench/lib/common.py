"""What every benchmark shares: the tree it measures, where results go, the console."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
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
