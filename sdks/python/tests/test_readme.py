"""The README's quickstart, run as a merchant would run it, against the platform."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import Platform

README = Path(__file__).resolve().parents[1] / "README.md"


def quickstart() -> str:
    section = README.read_text().split("\n## Quickstart\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"^```python\n(.*?)^```$", section, re.MULTILINE | re.DOTALL)
    assert match, "no ```python block under ## Quickstart"
    return match.group(1)


def test_the_quickstart_runs(platform: Platform, tmp_path: Path):
    script = tmp_path / "quickstart.py"
    script.write_text(quickstart())
    env = {
        **os.environ,
        "PYTHONPATH": str(README.parent / "src"),
        "LSP_API": platform.api,
        "LSP_KEY_ID": platform.key_id,
        "LSP_KEY_SECRET": platform.key_secret,
    }
    done = subprocess.run(
        [sys.executable, str(script)], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert re.search(r"^checkout page: http\S+$", out, re.MULTILINE), out
    assert re.search(r"^paid pay_\w+ 49900 test$", out, re.MULTILINE), out
    assert re.search(r"^refund rfnd_\w+ 10000 (pending|processed)$", out, re.MULTILINE), out
    assert re.search(r"^refused 422 INVALID_AMOUNT amount$", out, re.MULTILINE), out
