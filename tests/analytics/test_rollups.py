"""The rollups hold exactly what a count over the transactions gives: after real payments (paid, failed,
refunded), after many changes folded by several folds at once, after a fold that died before its commit, and
after transactions left the table (archived)."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import text

from lightspeedpay.analytics.service import analytics_service
from lightspeedpay.config import get_settings
from lightspeedpay.db import sessionmaker
from lightspeedpay.payments.repository import transaction_repo
from tests.analytics.support import UNTOUCHED, direct_count, fold_all, pending_deltas, rollups
from tests.factories import add_transaction, create_merchant, create_sandbox_gateway, jobs_settled, wait_for
from tests.paying import open_shop, paid_payment, wait_status

# ten minutes before an IST midnight (2026-03-01 23:50 IST): the synthetic payments straddle an IST day
BASE = datetime(2026, 3, 1, 18, 20, tzinfo=UTC)


async def _assert_exact(session) -> None:
    """Rollups equal to the direct count. Waited for briefly (folding again each time): the platform's scheduler
    folds too, and one of its batches may be between claim and commit; a lost or doubled delta never comes right
    by waiting or by folding again."""
    last: dict = {}

    async def same() -> bool:
        await fold_all()
        got, want = await rollups(session), await direct_count(session)
        last.update(got=got, want=want)
        return got == want

    try:
        await wait_for(same, timeout=10, every=0.3, what="the rollups to equal the direct count")
    except AssertionError:
        for got, want in zip(last["got"], last["want"], strict=True):
            diff = {k: (got.get(k), want.get(k)) for k in set(got) | set(want) if got.get(k) != want.get(k)}
            assert not diff, f"{len(diff)} rows differ, e.g. {list(diff.items())[:3]}"
        raise


async def _synthetic(session, platform, n: int = 240) -> None:
    """`n` payments of two merchants on two gateways over 40 minutes around an IST midnight, half of them in one
    5-minute bucket (so concurrent folds add to the same rollup rows), then moved on in several steps (pending,
    authorized, failed with two codes, expired, refunded), with one fold between the steps."""
    merchants = [(await create_merchant(session)).client.id for _ in range(2)]
    gateways = [await create_sandbox_gateway(session, platform.simulator_url) for _ in range(2)]
    for i in range(n):
        at = BASE + (timedelta(minutes=1) if i % 2 else timedelta(minutes=i % 40, seconds=i % 60))
        add_transaction(
            session,
            merchants[i % 2],
            gateways[(i // 2) % 2],
            amount=1_000 + i,
            created_at=at,
            updated_at=UNTOUCHED,
        )
    await session.commit()
    steps = [
        "UPDATE transactions SET status = 'pending' WHERE amount % 2 = 0",
        "UPDATE transactions SET status = 'authorized', method = 'upi' WHERE amount % 4 = 0",
        None,  # a fold between the changes
        "UPDATE transactions SET status = 'failed', method = 'card', "
        "error_code = CASE WHEN amount % 3 = 0 THEN 'BAD_VPA' ELSE 'DECLINED' END "
        "WHERE amount % 2 = 1 AND amount % 5 < 2",
        "UPDATE transactions SET status = 'expired', error_code = 'PAYMENT_EXPIRED' "
        "WHERE status = 'created' AND amount % 7 = 0",
        # an authorization released without capture: refunded, never paid (the ledger owes nothing for it)
        "UPDATE transactions SET status = 'refunded', amount_refunded = amount WHERE amount % 8 = 0",
        "UPDATE transactions SET method = 'netbanking' WHERE amount % 16 = 0",
    ]
    for step in steps:
        if step is None:
            await fold_all()
            continue
        await session.execute(text(step))
        await session.commit()


async def test_rollups_match_a_direct_count_after_real_payments(platform, session):
    async with open_shop(platform, session) as shop:
        paid = [await paid_payment(shop.native, amount=10_000 + i) for i in range(3)]
        for i in range(2):
            await paid_payment(shop.native, amount=20_000 + i, outcome="failure")
        waiting = await shop.native.pay(amount=30_000)
        assert waiting.status_code == 201, waiting.text
        await wait_status(shop.native, waiting.json()["transaction_id"], "pending")
        for txn, body in ((paid[0], {"amount": 4_000}), (paid[1], {})):
            path = f"/api/v1/transactions/{txn['id']}/refunds"
            raw = json.dumps(body).encode()
            headers = {**shop.native.headers("POST", path, raw), "Idempotency-Key": uuid.uuid4().hex}
            r = await shop.native.http.post(shop.native.base_url + path, content=raw, headers=headers)
            assert r.status_code == 201, r.text
        await wait_status(shop.native, paid[0]["id"], "partially_refunded")
        await wait_status(shop.native, paid[1]["id"], "refunded")
        await jobs_settled(session)

    await fold_all()
    await _assert_exact(session)

    token = get_settings().admin_token
    async with httpx.AsyncClient(
        base_url=platform.api_url, headers={"Authorization": f"Bearer {token}"}
    ) as c:
        r = await c.get(
            "/api/v1/admin/analytics", params={"range": "1d", "bucket": "1h", "group_by": "status"}
        )
        assert r.status_code == 200, r.text
        now = r.json()["current"]
        r = await c.get("/api/v1/admin/analytics", params={"range": "1d", "group_by": "method"})
        by_method = {g["key"]: g["count"] for g in r.json()["current"]["groups"]}
    volume = sum(10_000 + i for i in range(3))
    assert now["totals"] == {
        "count": 6,
        "succeeded": 3,
        "failed": 2,
        "in_flight": 1,
        "success_rate": 60.0,
        "volume": volume,
        "refunded": 4_000 + 10_001,
        "average_ticket": volume // 3,
    }
    assert {g["key"]: g["count"] for g in now["groups"]} == {
        "paid": 1,
        "partially_refunded": 1,
        "refunded": 1,
        "failed": 2,
        "pending": 1,
    }
    assert {g["key"]: (g["refunded"], g["volume"]) for g in now["groups"]} == {
        "paid": (0, 10_002),
        "partially_refunded": (4_000, 10_000),
        "refunded": (10_001, 10_001),
        "failed": (0, 0),
        "pending": (0, 0),
    }
    assert now["top_failure_reasons"] == [{"code": "PAYMENT_DECLINED", "count": 2, "share": 100.0}]
    # the sandbox PSP's webhooks say UPI; the payment still waiting for its payer has no method yet
    assert by_method == {"upi": 5, "unknown": 1}


async def test_two_folds_at_once_count_every_change_once(platform, session):
    await _synthetic(session, platform)
    assert await pending_deltas(session) > 0
    # three folds at once in small batches, each batch its own transaction, over the same rollup rows
    await asyncio.gather(*(analytics_service.fold_pending(batch=25) for _ in range(3)))
    await _assert_exact(session)


async def test_a_fold_that_dies_before_its_commit_loses_and_doubles_nothing(platform, session):
    await _synthetic(session, platform)
    pending = await pending_deltas(session)
    async with sessionmaker()() as dying:
        folded = await analytics_service.fold(dying, batch=pending)
        assert folded.deltas > 0 and folded.upserts > 0
        await dying.rollback()  # what PostgreSQL does with the transaction of a process that died
    await fold_all()
    await _assert_exact(session)


async def test_rollups_stay_when_transactions_are_archived(platform, session):
    await _synthetic(session, platform)
    await fold_all()
    await _assert_exact(session)
    kept = await rollups(session)
    # what an archive does to the hot table: the rows leave it (the archive table is not ours to know)
    moved = (await session.execute(text("DELETE FROM transactions WHERE amount % 3 = 0"))).rowcount
    await session.commit()
    assert moved > 0
    await fold_all()
    assert await rollups(session) == kept
    assert await direct_count(session) != kept


async def test_archived_and_restored_payments_are_counted_once(platform, session):
    """The archive moves final payments out of transactions and a later change (a refund, a late PSP event)
    moves one back first: neither move is a new payment, and the payment's change after the restore counts."""
    await _synthetic(session, platform)
    await fold_all()
    kept = await rollups(session)
    archived = await transaction_repo.archive_batch(
        session, cutoff=datetime(2101, 1, 1, tzinfo=UTC), after=None, limit=1_000
    )
    await session.commit()
    assert archived.moved > 0
    await fold_all()
    assert await rollups(session) == kept == await direct_count(session, source="all_transactions")

    back = (
        await session.execute(text("SELECT id FROM archived_transactions WHERE status = 'failed' LIMIT 1"))
    ).scalar_one()
    assert await transaction_repo.restore(session, back)
    await session.execute(text("UPDATE transactions SET method = 'wallet' WHERE id = :id"), {"id": back})
    await session.commit()
    await fold_all()
    now = await rollups(session)
    assert now != kept and now == await direct_count(session, source="all_transactions")
