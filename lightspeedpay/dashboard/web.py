"""What every console page shares: the Jinja environment (autoescaped, gettext), the page frame (navigation by
permission, the person's language and zone, the CSRF token htmx sends), and `page`/`fragment` to answer.

The console never has SQL or rules of its own: a page asks the same services as the API, through the same
permission guards (`identity.deps`), and renders what they answer."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from lightspeedpay import __version__
from lightspeedpay.auth.principal import MerchantAuth
from lightspeedpay.config import get_settings
from lightspeedpay.dashboard import i18n, labels
from lightspeedpay.errors import AppError
from lightspeedpay.identity import tokens
from lightspeedpay.identity.deps import Operator, person

HERE = Path(__file__).parent
STATIC_PREFIX = "/admin/static"
LANGUAGE_COOKIE = "lsp_lang"


def _lazy(message: str) -> str:
    """Marks a message for extraction where it is defined; it is translated where it is shown."""
    return message


@dataclass(frozen=True)
class NavItem:
    path: str
    label: str  # a message id: translated when the page is drawn
    permission: str
    section: str


# The operator's navigation, in the order it is drawn; an entry shows only to a role holding its permission.
ADMIN_NAV: tuple[NavItem, ...] = (
    NavItem("/admin", _lazy("Overview"), "payments:read", _lazy("Monitor")),
    NavItem("/admin/analytics", _lazy("Analytics"), "analytics:read", _lazy("Monitor")),
    NavItem("/admin/alerts", _lazy("Alerts"), "alerts:read", _lazy("Monitor")),
    NavItem("/admin/status", _lazy("System status"), "system:read", _lazy("Monitor")),
    NavItem("/admin/payments", _lazy("Payments"), "payments:read", _lazy("Operations")),
    NavItem("/admin/merchants", _lazy("Merchants"), "merchants:read", _lazy("Operations")),
    NavItem("/admin/kyc", _lazy("KYC review"), "kyc:read", _lazy("Operations")),
    NavItem("/admin/gateways", _lazy("Gateways"), "gateways:read", _lazy("Platform")),
    NavItem("/admin/queues", _lazy("Queues"), "queues:read", _lazy("Platform")),
    NavItem("/admin/workers", _lazy("Workers"), "system:read", _lazy("Platform")),
    NavItem("/admin/whatsapp", _lazy("WhatsApp"), "whatsapp:read", _lazy("Platform")),
    NavItem("/admin/commission", _lazy("Commission"), "ledger:read", _lazy("Money")),
    NavItem("/admin/settlements", _lazy("Settlements"), "settlements:read", _lazy("Money")),
    NavItem("/admin/users", _lazy("Users and roles"), "users:read", _lazy("Settings")),
    NavItem("/admin/audit", _lazy("Audit log"), "audit:read", _lazy("Settings")),
)


# The merchant's navigation: paths under /dashboard/{mode}, so the same page opens in test or live data.
MERCHANT_NAV: tuple[NavItem, ...] = (
    NavItem("", _lazy("Home"), "settings:read", _lazy("Business")),
    NavItem("/onboarding", _lazy("Getting started"), "kyc:read", _lazy("Business")),
    NavItem("/payments", _lazy("Payments"), "payments:read", _lazy("Business")),
    NavItem("/refunds", _lazy("Refunds"), "refunds:read", _lazy("Business")),
    NavItem("/settlements", _lazy("Settlements"), "settlements:read", _lazy("Money")),
    NavItem("/wallet", _lazy("Dues and wallet"), "wallet:read", _lazy("Money")),
    NavItem("/developers/keys", _lazy("API keys"), "credentials:read", _lazy("Developers")),
    NavItem("/developers/webhooks", _lazy("Webhooks"), "webhooks:read", _lazy("Developers")),
    NavItem("/developers/usage", _lazy("API usage"), "usage:read", _lazy("Developers")),
    NavItem("/developers/checkout", _lazy("Checkout origins"), "settings:read", _lazy("Developers")),
    NavItem("/team", _lazy("Team"), "team:read", _lazy("Account")),
    NavItem("/settings", _lazy("Settings"), "settings:read", _lazy("Account")),
    NavItem("/whatsapp", _lazy("WhatsApp notices"), "whatsapp:read", _lazy("Account")),
)
MODES = ("test", "live")


def merchant_base(mode: str) -> str:
    return f"/dashboard/{mode}"


ROLE_LABELS = {
    "owner": _lazy("Owner"),
    "admin": _lazy("Admin"),
    "operations": _lazy("Operations"),
    "finance": _lazy("Finance"),
    "support": _lazy("Support"),
    "viewer": _lazy("Viewer"),
    "developer": _lazy("Developer"),
}


def role_label(role: str) -> str:
    return i18n.gettext(ROLE_LABELS.get(role, role))


def _query(request: Request, **changes: Any) -> str:
    """This page's query string with some parameters changed (None removes one): for filters and pages."""
    params = dict(request.query_params)
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = str(value)
    encoded = urllib.parse.urlencode(params)
    return f"?{encoded}" if encoded else "?"


def _status_label(status: str) -> str:
    return i18n.gettext(labels.STATUS_LABELS.get(status, status))


def _refund_status_label(status: str) -> str:
    return i18n.gettext(labels.REFUND_STATUS_LABELS.get(status, status))


def _kyc_label(status: str) -> str:
    return i18n.gettext(labels.KYC_LABELS.get(status, status))


def _account_status_label(status: str) -> str:
    return i18n.gettext(labels.ACCOUNT_STATUS_LABELS.get(status, status))


def _entry_label(kind: str) -> str:
    return i18n.gettext(labels.ENTRY_LABELS.get(kind, kind))


