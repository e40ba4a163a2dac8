"""The console in a real browser: Debian's chromium driven by Playwright (never a downloaded browser), a person
logged in by the console's own login form, screenshots in English and Hindi, and an axe-core scan of a page.

axe-core comes from npm (scripts/assets.sh) and is added to every page by Playwright as an init script, which the
page's Content-Security-Policy does not govern; the pages' own scripts stay under it, and any CSP violation or
script error a page logs fails the test that opened it."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENS = Path(os.environ.get("LSP_TEST_SCREENSHOTS", "/tmp/lsp-screens")) / "console"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
    "--disable-background-networking",
    "--disable-component-update",
]
# axe's impacts that fail a page (the issue: no serious or critical violation on any page)
BLOCKING = ("serious", "critical")


@dataclass
class Console:
    """A browser context logged in to the console, collecting what its pages log."""

    base_url: str
    context: BrowserContext
    problems: list[str] = field(default_factory=list)

    async def open(self, path: str, *, wait_for: str = "main") -> Page:
        page = await self.context.new_page()
        page.on("console", lambda m: self.problems.append(f"{path}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.problems.append(f"{path}: {e}"))
        await page.goto(self.base_url + path)
        await page.wait_for_selector(wait_for)
        return page

    def assert_clean(self) -> None:
        # a 4xx an action answered on purpose is logged by the browser as a failed resource; anything else
        # (a CSP refusal, a script error) is a defect
        real = [p for p in self.problems if "Failed to load resource" not in p]
        assert not real, real


async def axe_violations(page: Page) -> list[dict[str, Any]]:
    result = await page.evaluate(
        "async () => { const r = await axe.run(document, {resultTypes: ['violations']});"
        " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})); }"
    )
    return [v for v in result if v["impact"] in BLOCKING]


async def screenshot(page: Page, name: str) -> Path:
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is needed for the browser tests: apt-get install chromium")
    if not AXE.exists():
        pytest.fail("axe-core is missing: run scripts/assets.sh")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


async def logged_in(
    browser: Browser,
    base_url: str,
    email: str,
    password: str,
    *,
    width: int = 1280,
    height: int = 860,
    login_path: str = "/admin/login",
    lands_on: str = "/admin",
) -> Console:
    """A new browser context, logged in through a console's login form (the operator's, or everyone's at
    /auth/login with `lands_on` the merchant console's page it opens)."""
    context = await browser.new_context(viewport={"width": width, "height": height}, locale="en-IN")
    await context.add_init_script(path=str(AXE))
    console = Console(base_url, context)
    page = await console.open(login_path)
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(f"{base_url}{lands_on}")
    await page.close()
    return console
