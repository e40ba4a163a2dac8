"""The account pages every person reaches from an email or the login screen (`/auth/...`, the addresses the
identity emails link to): log in, sign a business up, confirm an email address, reset a password, accept an
invitation; and logging out and a person's language and zone in the merchant console.

Each posts without JavaScript to the same services as the JSON API (`account_service`, `login_service`), with
the same rate limits; a token from an email is spent only by a POST (a link scanner's GET changes nothing)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from lightspeedpay.dashboard import errors, i18n, web
from lightspeedpay.dashboard import login_form as logins
from lightspeedpay.dashboard.forms import validated
from lightspeedpay.errors import AppError
from lightspeedpay.identity.deps import person_required
from lightspeedpay.identity.repository import identity_repo
from lightspeedpay.people.accounts import account_service
from lightspeedpay.people.schemas import EmailIn, InvitationAccept, PasswordResetConfirm, SignupIn, TokenIn
from lightspeedpay.ratelimit.guards import limit_signup
from lightspeedpay.sessions import WriteSession

router = APIRouter()
_ = web._lazy
Text = Annotated[str, Form(max_length=1024)]


def _page(request: Request, template: str, status_code: int = 200, **context: object) -> HTMLResponse:
    return web.page(request, f"merchant/{template}", dict(context), status_code=status_code)


def _refused(request: Request, template: str, exc: AppError, **context: object) -> HTMLResponse:
    """The form again, with the refusal in the person's words and the offending field named."""
    return _page(
        request,
        template,
        exc.status_code,
        message=errors.message_for(exc),
        error=exc,
        field=exc.field,
        **context,
    )


# ---- logging in and out ------------------------------------------------------------------------------------------


def _login_page(request: Request, next_path: str, status_code: int = 200, **context: object) -> HTMLResponse:
    context.setdefault("email", "")
    context.setdefault("message", None)
    context.setdefault("need_code", False)
    return _page(request, "login.html", status_code, next=next_path, **context)


@router.get("/auth/login", summary="Log in (merchant teams and operator staff)")
async def login_page(request: Request, next: str = "/dashboard") -> HTMLResponse:
    return _login_page(request, web.safe_next(next, "/dashboard"))


@router.post("/auth/login", summary="Log in from the form")
async def login(
    request: Request,
    session: WriteSession,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Text = "",
    code: Annotated[str, Form(max_length=64)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/dashboard",
) -> Response:
    tried = await logins.attempt(request, session, email, password, code)
    if tried.done is None:
        return _login_page(
            request,
            web.safe_next(next, "/dashboard"),
            tried.status_code,
            email=email,
            message=tried.message,
            need_code=tried.need_code,
        )
    # a merchant's person goes to their console; operator staff without a merchant team, to theirs
    memberships = await identity_repo.memberships(session, tried.done.user.id)
    fallback = "/dashboard" if memberships or tried.done.user.operator_role is None else "/admin"
    target = web.safe_next(next, fallback)
    if target.startswith("/dashboard") and not memberships:
        target = fallback
    return logins.opened(RedirectResponse(target, status_code=303), tried.done)


@router.post("/auth/logout", summary="Log out", dependencies=[person_required(two_factor_exempt=True)])
async def logout(request: Request, session: WriteSession) -> Response:
    return await logins.logged_out(request, session, "/auth/login")


@router.post(
    "/auth/preferences",
    summary="Change your language and time zone (the merchant console)",
    dependencies=[person_required(two_factor_exempt=True)],
)
async def preferences(
    request: Request,
    session: WriteSession,
    language: Annotated[str | None, Form()] = None,
    time_zone: Annotated[str | None, Form()] = None,
    next: Annotated[str, Form(max_length=2000)] = "/dashboard",
) -> Response:
    return await logins.preferences_saved(
        request, session, language, time_zone, web.safe_next(next, "/dashboard")
    )


@router.post("/auth/language", summary="Pick the account pages' language (before logging in)")
async def language(
    request: Request,
    language: Annotated[str, Form()] = "en",
    next: Annotated[str, Form(max_length=2000)] = "/auth/login",
) -> Response:
    target = next if next.startswith("/auth/") and "//" not in next and "\\" not in next else "/auth/login"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        web.LANGUAGE_COOKIE, i18n.pick_language(language), max_age=365 * 86400, samesite="lax", path="/"
    )
    return response


# ---- signing up and confirming the address -----------------------------------------------------------------------


@router.get("/auth/signup", summary="Sign your business up")
async def signup_page(request: Request) -> HTMLResponse:
    empty = {"business_name": "", "contact_name": "", "email": "", "phone": ""}  # the template reads each
    return _page(request, "signup.html", form=empty, message=None, field=None)


