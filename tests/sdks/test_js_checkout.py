"""The JS SDK's browser part (sdks/js/src/checkout.ts) in Debian's chromium against the platform's real checkout.js.

A merchant's page on its own loopback origin (tests/sdks/js_checkout/) imports the built ES module
dist/esm/checkout.js through an import map, as `@lightspeedpay/sdk/checkout`; its script (merchant.ts) is
TypeScript compiled here, strictly, against the SDK's declarations, so the types are checked as a merchant would
use them. The merchant's server makes the order with the SDK (Node) and checks what the page posts with a
signature check of its own; the SDK's verifyPaymentSignature is then asked about the same answers. The payer pays
in the modal on the sandbox: a failed attempt first, then a paid one; closes it (×, Escape, the checkout's
Cancel), or the page aborts it; and pays through the callback style (loadCheckout, the constructor without
`new`)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import shutil
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, async_playwright, expect

from tests.dashboard.browser import AXE, BLOCKING, CHROMIUM_ARGS
from tests.factories import create_merchant, create_sandbox_gateway
from tests.net import free_port
from tests.sdks.conftest import SDKS, run_suite

JS = SDKS / "js"
PAGE = Path(__file__).parent / "js_checkout"
SCREENS = Path(os.environ.get("LSP_TEST_SCREENSHOTS", "/tmp/lsp-screens"))
AMOUNT = 49900


def _node_env() -> dict[str, str]:
    return {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}


@pytest.fixture(scope="module")
def merchant_js(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The SDK built (dist/), and the page's merchant.ts compiled against dist/types with the SDK's tsc."""
    assert (JS / "node_modules" / "typescript").is_dir(), "run scripts/bootstrap.sh (npm ci in sdks/js)"
    run_suite(["node", "scripts/build.mjs"], JS, _node_env())
    out = tmp_path_factory.mktemp("merchant")
    config = {
        "compilerOptions": {
            "target": "ES2022",
            "module": "ES2022",
            "moduleResolution": "Bundler",
            "lib": ["ES2022", "DOM"],
            "types": [],
            "strict": True,
            "noUnusedLocals": True,
            "rootDir": str(PAGE),
            "outDir": str(out),
            "paths": {"@lightspeedpay/sdk/checkout": [str(JS / "dist" / "types" / "checkout.d.ts")]},
        },
        "files": [str(PAGE / "merchant.ts")],
    }
    (out / "tsconfig.json").write_text(json.dumps(config))
    tsc = JS / "node_modules" / "typescript" / "bin" / "tsc"
    run_suite(["node", str(tsc), "-p", str(out / "tsconfig.json")], JS, _node_env())
    return out / "merchant.js"


def _sdk(script: str, env: dict[str, str]) -> str:
    """A Node ES module run next to the built SDK (the merchant's server side), its stdout."""
    return run_suite(["node", "--input-type=module", "-e", script], JS, _node_env() | env, timeout=60)


