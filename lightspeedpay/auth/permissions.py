"""Permissions are `resource:action`; a role is a set of them (never a role-name check at a route).

Two surfaces, two catalogues: what an operator's staff may do across the platform, and what a merchant's staff
(or the merchant's API credential) may do with that merchant's own data. A route declares the permission it
needs with `identity.deps.operator_guard` / `merchant_guard` (or `operator_requires` / `merchant_requires`);
`tests/identity/test_route_permissions.py` fails for a route that declares none and walks every role against
every route."""

from __future__ import annotations

from typing import Final

READ_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})


def _catalogue(resources: dict[str, tuple[str, ...]]) -> frozenset[str]:
    return frozenset(f"{resource}:{action}" for resource, actions in resources.items() for action in actions)


# ---- operators ------------------------------------------------------------------------------------------------

OPERATOR_RESOURCES: Final[dict[str, tuple[str, ...]]] = {
    "gateways": ("read", "write"),  # the PSP pool: add, edit, switch, priorities, credentials
    "merchants": ("read", "write"),  # merchants' settings, fees, thresholds, suspension
    "payments": ("read", "write"),  # transactions across merchants; write: refund on a merchant's behalf
    "ledger": ("read", "write"),  # commission ledger; write: payouts and adjustments
    "settlements": ("read", "write"),
    "whatsapp": ("read", "write"),
    "alerts": ("read", "write"),
    "queues": ("read", "write"),  # pause, resume, drain, retry, discard
    "system": ("read", "write"),  # status, health, live streams, test helpers; write: run a check now
    "audit": ("read",),
    "reports": ("read", "write"),
    "analytics": ("read",),
    "kyc": ("read", "write"),  # write: approve, reject, ask for clarification
    "users": ("read", "write"),  # operator staff: invite, change roles, remove, reset 2FA
    "owners": ("write",),  # make or unmake an owner: only an owner may
}
OPERATOR_PERMISSIONS: Final = _catalogue(OPERATOR_RESOURCES)


def _reads(catalogue: frozenset[str]) -> frozenset[str]:
    return frozenset(p for p in catalogue if p.endswith(":read"))


OPERATOR_ROLES: Final[dict[str, frozenset[str]]] = {
    "owner": OPERATOR_PERMISSIONS,
    "admin": OPERATOR_PERMISSIONS - {"owners:write"},
    # runs the machinery: gateways, queues, alerts, WhatsApp, merchants' settings and KYC review
    "operations": _reads(OPERATOR_PERMISSIONS)
    | {
        "gateways:write",
        "queues:write",
        "alerts:write",
        "whatsapp:write",
        "system:write",
        "merchants:write",
        "kyc:write",
        "payments:write",
    },
    # money: the ledger, settlements, reports; reads the rest of what money touches
    "finance": frozenset(
        {
            "payments:read",
            "merchants:read",
            "ledger:read",
            "ledger:write",
            "settlements:read",
            "settlements:write",
            "reports:read",
            "reports:write",
            "analytics:read",
            "audit:read",
            "kyc:read",
        }
    ),
    # answers merchants: reads payments, merchants, alerts and queues; refunds on a merchant's behalf
    "support": frozenset(
        {
            "payments:read",
            "payments:write",
            "merchants:read",
            "alerts:read",
            "queues:read",
            "whatsapp:read",
            "kyc:read",
            "system:read",
        }
    ),
    "viewer": _reads(OPERATOR_PERMISSIONS) - {"audit:read", "users:read"},
}

# ---- merchants ------------------------------------------------------------------------------------------------

MERCHANT_RESOURCES: Final[dict[str, tuple[str, ...]]] = {
    "payments": ("read", "write"),  # orders and payments: create, capture
    "refunds": ("read", "write"),
    "settlements": ("read",),
    "wallet": ("read", "write"),  # dues and their entries; write: payouts of dues
    "webhooks": ("read", "write"),  # endpoints, deliveries, resend, secret rotation
    "credentials": ("read", "write"),  # API keys: see (masked), reveal, regenerate, IP allowlist
    "usage": ("read",),
    "whatsapp": ("read", "write"),
    "team": ("read", "write"),
    "owners": ("write",),
    "kyc": ("read", "write"),
    "settings": ("read", "write"),  # business profile, notices
    "streams": ("read",),
}
MERCHANT_PERMISSIONS: Final = _catalogue(MERCHANT_RESOURCES)

MERCHANT_ROLES: Final[dict[str, frozenset[str]]] = {
    "owner": MERCHANT_PERMISSIONS,
    "admin": MERCHANT_PERMISSIONS - {"owners:write"},
    # integrates: payments, webhooks, usage; sees no keys (owners and admins hand those out)
    "developer": frozenset(
        {
            "payments:read",
            "payments:write",
            "refunds:read",
            "webhooks:read",
            "webhooks:write",
            "usage:read",
            "settings:read",
            "streams:read",
            "kyc:read",
        }
    ),
    "finance": frozenset(
        {
            "payments:read",
            "refunds:read",
            "settlements:read",
            "wallet:read",
            "wallet:write",
            "whatsapp:read",
            "settings:read",
            "streams:read",
        }
    ),
    # answers customers: reads payments, refunds them up to the merchant's support refund limit
    "support": frozenset(
        {"payments:read", "refunds:read", "refunds:write", "webhooks:read", "settings:read", "streams:read"}
    ),
    "viewer": _reads(MERCHANT_PERMISSIONS) - {"credentials:read", "team:read"},
}

# A merchant's API credential acts for the merchant's server: the payments API, webhooks and reads. It cannot
# manage people, KYC or keys (a leaked secret must not lock its owner out by regenerating itself).
API_CREDENTIAL_PERMISSIONS: Final = frozenset(
    {
        "payments:read",
        "payments:write",
        "refunds:read",
        "refunds:write",
        "settlements:read",
        "wallet:read",
        "wallet:write",
        "webhooks:read",
        "webhooks:write",
        "credentials:read",
        "usage:read",
        "whatsapp:read",
        "whatsapp:write",
        "settings:read",
        "streams:read",
    }
)


def permission_for(resource: str, method: str) -> str:
    """What a resource guard asks of a request: reading methods read, every other method writes."""
    return f"{resource}:{'read' if method.upper() in READ_METHODS else 'write'}"


def _check() -> None:
    for roles, catalogue in ((OPERATOR_ROLES, OPERATOR_PERMISSIONS), (MERCHANT_ROLES, MERCHANT_PERMISSIONS)):
        for role, permissions in roles.items():
            unknown = permissions - catalogue
            assert not unknown, f"role {role} names unknown permissions {sorted(unknown)}"
    assert API_CREDENTIAL_PERMISSIONS <= MERCHANT_PERMISSIONS


_check()
