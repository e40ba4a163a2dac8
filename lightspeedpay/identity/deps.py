"""Who is asking, and may they: every admin and merchant route declares the permission it needs.

Operator routes (`/api/v1/admin/…`, `/api/v1/system/…`) accept a person of operator staff, by browser session
cookie or by access token (`Authorization: Bearer <JWT>` from POST /api/v1/auth/login), and the bootstrap admin
token (`LSP_ADMIN_TOKEN`), which acts as an owner to make the first operator and is refused in production once
an owner exists. Merchant routes accept the merchant's API credential (a signed request) or a person of the
merchant's team (session or access token; `X-Merchant-Id` picks the merchant when they belong to several, and
`X-Mode: test|live` the mode they act in, test by default; an API credential's mode is its own).

A route declares its permission with a guard — `operator_guard("queues")` asks `queues:read` of reading
methods and `queues:write` of the rest — or with `operator_requires("owners:write")` for one permission. The
guards resolve the caller once per request (FastAPI caches the dependency), so `CurrentAdmin` and
`CurrentMerchant` in the same route get the same caller."""

from __future__ import annotations

import contextlib
import hashlib
import time
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Request

from lightspeedpay.auth import signature
from lightspeedpay.auth.key_secret import KeySecretMerchant
from lightspeedpay.auth.permissions import (
    MERCHANT_ROLES,
    OPERATOR_PERMISSIONS,
    OPERATOR_ROLES,
    permission_for,
)
from lightspeedpay.auth.principal import MerchantAuth, principal_service
from lightspeedpay.config import get_settings
from lightspeedpay.db import sessionmaker
from lightspeedpay.errors import Forbidden, Unauthorized, ValidationFailed
from lightspeedpay.identity import tokens
from lightspeedpay.identity.repository import identity_repo
from lightspeedpay.kit.signing import equal
from lightspeedpay.models import User
from lightspeedpay.models.api_credential import Mode
from lightspeedpay.ratelimit.guards import limit_api_caller

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MODE_HEADER = "X-Mode"


class CsrfFailed(Forbidden):
    code = "CSRF_FAILED"


class ReauthenticationRequired(Forbidden):
    code = "REAUTHENTICATION_REQUIRED"


class PermissionDenied(Forbidden):
    code = "FORBIDDEN"


class TwoFactorRequired(Forbidden):
    code = "TWO_FACTOR_REQUIRED"


@dataclass(frozen=True)
class Person:
    """A logged-in person, however they proved it."""

    user: User
    via: str  # "session" (browser cookie) or "token" (access token)
    session_id: uuid.UUID  # the browser session, or the refresh-token family of an access token
    authenticated_at: float  # Unix time of their login or last re-authentication


@dataclass(frozen=True)
class Operator:
    """Whoever acts on an operator route: a person of operator staff, or the bootstrap admin token."""

    name: str
    role: str
    permissions: frozenset[str]
    user_id: uuid.UUID | None = None  # None: the bootstrap admin token
    session_id: uuid.UUID | None = None
    authenticated_at: float | None = None

    @property
    def actor(self) -> str:
        """How the audit log names this operator."""
        return f"user:{self.name}" if self.user_id else f"admin:{self.name}"


# ---- a person: access token or session cookie ------------------------------------------------------------------


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header[:7].lower() == "bearer " else None


async def person(request: Request) -> Person | None:
    """The person behind this request's access token or session cookie, if it carries either; 401 for one that
    is expired, revoked or forged. Cached on the request: a route's guards ask once."""
    if hasattr(request.state, "person"):
        cached: Person | None = request.state.person
        return cached
    found = await _resolve_person(request)
    request.state.person = found
    return found


