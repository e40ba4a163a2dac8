"""Dues and suspension through the running platform: reaching suspend_threshold refuses new payments (402,
saying what is due), a payout under the threshold resumes the merchant by itself; each change is an audit
row and a merchant webhook event."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from lightspeedpay.models import AuditLog, Client
from tests.ledger_support import admin_client, open_shop


async def _audit(session, client_id) -> list[AuditLog]:
    await session.rollback()
    return list(
        (
            await session.execute(
                select(AuditLog).where(AuditLog.client_id == client_id).order_by(AuditLog.created_at)
            )
        ).scalars()
    )


async def test_suspended_at_the_threshold_and_resumed_by_a_payout(platform, session):
    async with (
        open_shop(platform, session, fee_percent=Decimal("3.50"), suspend_threshold=1_000) as shop,
        admin_client(platform) as admin,
    ):
        await shop.pay(20_000)  # 700 due: still under
        assert (await shop.wallet())["status"] == "active"
        await shop.pay(10_000)  # 1,050 due: reached
        wallet = await shop.wallet()
        assert (wallet["balance_due"], wallet["status"], wallet["suspension_reason"]) == (
            1_050,
            "suspended",
            "dues",
        )

        r = await shop.client.pay(amount=5_000)
        assert r.status_code == 402, r.text
        error = r.json()["error"]
        assert error["code"] == "MERCHANT_SUSPENDED"
        assert "₹10.50" in error["message"] and "₹10.00" in error["message"]

        [suspended] = await shop.wait_event("merchant.suspended")
        assert suspended["data"]["balance_due"] == 1_050 and suspended["data"]["suspend_threshold"] == 1_000
        assert suspended["data"]["cause"]["type"] == "COMMISSION"

        # a payout that leaves the dues at the threshold is not enough
        r = await admin.post(
            f"/api/v1/admin/merchants/{shop.id}/payouts", json={"amount": 50, "reference": "P-1"}
        )
        assert r.status_code == 201 and r.json()["merchant_status"] == "suspended"
        r = await admin.post(
            f"/api/v1/admin/merchants/{shop.id}/payouts", json={"amount": 1, "reference": "P-2"}
        )
        assert r.status_code == 201 and r.json()["merchant_status"] == "active", r.text
        assert (await shop.wallet())["status"] == "active"
        [resumed] = await shop.wait_event("merchant.resumed")
        assert (
            resumed["data"]["balance_due"] == 999 and resumed["data"]["cause"]["type"] == "COMMISSION_PAYOUT"
        )

        r = await shop.client.pay(amount=1_000)
        assert r.status_code == 201, r.text

    actions = [a.action for a in await _audit(session, shop.id)]
    assert actions.count("merchant.suspended") == 1 and actions.count("merchant.resumed") == 1
    assert actions.index("merchant.suspended") < actions.index("merchant.resumed")


async def test_a_new_threshold_suspends_or_resumes_at_once(platform, session):
    async with (
        open_shop(platform, session, fee_percent=Decimal("2.00")) as shop,
        admin_client(platform) as admin,
    ):
        await shop.pay(50_000)  # 1,000 due
        base = f"/api/v1/admin/merchants/{shop.id}"
        r = await admin.patch(base, json={"suspend_threshold": 1_000})
        assert r.status_code == 200, r.text
        assert (r.json()["status"], r.json()["suspension_reason"]) == ("suspended", "dues")
        assert (await shop.client.pay(amount=100)).status_code == 402
        r = await admin.patch(base, json={"suspend_threshold": 5_000, "whatsapp_phone": "919812345678"})
        assert r.json()["status"] == "active" and r.json()["whatsapp_phone"] == "919812345678"
        assert (await shop.client.pay(amount=100)).status_code == 201

        for bad in (
            {"suspend_threshold": 0},
            {"suspend_threshold": None},
            {"whatsapp_phone": "12ab"},
            {"fee_percent": "101"},
            {"unknown": 1},
        ):
            r = await admin.patch(base, json=bad)
            assert r.status_code == 422, (bad, r.text)
        r = await admin.get(base)
        assert r.json()["suspend_threshold"] == 5_000 and r.json()["balance_due"] == 1_000

        await shop.wait_event("merchant.suspended")
        await shop.wait_event("merchant.resumed")

    await session.rollback()
    client = await session.get(Client, shop.id, populate_existing=True)
    assert client is not None and client.status == "active" and client.suspension_reason is None
    actions = [a.action for a in await _audit(session, shop.id)]
    assert actions.count("merchant.settings_updated") == 2
    assert actions.count("merchant.suspended") == 1 and actions.count("merchant.resumed") == 1


async def test_a_merchant_disabled_by_the_operator_is_not_resumed_by_a_payout(platform, session):
    async with (
        open_shop(platform, session, fee_percent=Decimal("5.00"), suspend_threshold=100) as shop,
        admin_client(platform) as admin,
    ):
        await shop.pay(4_000)  # 200 due: suspended for dues
        assert (await shop.wallet())["status"] == "suspended"
        await session.rollback()
        client = await session.get(Client, shop.id, populate_existing=True)
        assert client is not None
        client.status, client.suspension_reason = "suspended", "fraud review"  # suspended for another reason
        await session.commit()
        r = await admin.post(
            f"/api/v1/admin/merchants/{shop.id}/payouts", json={"amount": 200, "reference": "P"}
        )
        assert r.status_code == 201 and r.json()["balance_due"] == 0
        assert r.json()["merchant_status"] == "suspended"
        r = await shop.client.pay(amount=100)
        assert r.status_code == 402 and "contact the operator" in r.json()["error"]["message"]