def item_label(code: str) -> str:
    """A KYC item (a field of the application or a document kind), in the person's language."""
    return i18n.gettext(labels.ITEM_LABELS.get(code, code))


def _business_type_label(kind: str) -> str:
    return i18n.gettext(labels.BUSINESS_TYPE_LABELS.get(kind, kind))


def _verification_label(status: str) -> str:
    return i18n.gettext(labels.VERIFICATION_LABELS.get(status, status))


def _requirement_label(status: str) -> str:
    return i18n.gettext(labels.REQUIREMENT_LABELS.get(status, status))


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(HERE / "templates")),
        autoescape=select_autoescape(("html",)),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        enable_async=False,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(
        inr=i18n.inr,
        number=i18n.number,
        percent=i18n.percent,
        when=i18n.when,
        iso_local=i18n.iso_local,
    )
    env.globals.update(
        static=lambda name: f"{STATIC_PREFIX}/{name}?v={__version__}",
        zone=i18n.zone_abbreviation,
        languages=i18n.LANGUAGES,
        time_zones=i18n.TIME_ZONES,
        version=__version__,
        role_label=role_label,
        status_label=_status_label,
        status_badge=labels.status_badge,
        refund_status_label=_refund_status_label,
        kyc_label=_kyc_label,
        account_status_label=_account_status_label,
        entry_label=_entry_label,
        kyc_badge=labels.kyc_badge,
        item_label=item_label,
        business_type_label=_business_type_label,
        verification_label=_verification_label,
        requirement_label=_requirement_label,
    )
    return env


ENV = _environment()


Viewer = Operator | MerchantAuth


@dataclass
class Frame:
    """Who is looking and what they may do: the part of every page's context that the layout draws. The viewer is
    an operator (the admin console) or a merchant as one of its team acts for it, in one mode (the merchant
    console)."""

    viewer: Viewer | None
    csrf_token: str | None
    path: str
    nav: list[tuple[str, list[NavItem]]] = field(default_factory=list)

    @property
    def operator(self) -> Operator | None:
        return self.viewer if isinstance(self.viewer, Operator) else None

    @property
    def merchant(self) -> MerchantAuth | None:
        return self.viewer if isinstance(self.viewer, MerchantAuth) else None

    @property
    def base(self) -> str:
        """The merchant console's root in this page's mode."""
        return merchant_base(self.merchant.mode) if self.merchant is not None else "/admin"

    def in_mode(self, mode: str) -> str:
        """This page in the other mode (the test/live switch): the same section, its list page."""
        rest = self.path.split("/", 3)[3] if self.path.count("/") >= 3 else ""
        section = "/".join(rest.split("/")[:2]) if rest.startswith("developers/") else rest.split("/")[0]
        return merchant_base(mode) + (f"/{section}" if section else "")

    def can(self, permission: str) -> bool:
        return self.viewer is not None and permission in self.viewer.permissions


def _nav(viewer: Viewer | None) -> list[tuple[str, list[NavItem]]]:
    if viewer is None:
        return []
    items = ADMIN_NAV
    if isinstance(viewer, MerchantAuth):
        base = merchant_base(viewer.mode)
        items = tuple(NavItem(base + i.path, i.label, i.permission, i.section) for i in MERCHANT_NAV)
    sections: dict[str, list[NavItem]] = {}
    for item in items:
        if item.permission in viewer.permissions:
            sections.setdefault(item.section, []).append(item)
    return list(sections.items())


async def use_preferences(request: Request) -> None:
    """Set the request's language and zone: the logged-in person's settings, else the language cookie or the
    browser's. A router dependency of every console route, so pages and error pages speak the same language."""
    try:
        found = await person(request)
    except AppError:
        found = None  # an ended session: the page itself answers that (a login page)
    user = found.user if found is not None else None
    language = i18n.pick_language(
        user.locale if user is not None else None,
        request.cookies.get(LANGUAGE_COOKIE),
        accept_language=request.headers.get("accept-language", ""),
    )
    zone = i18n.valid_time_zone(user.time_zone if user is not None else None)
    i18n.use(i18n.Preferences(language=language, time_zone=zone))


def frame(request: Request, viewer: Viewer | None) -> Frame:
    cookie = request.cookies.get(get_settings().session_cookie)
    return Frame(
        viewer=viewer,
        csrf_token=tokens.csrf_token(cookie) if cookie and viewer is not None else None,
        path=request.url.path,
        nav=_nav(viewer),
    )


def _render(request: Request, name: str, context: dict[str, Any], viewer: Viewer | None) -> str:
    template = ENV.get_template(name)
    return template.render(
        request=request,
        frame=frame(request, viewer),
        prefs=i18n.current(),
        query=lambda **changes: _query(request, **changes),
        **context,
    )


def page(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    operator: Operator | None = None,
    merchant: MerchantAuth | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """A whole console page, seen by an operator or by a merchant's person (or by nobody yet: a login page)."""
    response = HTMLResponse(
        _render(request, name, context or {}, operator or merchant), status_code=status_code
    )
    response.headers["cache-control"] = "no-store"  # payment data: never from a shared or back-button cache
    response.headers["vary"] = "HX-Request"
    return response


def fragment(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    operator: Operator | None = None,
    merchant: MerchantAuth | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """A piece of a page, for htmx to swap in place."""
    response = HTMLResponse(
        _render(request, name, context or {}, operator or merchant), status_code=status_code
    )
    response.headers["cache-control"] = "no-store"
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def safe_next(target: str | None, default: str = "/admin") -> str:
    """Where to go after logging in: a path of the consoles only (never another site)."""
    if (
        target
        and target.startswith(("/admin", "/dashboard"))
        and not target.startswith("//")
        and "\\" not in target
    ):
        return target
    return default