async def _resolve_person(request: Request) -> Person | None:
    now = datetime.now(UTC)
    bearer = _bearer(request)
    if bearer is not None:
        if not tokens.looks_like_jwt(bearer):
            return None  # not a person's token (the bootstrap admin token is checked by the operator guard)
        claims = tokens.verify_access_token(bearer)
        async with sessionmaker()() as session:
            user = await identity_repo.user_with_live_family(
                session, claims.user_id, claims.session_family, now
            )
        if user is None:
            raise Unauthorized("The access token has been revoked; log in again.", field="Authorization")
        return Person(user, "token", claims.session_family, claims.authenticated_at)
    settings = get_settings()
    cookie = request.cookies.get(settings.session_cookie)
    if not cookie:
        return None
    async with sessionmaker()() as session:
        found = await identity_repo.session_by_hash(session, tokens.digest(cookie))
        if found is None:
            raise Unauthorized("The session has ended; log in again.")
        row, user = found
        idle = timedelta(minutes=settings.session_idle_minutes)
        if row.revoked_at or row.expires_at <= now or row.last_seen_at + idle <= now or user.disabled_at:
            raise Unauthorized("The session has ended; log in again.")
        if request.method in UNSAFE_METHODS:
            await _check_csrf(request, cookie)
        if now - row.last_seen_at > timedelta(seconds=60):  # idle expiry needs no write per request
            await identity_repo.touch_session(session, row.id, now)
            await session.commit()
    return Person(user, "session", row.id, row.authenticated_at.timestamp())


async def require_two_factor(request: Request, found: Person) -> None:
    """A person who must use two-factor authentication (every operator when LSP_OPERATORS_REQUIRE_2FA is on; the
    team of a merchant with `require_2fa`) and has not turned it on may only set it up: every other route
    answers 403 TWO_FACTOR_REQUIRED. One query, and only for people without TOTP; asked once per request."""
    if found.user.totp_enabled_at is not None or getattr(request.state, "two_factor_checked", False):
        return
    if found.user.operator_role is not None and get_settings().operators_require_2fa:
        missing = True
    else:
        async with sessionmaker()() as session:
            missing = await identity_repo.member_of_2fa_merchant(session, found.user.id)
    if missing:
        raise TwoFactorRequired(
            "Your account must use two-factor authentication: set it up first "
            "(POST /api/v1/auth/2fa/setup, then POST /api/v1/auth/2fa/enable)."
        )
    request.state.two_factor_checked = True


class PersonRequired:
    """The declaration of the routes under `/api/v1/auth/` that any logged-in person may call (they act only on
    that person's own sessions and settings, so they need no operator or merchant permission).
    `two_factor_exempt` routes stay open to a person who must still set up two-factor authentication."""

    def __init__(self, *, two_factor_exempt: bool = False) -> None:
        self.two_factor_exempt = two_factor_exempt

    async def __call__(self, request: Request) -> Person:
        found = await person(request)
        if found is None:
            raise Unauthorized(
                "Log in first (POST /api/v1/auth/login): send the session cookie or "
                "`Authorization: Bearer <access token>`.",
                field="Authorization",
            )
        if not self.two_factor_exempt:
            await require_two_factor(request, found)
        return found


