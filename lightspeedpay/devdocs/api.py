"""The developer documentation at /developers: public pages, no login (the same text as docs/developers/)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from lightspeedpay import __version__
from lightspeedpay.devdocs import service
from lightspeedpay.devdocs.service import PREFIX, Page, PageNotFound

router = APIRouter(prefix=PREFIX, tags=["developer documentation"], include_in_schema=False)
ENV = Environment(loader=PackageLoader("lightspeedpay.devdocs", "templates"), autoescape=select_autoescape())
_CACHED = {"cache-control": "public, max-age=300"}


def _answer(page: Page, status_code: int = 200) -> HTMLResponse:
    html = ENV.get_template("page.html").render(
        **service.template_context(page),
        home=PREFIX,
        stylesheet=f"{PREFIX}/assets/devdocs.css?v={__version__}",
    )
    return HTMLResponse(html, status_code=status_code)


def _not_found() -> HTMLResponse:
    return _answer(service.not_found_page(), 404)


# plain `def` routes: rendering Markdown and highlighting code is CPU work, done in the thread pool
@router.get("", response_class=HTMLResponse)
def index() -> HTMLResponse:
    return _answer(service.page(""))


@router.get("/assets/devdocs.css")
def stylesheet() -> Response:
    return Response(
        service.stylesheet(), media_type="text/css", headers={"cache-control": "public, max-age=86400"}
    )


@router.get("/samples/{name:path}", response_class=PlainTextResponse)
def sample(name: str) -> Response:
    try:
        path = service.sample_path(name)
    except PageNotFound:
        return _not_found()
    return PlainTextResponse(path.read_text(), headers=_CACHED)


@router.get("/{slug}", response_class=HTMLResponse)
def doc(slug: str) -> HTMLResponse:
    try:
        return _answer(service.page(slug))
    except PageNotFound:
        return _not_found()
