"""The C# SDK (sdks/csharp), built with Debian's Mono as C# 7.2 (what mcs accepts; Unity's C# 7.3 is a superset)
and run under mono against the platform: its own test program (unit and integration tests), then the README's
quickstart, which must be the same text as the developer docs' page."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.sdks.conftest import ROOT, SDKS, run_suite

SDK = SDKS / "csharp"
DOCS_PAGE = ROOT / "docs" / "developers" / "sdk-csharp.md"
MCS_FLAGS = ["-langversion:7.2", "-warnaserror+", "-r:System.Net.Http"]


def tool(name: str, install: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"the C# SDK's tests need {name}: {install} (scripts/bootstrap.sh --dev installs it)")
    return path


def sources(folder: Path) -> list[str]:
    return sorted(str(p) for p in folder.rglob("*.cs"))


def quickstart(markdown: Path) -> str:
    """The first C# block under the "## Quickstart" heading."""
    text = markdown.read_text()
    section = text.split("\n## Quickstart\n", 1)
    assert len(section) == 2, f"{markdown} has no '## Quickstart' section"
    block = re.search(r"^```csharp\n(.*?)^```$", section[1], re.M | re.S)
    assert block, f"{markdown}'s quickstart has no csharp block"
    return block.group(1)


def build(out: Path, name: str, files: list[str], *, library: bool = False) -> Path:
    target = out / (f"{name}.dll" if library else f"{name}.exe")
    kind = ["-target:library"] if library else []
    run_suite(
        [tool("mcs", "apt-get install mono-mcs"), *MCS_FLAGS, *kind, f"-out:{target}", *files],
        SDK,
        {"PATH": "/usr/bin:/bin"},
        timeout=300,
    )
    return target


def test_the_docs_quickstart_is_the_readmes():
    assert quickstart(DOCS_PAGE) == quickstart(SDK / "README.md")


def test_the_unity_transport_is_left_out_of_plain_builds():
    unity = (SDK / "src" / "UnityWebRequestTransport.cs").read_text()
    code = [line for line in unity.splitlines() if line.strip() and not line.startswith("//")]
    assert code[0] == "#if UNITY_2018_1_OR_NEWER" and code[-1] == "#endif"


def test_the_package_version_is_the_user_agents():
    csproj = (SDK / "LightSpeedPay.csproj").read_text()
    version = re.search(r"<Version>(.*?)</Version>", csproj)
    assert version
    assert f'Version = "{version.group(1)}"' in (SDK / "src" / "LightSpeedPayClient.cs").read_text()


async def test_csharp_sdk(sdk_env, tmp_path):
    mono = tool("mono", "apt-get install mono-runtime")
    # the SDK alone, as a library (what a Unity project or a .NET app references), then the tests and the
    # quickstart compiled with its sources
    build(tmp_path, "LightSpeedPay", sources(SDK / "src"), library=True)
    tests = build(tmp_path, "LightSpeedPay.Tests", sources(SDK / "src") + sources(SDK / "tests"))
    output = run_suite([mono, "--debug", str(tests)], SDK, sdk_env)
    print(output)
    assert re.search(r"^\d+ passed, 0 failed", output, re.M), output
    assert "integration: a 429 retried after Retry-After, then answered" in output

    (tmp_path / "Quickstart.cs").write_text(quickstart(SDK / "README.md"))
    program = build(tmp_path, "Quickstart", [*sources(SDK / "src"), str(tmp_path / "Quickstart.cs")])
    said = run_suite([mono, str(program)], tmp_path, sdk_env, timeout=180)
    assert re.search(r"^created [0-9a-f-]{36} pay_\w+$", said, re.M), said
    assert re.search(r"^checkout page: http://127\.0\.0\.1:\d+/", said, re.M), said
    assert re.search(r"^refused: (INVALID_AMOUNT|VALIDATION_ERROR) on amount", said, re.M), said
