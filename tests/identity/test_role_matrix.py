"""Each role against each route: a person whose role lacks a route's permission gets 403 FORBIDDEN, and one
whose role has it gets past the guard (whatever the route then answers to a placeholder request). People
authenticate with real access tokens over HTTP against the running API."""

from __future__ import annotations

import re

import httpx
import pytest

from lightspeedpay.auth.permissions import MERCHANT_ROLES, OPERATOR_ROLES
from lightspeedpay.identity.deps import KeySecretPermission, MerchantPermission, OperatorPermission
from lightspeedpay.models import MerchantMembership
from tests.factories import create_merchant
from tests.identity.test_route_permissions import routes
from tests.people.support import access_token

PLACEHOLDER = "00000000-0000-4000-8000-000000000000"


def _url(path: str) -> str:
    return re.sub(r"\{[^}]+\}", PLACEHOLDER, path)


async def _status(http: httpx.AsyncClient, method: str, path: str, headers: dict[str, str]) -> int:
    body = None if method in ("GET", "DELETE") else b"{}"
    h = {**headers, **({"Content-Type": "application/json"} if body is not None else {})}
    # streamed: a live stream answers its status and is closed at once
    # the merchant console's mode is a real path segment: a made-up one is a missing page, not a refusal
    async with http.stream(method, _url(path.replace("{mode}", "test")), headers=h, content=body) as r:
        return r.status_code


def _allowed(guards: list, method: str, permissions: frozenset[str]) -> bool:
    return all(g.needed(method) in permissions for g in guards)


async def test_every_operator_role_against_every_operator_route(platform, session):
    people = {role: await access_token(session, operator_role=role) for role in OPERATOR_ROLES}
    await session.commit()
    table = {
        r: [g for g in guards if isinstance(g, OperatorPermission)]
        for r, guards in routes().items()
        if any(isinstance(g, OperatorPermission) for g in guards)
    }
    assert len(table) > 40
    wrong = []
    async with httpx.AsyncClient(base_url=platform.api_url, timeout=30) as http:
        for (method, path), guards in sorted(table.items()):
            for role, (_, access) in people.items():
                status = await _status(http, method, path, {"Authorization": f"Bearer {access}"})
                allowed = _allowed(guards, method, OPERATOR_ROLES[role])
                if allowed and status in (401, 403) or not allowed and status != 403:
                    wrong.append((role, method, path, status, "allowed" if allowed else "denied"))
    assert not wrong, wrong


async def test_every_merchant_role_against_every_merchant_route(platform, session):
    merchant = await create_merchant(session)
    people = {}
    for role in MERCHANT_ROLES:
        user, access = await access_token(session)
        session.add(MerchantMembership(user_id=user.id, client_id=merchant.client.id, role=role))
        people[role] = access
    await session.commit()
    table = {
        r: guards
        for r, guards in routes().items()
        if guards and all(isinstance(g, MerchantPermission) for g in guards)
    }
    assert len(table) > 15
    wrong = []
    async with httpx.AsyncClient(base_url=platform.api_url, timeout=30) as http:
        for (method, path), guards in sorted(table.items()):
            for role, access in people.items():
                status = await _status(http, method, path, {"Authorization": f"Bearer {access}"})
                allowed = _allowed(guards, method, MERCHANT_ROLES[role])
                if allowed and status in (401, 403) or not allowed and status != 403:
                    wrong.append((role, method, path, status, "allowed" if allowed else "denied"))
    assert not wrong, wrong


async def test_people_are_refused_on_the_razorpay_face_and_staff_of_one_side_on_the_other(platform, session):
    merchant = await create_merchant(session)
    operator, operator_access = await access_token(session, operator_role="owner")
    member, member_access = await access_token(session)
    session.add(MerchantMembership(user_id=member.id, client_id=merchant.client.id, role="owner"))
    await session.commit()
    async with httpx.AsyncClient(base_url=platform.api_url, timeout=30) as http:
        for (method, path), guards in sorted(routes().items()):
            if any(isinstance(g, KeySecretPermission) for g in guards):
                assert await _status(http, method, path, {"Authorization": f"Bearer {member_access}"}) == 401
        # an operator is no member of a merchant's team; a merchant's owner is no operator
        r = await http.get("/api/v1/wallet", headers={"Authorization": f"Bearer {operator_access}"})
        assert r.status_code == 403, r.text
        r = await http.get("/api/v1/admin/gateways", headers={"Authorization": f"Bearer {member_access}"})
        assert r.status_code == 403 and r.json()["error"]["code"] == "FORBIDDEN", r.text
        # the member reads their own merchant's wallet
        r = await http.get("/api/v1/wallet", headers={"Authorization": f"Bearer {member_access}"})
        assert r.status_code == 200 and r.json()["merchant_id"] == str(merchant.client.id), r.text


@pytest.mark.fast
def test_roles_are_what_the_issue_says():
    assert (
        "credentials:write" in MERCHANT_ROLES["admin"]
        and "credentials:read" not in MERCHANT_ROLES["developer"]
    )
    assert "webhooks:write" in MERCHANT_ROLES["developer"]
    assert {"settlements:read", "wallet:read"} <= MERCHANT_ROLES["finance"]
    assert "refunds:write" in MERCHANT_ROLES["support"] and "payments:write" not in MERCHANT_ROLES["support"]
    assert all(p.endswith(":read") for p in MERCHANT_ROLES["viewer"] | OPERATOR_ROLES["viewer"])
    assert "owners:write" not in OPERATOR_ROLES["admin"] and "owners:write" in OPERATOR_ROLES["owner"]
