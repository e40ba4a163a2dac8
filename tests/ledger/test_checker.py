"""The ledger's invariants: the database refuses to change or unbalance entries, and `lightspeedpay ledger
check` (and the scheduler's check) finds whatever breaks them and keeps one alert open while anything does."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from lightspeedpay.models import Alert, LedgerPosting, Transaction, Wallet, WalletEntry
from tests.factories import count, wait_for
from tests.ledger_support import cli, open_shop


async def test_ledger_check_is_clean_after_a_scenario(platform, session):
    async with open_shop(platform, session) as shop:
        txn = await shop.pay(30_000)
        await shop.refund(txn, 10_000)
    result = await cli(platform, "ledger", "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "the ledger is consistent" in result.stdout
    result = await cli(platform, "ledger", "check", "--json")
    assert result.returncode == 0 and json.loads(result.stdout) == []


async def test_entries_cannot_be_changed_or_removed_or_unbalanced(platform, session):
    async with open_shop(platform, session) as shop:
        await shop.pay(10_000)
    await session.rollback()
    entry = (
        await session.execute(select(WalletEntry).join(Wallet).where(Wallet.client_id == shop.id))
    ).scalar_one()
    entry_id, wallet_id, posting_id = entry.id, entry.wallet_id, entry.posting_id
    for statement in (
        f"UPDATE wallet_entries SET amount = 1 WHERE id = '{entry_id}'",
        f"DELETE FROM platform_entries WHERE posting_id = '{posting_id}'",
        f"UPDATE ledger_postings SET amount = 0 WHERE id = '{posting_id}'",
    ):
        with pytest.raises(DBAPIError, match="immutable"):
            await session.execute(text(statement))
        await session.rollback()

    # a leg without its counter-leg is refused when the transaction commits
    session.add(WalletEntry(wallet_id=wallet_id, posting_id=posting_id, amount=5, type="ADJUSTMENT"))
    with pytest.raises(DBAPIError, match="does not balance"):
        await session.commit()
    await session.rollback()


@pytest.mark.ledger_violation
async def test_ledger_check_reports_every_broken_invariant_and_raises_alerts(platform, session):
    async with open_shop(platform, session) as shop:
        paid = await shop.pay(10_000)
        waiting = await shop.client.pay(amount=5_000)
    await session.rollback()

    # balance_due drifts from its entries
    await session.execute(
        update(Wallet).where(Wallet.client_id == shop.id).values(balance_due=Wallet.balance_due + 7)
    )
    # a transaction marked paid behind the ledger's back
    await session.execute(
        update(Transaction)
        .where(Transaction.id == uuid.UUID(waiting.json()["transaction_id"]))
        .values(status="paid")
    )
    # an unbalanced posting and a second COMMISSION, written with the database's guards switched off
    posting = (
        await session.execute(select(LedgerPosting).where(LedgerPosting.transaction_id == uuid.UUID(paid)))
    ).scalar_one()
    posting_id = posting.id
    await session.execute(text("ALTER TABLE wallet_entries DISABLE TRIGGER wallet_entries_balanced"))
    await session.execute(
        text("ALTER TABLE wallet_entries DROP CONSTRAINT uq_wallet_entries_type_transaction")
    )
    session.add(
        WalletEntry(
            wallet_id=posting.wallet_id,
            posting_id=posting.id,
            amount=1,
            type="COMMISSION",
            transaction_id=posting.transaction_id,
        )
    )
    await session.flush()
    await session.execute(text("ALTER TABLE wallet_entries ENABLE TRIGGER wallet_entries_balanced"))
    await session.commit()
    try:
        result = await cli(platform, "ledger", "check", "--json")
        assert result.returncode == 1, result.stdout + result.stderr
        found = {(v["check"], v["subject"]) for v in json.loads(result.stdout)}
        assert ("balance_mismatch", str(shop.id)) in found
        assert ("paid_without_commission", waiting.json()["transaction_id"]) in found
        assert ("posting_unbalanced", str(posting_id)) in found
        assert ("posting_amount_mismatch", str(posting_id)) in found
        assert ("duplicate_commission", paid) in found

        table = await cli(platform, "ledger", "check")
        assert (
            table.returncode == 1
            and "balance_mismatch" in table.stdout
            and "paid_without_commission" in table.stdout
        )

        # one open alert for the ledger, listing the violations, however often the check runs (the scheduler's too)
        alert = await wait_for(lambda: _alert(session), what="the ledger alert")
        alert_id = alert.id
        assert alert.severity == "critical" and alert.details["violations"] >= len(found)
        assert {(v["check"], v["subject"]) for v in alert.details["first"]} >= found
        await cli(platform, "ledger", "check")
        assert await count(session, Alert, Alert.kind == "ledger.invariant_broken") == 1

        # fixed (balance_due = its entries, the stray +1 leg included): the next check no longer lists it; the
        # alert stays open while other violations hold
        await session.execute(
            update(Wallet).where(Wallet.client_id == shop.id).values(balance_due=Wallet.balance_due - 6)
        )
        await session.commit()
        await cli(platform, "ledger", "check")
        alert = await _alert(session)
        assert alert is not None and alert.id == alert_id
        assert "balance_mismatch" not in alert.details["by_check"]
        assert "paid_without_commission" in alert.details["by_check"]
    finally:
        await session.rollback()
        await session.execute(text("TRUNCATE wallet_entries, platform_entries, ledger_postings CASCADE"))
        await session.execute(
            text(
                "ALTER TABLE wallet_entries ADD CONSTRAINT uq_wallet_entries_type_transaction "
                "UNIQUE (type, transaction_id)"
            )
        )
        await session.commit()


async def _alert(session) -> Alert | None:
    await session.rollback()
    return (
        await session.execute(
            select(Alert).where(Alert.kind == "ledger.invariant_broken", Alert.status != "resolved")
        )
    ).scalar_one_or_none()
