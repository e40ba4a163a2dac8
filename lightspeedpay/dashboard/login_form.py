"""The consoles' login forms (the operator's at /admin/login, everyone's at /auth/login) post without
JavaScript; both run the same checks as `POST /api/v1/auth/login` (rate limits per IP and account, the password,
the second factor, a failure's audit row) and open the same browser session."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.config import get_settings
from lightspeedpay.dashboard import errors, i18n, web
from lightspeedpay.errors import AppError, Unauthorized
from lightspeedpay.identity.deps import CsrfFailed, person
from lightspeedpay.people.login_api import clear_session_cookie, recorded, set_session_cookie
from lightspeedpay.people.login_schemas import LoginIn, PreferencesIn
from lightspeedpay.people.login_service import LoggedIn, TotpRequired, login_service
from lightspeedpay.ratelimit.guards import limit_login

_ = web._lazy


@dataclass(frozen=True)
class Attempt:
    """A login form's outcome: logged in (`done`), or the form again with a message (and the code field)."""

    done: LoggedIn | None = None
    message: str | None = None
    need_code: bool = False
    status_code: int = 200


async def attempt(request: Request, session: AsyncSession, email: str, password: str, code: str) -> Attempt:
    if request.headers.get("sec-fetch-site") == "cross-site":
        raise CsrfFailed("A browser session can only be opened from the console's own page.")
    code = code.strip()
    totp, recovery = (code, None) if code.replace(" ", "").isdigit() else (None, code or None)
    try:
        body = LoginIn(
            email=email.strip() or "-",
            password=password or "-",
            mode="session",
            totp_code=totp,
            recovery_code=recovery,
        )
        await limit_login(request, body.email)
        done = await recorded(
            session,
            login_service.login(
                session,
                body,
                presented_cookie=request.cookies.get(get_settings().session_cookie),
                user_agent=request.headers.get("user-agent"),
            ),
        )
    except TotpRequired:
        return Attempt(need_code=True, message=i18n.gettext(_("Enter the code from your authenticator app.")))
    except AppError as exc:
        if isinstance(exc, Unauthorized):
            message = i18n.gettext(_("The email or password is wrong, or the code did not match."))
        else:
            message = errors.message_for(exc)
        return Attempt(message=message, need_code=bool(code), status_code=exc.status_code)
    return Attempt(done=done)


def opened(response: Response, done: LoggedIn) -> Response:
    """The session cookie, and the person's language for the pages before the next login."""
    assert done.session_token is not None
    set_session_cookie(response, done.session_token)
    response.set_cookie(web.LANGUAGE_COOKIE, done.user.locale, max_age=365 * 86400, samesite="lax", path="/")
    return response


async def logged_out(request: Request, session: AsyncSession, login_path: str) -> Response:
    """Both consoles' logout: the session ends, the cookie goes, the login page opens."""
    caller = await person(request)
    if caller is not None:
        await login_service.logout(session, caller)
    response = RedirectResponse(login_path, status_code=303)
    clear_session_cookie(response)
    return response


async def preferences_saved(
    request: Request, session: AsyncSession, language: str | None, time_zone: str | None, target: str
) -> Response:
    """Both consoles' language and zone form: kept on the person's account (as PATCH /api/v1/auth/me does) and in
    the language cookie the pages before the next login read."""
    caller = await person(request)
    assert caller is not None  # the route's person_required guard
    body = PreferencesIn(
        locale=language if language in i18n.LANGUAGES else None,  # type: ignore[arg-type]
        time_zone=time_zone or None,
    )
    user = await login_service.set_preferences(session, caller, body)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(web.LANGUAGE_COOKIE, user.locale, max_age=365 * 86400, samesite="lax", path="/")
    return response
