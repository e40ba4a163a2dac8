"""What every SDK's test suite gets from the platform the test session started (issue 13): a merchant with test
keys, a sandbox gateway whose checkout page the SDK's test presses "success" on, a free port for the SDK's own
webhook receiver, and a second API process whose per-minute rate limits count in a 2-second window, with a
merchant limited to 1 request a window, so that a 429 with Retry-After comes at once and passes quickly.

Each SDK's suite runs as a subprocess of a pytest test (tests/sdks/test_*_sdk.py) with these variables:

    LSP_API                      the platform's API, e.g. http://127.0.0.1:40123
    LSP_KEY_ID, LSP_KEY_SECRET   a fresh merchant's test key (native signature; HTTP Basic on /v1)
    LSP_WEBHOOK_PORT             a free loopback port: the SDK's test listens on it and registers
                                 http://127.0.0.1:$LSP_WEBHOOK_PORT/webhooks as its endpoint (through the SDK)
    LSP_THROTTLED_API            the short-window API process
    LSP_THROTTLED_KEY_ID, LSP_THROTTLED_KEY_SECRET
                                 a merchant limited to 1 request per 2-second window on LSP_THROTTLED_API
    LSP_SIMULATOR                the PSP simulator (its checkout page is the payment's checkout_url)
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import update

from lightspeedpay.models import Client
from tests.factories import create_merchant, create_sandbox_gateway
from tests.fixtures import Platform
from tests.net import free_port, wait_answering

ROOT = Path(__file__).resolve().parents[2]
SDKS = ROOT / "sdks"
THROTTLE_WINDOW_SECONDS = 2


@pytest.fixture
async def sdk_env(platform, session) -> AsyncIterator[dict[str, str]]:
    await create_sandbox_gateway(session, platform.simulator_url)
    merchant = await create_merchant(session)
    throttled = await create_merchant(session)
    await session.execute(
        update(Client).where(Client.id == throttled.client.id).values(rate_limit_per_minute=1)
    )
    await session.commit()
    port = free_port()
    api = Platform(
        env={
            **platform.env,
            "LSP_API_PORT": str(port),
            "LSP_RATE_LIMIT_WINDOW_SECONDS": str(THROTTLE_WINDOW_SECONDS),
        }
    )
    api.start(f"api-sdk-throttled-{port}", "api")
    try:
        await wait_answering(f"http://127.0.0.1:{port}/health")
        yield {
            "PATH": os.environ["PATH"],
            "HOME": os.environ.get("HOME", "/tmp"),
            "LSP_API": platform.api_url,
            "LSP_KEY_ID": merchant.test_key_id,
            "LSP_KEY_SECRET": merchant.test_secret,
            "LSP_WEBHOOK_PORT": str(free_port()),
            "LSP_THROTTLED_API": f"http://127.0.0.1:{port}",
            "LSP_THROTTLED_KEY_ID": throttled.test_key_id,
            "LSP_THROTTLED_KEY_SECRET": throttled.test_secret,
            "LSP_SIMULATOR": platform.simulator_url,
        }
    finally:
        api.stop_all()


def run_suite(command: list[str], cwd: Path, env: dict[str, str], *, timeout: float = 600) -> str:
    """An SDK's own test command, to its end; its output, or a failure showing both streams."""
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, (
        f"{command} in {cwd} exited {done.returncode}\nstdout:\n{done.stdout[-20000:]}\nstderr:\n{done.stderr[-20000:]}"
    )
    return done.stdout + done.stderr