@dataclass
class Shop:
    """The merchant's server: the page, the SDK's module, and /verify with a signature check of its own."""

    platform_url: str
    key_id: str
    key_secret: str
    order_id: str
    script: Path
    posted: list[dict[str, str]] = field(default_factory=list)

    def answer(self, path: str) -> tuple[str, bytes] | None:
        if path == "/":
            shop = json.dumps({"platform": self.platform_url, "key": self.key_id, "order_id": self.order_id})
            return "text/html; charset=utf-8", (PAGE / "index.html").read_text().replace(
                "__SHOP__", shop
            ).encode()
        if path == "/merchant.js":
            return "text/javascript", self.script.read_bytes()
        if path == "/sdk/checkout.js":
            return "text/javascript", (JS / "dist" / "esm" / "checkout.js").read_bytes()
        return None

    def verified(self, got: dict[str, str]) -> bool:
        # the order id this server stored, never the one the browser sent back
        message = f"{self.order_id}|{got['razorpay_payment_id']}".encode()
        expected = hmac.new(self.key_secret.encode(), message, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, got["razorpay_signature"])

    def serve(self, port: int) -> ThreadingHTTPServer:
        shop = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                found = shop.answer(self.path)
                if found is None:
                    self._answer(404, "text/plain", b"not here")
                else:
                    self._answer(200, *found)

            def do_POST(self) -> None:
                got = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                shop.posted.append(got)
                self._answer(200, "application/json", json.dumps({"verified": shop.verified(got)}).encode())

            def _answer(self, status: int, content_type: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server


@dataclass
class Payer:
    page: Page
    shop: Shop
    problems: list[str]

    async def events(self) -> list[dict[str, Any]]:
        return list(await self.page.evaluate("window.events"))

    async def expect_events(self, count: int) -> list[dict[str, Any]]:
        for _ in range(300):
            events = await self.events()
            if len(events) >= count:
                return events
            await self.page.wait_for_timeout(100)
        raise AssertionError(f"{count} events expected, the page noted {await self.events()}")

    async def open_modal(self, button: str) -> Any:
        await self.page.get_by_role("button", name=button, exact=True).click()
        frame = self.page.frame_locator("iframe[data-lightspeedpay=frame]")
        await expect(frame.get_by_test_id("amount")).to_have_text("₹499.00", timeout=20_000)
        return frame


@pytest.fixture
async def payer(platform, session, merchant_js) -> AsyncIterator[Payer]:
    """A fresh merchant whose page's origin may frame the checkout, an order made by the SDK, the page open."""
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    new = await create_merchant(session, checkout_origins=[origin])
    await create_sandbox_gateway(session, platform.simulator_url)
    made = _sdk(
        """import { LightSpeedPay } from "./dist/esm/index.js";
        const lsp = new LightSpeedPay({ baseUrl: process.env.LSP_API, keyId: process.env.LSP_KEY_ID,
                                        keySecret: process.env.LSP_KEY_SECRET });
        console.log(JSON.stringify(await lsp.orders.create({ amount: 49900, receipt: "chai-250g" })));""",
        {"LSP_API": platform.api_url, "LSP_KEY_ID": new.test_key_id, "LSP_KEY_SECRET": new.test_secret},
    )
    order = json.loads(made)
    assert order["id"].startswith("order_") and order["amount"] == AMOUNT, order
    shop = Shop(platform.api_url, new.test_key_id, new.test_secret, order["id"], merchant_js)
    server = shop.serve(port)
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("Debian's chromium is needed for the browser tests: apt-get install chromium")
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            context = await browser.new_context(viewport={"width": 1100, "height": 800})
            await context.add_init_script(path=str(AXE))
            page = await context.new_page()
            problems: list[str] = []
            page.on("pageerror", lambda e: problems.append(str(e)))
            await page.goto(origin)
            await page.wait_for_function("Array.isArray(window.events)")
            yield Payer(page, shop, problems)
            await browser.close()
    finally:
        server.shutdown()
    assert not problems, problems


def _sdk_verifies(shop: Shop, paid: dict[str, str]) -> tuple[bool, bool]:
    """The SDK's verifyPaymentSignature on the page's answer, and on the same answer with a forged signature."""
    out = _sdk(
        """import { verifyPaymentSignature } from "./dist/esm/index.js";
        const [secret, order, payment, signature] = JSON.parse(process.env.ARGS);
        console.log(JSON.stringify([verifyPaymentSignature(secret, order, payment, signature),
                                    verifyPaymentSignature(secret, order, payment, "0".repeat(64))]));""",
        {
            "ARGS": json.dumps(
                [shop.key_secret, shop.order_id, paid["razorpay_payment_id"], paid["razorpay_signature"]]
            )
        },
    )
    real, forged = json.loads(out)
    return real, forged


def _assert_paid(shop: Shop, paid: dict[str, str]) -> None:
    assert set(paid) == {"razorpay_payment_id", "razorpay_order_id", "razorpay_signature"}, paid
    assert paid["razorpay_order_id"] == shop.order_id, paid
    assert re.fullmatch(r"pay_\w+", paid["razorpay_payment_id"]), paid
    assert re.fullmatch(r"[0-9a-f]{64}", paid["razorpay_signature"]), paid
    assert shop.posted == [paid]
    assert _sdk_verifies(shop, paid) == (True, False)


async def test_pay_with_checkout_reports_a_failure_then_resolves_once_paid(payer):
    page, shop = payer.page, payer.shop
    frame = await payer.open_modal("Pay ₹499.00")
    SCREENS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENS / "sdk-js-checkout.png"))
    # the merchant's page with checkout.js's modal open over it: no serious or critical axe violation
    violations = await page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"
    )
    assert [v for v in violations if v["impact"] in BLOCKING] == [], violations

    await frame.get_by_test_id("pay").click()
    await frame.get_by_role("button", name="Fail the payment").click(timeout=20_000)
    [failed] = await payer.expect_events(1)
    assert failed["kind"] == "failed", failed
    error = failed["failure"]["error"]
    assert error["code"] and error["description"], error
    assert error["metadata"]["order_id"] == shop.order_id and error["metadata"]["payment_id"].startswith(
        "pay_"
    )
    assert await page.locator("[data-lightspeedpay=overlay]").count() == 1  # still open, for another try

    await frame.get_by_role("link", name="Try again").click()
    await frame.get_by_test_id("pay").click(timeout=20_000)
    await frame.get_by_role("button", name="Pay successfully").click(timeout=20_000)
    events = await payer.expect_events(2)
    assert events[1]["kind"] == "paid" and events[1]["verified"] is True, events
    assert await page.locator("[data-lightspeedpay=overlay]").count() == 0  # the modal closed itself
    paid = events[1]["paid"]
    assert paid["razorpay_payment_id"] != error["metadata"]["payment_id"]
    _assert_paid(shop, paid)


