"""The Python SDK (sdks/python): mypy --strict on its package, then its own test suite against the platform this
session started (its integration tests use the variables of tests/sdks/conftest.py); and its docs page shows the
README's quickstart, the code that suite runs."""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.sdks.conftest import ROOT, SDKS, run_suite

SDK = SDKS / "python"


def _oldest_python() -> str | None:
    """A Python 3.9 on this machine (pyenv keeps one beside the 3.11 the platform runs on), or None."""
    found = shutil.which("python3.9")
    if found and subprocess.run([found, "-V"], capture_output=True).returncode == 0:
        return found
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    versions = sorted(glob.glob(f"{root}/versions/3.9*/bin/python3.9"))
    return versions[-1] if versions else None


def quickstart(markdown: str) -> str:
    """The first ```python block under the `## Quickstart` heading."""
    section = markdown.split("\n## Quickstart\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"^```python\n(.*?)^```$", section, re.MULTILINE | re.DOTALL)
    assert match, "no ```python block under ## Quickstart"
    return match.group(1)


def test_the_docs_page_shows_the_readmes_quickstart():
    readme = (SDK / "README.md").read_text()
    page = (ROOT / "docs" / "developers" / "sdk-python.md").read_text()
    assert quickstart(page) == quickstart(readme)


async def test_python_sdk_typechecks_and_passes_its_suite_against_the_platform(sdk_env):
    run_suite([sys.executable, "-m", "mypy"], SDK, sdk_env)
    output = run_suite(
        [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", "tests"], SDK, sdk_env
    )
    print(output)  # shown with -rP: the suite's own report
    summary = output.strip().splitlines()[-1]
    assert " passed" in summary and "skipped" not in summary and "failed" not in summary, output[-3000:]


async def test_python_sdk_installs_and_passes_its_suite_on_python_3_9(sdk_env, tmp_path: Path):
    """The package says Python 3.9+: built and installed as a merchant would (`pip install`), in a 3.9 venv with
    the newest httpx that installs there, then the same suite against the platform."""
    python39 = _oldest_python()
    if python39 is None:
        pytest.skip(
            "no Python 3.9 on this machine (pyenv install 3.9) to check the package's oldest version on"
        )
    venv = tmp_path / "py39"
    run_suite([python39, "-m", "venv", str(venv)], SDK, sdk_env)
    python = str(venv / "bin" / "python")
    # built from a copy: setuptools leaves build/ and *.egg-info beside the sources it builds
    copy = tmp_path / "sdk"
    shutil.copytree(
        SDK, copy, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", ".*_cache")
    )
    run_suite([python, "-m", "pip", "install", "-q", f"{copy}[dev]"], SDK, sdk_env | {"PIP_NO_INPUT": "1"})
    # the installed package, not the source folder (the suite's own pythonpath names src: it is overridden here)
    output = run_suite(
        [python, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", "-o", "pythonpath=", "tests"],
        SDK,
        sdk_env,
    )
    assert "Python 3.9" in run_suite([python, "-V"], SDK, sdk_env)
    summary = output.strip().splitlines()[-1]
    assert " passed" in summary and "skipped" not in summary and "failed" not in summary, output[-3000:]
