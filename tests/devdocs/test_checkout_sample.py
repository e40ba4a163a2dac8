"""checkout.js as the documentation shows it, in Debian's chromium: a merchant's server makes an order with
Razorpay's own client (razorpay_order.py), renders the sample page (checkout.html) on its origin, the payer pays in
the modal on the sandbox, the handler posts to the server, which checks the signature with verify_payment.py; then
razorpay_payment.py checks it again with Razorpay's client, reads the payment and refunds part of it."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from jinja2 import Template
from playwright.async_api import async_playwright, expect

from lightspeedpay.devdocs.service import SAMPLES_DIR
from tests.dashboard.browser import CHROMIUM_ARGS
from tests.devdocs.samples import run, sample_env
from tests.factories import create_merchant, create_sandbox_gateway
from tests.net import free_port

SCREENS = Path(os.environ.get("LSP_TEST_SCREENSHOTS", "/tmp/lsp-screens")) / "devdocs"


def _sample_module(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, SAMPLES_DIR / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Shop:
    """The merchant's server: the sample page rendered with its order, and /verify with the sample's check."""

    def __init__(self, platform_url: str, key_id: str, key_secret: str, order_id: str) -> None:
        self.page = Template((SAMPLES_DIR / "checkout.html").read_text()).render(
            platform=platform_url, key=key_id, order_id=order_id
        )
        self.key_secret, self.order_id = key_secret, order_id
        self.verify_payment = _sample_module("verify_payment").verify_payment
        self.posted: list[dict[str, str]] = []

    def serve(self, port: int) -> ThreadingHTTPServer:
        shop = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._answer(200, "text/html; charset=utf-8", shop.page.encode())

            def do_POST(self) -> None:
                got = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                shop.posted.append(got)
                # the order id this server stored, never the one the browser sent back
                ok = shop.verify_payment(
                    shop.key_secret, shop.order_id, got["razorpay_payment_id"], got["razorpay_signature"]
                )
                self._answer(200, "application/json", json.dumps({"verified": ok}).encode())

            def _answer(self, status: int, content_type: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server


@pytest.fixture
def chromium_path() -> Iterator[str]:
    path = shutil.which("chromium")
    if path is None:
        pytest.fail("Debian's chromium is needed for the browser tests: apt-get install chromium")
    yield path


async def test_checkout_page_sample_pays_and_the_server_verifies(platform, session, chromium_path):
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    new = await create_merchant(session, checkout_origins=[origin])
    await create_sandbox_gateway(session, platform.simulator_url)
    env = sample_env(platform.api_url, LSP_KEY_ID=new.test_key_id, LSP_KEY_SECRET=new.test_secret)

    made = re.fullmatch(r"(order_\w+) created 49900\n", run([sys.executable, "razorpay_order.py"], env))
    assert made, "razorpay_order.py printed something else"
    order_id = made.group(1)
    shop = Shop(platform.api_url, new.test_key_id, new.test_secret, order_id)
    server = shop.serve(port)
    problems: list[str] = []
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
            page = await browser.new_page(viewport={"width": 1100, "height": 800})
            page.on("pageerror", lambda e: problems.append(str(e)))
            await page.goto(origin)
            await page.get_by_role("button", name="Pay ₹499.00").click()
            frame = page.frame_locator("iframe[data-lightspeedpay=frame]")
            await frame.get_by_test_id("pay").click(timeout=20_000)
            await frame.get_by_role("button", name="Pay successfully").click(timeout=20_000)
            await expect(page.locator("#result")).to_have_text(re.compile(r"^Paid: pay_\w+$"), timeout=30_000)
            SCREENS.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(SCREENS / "checkout-sample-paid.png"))
            assert await page.locator("[data-lightspeedpay=overlay]").count() == 0  # the modal closed itself
            await browser.close()
    finally:
        server.shutdown()
    assert not problems, problems
    assert len(shop.posted) == 1, shop.posted
    got = shop.posted[0]
    assert got["razorpay_order_id"] == order_id and got["razorpay_payment_id"].startswith("pay_"), got

    # after the checkout: Razorpay's client checks the signature, reads the payment, refunds ₹100
    after = env | {
        "ORDER_ID": order_id,
        "PAYMENT_ID": got["razorpay_payment_id"],
        "SIGNATURE": got["razorpay_signature"],
    }
    out = run([sys.executable, "razorpay_payment.py"], after)
    lines = out.splitlines()
    assert lines[0] == f"{got['razorpay_payment_id']} captured 49900 {order_id}", out
    assert re.fullmatch(r"rfnd_\w+ (pending|processed) 10000", lines[1]), out

    # a signature that is not the platform's is refused, and the script stops before refunding
    forged = subprocess.run(
        [sys.executable, "razorpay_payment.py"],
        cwd=SAMPLES_DIR,
        env=after | {"SIGNATURE": "0" * 64},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert forged.returncode != 0 and "SignatureVerificationError" in forged.stderr, forged
