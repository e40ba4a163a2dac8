"""Logging in and out of the operator's console, and a person's own language and time zone.

The login form posts here without JavaScript; it runs the same checks as `POST /api/v1/auth/login` (rate limits
per IP and account, the password, the second factor, a failure's audit row) and opens the same browser session."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from lightspeedpay.dashboard import i18n, web
from lightspeedpay.dashboard import login_form as logins
from lightspeedpay.identity.deps import person_required
from lightspeedpay.sessions import WriteSession

router = APIRouter()
_ = web._lazy


def _login_page(
    request: Request,
    *,
    next_path: str,
    email: str = "",
    message: str | None = None,
    need_code: bool = False,
    status_code: int = 200,
) -> HTMLResponse:
    return web.page(
        request,
        "admin/login.html",
        {"next": next_path, "email": email, "message": message, "need_code": need_code},
        operator=None,
        status_code=status_code,
    )


@router.get("/admin/login", summary="The console's login form")
async def login_form(request: Request, next: str = "/admin") -> HTMLResponse:
    return _login_page(request, next_path=web.safe_next(next))


@router.post("/admin/login", summary="Log in from the console's form")
async def login(
    request: Request,
    session: WriteSession,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    code: Annotated[str, Form(max_length=64)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/admin",
) -> Response:
    next_path = web.safe_next(next)
    tried = await logins.attempt(request, session, email, password, code)
    if tried.done is None:
        return _login_page(
            request,
            next_path=next_path,
            email=email,
            message=tried.message,
            need_code=tried.need_code,
            status_code=tried.status_code,
        )
    if tried.done.user.operator_role is None:
        # merchant staff have their own console; no operator session is opened for them
        await session.rollback()
        return _login_page(
            request,
            next_path=next_path,
            email=email,
            status_code=403,
            message=i18n.gettext(
                _("This account is not operator staff. Merchant teams use the merchant console.")
            ),
        )
    return logins.opened(RedirectResponse(next_path, status_code=303), tried.done)


@router.post(
    "/admin/logout", summary="Log out of the console", dependencies=[person_required(two_factor_exempt=True)]
)
async def logout(request: Request, session: WriteSession) -> Response:
    return await logins.logged_out(request, session, "/admin/login")


@router.post(
    "/admin/preferences",
    summary="Change your language and time zone",
    dependencies=[person_required(two_factor_exempt=True)],
)
async def preferences(
    request: Request,
    session: WriteSession,
    language: Annotated[str | None, Form()] = None,
    time_zone: Annotated[str | None, Form()] = None,
    next: Annotated[str, Form(max_length=2000)] = "/admin",
) -> Response:
    return await logins.preferences_saved(request, session, language, time_zone, web.safe_next(next))


@router.post("/admin/language", summary="Pick the login page's language (before logging in)")
async def language(
    language: Annotated[str, Form()] = "en", next: Annotated[str, Form(max_length=2000)] = "/admin/login"
) -> Response:
    response = RedirectResponse(web.safe_next(next), status_code=303)
    response.set_cookie(
        web.LANGUAGE_COOKIE, i18n.pick_language(language), max_age=365 * 86400, samesite="lax", path="/"
    )
    return response
