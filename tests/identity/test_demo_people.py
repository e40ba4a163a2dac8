"""`lightspeedpay up` seeds a demo operator (owner), the demo merchant's owner and the owner of the merchant whose
KYC waits for review, prints the logins, and seeding twice changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from lightspeedpay.devtools import demo
from lightspeedpay.identity.passwords import verify_password
from lightspeedpay.models import AuditLog, MerchantMembership, User


async def test_demo_seed_makes_the_two_logins_once(platform, session):
    creds = await demo.seed()
    again = await demo.seed()
    assert again["client_key"] == creds["client_key"]
    users = {u.email: u for u in (await session.execute(select(User))).scalars()}
    operator = users[demo.DEMO_OPERATOR[0]]
    owner = users[demo.DEMO_MERCHANT_OWNER[0]]
    people = 3 + len(demo.DEMO_MERCHANT_TEAM)
    assert len(users) == people and operator.operator_role == "owner" and owner.operator_role is None
    assert (await verify_password(demo.DEMO_OPERATOR[1], operator.password_hash))[0]
    assert (await verify_password(demo.DEMO_MERCHANT_OWNER[1], owner.password_hash))[0]
    memberships = {m.user_id: m for m in (await session.execute(select(MerchantMembership))).scalars()}
    membership = memberships[owner.id]
    assert (str(membership.client_id), membership.role) == (creds["client_id"], "owner")
    assert str(memberships[users[demo.KYC_OWNER[0]].id].client_id) == creds["kyc_merchant_id"]
    for email, role in demo.DEMO_MERCHANT_TEAM:
        assert (memberships[users[email].id].role, str(memberships[users[email].id].client_id)) == (
            role,
            creds["client_id"],
        )
    assert await session.scalar(select(func.count()).where(AuditLog.action == "user.created")) == people
    assert creds["fresh"] and not again["fresh"] and len(again["shops"]) == 1 + len(demo.MORE_MERCHANTS)
    text = demo.banner(platform.api_url, creds)
    assert f"{platform.api_url}/admin" in text
    for login in (demo.DEMO_OPERATOR, demo.DEMO_MERCHANT_OWNER):
        assert f"{login[0]} / {login[1]}" in text
