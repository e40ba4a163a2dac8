"""Running the documentation's code samples (docs/developers/samples/) as a merchant would: bash with curl, Python
with httpx, Node 20 with nothing installed, C# built with Mono's mcs and run with mono."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from lightspeedpay.devdocs.service import SAMPLES_DIR

HERE = Path(__file__).resolve().parent
CSHARP_REFERENCES = ["-r:System.Net.Http", "-r:System.Runtime.Serialization"]
# the programs each C# build is made of (the harness is the tests' own)
CSHARP_BUILDS = {
    "pay": ["Pay.cs", "LightSpeedPay.cs"],
    "receiver": ["Receiver.cs", "WebhookVerifier.cs"],
    "vectors": [str(HERE / "Vectors.cs"), "LightSpeedPay.cs", "WebhookVerifier.cs", "PaymentSignature.cs"],
}

# every sample, and the test that runs it (tests/devdocs/test_pages.py checks this covers the samples folder)
RUN_BY = {
    "signup.sh": "test_quickstart",
    "verify_email.sh": "test_quickstart",
    "test_keys.sh": "test_quickstart",
    "add_webhook_endpoint.sh": "test_quickstart",
    "receiver.py": "test_quickstart",
    "receiver.mjs": "test_quickstart",
    "Receiver.cs": "test_quickstart",
    "pay.sh": "test_quickstart",
    "pay.py": "test_quickstart",
    "pay.mjs": "test_quickstart",
    "Pay.cs": "test_quickstart",
    "verify_last_delivery.sh": "test_quickstart",
    "signing.sh": "test_vectors",
    "signing.py": "test_vectors",
    "signing.mjs": "test_vectors",
    "LightSpeedPay.cs": "test_vectors",
    "verify_webhook.sh": "test_vectors",
    "webhook_verify.py": "test_vectors",
    "webhook_verify.mjs": "test_vectors",
    "WebhookVerifier.cs": "test_vectors",
    "verify_payment.sh": "test_vectors",
    "verify_payment.py": "test_vectors",
    "verify_payment.mjs": "test_vectors",
    "PaymentSignature.cs": "test_vectors",
    "idempotency.py": "test_api_samples",
    "razorpay_orders.sh": "test_api_samples",
    "razorpay_order.py": "test_checkout_sample",
    "razorpay_payment.py": "test_checkout_sample",
    "checkout.html": "test_checkout_sample",
}


def tool(name: str, install: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"the documentation's samples need {name}: {install} (scripts/bootstrap.sh --dev does)")
    return path


def sample_env(api_url: str, **extra: str) -> dict[str, str]:
    """What a merchant's shell has: a PATH, a HOME, the platform's address, and what the step asks for."""
    return {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), "LSP_API": api_url, **extra}


def run(command: list[str], env: dict[str, str], *, timeout: float = 120) -> str:
    """A sample run to its end, in the samples' folder; its stdout, or a failure with both outputs."""
    done = subprocess.run(command, cwd=SAMPLES_DIR, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, (
        f"{command} exited {done.returncode}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    )
    return done.stdout


def exports(stdout: str) -> dict[str, str]:
    """The `export NAME=value` lines a step prints."""
    found = {}
    for line in stdout.splitlines():
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").partition("=")
            found[name] = value
    return found


def build_csharp(out_dir: Path) -> dict[str, Path]:
    """Each C# program compiled with mcs; name -> the .exe."""
    mcs = tool("mcs", "apt-get install mono-mcs")
    built = {}
    for name, sources in CSHARP_BUILDS.items():
        exe = out_dir / f"{name}.exe"
        done = subprocess.run(
            [mcs, f"-out:{exe}", *CSHARP_REFERENCES, *sources],
            cwd=SAMPLES_DIR,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, f"mcs {sources}:\n{done.stdout}\n{done.stderr}"
        built[name] = exe
    return built


def command(language: str, program: str, csharp: dict[str, Path] | None = None) -> list[str]:
    """How each language runs one of the quickstart's programs ("pay", "receiver")."""
    if language == "python":
        return [sys.executable, f"{program}.py"]
    if language == "node":
        return [tool("node", "apt-get install nodejs"), f"{program}.mjs"]
    if language == "csharp":
        assert csharp is not None
        return [tool("mono", "apt-get install mono-runtime"), str(csharp[program])]
    return [tool("bash", "apt-get install bash"), f"{program}.sh"]


@dataclass
class Running:
    """A long-running sample (a webhook receiver), its output collected as it comes."""

    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)

    def stop(self) -> str:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        return "\n".join(self.lines)


def start(command: list[str], env: dict[str, str]) -> Running:
    process = subprocess.Popen(
        command, cwd=SAMPLES_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    running = Running(process)

    def collect() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            running.lines.append(line.rstrip("\n"))

    threading.Thread(target=collect, daemon=True).start()
    return running


def csharp_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="lsp-devdocs-cs-"))
