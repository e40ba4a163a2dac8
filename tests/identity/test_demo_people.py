"""`lightspeedpay up` seeds a demo operator (owner) and the demo merchant's owner, prints their logins, and
seeding twice changes nothing."""

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
    assert len(users) == 2 and operator.operator_role == "owner" and owner.operator_role is None
    assert (await verify_password(demo.DEMO_OPERATOR[1], operator.password_hash))[0]
    assert (await verify_password(demo.DEMO_MERCHANT_OWNER[1], owner.password_hash))[0]
    membership = (await session.execute(select(MerchantMembership))).scalar_one()
    assert (membership.user_id, str(membership.client_id), membership.role) == (
        owner.id,
        creds["client_id"],
        "owner",
    )
    assert await session.scalar(select(func.count()).where(AuditLog.action == "user.created")) == 2
    text = demo.banner(platform.api_url, creds)
    for login in (demo.DEMO_OPERATOR, demo.DEMO_MERCHANT_OWNER):
        assert f"{login[0]} / {login[1]}" in text
