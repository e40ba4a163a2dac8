"""The developer documentation: Markdown pages in docs/developers/ (readable on GitHub), rendered with
markdown-it-py, code highlighted by Pygments on the server. A page includes its code samples from
docs/developers/samples/ when it is rendered (`<!-- include: samples/pay.py -->` before a fenced block), so the
page shows exactly the files the tests run; `python -m lightspeedpay.devdocs sync` copies them into the Markdown
for readers on GitHub."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from html import escape
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

import lightspeedpay
from lightspeedpay.devdocs.anchors import slugify

DOCS_DIR = Path(lightspeedpay.__file__).resolve().parent.parent / "docs" / "developers"
SAMPLES_DIR = DOCS_DIR / "samples"
PREFIX = "/developers"
# the pages in the order of the side navigation: slug -> file ("" is the index)
PAGES: dict[str, str] = {
    "": "README.md",
    "quickstart": "quickstart.md",
    "signing": "signing.md",
    "idempotency": "idempotency.md",
    "modes": "modes.md",
    "webhooks": "webhooks.md",
    "errors": "errors.md",
    "razorpay": "razorpay.md",
    "checkout-js": "checkout-js.md",
    "sdk-node": "sdk-node.md",
    "sdk-python": "sdk-python.md",
    "sdk-csharp": "sdk-csharp.md",
}
LANGUAGES = {".py": "python", ".mjs": "javascript", ".cs": "csharp", ".sh": "bash", ".html": "html"}
# Pygments' "xcode" colours keep a 4.5:1 contrast on the code background (WCAG AA, which axe checks)
CODE_STYLE = "xcode"
_INCLUDE = re.compile(
    r"^<!-- include: (?P<path>[\w./-]+) -->\n(?:(?P<fence>`{3,})[^\n]*\n.*?^(?P=fence)[ \t]*\n)?",
    re.MULTILINE | re.DOTALL,
)


class PageNotFound(LookupError):
    pass


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    anchor: str


@dataclass(frozen=True)
class Page:
    slug: str
    title: str
    html: str
    headings: Sequence[Heading]

    @property
    def url(self) -> str:
        return page_url(self.slug)


def page_url(slug: str) -> str:
    return f"{PREFIX}/{slug}" if slug else PREFIX


def sample_path(name: str) -> Path:
    """A sample's file, by its path under samples/; PageNotFound for anything else (no way out of the folder)."""
    path = (SAMPLES_DIR / name).resolve()
    if SAMPLES_DIR.resolve() not in path.parents or not path.is_file():
        raise PageNotFound(name)
    return path


def _fence(path: str) -> str:
    """A fenced block holding the sample's text: longer fences than any run of backticks inside it."""
    text = sample_path(path.removeprefix("samples/")).read_text()
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    language = LANGUAGES.get(Path(path).suffix, "text")
    return f"{ticks}{language} {path}\n{text if text.endswith(chr(10)) else text + chr(10)}{ticks}\n"


def with_samples(markdown: str, *, keep_markers: bool) -> str:
    """Each `<!-- include: samples/… -->` with the sample's current text in the fenced block after it. Kept
    markers make the Markdown for the repository (the next sync finds them); without them, for rendering."""

    def include(match: re.Match[str]) -> str:
        block = _fence(match["path"])
        return f"{match.group(0).splitlines()[0]}\n{block}" if keep_markers else block

    return _INCLUDE.sub(include, markdown)


def _link(href: str) -> str:
    """A link between the Markdown files (quickstart.md#x, samples/pay.py) as the served page's URL."""
    if re.match(r"^[a-z][a-z0-9+.-]*:|^/|^#", href):
        return href
    target, _, anchor = href.partition("#")
    if target.startswith("samples/"):
        url = f"{PREFIX}/{target}"
    else:
        slug = next((s for s, f in PAGES.items() if f == target), None)
        if slug is None:
            raise ValueError(f"a link to {href!r}, which is not one of the pages or samples")
        url = page_url(slug)
    return f"{url}#{anchor}" if anchor else url


