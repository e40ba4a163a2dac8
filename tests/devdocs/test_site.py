"""/developers served by the running platform: public, under the page policy, every page readable at 375 px and
on a desktop in Debian's chromium with axe-core finding no serious or critical violation; screenshots of each."""

from __future__ import annotations

import httpx
import pytest

from lightspeedpay.devdocs import service
from tests.dashboard.browser import AXE, axe_violations, chromium, screenshot

PAGES = [service.page_url(slug) for slug in service.PAGES]


async def test_pages_are_public_html_under_the_page_policy(platform):
    async with httpx.AsyncClient(base_url=platform.api_url, timeout=30) as http:
        for url in PAGES:
            r = await http.get(url)
            assert r.status_code == 200, (url, r.text[:300])
            assert r.headers["content-type"].startswith("text/html")
            assert "script-src 'self'" in r.headers["content-security-policy"], url
            assert '<nav class="sidenav"' in r.text and 'aria-current="page"' in r.text, url
        index = (await http.get("/developers")).text
        assert all(f'href="{url}"' in index for url in PAGES)

        css = await http.get("/developers/assets/devdocs.css")
        assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
        assert ".code .k {" in css.text  # the code colours are appended

        sample = await http.get("/developers/samples/pay.py")
        assert sample.status_code == 200 and sample.headers["content-type"].startswith("text/plain")
        assert sample.text == (service.SAMPLES_DIR / "pay.py").read_text()

        for missing in (
            "/developers/nothing-here",
            "/developers/samples/nothing.py",
            "/developers/samples/%2e%2e/README.md",
        ):
            r = await http.get(missing)
            assert r.status_code == 404 and "Page not found" in r.text, missing


@pytest.mark.parametrize(("width", "height"), [(375, 812), (1280, 900)], ids=["phone", "desktop"])
async def test_every_page_reads_well_and_passes_axe(platform, width, height):
    async with chromium() as browser:
        context = await browser.new_context(viewport={"width": width, "height": height}, locale="en-IN")
        await context.add_init_script(path=str(AXE))
        problems: list[str] = []
        for url in [*PAGES, "/developers/nothing-here"]:
            page = await context.new_page()
            page.on(
                "console", lambda m, u=url: problems.append(f"{u}: {m.text}") if m.type == "error" else None
            )
            page.on("pageerror", lambda e, u=url: problems.append(f"{u}: {e}"))
            await page.goto(platform.api_url + url)
            await page.wait_for_selector("main h1")
            violations = await axe_violations(page)
            assert not violations, (url, width, violations)
            # the page is as wide as the screen: what is wider (code, tables) scrolls inside its own box
            overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (url, width, overflow)
            name = "index" if url == "/developers" else url.rsplit("/", 1)[-1]
            await screenshot(page, f"devdocs-{name}-{width}")
            await page.close()
        # the 404 page logs its status as a failed resource; anything else (a CSP refusal, a script error) is a defect
        assert not [p for p in problems if "404" not in p], problems
