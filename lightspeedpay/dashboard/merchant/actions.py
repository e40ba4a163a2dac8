"""How the merchant console's developer, team and settings pages answer an action: htmx gets the page's body
again (with a notice, or a secret shown once) to swap in place; a browser without JavaScript is sent back to the
page (a notice named in `?done=`), except when the answer shows a secret, which is never put in a URL and is
answered as the page itself."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.auth.principal import MerchantAuth
from lightspeedpay.dashboard import i18n, reauth, web
from lightspeedpay.errors import ValidationFailed

T = TypeVar("T")


def done_notice(request: Request, notices: Mapping[str, str]) -> str | None:
    """The notice a page shows after an action answered without JavaScript (`?done=<key>`; unknown keys: none)."""
    key = request.query_params.get("done") or ""
    return i18n.gettext(notices[key]) if key in notices else None


def answer(
    request: Request,
    merchant: MerchantAuth,
    *,
    page: str,
    body: str,
    context: dict[str, Any],
    back_to: str,
    done: str | None = None,
    notice: str | None = None,
    shows_secret: bool = False,
) -> Response:
    """htmx: the body fragment with `notice`; no JavaScript: 303 to `back_to?done=<done>`, or the whole page when
    it shows a secret (it must not reach a URL, a history entry or a cache: pages are `no-store`)."""
    context = {**context, "notice": notice}
    if web.is_htmx(request):
        return web.fragment(request, body, context, merchant=merchant)
    if shows_secret:
        return web.page(request, page, context, merchant=merchant)
    target = f"{back_to}?done={done}" if done else back_to
    return RedirectResponse(target, status_code=303)


async def recently(
    request: Request,
    session: AsyncSession,
    merchant: MerchantAuth,
    action: Callable[[MerchantAuth], Awaitable[T]],
    *,
    post_to: str,
    target: str,
    title: str,
) -> T | HTMLResponse:
    """`reauth.with_recent_login` with the request's own form: the action's result, or the password form."""
    form = await request.form()
    try:
        return await reauth.with_recent_login(
            request, session, merchant, action, form=form, post_to=post_to, target=target, title=title
        )
    except reauth.NeedsPassword as needs:
        return needs.form


async def form_text(request: Request, name: str, *, max_length: int = 2000) -> str:
    value = (await request.form()).get(name)
    text = value if isinstance(value, str) else ""
    if len(text) > max_length:
        raise ValidationFailed(f"{name} is longer than {max_length} characters.", field=name)
    return text


async def form_list(request: Request, name: str) -> list[str]:
    return [v for v in (await request.form()).getlist(name) if isinstance(v, str)]
