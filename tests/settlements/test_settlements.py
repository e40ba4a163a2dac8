"""Settlements through the running platform: a day's payments and refunds per gateway, totals, events, the
merchant's reads and CSV, re-runs that never settle twice, dues deducted as a COMMISSION_PAYOUT (and the
merchant resumed by it), and a failure with its reason."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select, update

from lightspeedpay.kit.money import commission, round_paise
from lightspeedpay.models import AuditLog, Client, LedgerPosting, Settlement, SettlementLineItem
from lightspeedpay.settlements.service import today
from tests.factories import count, wait_for
from tests.ledger_support import add_gateway, admin_client, cli, open_shop


async def _settlement(shop, settlement_id: str, status: str = "completed") -> dict | None:
    r = await shop.client.get(f"/api/v1/settlements/{settlement_id}")
    assert r.status_code == 200, r.text
    return r.json() if r.json()["status"] == status else None


async def test_a_day_is_settled_once_with_its_payments_and_refunds_per_gateway(platform, session):
    fee = Decimal("2.50")
    async with open_shop(platform, session, fee_percent=fee) as shop, admin_client(platform) as admin:
        first = [await shop.pay(amount) for amount in (10_000, 25_001)]
        gateway_b = await add_gateway(platform, session, priority=9)  # the next payment goes here
        gateway_b_id, gateway_b_name = str(gateway_b.id), gateway_b.name
        second = await shop.pay(40_000)
        await shop.refund(first[1], 5_000)

        r = await admin.post(
            "/api/v1/admin/settlements/run", json={"date": today().isoformat(), "merchant_id": str(shop.id)}
        )
        assert r.status_code == 202, r.text
        [run] = r.json()["settlements"]
        assert run["created"] and run["merchant_id"] == str(shop.id)
        detail = await wait_for(lambda: _settlement(shop, run["id"]), what="the settlement completed")

        charged = [commission(a, fee) for a in (10_000, 25_001, 40_000)]
        reversed_ = round_paise(Decimal(charged[1]) * 5_000 / 25_001)
        assert (detail["payment_count"], detail["refund_count"]) == (3, 1)
        assert detail["gross_amount"] == 75_001 and detail["refunds_amount"] == 5_000
        assert detail["commission_amount"] == sum(charged) - reversed_
        assert detail["net_amount"] == 75_001 - 5_000 - detail["commission_amount"]
        assert detail["dues_deducted"] == 0 and detail["payable_amount"] == 70_001
        assert detail["period_date"] == today().isoformat() and detail["cutoff_at"]

        by_gateway = {g["gateway_id"]: g for g in detail["gateways"]}
        assert len(by_gateway) == 2
        assert (
            by_gateway[gateway_b_id]["gross_amount"] == 40_000
            and by_gateway[gateway_b_id]["payment_count"] == 1
        )
        assert by_gateway[gateway_b_id]["name"] == gateway_b_name
        other = next(g for gid, g in by_gateway.items() if gid != gateway_b_id)
        assert (other["gross_amount"], other["refunds_amount"], other["refund_count"]) == (35_001, 5_000, 1)
        assert sum(g["net_amount"] for g in detail["gateways"]) == detail["net_amount"]

        lines = detail["line_items"]
        assert sorted((li["kind"], li["transaction_id"], li["amount"]) for li in lines) == sorted(
            [
                ("payment", first[0], 10_000),
                ("payment", first[1], 25_001),
                ("payment", second, 40_000),
                ("refund", first[1], 5_000),
            ]
        )
        refund_line = next(li for li in lines if li["kind"] == "refund")
        assert refund_line["commission"] == -reversed_ and refund_line["net"] == -5_000 + reversed_

        # the same as CSV
        r = await shop.client.get(f"/api/v1/settlements/{run['id']}.csv")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        assert "attachment" in r.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO(r.text)))
        assert len(rows) == 4 and {row["settlement_id"] for row in rows} == {run["id"]}
        assert sum(int(row["net_paise"]) for row in rows) == detail["net_amount"]
        assert {row["gateway"] for row in rows} >= {gateway_b_name}

        listed = (await shop.client.get("/api/v1/settlements")).json()
        assert [s["id"] for s in listed["items"]] == [run["id"]]

        # re-running the period (API, CLI, scheduler) never creates a second settlement nor moves an item
        r = await admin.post(
            "/api/v1/admin/settlements/run", json={"date": today().isoformat(), "merchant_id": str(shop.id)}
        )
        assert r.status_code == 202 and r.json()["settlements"] == [
            {**run, "created": False, "status": "completed"}
        ]
        result = await cli(
            platform, "settlements", "run", "--date", today().isoformat(), "--merchant", str(shop.id)
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert run["id"] in result.stdout and "completed" in result.stdout

        [created] = await shop.wait_event("settlement.created")
        [completed] = await shop.wait_event("settlement.completed")
        assert created["data"]["settlement_id"] == run["id"] and created["data"]["status"] == "pending"
        assert completed["data"]["net_amount"] == detail["net_amount"]

        # another merchant sees none of it
        async with open_shop(platform, session, gateway=False) as stranger:
            assert (await stranger.client.get(f"/api/v1/settlements/{run['id']}")).status_code == 404
            assert (await stranger.client.get(f"/api/v1/settlements/{run['id']}.csv")).status_code == 404
            assert (await stranger.client.get("/api/v1/settlements")).json()["items"] == []

    assert await count(session, Settlement, Settlement.client_id == shop.id) == 1
    assert await count(session, SettlementLineItem) == 4


async def test_later_movements_go_to_the_next_settlement(platform, session):
    async with open_shop(platform, session) as shop, admin_client(platform) as admin:
        txn = await shop.pay(10_000)
        yesterday = (today() - timedelta(days=1)).isoformat()
        r = await admin.post(
            "/api/v1/admin/settlements/run", json={"date": yesterday, "merchant_id": str(shop.id)}
        )
        [empty] = r.json()["settlements"]
        done = await wait_for(lambda: _settlement(shop, empty["id"]), what="yesterday's settlement")
        assert done["payment_count"] == 0 and done["line_items"] == []  # today's payment is not yesterday's

        r = await admin.post("/api/v1/admin/settlements/run", json={"date": today().isoformat()})
        [mine] = [s for s in r.json()["settlements"] if s["merchant_id"] == str(shop.id)]
        first = await wait_for(lambda: _settlement(shop, mine["id"]), what="today's settlement")
        assert first["payment_count"] == 1

        await shop.refund(txn, 10_000)  # after today's settlement ran: it belongs to the next one
        r = await admin.post("/api/v1/admin/settlements/run", json={"date": today().isoformat()})
        [again] = [s for s in r.json()["settlements"] if s["merchant_id"] == str(shop.id)]
        assert again == {**mine, "created": False, "status": "completed"}
        unchanged = await _settlement(shop, mine["id"])
        assert unchanged is not None and (unchanged["payment_count"], unchanged["refund_count"]) == (1, 0)
        tomorrow_run = await admin.post(
            "/api/v1/admin/settlements/run", json={"date": (today() + timedelta(days=1)).isoformat()}
        )
        assert tomorrow_run.status_code == 422 and tomorrow_run.json()["error"]["field"] == "date"


async def test_dues_deducted_from_the_settlement_resume_a_suspended_merchant(platform, session):
    async with open_shop(
        platform,
        session,
        fee_percent=Decimal("3.00"),
        suspend_threshold=2_000,
        settle_dues_from_settlement=True,
    ) as shop:
        await shop.pay(50_000)
        await shop.pay(30_000)  # 2,400 due: suspended
        assert (await shop.wallet())["status"] == "suspended"

        result = await cli(
            platform, "settlements", "run", "--date", today().isoformat(), "--merchant", str(shop.id)
        )
        assert result.returncode == 0, result.stdout + result.stderr
        [listed] = (await shop.client.get("/api/v1/settlements")).json()["items"]
        assert listed["status"] == "completed", listed
        assert listed["dues_deducted"] == 2_400 and listed["payable_amount"] == 80_000 - 2_400
        assert listed["net_amount"] == 80_000 - 2_400  # this day's commission is exactly the dues

        wallet = await shop.wallet()
        assert (wallet["balance_due"], wallet["status"]) == (0, "active")
        entries = (await shop.client.get("/api/v1/wallet/entries")).json()["items"]
        assert entries[0]["type"] == "COMMISSION_PAYOUT" and entries[0]["amount"] == -2_400
        assert entries[0]["settlement_id"] == listed["id"]
        await shop.wait_event("merchant.resumed")
        assert (await shop.client.pay(amount=1_000)).status_code == 201

    await session.rollback()
    actions = list(
        (
            await session.execute(
                select(AuditLog.action)
                .where(AuditLog.target_id == listed["id"])
                .order_by(AuditLog.created_at)
            )
        ).scalars()
    )
    assert actions == ["settlement.created", "settlement.processing", "settlement.completed"]
    posting = (
        await session.execute(
            select(LedgerPosting).where(LedgerPosting.settlement_id == uuid.UUID(listed["id"]))
        )
    ).scalar_one()
    assert (
        posting.type == "COMMISSION_PAYOUT" and posting.correlation_key == f"settlement_dues:{listed['id']}"
    )


async def test_a_failed_settlement_keeps_its_reason_and_is_retried_on_a_rerun(platform, session):
    async with open_shop(platform, session) as shop, admin_client(platform) as admin:
        await shop.pay(10_000)
        await session.execute(update(Client).where(Client.id == shop.id).values(status="disabled"))
        await session.commit()
        body = {"date": today().isoformat(), "merchant_id": str(shop.id)}
        [run] = (await admin.post("/api/v1/admin/settlements/run", json=body)).json()["settlements"]

        async def failed() -> dict | None:
            page = (await admin.get("/api/v1/admin/settlements", params={"merchant_id": str(shop.id)})).json()
            return page["items"][0] if page["items"][0]["status"] == "failed" else None

        settlement = await wait_for(failed, what="the settlement failed")
        assert settlement["id"] == run["id"] and "disabled" in settlement["failure_reason"]

        await session.execute(update(Client).where(Client.id == shop.id).values(status="active"))
        await session.commit()
        [again] = (await admin.post("/api/v1/admin/settlements/run", json=body)).json()["settlements"]
        assert again["id"] == run["id"] and not again["created"]
        done = await wait_for(lambda: _settlement(shop, run["id"]), what="the retried settlement completed")
        assert done["failure_reason"] is None and done["payment_count"] == 1

        r = await admin.post("/api/v1/admin/settlements/run", json={"merchant_id": str(uuid.uuid4())})
        assert r.status_code == 404
        r = await admin.post("/api/v1/admin/settlements/run", json={"date": "yesterday"})
        assert r.status_code == 422
