"""The C# samples, built once per test session."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.devdocs.samples import build_csharp, csharp_dir


@pytest.fixture(scope="session")
def csharp() -> Iterator[dict[str, Path]]:
    out = csharp_dir()
    try:
        yield build_csharp(out)
    finally:
        shutil.rmtree(out, ignore_errors=True)
