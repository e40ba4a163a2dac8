"""The commission ledger through the running platform: commission on paid, proportional reversals on partial
refunds, the merchant's wallet API, the operator's payouts, adjustments and commission ledger."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from lightspeedpay.kit.money import commission, round_paise
from lightspeedpay.models import AuditLog, LedgerPosting, PlatformEntry, WalletEntry
from tests.factories import count
from tests.ledger_support import admin_client, open_shop


async def _entries(shop, **params) -> tuple[list[dict], str | None]:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    r = await shop.client.get("/api/v1/wallet/entries" + (f"?{query}" if query else ""))
    assert r.status_code == 200, r.text
    return r.json()["items"], r.json()["next_cursor"]


async def test_commission_and_proportional_reversals_of_partial_refunds(platform, session):
    async with open_shop(platform, session, fee_percent=Decimal("3.50")) as shop:
        txn_id = await shop.pay(10_001)
        charged = commission(10_001, Decimal("3.50"))  # 350.035 -> 350
        assert charged == 350
        assert (await shop.wallet())["balance_due"] == charged

        # three partial refunds: each reversal is the cumulative share less what was already given back
        reversals = []
        refunded = 0
        for amount in (2_500, 3_333, 4_168):
            await shop.refund(txn_id, amount)
            refunded += amount
            expected_total = round_paise(Decimal(charged) * refunded / 10_001)
            reversals.append(expected_total - sum(reversals))
        assert (
            refunded == 10_001 and sum(reversals) == charged
        )  # a full refund gives back exactly what was charged

        wallet = await shop.wallet()
        assert wallet["balance_due"] == 0
        assert wallet["status"] == "active" and wallet["suspend_threshold"] > 0

        items, cursor = await _entries(shop, limit=2)
        assert len(items) == 2 and cursor
        rest, last = await _entries(shop, limit=10, cursor=cursor)
        assert last is None
        entries = items + rest
        assert [e["type"] for e in entries] == ["COMMISSION_REVERSAL"] * 3 + ["COMMISSION"]
        assert [e["amount"] for e in reversed(entries)] == [charged, *(-r for r in reversals)]
        assert {e["transaction_id"] for e in entries} == {txn_id}
        assert len({e["refund_id"] for e in entries[:3]}) == 3

        only_reversals, _ = await _entries(shop, type="COMMISSION_REVERSAL")
        assert len(only_reversals) == 3

    # the seed's UNIQUE(type, transaction_id) still holds: only the COMMISSION leg carries the transaction
    await session.rollback()
    legs = (
        await session.execute(select(WalletEntry).where(WalletEntry.transaction_id == uuid.UUID(txn_id)))
    ).scalars()
    assert [(e.type, e.amount) for e in legs] == [("COMMISSION", charged)]
    # every posting has its counter-leg on commission revenue
    revenue = (
        await session.execute(
            select(func.sum(PlatformEntry.amount))
            .join(LedgerPosting, LedgerPosting.id == PlatformEntry.posting_id)
            .where(
                LedgerPosting.transaction_id == uuid.UUID(txn_id),
                PlatformEntry.account == "commission_revenue",
            )
        )
    ).scalar_one()
    assert revenue == 0  # -350 credited, +350 debited back


async def test_wallet_reads_are_scoped_and_signed(platform, session):
    async with open_shop(platform, session) as shop, open_shop(platform, session, gateway=False) as other:
        await shop.pay(20_000)
        mine, _ = await _entries(shop)
        theirs, _ = await _entries(other)
        assert len(mine) == 1 and theirs == []
        assert (await other.wallet())["balance_due"] == 0
        r = await shop.client.http.get(platform.api_url + "/api/v1/wallet")
        assert r.status_code == 401
        r = await shop.client.get("/api/v1/wallet/entries?cursor=not-a-cursor")
        assert r.status_code == 422 and r.json()["error"]["field"] == "cursor"


async def test_payouts_and_adjustments_by_the_operator(platform, session):
    async with open_shop(platform, session) as shop, admin_client(platform) as admin:
        await shop.pay(100_000)  # 3,500 paise due
        base = f"/api/v1/admin/merchants/{shop.id}"

        r = await admin.post(f"{base}/payouts", json={"amount": 3_501, "reference": "UTR-1"})
        assert r.status_code == 422 and r.json()["error"]["code"] == "PAYOUT_EXCEEDS_DUES", r.text
        r = await admin.post(f"{base}/payouts", json={"amount": 0, "reference": "UTR-1"})
        assert r.status_code == 422, r.text
        r = await admin.post(f"{base}/payouts", json={"amount": 1_000})
        assert r.status_code == 422 and r.json()["error"]["field"] == "reference"

        r = await admin.post(f"{base}/payouts", json={"amount": 1_000, "reference": "UTR-1"})
        assert r.status_code == 201, r.text
        payout = r.json()
        assert payout["created"] and payout["balance_due"] == 2_500
        assert payout["posting"]["type"] == "COMMISSION_PAYOUT" and payout["posting"]["amount"] == -1_000
        assert sorted((leg["account"], leg["amount"]) for leg in payout["posting"]["legs"]) == [
            ("cash", 1_000),
            ("merchant_dues", -1_000),
        ]

        # the same reference again is the same payout; with another amount it is refused
        r = await admin.post(f"{base}/payouts", json={"amount": 1_000, "reference": "UTR-1"})
        assert r.status_code == 200 and not r.json()["created"]
        assert r.json()["posting"]["id"] == payout["posting"]["id"] and r.json()["balance_due"] == 2_500
        r = await admin.post(f"{base}/payouts", json={"amount": 900, "reference": "UTR-1"})
        assert r.status_code == 409 and r.json()["error"]["code"] == "REFERENCE_CONFLICT"

        for bad in ({"amount": -500}, {"amount": -500, "reason": "   "}, {"amount": 0, "reason": "x"}):
            r = await admin.post(f"{base}/adjustments", json=bad)
            assert r.status_code == 422, (bad, r.text)
        r = await admin.post(f"{base}/adjustments", json={"amount": -500, "reason": "goodwill for an outage"})
        assert r.status_code == 201, r.text
        assert r.json()["posting"]["reason"] == "goodwill for an outage" and r.json()["balance_due"] == 2_000
        r = await admin.post(
            f"{base}/adjustments", json={"amount": 250, "reason": "missed fee", "reference": "ADJ-7"}
        )
        assert r.status_code == 201 and r.json()["balance_due"] == 2_250
        r = await admin.post(
            f"{base}/adjustments", json={"amount": 250, "reason": "missed fee", "reference": "ADJ-7"}
        )
        assert r.status_code == 200 and r.json()["balance_due"] == 2_250

        r = await admin.post(
            f"/api/v1/admin/merchants/{uuid.uuid4()}/payouts", json={"amount": 1, "reference": "x"}
        )
        assert r.status_code == 404
        r = await shop.client.http.post(
            platform.api_url + f"{base}/payouts", json={"amount": 1, "reference": "x"}
        )
        assert r.status_code == 401

        assert (await shop.wallet())["balance_due"] == 2_250

        # the operator's ledger: every posting with its balanced legs, and totals per merchant and day
        r = await admin.get("/api/v1/admin/commission/ledger", params={"merchant_id": str(shop.id)})
        assert r.status_code == 200, r.text
        ledger = r.json()
        assert [p["type"] for p in ledger["items"]] == [
            "ADJUSTMENT",
            "ADJUSTMENT",
            "COMMISSION_PAYOUT",
            "COMMISSION",
        ]
        for posting in ledger["items"]:
            assert sum(leg["amount"] for leg in posting["legs"]) == 0
            assert posting["company_name"] == shop.company_name
        [total] = ledger["totals"]
        assert (total["commission"], total["payouts"], total["adjustments"], total["reversals"]) == (
            3_500,
            -1_000,
            -250,
            0,
        )
        assert total["net_change"] == 2_250 and total["postings"] == 4 and len(total["period"]) == 10

        r = await admin.get(
            "/api/v1/admin/commission/ledger",
            params={"merchant_id": str(shop.id), "type": "ADJUSTMENT", "period": "month", "limit": 1},
        )
        page = r.json()
        assert len(page["items"]) == 1 and page["next_cursor"] and len(page["totals"][0]["period"]) == 7
        r = await admin.get(
            "/api/v1/admin/commission/ledger",
            params={"merchant_id": str(shop.id), "type": "ADJUSTMENT", "cursor": page["next_cursor"]},
        )
        assert len(r.json()["items"]) == 1 and r.json()["next_cursor"] is None

    assert (
        await count(
            session,
            AuditLog,
            AuditLog.client_id == shop.id,
            AuditLog.action.in_(("ledger.payout_recorded", "ledger.adjustment_recorded")),
        )
        == 3
    )


@pytest.mark.parametrize("fee", ["0.00", "0.01"])
async def test_a_commission_that_rounds_to_nothing_is_still_recorded(platform, session, fee):
    async with open_shop(platform, session, fee_percent=Decimal(fee)) as shop:
        txn_id = await shop.pay(100)  # 0 or 0.01 paise
        assert (await shop.wallet())["balance_due"] == 0
        await shop.refund(txn_id, 40)
    await session.rollback()
    postings = (
        (
            await session.execute(
                select(LedgerPosting)
                .where(LedgerPosting.transaction_id == uuid.UUID(txn_id))
                .order_by(LedgerPosting.created_at)
            )
        )
        .scalars()
        .all()
    )
    assert [(p.type, p.amount) for p in postings] == [("COMMISSION", 0), ("COMMISSION_REVERSAL", 0)]
    assert await count(session, WalletEntry, WalletEntry.posting_id.in_([p.id for p in postings])) == 0
