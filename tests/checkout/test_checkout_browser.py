"""The hosted checkout in a real browser (Debian's chromium driven by Playwright): a merchant's page opens
checkout.js's modal, the payer pays on the PSP's page, and the handler gets a signature the merchant verifies."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Page, async_playwright, expect

from lightspeedpay.kit.readiness import wait_http
from tests.factories import create_merchant, create_sandbox_gateway
from tests.net import free_port

SCREENS = Path(os.environ.get("LSP_TEST_SCREENSHOTS", "/tmp/lsp-screens"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
    "--disable-background-networking",
    "--disable-component-update",
]


@pytest.fixture
async def shop(platform, session) -> AsyncIterator[str]:
    """The demo shop (its own origin) selling for a fresh merchant with one sandbox gateway."""
    port = free_port()
    # the shop's origin is registered: only it may frame the hosted checkout (CSP frame-ancestors)
    new = await create_merchant(session, name="chai", checkout_origins=[f"http://127.0.0.1:{port}"])
    await create_sandbox_gateway(session, platform.simulator_url)
    env = dict(
        platform.env,
        LSP_SHOP_CLIENT_KEY=new.client.client_key,
        LSP_SHOP_CLIENT_SALT=new.client_salt,
        LSP_SHOP_PLATFORM_URL=platform.api_url,
    )
    proc = subprocess.Popen([sys.executable, "-m", "lightspeedpay.cli", "shop", "--port", str(port)], env=env)
    try:
        wait_http(f"http://127.0.0.1:{port}/", 30)
        os.environ["LSP_TEST_SHOP_KEY"] = new.client.client_key  # for the standalone-page test
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
async def page() -> AsyncIterator[Page]:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("Debian's chromium is needed for the browser tests: apt-get install chromium")
    SCREENS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = await browser.new_context(viewport={"width": 1100, "height": 800})
        yield await context.new_page()
        await browser.close()


async def _open_modal(page: Page, shop: str):
    await page.goto(shop)
    await page.get_by_role("button", name="Pay ₹499.00").click()
    frame = page.frame_locator("iframe[data-lightspeedpay=frame]")
    await expect(frame.get_by_test_id("merchant")).to_have_text("Shop chai", timeout=15_000)
    await expect(frame.get_by_test_id("amount")).to_have_text("₹499.00")
    return frame


async def test_pay_in_the_modal_and_verify_the_signature(shop, page):
    frame = await _open_modal(page, shop)
    await page.screenshot(path=SCREENS / "1-modal.png")
    await frame.get_by_test_id("pay").click()
    # the iframe goes to the PSP's hosted page (the simulator's), where the payer chooses
    await frame.get_by_role("button", name="Pay successfully").click(timeout=20_000)
    await expect(page.locator("#result")).to_contain_text("Payment verified ✓", timeout=30_000)
    await page.screenshot(path=SCREENS / "2-paid.png")
    last = await page.evaluate("window.lastPayment")
    assert last["verified"] is True
    assert last["razorpay_payment_id"].startswith("pay_") and last["razorpay_order_id"].startswith("order_")
    assert len(last["razorpay_signature"]) == 64
    assert await page.locator("[data-lightspeedpay=overlay]").count() == 0  # the modal closed itself


async def test_a_failed_payment_is_reported_and_can_be_retried(shop, page):
    frame = await _open_modal(page, shop)
    await frame.get_by_test_id("pay").click()
    await frame.get_by_role("button", name="Fail the payment").click(timeout=20_000)
    await expect(page.locator("#result")).to_contain_text("Payment failed", timeout=30_000)
    await expect(frame.get_by_test_id("status")).to_have_text("Payment failed")
    await page.screenshot(path=SCREENS / "3-failed.png")
    assert await page.evaluate("window.lastPayment") is None
    # the modal stays open with a way to try again
    await expect(frame.get_by_role("link", name="Try again")).to_be_visible()


async def test_dismiss_and_foreign_messages(shop, page):
    await _open_modal(page, shop)
    # a message that does not come from the platform's checkout frame is ignored
    await page.evaluate("""window.postMessage({source: "lightspeedpay", type: "payment.success", order_id: "order_x",
                                              payment_id: "pay_x", signature: "00"}, "*")""")
    await page.wait_for_timeout(300)
    assert await page.evaluate("window.lastPayment") is None
    assert await page.locator("[data-lightspeedpay=overlay]").count() == 1
    await page.locator("[data-lightspeedpay=close]").click()
    await expect(page.locator("#result")).to_have_text("Checkout closed")
    assert await page.evaluate("window.dismissed") is True
    assert await page.locator("[data-lightspeedpay=overlay]").count() == 0


async def test_standalone_hosted_page_redirects_with_a_signature(platform, shop, page):
    from urllib.parse import parse_qs, quote, urlparse

    import httpx

    async with httpx.AsyncClient() as http:
        order = (await http.post(f"{shop}/orders")).json()
        key = os.environ["LSP_TEST_SHOP_KEY"]
        await page.goto(
            f"{platform.api_url}/checkout/{order['id']}?key={key}&redirect_url={quote(shop + '/thanks')}"
        )
        await page.get_by_test_id("pay").click()
        await page.get_by_role("button", name="Pay successfully").click(timeout=20_000)
        await page.wait_for_url(f"{shop}/thanks?*", timeout=30_000)
        params = {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}
        assert params["razorpay_order_id"] == order["id"]
        verified = (await http.post(f"{shop}/verify", json=params)).json()
        assert verified == {"verified": True}
        params["razorpay_signature"] = "0" * 64
        assert (await http.post(f"{shop}/verify", json=params)).json() == {"verified": False}

    bad = await page.goto(f"{platform.api_url}/checkout/{order['id']}?key=wrong")
    assert bad is not None and bad.status == 404
    await expect(page.get_by_text("This checkout link is not valid.")).to_be_visible()
    missing = await page.goto(f"{platform.api_url}/checkout/order_doesnotexist00?key=x")
    assert missing is not None and missing.status == 404