@router.post("/auth/signup", summary="Sign your business up from the form")
async def signup(
    request: Request,
    session: WriteSession,
    business_name: Annotated[str, Form(max_length=300)] = "",
    contact_name: Annotated[str, Form(max_length=300)] = "",
    email: Annotated[str, Form(max_length=254)] = "",
    password: Text = "",
    phone: Annotated[str, Form(max_length=30)] = "",
) -> HTMLResponse:
    form = {"business_name": business_name, "contact_name": contact_name, "email": email, "phone": phone}
    try:
        body = validated(
            SignupIn,
            {
                "business_name": business_name.strip(),
                "contact_name": contact_name.strip(),
                "email": email.strip(),
                "password": password,
                "phone": phone.replace(" ", "").strip() or None,
            },
        )
        await limit_signup(request, body.email)
        await account_service.signup(session, body)
    except AppError as exc:
        await session.rollback()
        return _refused(request, "signup.html", exc, form=form)
    return _page(request, "check_inbox.html", email=body.email, message=None)


@router.post("/auth/verify-email/resend", summary="Send the verification email again")
async def resend_verification(
    request: Request, session: WriteSession, email: Annotated[str, Form(max_length=254)] = ""
) -> HTMLResponse:
    try:
        body = validated(EmailIn, {"email": email.strip()})
        await limit_signup(request, body.email)
        await account_service.resend_verification(session, body.email)
    except AppError as exc:
        await session.rollback()
        return _refused(request, "check_inbox.html", exc, email=email)
    return _page(
        request,
        "check_inbox.html",
        email=body.email,
        message=i18n.gettext(_("If the address has an account, an email is on its way.")),
    )


@router.get("/auth/verify-email", summary="Confirm your email address (the link in the email)")
async def verify_email_page(request: Request, token: str = "") -> HTMLResponse:
    return _page(request, "verify_email.html", token=token[:200], message=None, verified=None)


@router.post("/auth/verify-email", summary="Confirm your email address")
async def verify_email(
    request: Request, session: WriteSession, token: Annotated[str, Form(max_length=200)] = ""
) -> HTMLResponse:
    try:
        body = validated(TokenIn, {"token": token.strip()})
        verified = await account_service.verify_email(session, body.token)
    except AppError as exc:
        await session.rollback()
        return _refused(request, "verify_email.html", exc, token=token, verified=None)
    return _page(request, "verify_email.html", token="", message=None, verified=verified)


# ---- passwords and invitations -----------------------------------------------------------------------------------


@router.get("/auth/forgot-password", summary="Ask for a password-reset email")
async def forgot_password_page(request: Request) -> HTMLResponse:
    return _page(request, "forgot_password.html", email="", message=None, sent=False)


@router.post("/auth/forgot-password", summary="Send a password-reset email")
async def forgot_password(
    request: Request, session: WriteSession, email: Annotated[str, Form(max_length=254)] = ""
) -> HTMLResponse:
    try:
        body = validated(EmailIn, {"email": email.strip()})
        await limit_signup(request, body.email)
        await account_service.request_password_reset(session, body.email)
    except AppError as exc:
        await session.rollback()
        return _refused(request, "forgot_password.html", exc, email=email, sent=False)
    return _page(request, "forgot_password.html", email=body.email, message=None, sent=True)


@router.get("/auth/reset-password", summary="Choose a new password (the link in the email)")
async def reset_password_page(request: Request, token: str = "") -> HTMLResponse:
    return _page(request, "reset_password.html", token=token[:200], message=None, done=False)


@router.post("/auth/reset-password", summary="Set a new password")
async def reset_password(
    request: Request,
    session: WriteSession,
    token: Annotated[str, Form(max_length=200)] = "",
    password: Text = "",
) -> HTMLResponse:
    try:
        body = validated(PasswordResetConfirm, {"token": token.strip(), "password": password})
        await account_service.reset_password(session, body.token, body.password)
    except AppError as exc:
        await session.rollback()
        return _refused(request, "reset_password.html", exc, token=token, done=False)
    return _page(request, "reset_password.html", token="", message=None, done=True)


@router.get("/auth/invitations/accept", summary="Accept an invitation to a team (the link in the email)")
async def invitation_page(request: Request, token: str = "") -> HTMLResponse:
    return _page(request, "accept_invitation.html", token=token[:200], message=None, accepted=None, name="")


@router.post("/auth/invitations/accept", summary="Accept an invitation to a team")
async def accept_invitation(
    request: Request,
    session: WriteSession,
    token: Annotated[str, Form(max_length=200)] = "",
    name: Annotated[str, Form(max_length=300)] = "",
    password: Text = "",
) -> HTMLResponse:
    try:
        body = validated(
            InvitationAccept,
            {"token": token.strip(), "name": name.strip() or None, "password": password or None},
        )
        accepted = await account_service.accept_invitation(session, body)
    except AppError as exc:
        await session.rollback()
        return _refused(request, "accept_invitation.html", exc, token=token, accepted=None, name=name)
    return _page(request, "accept_invitation.html", token="", message=None, accepted=accepted, name="")
