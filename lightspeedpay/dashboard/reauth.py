"""Recent login for the console's sensitive actions: a service refuses with REAUTHENTICATION_REQUIRED, the page
shows a password form carrying the action's own fields, and posting it confirms the password with the same
service as `POST /api/v1/auth/reauthenticate`, then runs the action again.

An action route wraps its service call in `with_recent_login`; it answers either the action's result or the
password form (`admin/_reauth.html`), which posts back to the same route."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.auth.principal import MerchantAuth
from lightspeedpay.dashboard import errors, i18n, web
from lightspeedpay.errors import AppError, Unauthorized
from lightspeedpay.identity.deps import Operator, ReauthenticationRequired, person
from lightspeedpay.people.login_api import recorded
from lightspeedpay.people.login_service import login_service
from lightspeedpay.ratelimit.guards import limit_login

_ = web._lazy
T = TypeVar("T")
V = TypeVar("V", Operator, MerchantAuth)  # who acts: an operator, or a merchant as one of its team
PASSWORD_FIELD, CODE_FIELD = "reauth_password", "reauth_code"


class NeedsPassword(Exception):
    """The action needs the password first: answer `form`."""

    def __init__(self, form: HTMLResponse) -> None:
        super().__init__("reauthentication required")
        self.form = form


async def _confirm(request: Request, session: AsyncSession, operator: V, password: str, code: str) -> V:
    caller = await person(request)
    if caller is None:
        raise Unauthorized("Log in again.")
    await limit_login(request, caller.user.email)
    at, _fresh = await recorded(
        session, login_service.reauthenticate(session, caller, password, code.strip() or None)
    )
    # the confirmation stands on its own: a refusal of the action itself does not ask for the password again
    await session.commit()
    return replace(operator, authenticated_at=at.timestamp())


async def with_recent_login(
    request: Request,
    session: AsyncSession,
    operator: V,
    action: Callable[[V], Awaitable[T]],
    *,
    form: Mapping[str, Any],
    post_to: str,
    target: str,
    title: str,
) -> T:
    """Run `action(operator)`; when the form carries the password, confirm it first. A refusal for an old login
    (or a wrong password) raises NeedsPassword with the password form to answer."""
    password = str(form.get(PASSWORD_FIELD) or "")
    fields = {k: str(v) for k, v in form.items() if k not in (PASSWORD_FIELD, CODE_FIELD, "csrf_token")}

    def ask(message: str) -> NeedsPassword:
        # a question for the person, not a failure: 200, so htmx swaps it in place without logging an error
        context = {
            "post_to": post_to,
            "target": target if web.is_htmx(request) else "#reauth-page",
            "fields": fields,
            "message": message,
            "title": title,
        }
        viewer = {"merchant": operator} if isinstance(operator, MerchantAuth) else {"operator": operator}
        if web.is_htmx(request):
            response = web.fragment(request, "admin/_reauth.html", context, **viewer)  # type: ignore[arg-type]
        else:
            console = "merchant" if isinstance(operator, MerchantAuth) else "admin"
            response = web.page(request, f"{console}/reauth.html", context, **viewer)  # type: ignore[arg-type]
        return NeedsPassword(response)

    if password:
        try:
            operator = await _confirm(request, session, operator, password, str(form.get(CODE_FIELD) or ""))
        except AppError as exc:
            if isinstance(exc, Unauthorized):
                wrong = i18n.gettext(_("The password or the code did not match. Try again."))
                raise ask(wrong) from None
            raise
    try:
        return await action(operator)
    except ReauthenticationRequired as exc:
        raise ask(errors.message_for(exc)) from None
