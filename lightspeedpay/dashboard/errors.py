"""Errors on console paths, as people see them: not logged in goes to the login page; any other refusal is a
page in the person's language (or, for an action htmx sent, a message in the page's notice area)."""

from __future__ import annotations

import urllib.parse
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from lightspeedpay.dashboard import i18n, web
from lightspeedpay.errors import AppError
from lightspeedpay.kit.responses import json_response

_ = web._lazy

# What a person reads for an API code, in their language; the code's own English message (which names the exact
# field or limit) is shown beside it.
CODE_MESSAGES: dict[str, str] = {
    "UNAUTHORIZED": _("Your session has ended. Log in again."),
    "FORBIDDEN": _("Your role does not allow this. Ask an owner or admin for access."),
    "CSRF_FAILED": _("This form has expired. Reload the page and try again."),
    "REAUTHENTICATION_REQUIRED": _("Confirm your password to do this: it needs a recent login."),
    "LIVE_MODE_NOT_ACTIVATED": _("Live mode opens once your KYC is approved; until then, work in test mode."),
    "TWO_FACTOR_REQUIRED": _("Set up two-factor authentication before using the console."),
    "NOT_FOUND": _("Nothing was found here. It may have been removed, or the link is wrong."),
    "VALIDATION_ERROR": _("Some of what was entered is not valid. Check the highlighted field."),
    "BAD_REQUEST": _("The request could not be understood. Check what was entered."),
    "RATE_LIMITED": _("Too many attempts. Wait a minute and try again."),
    "INTERNAL_ERROR": _("Something went wrong on our side. It has been logged; try again."),
    "REFUND_EXCEEDS_PAID": _("The refund is larger than what is left of the payment."),
    "REFUND_LIMIT_EXCEEDED": _("The refund is over your role's limit. Ask a manager."),
    "REFUND_NOT_ALLOWED": _("This payment cannot be refunded in its present state."),
    "PAYMENT_NOT_CAPTURABLE": _(
        "This payment cannot be captured: only an authorized payment, in time, can be."
    ),
    "CAPTURE_AMOUNT_MISMATCH": _("A capture takes the whole amount that was authorized."),
    "PSP_DECLINED": _("The payment gateway refused this. Nothing was changed."),
    "PSP_UNAVAILABLE": _("The payment gateway did not answer. Nothing was changed; try again in a minute."),
    "IDEMPOTENCY_KEY_REUSED": _(
        "This form was already sent with other values. Reload the page to start again."
    ),
    "IDEMPOTENCY_KEY_IN_USE": _(
        "The same request is still being processed. Wait a moment, then reload the page."
    ),
    "GATEWAY_NAME_TAKEN": _("A gateway with this name exists already. Choose another name."),
    "INVALID_CREDENTIALS": _("These credentials are not complete or not valid for this provider."),
    "INTENT_NOT_FAILED": _("This job is no longer failed; reload the page to see its state."),
    "QUEUE_BACKEND_UNAVAILABLE": _("The queue service (Redis) is not answering. Try again in a moment."),
}
# a code without its own sentence: in English the code's message says it all; in another language a sentence
# says the reason follows in English
_UNTRANSLATED = _("That could not be done. The reason, in English:")


class Answered(AppError):
    """A refusal that an API-shaped call answered as JSON (an idempotent call's answer, stored or fresh), raised
    again so that the console shows it like any other, with its own status and code."""

    def __init__(self, status_code: int, body: dict[str, Any]) -> None:
        error = body.get("error") or {}
        super().__init__(str(error.get("message") or ""), field=error.get("field"))
        self.status_code = status_code  # type: ignore[misc]
        self.code = str(error.get("code") or "BAD_REQUEST")  # type: ignore[misc]


def message_for(exc: AppError) -> str:
    known = CODE_MESSAGES.get(exc.code)
    if known:
        return i18n.gettext(known)
    if i18n.current().language == i18n.DEFAULT_LANGUAGE:
        return exc.message
    return i18n.gettext(_UNTRANSLATED)


def _console(request: Request) -> str:
    return "admin" if request.url.path.startswith("/admin") else "merchant"


def render(request: Request | None, exc: AppError) -> Response:
    """Both consoles' refusals: /admin/ pages log in at /admin/login, the merchant console (/dashboard/) and the
    account pages (/auth/) at /auth/login."""
    if request is None:
        return json_response(exc.body(), status_code=exc.status_code)
    console = _console(request)
    login_path = "/admin/login" if console == "admin" else "/auth/login"
    if exc.status_code == 401 and not request.url.path.startswith(login_path):
        default = "/admin" if console == "admin" else "/dashboard"
        login = (
            login_path + "?" + urllib.parse.urlencode({"next": web.safe_next(_return_path(request), default)})
        )
        if web.is_htmx(request):
            return Response(status_code=401, headers={"HX-Redirect": login})
        return RedirectResponse(login, status_code=303)
    viewer = getattr(request.state, "operator", None) or getattr(request.state, "console_viewer", None)
    context = {"error": exc, "message": message_for(exc)}
    if web.is_htmx(request):
        # an action's refusal: shown in the notice area of the page it came from, which stays as it was
        return web.fragment(
            request,
            "admin/_notice.html",
            {**context, "kind": "error"},
            operator=viewer if console == "admin" else None,
            merchant=viewer if console == "merchant" else None,
            status_code=exc.status_code,
            headers={"HX-Retarget": "#notices", "HX-Reswap": "innerHTML"},
        )
    return web.page(
        request,
        f"{console}/error.html",
        context,
        operator=viewer if console == "admin" else None,
        merchant=viewer if console == "merchant" else None,
        status_code=exc.status_code,
    )


def _return_path(request: Request) -> str:
    if request.method != "GET":
        return "/admin" if _console(request) == "admin" else "/dashboard"
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")
