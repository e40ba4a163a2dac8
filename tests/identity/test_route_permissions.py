"""Every route of the application declares the permission it needs (or is listed here as public, with why)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts

from lightspeedpay.api import router as api_router
from lightspeedpay.auth.permissions import (
    API_CREDENTIAL_PERMISSIONS,
    MERCHANT_PERMISSIONS,
    MERCHANT_ROLES,
    OPERATOR_PERMISSIONS,
)
from lightspeedpay.identity.deps import (
    KeySecretPermission,
    MerchantPermission,
    OperatorPermission,
    PersonRequired,
)

# PersonRequired (any logged-in person, acting only on their own sessions and settings) declares the routes of
# the login API and no others
GUARDS = (OperatorPermission, MerchantPermission, KeySecretPermission, PersonRequired)
PERSON_PREFIX = "/api/v1/auth/"
# the console's own login routes act only on the person's own session and settings, like the login API's
PERSON_ROUTES = {
    ("POST", "/admin/logout"),
    ("POST", "/admin/preferences"),
    ("POST", "/auth/logout"),
    ("POST", "/auth/preferences"),
}

# (method, path) -> why anyone may call it
PUBLIC = {
    (
        "POST",
        "/api/v1/webhooks/psp/{provider}/{gateway_id}",
    ): "a PSP's webhook: verified by the PSP's signature",
    ("GET", "/health"): "liveness probe",
    ("GET", "/api/health"): "readiness probe (says up or down, no data)",
    ("GET", "/metrics"): "Prometheus scrape (counts only; keep it on a private network)",
    ("GET", "/checkout.js"): "the checkout script merchants embed",
    ("GET", "/checkout/{order_id}"): "the payer's hosted checkout page (unguessable order id)",
    ("POST", "/checkout/{order_id}/pay"): "the payer starts a payment on the hosted checkout",
    ("GET", "/checkout/{order_id}/return"): "the PSP sends the payer back here",
    ("GET", "/checkout/{order_id}/payments/{payment_id}"): "the payer's payment page",
    (
        "GET",
        "/checkout/{order_id}/payments/{payment_id}/status",
    ): "the payer's page polls its payment's state",
    ("GET", "/api/v1/test/jobs/status"): "test helper: 404 in production",
    ("GET", "/api/v1/test/merchant"): "test helper: 404 in production",
    ("POST", "/api/v1/auth/signup"): "self-service signup: anyone may; a taken address answers alike",
    ("POST", "/api/v1/auth/verify-email"): "proved by the one-time token from the verification email",
    ("POST", "/api/v1/auth/verify-email/resend"): "always 202, whether or not the address has an account",
    ("POST", "/api/v1/auth/password-reset"): "always 202, whether or not the address has an account",
    ("POST", "/api/v1/auth/password-reset/confirm"): "proved by the one-time token from the reset email",
    ("POST", "/api/v1/auth/invitations/accept"): "proved by the one-time token from the invitation email",
    ("POST", "/api/v1/auth/login"): "anonymous by nature: it is how a person proves who they are",
    ("POST", "/api/v1/auth/refresh"): "anonymous: the refresh token it spends is the credential",
    ("GET", "/admin/login"): "the operator console's login form",
    ("POST", "/admin/login"): "the console's login form posts here: how a person proves who they are",
    ("POST", "/admin/language"): "the login page's language, a cookie (before anyone is logged in)",
    # the account pages: the forms of the public /api/v1/auth routes above, with the same services and limits
    ("GET", "/auth/login"): "the login form",
    ("POST", "/auth/login"): "how a person proves who they are",
    ("POST", "/auth/language"): "the account pages' language, a cookie (before anyone is logged in)",
    ("GET", "/auth/signup"): "the signup form",
    ("POST", "/auth/signup"): "self-service signup: anyone may; a taken address answers alike",
    ("POST", "/auth/verify-email/resend"): "the same answer whether or not the address has an account",
    ("GET", "/auth/verify-email"): "a page with the email's token in a form; spends nothing",
    ("POST", "/auth/verify-email"): "proved by the one-time token from the verification email",
    ("GET", "/auth/forgot-password"): "the password-reset request form",
    ("POST", "/auth/forgot-password"): "the same answer whether or not the address has an account",
    ("GET", "/auth/reset-password"): "a page with the email's token in a form; spends nothing",
    ("POST", "/auth/reset-password"): "proved by the one-time token from the reset email",
    ("GET", "/auth/invitations/accept"): "a page with the email's token in a form; spends nothing",
    ("POST", "/auth/invitations/accept"): "proved by the one-time token from the invitation email",
    ("GET", "/developers"): "the developer documentation: public pages, no data",
    ("GET", "/developers/{slug}"): "the developer documentation: public pages, no data",
    ("GET", "/developers/assets/devdocs.css"): "the developer documentation's stylesheet",
    ("GET", "/developers/samples/{name:path}"): "the documentation's code samples, as files to download",
}


def _calls(dependant: Any) -> Iterator[Any]:
    yield dependant.call
    for sub in dependant.dependencies:
        yield from _calls(sub)


def routes() -> dict[tuple[str, str], list[Any]]:
    """(method, path) -> the permission guards the route declares."""
    found: dict[tuple[str, str], list[Any]] = {}
    for route in iter_route_contexts(api_router.routes):
        guards = [call for call in _calls(route.dependant) if isinstance(call, GUARDS)]
        for method in route.methods or set():
            if method != "HEAD":
                found[(method, str(route.path))] = guards
    return found


@pytest.mark.fast
def test_every_route_declares_a_permission_or_is_public():
    table = routes()
    undeclared = sorted(r for r, guards in table.items() if not guards and r not in PUBLIC)
    assert not undeclared, (
        "routes that declare no permission: add operator_guard/operator_requires (admin) or merchant_guard/"
        f"merchant_requires (merchant) from lightspeedpay.identity.deps, or list them in PUBLIC with why: {undeclared}"
    )
    stale = sorted(PUBLIC.keys() - table.keys())
    assert not stale, f"PUBLIC lists routes the application no longer has: {stale}"
    assert not [r for r in PUBLIC if table.get(r)], "a PUBLIC route declares a permission"


@pytest.mark.fast
def test_declared_permissions_exist_in_the_catalogue():
    for (method, path), guards in routes().items():
        for guard in guards:
            if isinstance(guard, PersonRequired):
                continue  # no permission: a person acting on their own login
            catalogue = (
                OPERATOR_PERMISSIONS if isinstance(guard, OperatorPermission) else MERCHANT_PERMISSIONS
            )
            assert guard.needed(method) in catalogue, (method, path, guard.needed(method))


@pytest.mark.fast
def test_admin_paths_take_operator_guards_and_merchant_paths_merchant_guards():
    for (method, path), guards in routes().items():
        if path.startswith(("/api/v1/admin/", "/api/v1/system/")) or (
            path.startswith("/admin") and (method, path) not in PUBLIC and (method, path) not in PERSON_ROUTES
        ):
            assert any(isinstance(g, OperatorPermission) for g in guards), (method, path)
        elif path.startswith("/v1/"):
            assert all(isinstance(g, KeySecretPermission) for g in guards), (method, path)


@pytest.mark.fast
def test_person_required_declares_only_the_login_api():
    """`person_required` is not a way around permissions: outside /api/v1/auth/ a route must name one."""
    table = routes()
    for (method, path), guards in table.items():
        if any(isinstance(g, PersonRequired) for g in guards):
            assert path.startswith(PERSON_PREFIX) or (method, path) in PERSON_ROUTES, (method, path)
    assert [r for r in table if r[1].startswith(PERSON_PREFIX) and table[r]], "the login API declares nothing"


# the merchant console's API (issue 12): what each route asks (test_role_matrix.py walks each against every role)
CONSOLE_API = {
    ("POST", "/api/v1/merchant/credentials/{mode}/reveal"): "credentials:write",
    ("POST", "/api/v1/merchant/webhooks/{endpoint_id}/reveal"): "webhooks:write",
    ("GET", "/api/v1/merchant/settings"): "settings:read",
    ("PATCH", "/api/v1/merchant/settings"): "settings:write",
    ("POST", "/api/v1/transactions/{transaction_id}/capture"): "payments:write",
    ("GET", "/api/v1/refunds"): "refunds:read",
    ("GET", "/api/v1/transactions"): "payments:read",
    ("GET", "/api/v1/transactions.csv"): "payments:read",
}


@pytest.mark.fast
def test_the_merchant_console_routes_ask_what_the_issue_says():
    table = routes()
    for (method, path), permission in CONSOLE_API.items():
        guards = table[(method, path)]
        assert guards and all(isinstance(g, MerchantPermission) for g in guards), (method, path)
        assert {g.needed(method) for g in guards} == {permission}, (method, path)
    # who may: a viewer reveals no key and changes no setting; only owners and admins see keys; an API credential
    # may neither reveal a key nor change the settings (a leaked secret must not lock its owner out)
    revealing = {role for role, perms in MERCHANT_ROLES.items() if "credentials:write" in perms}
    assert revealing == {"owner", "admin"}
    assert {role for role, perms in MERCHANT_ROLES.items() if "settings:write" in perms} == {"owner", "admin"}
    assert not {"credentials:write", "settings:write"} & API_CREDENTIAL_PERMISSIONS
    assert (
        "webhooks:write" in MERCHANT_ROLES["developer"] and "payments:write" not in MERCHANT_ROLES["viewer"]
    )