class _Renderer(RendererHTML):
    """HTML with no style attribute (the page policy forbids them): code highlighted into classes, a table's
    alignment as a class, tables that scroll on narrow screens as focusable regions."""

    formatter = HtmlFormatter(nowrap=True, style=CODE_STYLE)

    def fence(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        token = tokens[idx]
        language, _, path = token.info.strip().partition(" ")
        try:
            lexer = get_lexer_by_name(language or "text")
        except ClassNotFound:
            lexer = get_lexer_by_name("text")
        code = highlight(token.content, lexer, self.formatter)
        label = escape(path or language or "code")
        caption = ""
        if path:
            caption = (
                f'<figcaption><span class="sample-name">{label}</span>'
                f'<a href="{escape(_link(path))}">Download {escape(Path(path).name)}</a></figcaption>'
            )
        language_class = f' class="language-{escape(language)}"' if language else ""
        return (
            f'<figure class="code-block">{caption}<pre class="code" tabindex="0" role="region" aria-label="Code: {label}">'
            f"<code{language_class}>{code}</code></pre></figure>\n"
        )

    def table_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        label = escape(str(tokens[idx].meta.get("label", "Table")))
        return f'<div class="table-wrap" role="region" tabindex="0" aria-label="{label}">\n<table>\n'

    def table_close(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        return "</table>\n</div>\n"

    def _cell(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        token = tokens[idx]
        style = token.attrGet("style")
        if isinstance(style, str) and style.startswith("text-align:"):
            token.attrs.pop("style")
            token.attrSet("class", "align-" + style.removeprefix("text-align:"))
        return self.renderToken(tokens, idx, options, env)

    th_open = td_open = _cell


def _markdown_it() -> MarkdownIt:
    # raw HTML is not rendered (an include marker is consumed before): no page can carry a script or a style
    md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    md.renderer = _Renderer(md)
    return md


_MD = _markdown_it()


def _title(tokens: list[Token]) -> str:
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h1":
            return tokens[i + 1].content.replace("`", "")
    raise ValueError("a page starts with a # title")


def _prepare(tokens: list[Token]) -> list[Heading]:
    """Anchors on the headings, links between pages made URLs, and each table labelled by its heading."""
    seen: dict[str, int] = {}
    headings: list[Heading] = []
    last_heading = "Table"
    for i, token in enumerate(tokens):
        if token.type == "heading_open":
            inline = tokens[i + 1]
            text = "".join(c.content for c in inline.children or [] if c.type in ("text", "code_inline"))
            anchor = slugify(text, seen)
            token.attrSet("id", anchor)
            headings.append(Heading(int(token.tag[1]), text, anchor))
            last_heading = text
        elif token.type == "table_open":
            token.meta["label"] = f"Table: {last_heading}"
        elif token.type == "inline":
            for child in token.children or []:
                if child.type == "link_open":
                    child.attrSet("href", _link(str(child.attrGet("href") or "")))
    return headings


def render_markdown(markdown: str, slug: str = "") -> Page:
    tokens = _MD.parse(with_samples(markdown, keep_markers=False))
    headings = _prepare(tokens)
    html = _MD.renderer.render(tokens, _MD.options, {})
    return Page(slug=slug, title=_title(tokens), html=html, headings=headings)


def _sources(slug: str) -> tuple[Path, ...]:
    page = DOCS_DIR / PAGES[slug]
    includes = tuple(
        SAMPLES_DIR / m["path"].removeprefix("samples/") for m in _INCLUDE.finditer(page.read_text())
    )
    return (page, *includes)


@lru_cache(maxsize=64)
def _rendered(slug: str, stamp: tuple[float, ...]) -> Page:
    return render_markdown((DOCS_DIR / PAGES[slug]).read_text(), slug)


def page(slug: str) -> Page:
    """A page, rendered again when its Markdown or a sample it includes changes."""
    if slug not in PAGES:
        raise PageNotFound(slug)
    return _rendered(slug, tuple(p.stat().st_mtime for p in _sources(slug)))


@cache
def navigation() -> list[tuple[str, str]]:
    """(slug, title) of every page, in order: each page's first line is its `# title`."""
    titles = [(DOCS_DIR / name).read_text().split("\n", 1)[0] for name in PAGES.values()]
    return [
        (slug, title.removeprefix("# ").replace("`", "")) for slug, title in zip(PAGES, titles, strict=True)
    ]


def not_found_page() -> Page:
    return render_markdown(
        "# Page not found\n\nNo page of the developer documentation has this address; "
        "[start from the overview](README.md).",
        slug="404",
    )


@cache
def stylesheet() -> str:
    own = (Path(__file__).parent / "static" / "devdocs.css").read_text()
    return own + "\n/* code colours: Pygments' " + CODE_STYLE + " */\n" + _code_colours()


def _code_colours() -> str:
    # the tokens' colours only: the block's own background and spacing are devdocs.css's
    return "\n".join(_Renderer.formatter.get_token_style_defs(".code"))


def sync(*, write: bool) -> list[Path]:
    """The files whose repository copy is stale (an included sample changed, or errors.md is not what the code
    generates); with `write`, brought up to date."""
    from lightspeedpay.devdocs import catalogue  # imports every module of the package: only when asked

    stale: list[Path] = []
    for slug, name in PAGES.items():
        path = DOCS_DIR / name
        current = path.read_text() if path.exists() else ""
        wanted = catalogue.markdown() if slug == "errors" else with_samples(current, keep_markers=True)
        if wanted != current:
            stale.append(path)
            if write:
                path.write_text(wanted)
    return stale


def template_context(current: Page) -> dict[str, Any]:
    return {"page": current, "pages": [(page_url(s), t, s == current.slug) for s, t in navigation()]}
