"""What a console page loads: built from npm at set-up (never committed), and small (the issue: JS + CSS under
300 KB gzipped)."""

from __future__ import annotations

import gzip
import re
import subprocess

import pytest

from lightspeedpay.dashboard.static_files import STATIC_DIR
from lightspeedpay.dashboard.web import ENV

pytestmark = pytest.mark.fast


def _assets_of_the_layout() -> list[str]:
    source = (STATIC_DIR.parent / "templates" / "admin" / "layout.html").read_text()
    return re.findall(r"static\('([^']+)'\)", source)


def test_every_asset_the_layout_loads_exists_and_all_weigh_under_300_kb_gzipped():
    names = _assets_of_the_layout()
    assert {
        "vendor/htmx.min.js",
        "vendor/htmx-ext-sse.min.js",
        "vendor/uPlot.iife.min.js",
        "console.js",
    } <= set(names)
    sizes = {name: len(gzip.compress((STATIC_DIR / name).read_bytes(), 9)) for name in names}
    total = sum(sizes.values())
    assert total < 300 * 1024, sizes
    print(f"console assets: {total / 1024:.1f} KB gzipped: {sizes}")


def test_third_party_assets_are_not_committed():
    tracked = subprocess.run(
        ["git", "ls-files", str(STATIC_DIR / "vendor"), "node_modules"],
        capture_output=True,
        text=True,
        check=True,
        cwd=STATIC_DIR,
    ).stdout.split()
    assert tracked == []


def test_templates_have_no_inline_script_or_style_attribute():
    """The page policy forbids them (script-src 'self'; style-src 'self'): they would be refused silently."""
    for name in ENV.list_templates():
        source = ENV.loader.get_source(ENV, name)[0]  # type: ignore[union-attr]
        assert not re.search(r"<script(?![^>]*\bsrc=)", source), name
        assert not re.search(r"\sstyle=\"", source), name
        assert "hx-on" not in source, name