def person_required(*, two_factor_exempt: bool = False) -> Any:
    """Depends(...) on the logged-in person; only for `/api/v1/auth/…` (tests/identity/test_route_permissions)."""
    return Depends(PersonRequired(two_factor_exempt=two_factor_exempt))


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def _check_csrf(request: Request, cookie: str) -> None:
    """A cookie-authenticated unsafe request must carry the session's CSRF token in `X-CSRF-Token` (htmx sends it
    from `hx-headers`) or, for a console form posted without JavaScript, in its `csrf_token` field; and must not
    come from another site."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "same-site", "none"):
        raise CsrfFailed("Cross-site requests cannot use a session; use the console's own page.")
    sent = request.headers.get("x-csrf-token", "")
    if not sent and request.headers.get("content-type", "").startswith(FORM_TYPES):
        # the body first, when it is still unread: Starlette then parses the form from it and keeps both, for the
        # route and for the merchant guard, which reads the body after this (a form parsed from the stream leaves
        # no body to read); a route's form parameters may have parsed it already, which is as good
        with contextlib.suppress(RuntimeError):  # "Stream consumed": parsed by the route's Form parameters
            await request.body()
        field = (await request.form()).get("csrf_token")  # Starlette keeps the parsed form for the route
        sent = field if isinstance(field, str) else ""
    if not sent or not equal(sent, tokens.csrf_token(cookie)):
        raise CsrfFailed(
            "The X-CSRF-Token header is missing or wrong; reload the page and try again.",
            field="X-CSRF-Token",
        )


# ---- operators -------------------------------------------------------------------------------------------------

_owner_seen: dict[str, float] = {}


async def _bootstrap_allowed() -> bool:
    """In production the bootstrap token only makes the first owner: refused once an active owner exists (an
    owner found is remembered for the process's life; none found is asked again after a few seconds)."""
    if get_settings().env != "production":
        return True
    if _owner_seen.get("owner", 0.0) > time.monotonic():
        return False
    async with sessionmaker()() as session:
        exists = await identity_repo.owner_exists(session)
    if exists:
        _owner_seen["owner"] = float("inf")
    return not exists


def _digest(token: str) -> bytes:
    # comparing fixed-length digests keeps the comparison's time independent of the token's length too
    return hashlib.sha256(token.encode()).digest()


async def authenticate_admin(request: Request) -> Operator:
    """The operator behind this request (any role); each route's guard then asks for its permission."""
    if hasattr(request.state, "operator"):
        cached: Operator = request.state.operator
        return cached
    found = await person(request)
    if found is not None:
        role = found.user.operator_role
        if role is None:
            raise PermissionDenied("This account is not operator staff.")
        await require_two_factor(request, found)
        operator = Operator(
            name=found.user.email,
            role=role,
            permissions=OPERATOR_ROLES[role],
            user_id=found.user.id,
            session_id=found.session_id,
            authenticated_at=found.authenticated_at,
        )
    else:
        bearer = _bearer(request)
        if bearer is None:
            raise Unauthorized(
                "Log in (POST /api/v1/auth/login) and send `Authorization: Bearer <access token>`.",
                field="Authorization",
            )
        expected = get_settings().admin_token
        if not expected or not equal(_digest(bearer), _digest(expected)):
            raise Unauthorized("The admin token is not valid.", field="Authorization")
        if not await _bootstrap_allowed():
            raise Unauthorized(
                "The bootstrap admin token only creates the first owner; log in as a person.",
                field="Authorization",
            )
        operator = Operator(name="admin", role="owner", permissions=OPERATOR_PERMISSIONS)
    request.state.operator = operator
    return operator


CurrentAdmin = Annotated[Operator, Depends(authenticate_admin)]


class Permission:
    """A route's declared permission: a fixed one, or `resource:read|write` by the request's method. Each side's
    subclass resolves its caller (a typed dependency FastAPI caches per request) and asks `check`."""

    def __init__(self, *, permission: str | None = None, resource: str | None = None) -> None:
        assert (permission is None) != (resource is None)
        self.permission = permission
        self.resource = resource

    def needed(self, method: str) -> str:
        return self.permission or permission_for(str(self.resource), method)

    def check(self, method: str, permissions: frozenset[str], who: str) -> None:
        needed = self.needed(method)
        if needed not in permissions:
            raise PermissionDenied(f"{who} does not allow {needed}.")


class OperatorPermission(Permission):
    async def __call__(self, request: Request, operator: CurrentAdmin) -> Operator:
        self.check(request.method, operator.permissions, f"Your role ({operator.role})")
        return operator


def operator_guard(resource: str) -> Any:
    """Depends(...) asking `resource:read` of GET/HEAD and `resource:write` of the other methods."""
    return Depends(OperatorPermission(resource=resource))


def operator_requires(permission: str) -> Any:
    return Depends(OperatorPermission(permission=permission))


# ---- merchants -------------------------------------------------------------------------------------------------


async def authenticate_merchant(request: Request) -> MerchantAuth:
    """The merchant this request acts for: its API credential (signed request), or a person of its team."""
    if hasattr(request.state, "merchant"):
        cached: MerchantAuth = request.state.merchant
        return cached
    if request.headers.get("x-client-key") or not (_bearer(request) or _has_session(request)):
        merchant = await signature.authenticate(request)
    else:
        merchant = await _member(request)
    request.state.merchant = merchant
    # per credential, or per person (a person acting for several merchants has one allowance)
    await limit_api_caller(
        request,
        merchant.rate_limit_caller,
        merchant.rate_limit_per_minute,
        taken=getattr(request.state, "rate_limit_taken", None),
    )
    return merchant


def _has_session(request: Request) -> bool:
    return bool(request.cookies.get(get_settings().session_cookie))


async def _member(request: Request) -> MerchantAuth:
    found = await person(request)
    if found is None:
        raise Unauthorized("Sign the request with your API credential, or log in.", field="Authorization")
    await require_two_factor(request, found)
    async with sessionmaker()() as session:
        memberships = await identity_repo.memberships(session, found.user.id)
        # the merchant console names its merchant in the request's state (its cookie); API callers use the header
        chosen = getattr(request.state, "console_merchant", None) or request.headers.get("x-merchant-id")
        if chosen:
            try:
                wanted = uuid.UUID(chosen)
            except ValueError:
                raise PermissionDenied(
                    "X-Merchant-Id is not a merchant of yours.", field="X-Merchant-Id"
                ) from None
            matching = [m for m in memberships if m.client_id == wanted]
        else:
            matching = memberships
        if not matching:
            raise PermissionDenied("You are not a member of this merchant's team.", field="X-Merchant-Id")
        if len(matching) > 1:
            raise PermissionDenied(
                "You belong to several merchants; name one in the X-Merchant-Id header.",
                field="X-Merchant-Id",
            )
        membership = matching[0]
        merchant = await principal_service.by_client(session, membership.client_id, request_mode(request))
    if merchant is None:
        raise PermissionDenied("You are not a member of this merchant's team.")
    merchant = await signature.admitted(merchant, request, by_credential=False)
    request.state.raw_body = await signature.read_body(request)
    return replace(
        merchant,
        permissions=MERCHANT_ROLES[membership.role],
        user_id=found.user.id,
        user_email=found.user.email,
        role=membership.role,
        authenticated_at=found.authenticated_at,
        email_verified=found.user.email_verified_at is not None,
    )


def request_mode(request: Request) -> str:
    """The mode a person acts in on merchant routes: the `X-Mode` header, `test` (the default) or `live`. An API
    credential has its own mode and ignores the header. The merchant console puts the mode in its path, and its
    page guard records it in the request's state."""
    raw = (
        (getattr(request.state, "console_mode", None) or request.headers.get(MODE_HEADER, Mode.TEST))
        .strip()
        .lower()
    )
    if raw not in (Mode.TEST, Mode.LIVE):
        raise ValidationFailed("X-Mode must be test or live.", field=MODE_HEADER)
    return raw


CurrentMerchant = Annotated[MerchantAuth, Depends(authenticate_merchant)]


class MerchantPermission(Permission):
    async def __call__(self, request: Request, merchant: CurrentMerchant) -> MerchantAuth:
        who = f"Your role ({merchant.role})" if merchant.role else "An API credential"
        self.check(request.method, merchant.permissions, who)
        return merchant


def merchant_guard(resource: str) -> Any:
    return Depends(MerchantPermission(resource=resource))


def merchant_requires(permission: str) -> Any:
    return Depends(MerchantPermission(permission=permission))


# ---- sensitive actions -----------------------------------------------------------------------------------------


class EmailNotVerified(Forbidden):
    code = "EMAIL_NOT_VERIFIED"


def require_verified_email(merchant: MerchantAuth) -> None:
    """API keys go to people whose address is confirmed (a self-signup gets its test keys once verified)."""
    if merchant.user_id is not None and not merchant.email_verified:
        raise EmailNotVerified(
            "Confirm your email address first: open the link we sent (POST /api/v1/auth/verify-email/resend sends "
            "it again)."
        )


def require_recent_login(authenticated_at: float | None, *, is_person: bool) -> None:
    """Sensitive actions (reveal or regenerate keys, payouts, role changes) need a login or re-authentication in
    the last `LSP_REAUTH_SECONDS`. Callers that are not a person (an API credential, the bootstrap token) pass."""
    if not is_person:
        return
    window = get_settings().reauth_seconds
    if authenticated_at is None or time.time() - authenticated_at > window:
        raise ReauthenticationRequired(
            f"This action needs you to confirm your password (POST /api/v1/auth/reauthenticate); your last "
            f"login is more than {int(window // 60)} minutes old."
        )


class KeySecretPermission(Permission):
    """The Razorpay-compatible face (`/v1`) is for merchants' servers: key id and secret only, no people."""

    async def __call__(self, request: Request, merchant: KeySecretMerchant) -> MerchantAuth:
        self.check(request.method, merchant.permissions, "An API credential")
        return merchant


def key_secret_guard(resource: str) -> Any:
    return Depends(KeySecretPermission(resource=resource))
