"""The documentation's pages: the repository's copy is what the code and the samples make it, every sample is on a
page and run by a test, the HTML keeps to the page policy (no inline script or style), every link and anchor
resolves, and the error catalogue names every error class's code."""

from __future__ import annotations

import re
from html import unescape

import pytest

from lightspeedpay.devdocs import catalogue, service
from lightspeedpay.devdocs.api import ENV
from lightspeedpay.errors import AppError
from tests.devdocs.samples import HERE, RUN_BY

pytestmark = pytest.mark.fast


@pytest.fixture(scope="module")
def pages() -> dict[str, service.Page]:
    return {slug: service.page(slug) for slug in service.PAGES} | {"404": service.not_found_page()}


def test_the_repository_copy_is_up_to_date():
    stale = service.sync(write=False)
    assert not stale, (
        "docs/developers is stale (a sample or an error class changed): run `python -m lightspeedpay.devdocs sync` "
        f"and commit the result: {[str(p) for p in stale]}"
    )


def test_every_sample_is_on_a_page_and_run_by_a_test():
    files = {p.name for p in service.SAMPLES_DIR.iterdir() if p.is_file()}
    assert set(RUN_BY) == files, "tests/devdocs/samples.py RUN_BY names each sample and the test that runs it"
    for name, test in RUN_BY.items():
        assert (
            name.rsplit(".", 1)[0] in (HERE / f"{test}.py").read_text() + (HERE / "samples.py").read_text()
        ), name
    included = {
        m["path"].removeprefix("samples/")
        for name in service.PAGES.values()
        for m in service._INCLUDE.finditer((service.DOCS_DIR / name).read_text())
    }
    assert included == files, files ^ included


def test_pages_show_the_sample_files_exactly(pages):
    html = pages["quickstart"].html
    for name in ("pay.py", "Receiver.cs", "pay.sh"):
        figure = re.search(
            rf'<span class="sample-name">samples/{re.escape(name)}</span>.*?<code[^>]*>(.*?)</code></pre>',
            html,
            re.S,
        )
        assert figure, name
        shown = unescape(re.sub(r"<[^>]+>", "", figure.group(1)))
        assert shown == (service.SAMPLES_DIR / name).read_text(), name


def test_no_inline_script_or_style_anywhere(pages):
    """The page policy (script-src 'self'; style-src 'self') would refuse them silently."""
    template = ENV.loader.get_source(ENV, "page.html")[0]  # type: ignore[union-attr]
    for name, html in [("page.html", template), *((slug, p.html) for slug, p in pages.items())]:
        assert "<script" not in html, name
        assert not re.search(r"\sstyle=", html), name
        assert not re.search(r"\son[a-z]+=", html), name


def test_every_link_and_anchor_resolves(pages):
    anchors = {slug: {h.anchor for h in p.headings} for slug, p in pages.items()}
    checked = 0
    for slug, page in pages.items():
        for href in re.findall(r'href="([^"]+)"', page.html):
            href = unescape(href)
            if href.startswith("https://"):
                continue
            path, _, anchor = href.partition("#")
            target = slug if not path else path.removeprefix("/developers").removeprefix("/")
            if target.startswith("samples/"):
                assert service.sample_path(target.removeprefix("samples/")).is_file(), href
                continue
            assert target in service.PAGES, (slug, href)
            assert not anchor or anchor in anchors[target], (slug, href)
            checked += 1
    assert checked > 20


def test_anchors_are_githubs():
    seen: dict[str, int] = {}
    assert service.slugify("5. Run a receiver that verifies each webhook", seen) == (
        "5-run-a-receiver-that-verifies-each-webhook"
    )
    assert service.slugify("REFUND_EXCEEDS_PAID", seen) == "refund_exceeds_paid"
    assert service.slugify("What /v1 serves", seen) == "what-v1-serves"
    assert service.slugify("Razorpay's Python client", seen) == "razorpays-python-client"
    assert service.slugify("REFUND_EXCEEDS_PAID", seen) == "refund_exceeds_paid-1"


def test_tables_and_code_are_labelled_regions_and_alignment_is_a_class():
    page = service.render_markdown(
        "# T\n\n## Fees\n\n| a | b |\n|---|--:|\n| 1 | 2 |\n\n```python\nx = 1\n```\n"
    )
    assert '<div class="table-wrap" role="region" tabindex="0" aria-label="Table: Fees">' in page.html
    assert '<th class="align-right">b</th>' in page.html and "style" not in page.html
    assert '<pre class="code" tabindex="0" role="region" aria-label="Code: python">' in page.html
    assert '<span class="n">x</span>' in page.html  # highlighted into classes


def test_raw_html_in_markdown_is_not_rendered():
    page = service.render_markdown('# T\n\n<script>alert(1)</script>\n\n<p style="color:red">x</p>\n')
    assert "<script" not in page.html and not re.search(r"<[^>]*\sstyle=", page.html), page.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.html  # shown as text


def test_a_link_to_a_file_that_is_not_a_page_is_refused():
    with pytest.raises(ValueError, match="not one of the pages"):
        service.render_markdown("# T\n\n[the architecture](../architecture.md)\n")


def test_the_error_catalogue_names_every_code_with_its_status_and_v1_wording():
    entries = {(e.code, e.status): e for e in catalogue.entries()}
    codes = {code for code, _ in entries}
    # every class whose code is its own (not one its callers pass) is there, with its status
    for cls in catalogue._subclasses(AppError):
        if not catalogue.carries_code(cls) and cls.__name__ not in ("HttpError", "FieldError", "Specimen"):
            assert (cls.code, cls.status_code) in entries, cls
    refund = entries[("REFUND_EXCEEDS_PAID", 422)]
    assert refund.v1 == (400, "BAD_REQUEST_ERROR", "refund_exceeds_paid")
    assert any("greater than what is left to refund" in m for m in refund.messages)
    assert entries[("IDEMPOTENCY_KEY_REUSED", 422)].v1[0] == 422  # /v1 keeps this status
    assert entries[("INVALID_AMOUNT", 422)].v1[2] == "input_validation_failed"
    assert entries[("METHOD_NOT_ALLOWED", 405)].areas == {"routing"}
    # codes that exist only where they are raised (InvalidIdentifier("INVALID_PAN", …), DocumentRefused)
    assert {"INVALID_PAN", "INVALID_GSTIN", "INVALID_IFSC", "EMPTY_DOCUMENT"} <= codes
    assert ("INVALID_CREDENTIALS", 401) in entries and ("INVALID_CREDENTIALS", 422) in entries
    text = (service.DOCS_DIR / "errors.md").read_text()
    for code, _status in entries:
        assert f"### `{code}`" in text
