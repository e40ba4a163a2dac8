"""The login API, `/api/v1/auth`: for people of any kind (operator staff, merchant teams), acting only on their own
sessions, tokens and two-factor settings. Login and refresh are anonymous; every other route needs the person
logged in (`person_required`)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.config import get_settings
from lightspeedpay.identity import tokens
from lightspeedpay.identity.deps import CsrfFailed, Person, person_required
from lightspeedpay.kit.responses import json_response
from lightspeedpay.people.login_schemas import (
    LoggedOut,
    LoginIn,
    LoginSessionList,
    LoginSessionOut,
    MeOut,
    PreferencesIn,
    Reauthenticated,
    ReauthenticateIn,
    RecoveryCodes,
    RefreshIn,
    SessionLogin,
    TokenPair,
    TotpCodeIn,
    TotpSetup,
    UserOut,
)
from lightspeedpay.people.login_service import Refused, login_service, user_out
from lightspeedpay.ratelimit.guards import limit_login
from lightspeedpay.sessions import ReadSession, WriteSession

router = APIRouter(prefix="/api/v1/auth", tags=["auth: people"])

# any logged-in person; a person who must still set up two-factor authentication gets 403 TWO_FACTOR_REQUIRED
LoggedInPerson = Annotated[Person, person_required()]
# the routes such a person still needs: set it up, see who they are, log out
AnyPerson = Annotated[Person, person_required(two_factor_exempt=True)]

_LOGIN_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {
        "description": "INVALID_CREDENTIALS / TOTP_REQUIRED / TOTP_INVALID / TOTP_REUSED / RECOVERY_CODE_INVALID"
    },
    403: {"description": "CSRF_FAILED (a session login from another site)"},
}
_PERSON_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "UNAUTHORIZED (not logged in, session ended, token revoked)"},
    403: {"description": "CSRF_FAILED / TWO_FACTOR_REQUIRED / REAUTHENTICATION_REQUIRED"},
}

T = TypeVar("T")


async def recorded(session: AsyncSession, pending: Awaitable[T]) -> T:
    """Run the service; a refusal that must leave a trace (a failed login's count and audit row, a reused
    refresh token's revoked family) is written in a transaction of its own, then answered."""
    try:
        return await pending
    except Refused as refused:
        await session.rollback()
        await refused.record(session)
        await session.commit()
        raise refused.error from None


def set_session_cookie(response: Response, token: str) -> None:
    settings = get_settings()
    response.set_cookie(
        settings.session_cookie,
        token,
        max_age=int(settings.session_absolute_hours * 3600),
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.env == "production",
    )


def clear_session_cookie(response: Response) -> None:
    settings = get_settings()
    response.delete_cookie(
        settings.session_cookie,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.env == "production",
    )


@router.post(
    "/login",
    response_model=TokenPair | SessionLogin,
    responses=_LOGIN_ERRORS,
    summary="Log in with email and password (and a TOTP or recovery code when 2FA is on)",
)
async def login(body: LoginIn, request: Request, session: WriteSession) -> Response:
    """`mode: "token"` answers an access token (15 minutes) and a refresh token; `mode: "session"` sets the
    browser session cookie and answers the CSRF token to send with unsafe requests."""
    if body.mode == "session" and request.headers.get("sec-fetch-site") == "cross-site":
        # login CSRF: another site must not log the browser into an account of its choosing
        raise CsrfFailed("A browser session can only be opened from the console's own page.")
    await limit_login(request, body.email)  # per IP and per account, before any password is checked
    cookie = request.cookies.get(get_settings().session_cookie)
    done = await recorded(
        session,
        login_service.login(
            session, body, presented_cookie=cookie, user_agent=request.headers.get("user-agent")
        ),
    )
    if done.tokens is not None:
        return json_response(done.tokens.model_dump())
    assert done.session_token is not None
    out = SessionLogin(csrf_token=tokens.csrf_token(done.session_token), user=user_out(done.user))
    response = json_response(out.model_dump(mode="json"))
    set_session_cookie(response, done.session_token)
    return response


@router.post(
    "/refresh",
    response_model=TokenPair,
    responses={401: {"description": "REFRESH_TOKEN_INVALID / REFRESH_TOKEN_REUSED"}},
    summary="Spend a refresh token for a new access token and refresh token",
)
async def refresh(body: RefreshIn, session: WriteSession) -> TokenPair:
    return await recorded(session, login_service.refresh(session, body.refresh_token))


@router.post("/logout", status_code=204, responses=_PERSON_ERRORS, summary="End this session or token family")
async def logout(caller: AnyPerson, session: WriteSession) -> Response:
    await login_service.logout(session, caller)
    response = Response(status_code=204)
    clear_session_cookie(response)
    return response


@router.post("/logout-all", responses=_PERSON_ERRORS, summary="Log out everywhere: every session and token")
async def logout_all(caller: AnyPerson, session: WriteSession) -> Response:
    sessions, refresh_tokens = await login_service.logout_everywhere(session, caller)
    out = LoggedOut(sessions_revoked=sessions, refresh_tokens_revoked=refresh_tokens)
    response = json_response(out.model_dump())
    clear_session_cookie(response)
    return response


@router.post(
    "/reauthenticate",
    response_model=Reauthenticated,
    responses=_PERSON_ERRORS,
    summary="Confirm your password before a sensitive action",
)
async def reauthenticate(
    body: ReauthenticateIn, caller: LoggedInPerson, request: Request, session: WriteSession
) -> Reauthenticated:
    await limit_login(request, caller.user.email)
    at, fresh = await recorded(
        session, login_service.reauthenticate(session, caller, body.password, body.totp_code)
    )
    if fresh is None:
        return Reauthenticated(authenticated_at=at)
    return Reauthenticated(authenticated_at=at, access_token=fresh[0], expires_in=fresh[1])


@router.get("/me", response_model=MeOut, responses=_PERSON_ERRORS, summary="Who you are and what you may do")
async def me(caller: AnyPerson, request: Request, session: ReadSession) -> MeOut:
    cookie = request.cookies.get(get_settings().session_cookie)
    csrf = tokens.csrf_token(cookie) if caller.via == "session" and cookie else None
    return await login_service.me(session, caller, csrf_token=csrf)


@router.patch(
    "/me",
    response_model=UserOut,
    responses={**_PERSON_ERRORS, 422: {"description": "VALIDATION_ERROR (an unknown time zone)"}},
    summary="Your own settings: the consoles' language and time zone",
)
async def set_preferences(body: PreferencesIn, caller: AnyPerson, session: WriteSession) -> UserOut:
    return user_out(await login_service.set_preferences(session, caller, body))


@router.get(
    "/sessions", response_model=LoginSessionList, responses=_PERSON_ERRORS, summary="Your live logins"
)
async def sessions(caller: LoggedInPerson, session: ReadSession) -> LoginSessionList:
    found = await login_service.live_logins(session, caller)
    return LoginSessionList(
        items=[
            LoginSessionOut(
                id=login.id,
                kind="session" if login.kind == "session" else "token",
                created_at=login.created_at,
                last_seen_at=login.last_seen_at,
                expires_at=login.expires_at,
                ip=login.ip,
                user_agent=login.user_agent,
                current=login.id == caller.session_id,
            )
            for login in found
        ]
    )


@router.delete(
    "/sessions/{session_id}",
    status_code=204,
    responses={**_PERSON_ERRORS, 404: {"description": "SESSION_NOT_FOUND"}},
    summary="End one of your sessions or token families",
)
async def end_session(session_id: uuid.UUID, caller: LoggedInPerson, session: WriteSession) -> Response:
    await login_service.end_login(session, caller, session_id)
    return Response(status_code=204)


@router.post(
    "/2fa/setup",
    response_model=TotpSetup,
    responses={**_PERSON_ERRORS, 409: {"description": "TOTP_ALREADY_ENABLED"}},
    summary="Start two-factor setup: a new TOTP secret for the authenticator app",
)
async def totp_setup(caller: AnyPerson, session: WriteSession) -> TotpSetup:
    secret, uri = await login_service.totp_setup(session, caller)
    return TotpSetup(secret=secret, provisioning_uri=uri)


@router.post(
    "/2fa/enable",
    response_model=RecoveryCodes,
    responses={
        **_PERSON_ERRORS,
        401: {"description": "TOTP_INVALID"},
        409: {"description": "TOTP_ALREADY_ENABLED / TOTP_NOT_SET_UP"},
    },
    summary="Turn two-factor on with a code from the app; answers the recovery codes, shown once",
)
async def totp_enable(body: TotpCodeIn, caller: AnyPerson, session: WriteSession) -> RecoveryCodes:
    return RecoveryCodes(recovery_codes=await login_service.totp_enable(session, caller, body.code))


@router.post(
    "/2fa/disable",
    status_code=204,
    responses={**_PERSON_ERRORS, 409: {"description": "TOTP_NOT_ENABLED / TWO_FACTOR_MANDATORY"}},
    summary="Turn two-factor off (needs a recent login)",
)
async def totp_disable(caller: LoggedInPerson, session: WriteSession) -> Response:
    await login_service.totp_disable(session, caller)
    return Response(status_code=204)


@router.post(
    "/2fa/recovery-codes",
    response_model=RecoveryCodes,
    responses={**_PERSON_ERRORS, 409: {"description": "TOTP_NOT_ENABLED"}},
    summary="New recovery codes (the old ones stop working; needs a recent login)",
)
async def recovery_codes(caller: LoggedInPerson, session: WriteSession) -> RecoveryCodes:
    return RecoveryCodes(recovery_codes=await login_service.regenerate_recovery_codes(session, caller))
