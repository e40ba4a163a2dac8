"""The daily archive over the running platform: final payments with nothing pending leave the hot table, every read
route (native, /v1, refunds, orders, settlements) answers exactly as before, the ledger check still passes (the
fixture runs it after each test); a refund or a late PSP event brings a payment back; an archived order id
stays taken; what has pending work stays; batches, resuming a run cut short, once per day, two runners."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import IntegrityError

from lightspeedpay.config import get_settings
from lightspeedpay.gateways.adapters.sandbox import sign_body
from lightspeedpay.gateways.repository import gateway_repo
from lightspeedpay.gateways.service import gateway_service
from lightspeedpay.jobs.unit_of_work import unit_of_work
from lightspeedpay.ledger.checker import ledger_checker
from lightspeedpay.models import (
    ArchivedTransaction,
    DailyRun,
    JobIntent,
    PaymentGateway,
    PspEvent,
    Refund,
    Transaction,
)
from lightspeedpay.models.archived_transaction import TRANSACTION_COLUMNS
from lightspeedpay.retention.repository import daily_run_repo
from lightspeedpay.retention.service import archive_service, local_day
from lightspeedpay.settlements.service import today
from tests.factories import add_transaction, count, wait_for
from tests.ledger_support import admin_client
from tests.paying import open_shop, order_payment, paid_payment, wait_status


@pytest.fixture
async def shop(platform, session):
    async with open_shop(platform, session) as shop:
        yield shop


@pytest.fixture
def small_batches():
    """Archive batches of 2 in this process (the test calls the archive itself)."""
    s = get_settings()
    before = s.archive_batch_size
    s.archive_batch_size = 2
    yield
    s.archive_batch_size = before


async def _settle_today(platform, shop, client_id: uuid.UUID) -> str:
    """Settle everything of today for the shop (its payments' postings are then taken by a settlement)."""
    async with admin_client(platform) as admin:
        r = await admin.post(
            "/api/v1/admin/settlements/run",
            json={"date": today().isoformat(), "merchant_id": str(client_id)},
        )
        assert r.status_code == 202, r.text
        [run] = r.json()["settlements"]

    async def completed() -> dict[str, Any] | None:
        got = (await shop.native.get(f"/api/v1/settlements/{run['id']}")).json()
        return got if got["status"] == "completed" else None

    await wait_for(completed, what="the settlement completed")
    return str(run["id"])


async def _age(session, client_id: uuid.UUID, days: int = 100) -> None:
    """Make the merchant's payments look `days` old (the archive takes those older than LSP_ARCHIVE_AFTER_DAYS)."""
    await session.execute(
        update(Transaction)
        .where(Transaction.client_id == client_id)
        .values(
            created_at=Transaction.created_at - timedelta(days=days),
            updated_at=Transaction.updated_at - timedelta(days=days),
        )
    )
    await session.commit()


async def _refund_processed(shop, refund_id: str) -> dict[str, Any] | None:
    got = (await shop.rzp.get(f"/v1/refunds/{refund_id}")).json()
    return got if got["status"] == "processed" else None


async def _reads(shop, *, txns: list[dict[str, Any]], order_id: str, refund_id: str, settlement_id: str):
    """Every read route that shows a payment, as the merchant sees it."""
    native, rzp = shop.native, shop.rzp
    out: dict[str, Any] = {}

    async def get(key: str, client: Any, path: str) -> None:
        r = await client.get(path)
        assert r.status_code == 200, (path, r.text)
        out[key] = r.text if path.endswith(".csv") else r.json()

    for t in txns:
        await get(f"native {t['id']}", native, f"/api/v1/transactions/{t['id']}")
        await get(f"native {t['payment_id']}", native, f"/api/v1/transactions/{t['payment_id']}")
        await get(f"native refunds {t['id']}", native, f"/api/v1/transactions/{t['id']}/refunds")
        await get(f"v1 {t['payment_id']}", rzp, f"/v1/payments/{t['payment_id']}")
        await get(f"v1 refunds {t['payment_id']}", rzp, f"/v1/payments/{t['payment_id']}/refunds")
    await get("native list", native, "/api/v1/transactions?limit=100")
    await get("native list failed", native, "/api/v1/transactions?status=failed")
    await get("native refund", native, f"/api/v1/refunds/{refund_id}")
    await get("v1 list", rzp, "/v1/payments?count=100")
    await get("v1 refund", rzp, f"/v1/refunds/{refund_id}")
    await get("v1 refunds", rzp, "/v1/refunds")
    await get("v1 order payments", rzp, f"/v1/orders/{order_id}/payments")
    await get("v1 orders authorized", rzp, "/v1/orders?authorized=1")
    await get("settlement", native, f"/api/v1/settlements/{settlement_id}")
    await get("settlement csv", native, f"/api/v1/settlements/{settlement_id}.csv")
    return out


async def test_archived_payments_are_found_by_every_read_route(platform, session, shop):
    client_id = shop.new.client.id
    order, ordered = await order_payment(shop.rzp, shop.native, amount=20_000)
    paid = await paid_payment(shop.native, amount=30_000)
    failed = await paid_payment(shop.native, amount=5_000, outcome="failure")
    r = await shop.rzp.post(f"/v1/payments/{paid['payment_id']}/refund", json={"amount": 10_000})
    assert r.status_code == 200, r.text
    refund_id = r.json()["id"]
    await wait_for(lambda: _refund_processed(shop, refund_id), what="the refund processed")
    settlement_id = await _settle_today(platform, shop, client_id)
    txns = [ordered, paid, failed]
    await wait_status(shop.native, paid["id"], "partially_refunded")
    await _age(session, client_id)  # before the first reads: what they show must not change
    before = await _reads(
        shop, txns=txns, order_id=order["id"], refund_id=refund_id, settlement_id=settlement_id
    )
    assert len(before["native list"]["items"]) == 3 and len(before["v1 list"]["items"]) == 3
    assert len(before["settlement"]["line_items"]) == 3  # two payments and a refund

    result = await archive_service.run()
    assert result is not None and result["moved"] == 3 and result["scanned"] == 3

    assert await count(session, Transaction, Transaction.client_id == client_id) == 0
    archived = (
        await session.execute(select(ArchivedTransaction).where(ArchivedTransaction.client_id == client_id))
    ).scalars()
    assert {str(a.id) for a in archived} == {t["id"] for t in txns}
    # every route answers exactly as before: same bodies, same order
    after = await _reads(
        shop, txns=txns, order_id=order["id"], refund_id=refund_id, settlement_id=settlement_id
    )
    assert after == before

    # an archived payment's order id stays taken: a retry is told which payment it was
    r = await shop.native.pay(amount=30_000, order_id=paid["order_id"])
    assert r.status_code == 409, r.text
    error = r.json()["error"]
    assert error["code"] == "DUPLICATE_ORDER_ID" and paid["payment_id"] in error["message"]

    # the same day, the archive does nothing more
    assert await archive_service.run() is None


async def test_a_refund_brings_an_archived_payment_back(platform, session, shop):
    client_id = shop.new.client.id
    paid = await paid_payment(shop.native, amount=40_000)
    await _settle_today(platform, shop, client_id)
    await _age(session, client_id)
    assert (await archive_service.run())["moved"] == 1

    r = await shop.rzp.post(f"/v1/payments/{paid['payment_id']}/refund", json={"amount": 15_000})
    assert r.status_code == 200, r.text
    await wait_for(lambda: _refund_processed(shop, r.json()["id"]), what="the refund processed")
    back = await wait_status(shop.native, paid["id"], "partially_refunded")
    assert back["amount_refunded"] == 15_000
    await session.rollback()
    assert await count(session, ArchivedTransaction) == 0
    txn = await session.get(Transaction, uuid.UUID(paid["id"]))
    assert txn is not None and txn.amount_refunded == 15_000
    # its reversal is not settled yet, so the next day's archive leaves it where it is
    await session.execute(delete(DailyRun))
    await session.commit()
    assert (await archive_service.run())["moved"] == 0


async def test_what_has_pending_work_or_is_recent_stays(platform, session, shop, small_batches):
    client_id = shop.new.client.id
    gateway = (await session.execute(select(PaymentGateway))).scalar_one()
    settled = [await paid_payment(shop.native, amount=1_000 + i) for i in range(3)]
    await _settle_today(platform, shop, client_id)
    unsettled = await paid_payment(shop.native, amount=7_000)  # its commission is in no settlement yet
    with_refund = settled[0]
    with_intent = settled[1]
    session.add(
        Refund(
            id=uuid.uuid4(),
            client_id=client_id,
            transaction_id=uuid.UUID(with_refund["id"]),
            amount=100,
            currency="INR",
            status="pending",
            kind="refund",
            speed="normal",
            attempts=0,
        )
    )
    session.add(
        JobIntent(
            id=uuid.uuid4(),
            queue="transaction-processing",
            name="transaction.process",
            payload={"transaction_id": with_intent["id"]},
            status="pending",
            attempts=0,
            run_after=datetime.now(UTC) + timedelta(days=1),  # not due: the sweeper leaves it alone
        )
    )
    # not final (authorized, waiting for its capture)
    started = add_transaction(session, client_id, gateway, status="authorized", order_id="still-open")
    await session.commit()
    await _age(session, client_id)
    recent = await paid_payment(shop.native, amount=2_000)  # today's: not old enough

    result = await archive_service.run()
    # four final old payments looked at in batches of two; only the settled one with nothing pending moved
    assert result == {**result, "scanned": 4, "moved": 1}
    await session.rollback()
    left = set((await session.execute(select(Transaction.id))).scalars())
    assert {str(i) for i in left} == {
        with_refund["id"],
        with_intent["id"],
        unsettled["id"],
        recent["id"],
        str(started.id),
    }
    assert (await session.execute(select(ArchivedTransaction.id))).scalar_one() == uuid.UUID(settled[2]["id"])


async def test_a_run_cut_short_is_resumed_and_two_runners_do_it_once(platform, session, shop, small_batches):
    client_id = shop.new.client.id
    payments = [await paid_payment(shop.native, amount=1_000 + i) for i in range(5)]
    await _settle_today(platform, shop, client_id)
    await _age(session, client_id)

    # a runner claims today's run, moves one batch and dies
    day, now = local_day(), datetime.now(UTC)
    async with unit_of_work() as s:
        progress = await daily_run_repo.claim_resumable(s, "archive", day, now=now, stale_before=now)
    assert progress == {}
    async with unit_of_work() as s:
        progress, finished = await archive_service.step(s, progress)
        await daily_run_repo.save(s, "archive", day, progress=progress, now=now, finished=finished)
    assert (progress["moved"], finished) == (2, False)
    # while it could still be alive, nobody takes its run over
    assert await archive_service.run() is None
    # once it has been silent longer than a scheduled run may last, the next call goes on from its cursor
    await session.execute(update(DailyRun).values(updated_at=datetime.now(UTC) - timedelta(hours=1)))
    await session.commit()
    results = await asyncio.gather(archive_service.run(), archive_service.run())
    [done] = [r for r in results if r is not None]  # two runners: one does it
    assert (done["moved"], done["scanned"]) == (5, 5)
    run = await session.get(DailyRun, ("archive", day), populate_existing=True)
    assert run is not None and run.finished_at is not None and run.attempts == 2
    assert await count(session, ArchivedTransaction) == len(payments)
    assert await archive_service.run() is None


async def test_the_hot_table_refuses_an_order_id_or_payment_id_the_archive_has(platform, session, shop):
    client_id = shop.new.client.id
    paid = await paid_payment(shop.native, amount=3_000)
    await _settle_today(platform, shop, client_id)
    await _age(session, client_id)
    assert (await archive_service.run())["moved"] == 1
    for field in ({"order_id": paid["order_id"]}, {"payment_id": paid["payment_id"]}):
        gateway = (await session.execute(select(PaymentGateway))).scalar_one()
        add_transaction(session, client_id, gateway, **field)
        with pytest.raises(IntegrityError) as raised:
            await session.commit()
        constraint = "uq_transactions_client_order" if "order_id" in field else "uq_transactions_payment_id"
        assert constraint in str(raised.value)
        await session.rollback()


async def test_the_archive_has_every_column_of_a_payment(platform, session):
    for table in ("transactions", "archived_transactions", "all_transactions"):
        rows = await session.execute(
            text("SELECT column_name FROM information_schema.columns WHERE table_name = :t"), {"t": table}
        )
        columns = set(rows.scalars()) - {"archived_at"}
        assert columns == set(TRANSACTION_COLUMNS), table


@pytest.mark.ledger_violation
async def test_the_ledger_check_sees_a_payment_lost_or_in_both_tables(platform, session, shop):
    client_id = shop.new.client.id
    paid = await paid_payment(shop.native, amount=6_000)
    await _settle_today(platform, shop, client_id)
    columns = ", ".join(TRANSACTION_COLUMNS)
    # a copy in the archive while the payment is still hot
    await session.execute(
        text(
            f"INSERT INTO archived_transactions ({columns}) SELECT {columns} FROM transactions WHERE id = :id"
        ),
        {"id": paid["id"]},
    )
    await session.commit()
    checks = {(v.check, v.subject) for v in await ledger_checker.run(alert=False)}
    assert ("transaction_archived_twice", paid["id"]) in checks
    # and gone from both: its commission, line item and wallet entry name a payment that does not exist
    await session.execute(text("DELETE FROM archived_transactions"))
    await session.execute(text("DELETE FROM transactions WHERE id = :id"), {"id": paid["id"]})
    await session.commit()
    missing = [v for v in await ledger_checker.run(alert=False) if v.check == "transaction_reference_missing"]
    assert {v.details["source"] for v in missing} == {
        "ledger_postings",
        "wallet_entries",
        "settlement_line_items",
    }
    assert {v.subject for v in missing} == {paid["id"]}


async def test_a_late_psp_event_finds_an_archived_payment_and_changes_nothing(platform, session, shop):
    client_id = shop.new.client.id
    paid = await paid_payment(shop.native, amount=8_000)
    await _settle_today(platform, shop, client_id)
    await _age(session, client_id)
    assert (await archive_service.run())["moved"] == 1

    event = (
        await session.execute(select(PspEvent).where(PspEvent.transaction_id == uuid.UUID(paid["id"])))
    ).scalar_one()
    gateway = await gateway_repo.get(session, event.gateway_id)
    secret = gateway_service.account(gateway).credentials["webhook_secret"]
    late = json.loads(event.raw_body)
    late["id"], late["type"] = "sbx_evt_late_archived", "payment.failed"
    raw = json.dumps(late).encode()
    async with httpx.AsyncClient() as c:
        r = await c.post(
            f"{platform.api_url}/api/v1/webhooks/psp/sandbox/{event.gateway_id}",
            content=raw,
            headers={"X-Sandbox-Signature": sign_body(secret, raw)},
        )
        assert r.status_code == 200 and r.json()["duplicate"] is False

    async def processed() -> PspEvent | None:
        await session.rollback()
        ev = (
            await session.execute(select(PspEvent).where(PspEvent.external_id == "sbx_evt_late_archived"))
        ).scalar_one()
        return ev if ev.processed_at else None

    assert (await wait_for(processed, what="the late event")).outcome == "stale:failed"
    # found (brought back to the hot table to be locked) and not moved back: still paid
    assert (await wait_status(shop.native, paid["id"], "paid"))["id"] == paid["id"]
    assert await count(session, ArchivedTransaction) == 0
