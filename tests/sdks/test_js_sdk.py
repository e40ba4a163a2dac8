"""The TypeScript/JavaScript SDK (sdks/js) built with its pinned tsc and tested with Node's own runner against the
platform: unit tests, the integration suite (a payment paid on the sandbox, a refund, a webhook verified by the
SDK, a 429 retried after Retry-After, an idempotent retry, typed errors, pagination) and the README's quickstart.
The developer docs' Node SDK page shows the same quickstart as the README."""

from __future__ import annotations

import re
from pathlib import Path

from tests.sdks.conftest import ROOT, SDKS, run_suite

JS = SDKS / "js"


def _quickstart(path: Path) -> str:
    """The first ```javascript block under "## Quickstart" (what sdks/js/test/readme.test.mjs runs)."""
    section = re.split(r"^## Quickstart$", path.read_text(), flags=re.MULTILINE)[1]
    block = re.search(r"^```javascript\n(.*?)^```$", section, flags=re.MULTILINE | re.DOTALL)
    assert block, f"no ```javascript block under ## Quickstart in {path}"
    return block.group(1)


def test_docs_quickstart_is_the_readmes_executed_one():
    assert _quickstart(ROOT / "docs" / "developers" / "sdk-node.md") == _quickstart(JS / "README.md")


async def test_js_sdk_suite_against_the_platform(sdk_env):
    assert (JS / "node_modules" / "typescript").is_dir(), "run scripts/bootstrap.sh (npm ci in sdks/js)"
    run_suite(["node", "scripts/build.mjs"], JS, sdk_env)
    tests = sorted(str(p.relative_to(JS)) for p in (JS / "test").glob("*.test.*js"))
    output = run_suite(["node", "--test", *tests], JS, sdk_env)
    summary = dict(re.findall(r"^# (pass|fail|skipped|cancelled) (\d+)$", output, flags=re.MULTILINE))
    # every test ran: none skipped (the platform's variables were there), none failed
    assert summary.get("fail") == "0" and summary.get("skipped") == "0" and summary.get("cancelled") == "0", (
        output
    )
    assert int(summary["pass"]) >= 30, output
