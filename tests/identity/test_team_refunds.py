"""People of a merchant's team refund through the same route as its API credential, within their role: support
up to the merchant's support refund limit, viewer not at all; the audit names the person."""

from __future__ import annotations

import json

from sqlalchemy import select

from lightspeedpay.models import AuditLog, Client, MerchantMembership
from tests.paying import open_shop, paid_payment
from tests.people.support import access_token


async def test_support_refunds_up_to_the_limit_and_viewer_not_at_all(platform, session):
    async with open_shop(platform, session) as shop:
        client = await session.get(Client, shop.new.client.id)
        client.support_refund_limit = 3_000
        people = {}
        for role in ("support", "viewer"):
            user, access = await access_token(session)
            session.add(MerchantMembership(user_id=user.id, client_id=client.id, role=role))
            # the payment is live (made with the live key): a person acts in live mode by saying so
            people[role] = (
                user,
                {"Authorization": f"Bearer {access}", "Content-Type": "application/json", "X-Mode": "live"},
            )
        await session.commit()
        txn = await paid_payment(shop.native, amount=10_000)
        path = f"{platform.api_url}/api/v1/transactions/{txn['id']}/refunds"
        http = shop.native.http
        support_user, support = people["support"]

        r = await http.post(path, headers=support, content=json.dumps({"amount": 3_001}))
        assert r.status_code == 403 and r.json()["error"]["code"] == "REFUND_LIMIT_EXCEEDED", r.text
        assert r.json()["error"]["field"] == "amount"
        r = await http.post(path, headers=people["viewer"][1], content=json.dumps({"amount": 100}))
        assert r.status_code == 403 and r.json()["error"]["code"] == "FORBIDDEN", r.text

        r = await http.post(path, headers=support, content=json.dumps({"amount": 3_000}))
        assert r.status_code == 201 and r.json()["amount"] == 3_000, r.text
        # a full refund of what is left is over the limit too
        r = await http.post(path, headers=support, content=b"{}")
        assert r.status_code == 403 and r.json()["error"]["code"] == "REFUND_LIMIT_EXCEEDED", r.text

        actors = (
            await session.execute(select(AuditLog.actor).where(AuditLog.action == "refund.created"))
        ).scalars()
        assert list(actors) == [f"user:{support_user.email}"]