async def test_pay_with_checkout_rejects_when_the_payer_closes_it(payer):
    page = payer.page
    await payer.open_modal("Pay ₹499.00")
    await page.locator("[data-lightspeedpay=close]").click()  # the × button
    await payer.open_modal("Pay ₹499.00")
    # Escape while the merchant's page has the focus (checkout.js listens on the page)
    await page.keyboard.press("Escape")
    frame = await payer.open_modal("Pay ₹499.00")
    await frame.get_by_test_id("cancel").click()  # the checkout's own Cancel, told by postMessage
    # Escape with the focus inside the checkout's frame: the checkout page tells checkout.js (postMessage)
    frame = await payer.open_modal("Pay ₹499.00")
    await frame.get_by_test_id("amount").click()
    await frame.get_by_test_id("amount").press("Escape")
    for _ in range(100):
        if len(await payer.events()) == 4:
            break
        await page.wait_for_timeout(100)
    assert await payer.events() == [{"kind": "dismissed", "name": "CheckoutDismissedError"}] * 4
    assert await page.locator("[data-lightspeedpay=overlay]").count() == 0

    # the page aborts the payment's signal: the checkout closes, the promise rejects with the signal's reason
    await page.evaluate("window.payThenAbort()")
    frame = page.frame_locator("iframe[data-lightspeedpay=frame]")
    await expect(frame.get_by_test_id("amount")).to_have_text("₹499.00", timeout=20_000)
    await page.evaluate("window.abortPayment()")
    events = await payer.expect_events(5)
    assert events[4] == {"kind": "aborted", "name": "AbortError"}, events
    assert await page.locator("[data-lightspeedpay=overlay]").count() == 0
    assert payer.shop.posted == []


async def test_callback_style_loads_checkout_js_once_and_the_handler_gets_the_payment(payer):
    page, shop = payer.page, payer.shop
    await payer.open_modal("Pay ₹499.00 (callback style)")
    [loaded] = await payer.expect_events(1)
    assert loaded == {"kind": "loaded", "same": True, "scripts": 1}, loaded
    await page.locator("[data-lightspeedpay=close]").click()
    frame = await payer.open_modal("Pay ₹499.00 (callback style)")  # the same checkout, opened again
    await frame.get_by_test_id("pay").click()
    await frame.get_by_role("button", name="Pay successfully").click(timeout=20_000)
    events = await payer.expect_events(3)
    assert [e["kind"] for e in events] == ["loaded", "ondismiss", "handler"], events
    assert events[2]["verified"] is True, events
    _assert_paid(shop, events[2]["paid"])

    # a checkout.js that does not load rejects loadCheckout's promise
    await page.evaluate("window.loadNowhere()")
    events = await payer.expect_events(4)
    assert events[3]["kind"] == "load-refused" and "/nowhere/checkout.js" in events[3]["message"], events
    assert events[3]["left"] == 0, events  # the failed script element is gone: a later call tries afresh
