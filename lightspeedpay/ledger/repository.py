"""Every query on the ledger: postings, their legs, wallets; merchant reads are scoped in one place."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.kit.pagination import newest_first
from lightspeedpay.ledger.schemas import LedgerFilter
from lightspeedpay.models import Client, LedgerPosting, PlatformEntry, Wallet, WalletEntry
from lightspeedpay.models.client import ClientStatus
from lightspeedpay.models.ledger_posting import PostingType


class LedgerRepository:
    async def lock_wallet(self, session: AsyncSession, client_id: uuid.UUID) -> Wallet:
        """Every change to a merchant's ledger takes this lock first (then, if needed, the client row), so
        balance_due, reversal bounds and suspension are decided on what is committed."""
        stmt = (
            select(Wallet)
            .where(Wallet.client_id == client_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return (await session.execute(stmt)).scalar_one()

    async def lock_client(self, session: AsyncSession, client_id: uuid.UUID) -> Client:
        stmt = (
            select(Client)
            .where(Client.id == client_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return (await session.execute(stmt)).scalar_one()

    async def wallets_to_remind(
        self, session: AsyncSession, *, sent_before: datetime, limit: int
    ) -> list[tuple[Wallet, Client]]:
        """Wallets at or over their warn threshold whose last LOW_BALANCE notice is older than `sent_before`, of
        merchants with a WhatsApp number and dues reminders on, not disabled; locked, skipping those someone holds
        (a posting, or another reminder run). A wallet reminded meanwhile is re-read once locked and no longer
        matches."""
        stmt = (
            select(Wallet, Client)
            .join(Client, Client.id == Wallet.client_id)
            .where(
                Wallet.balance_due > 0,
                Wallet.balance_due >= Wallet.warn_threshold,
                or_(Wallet.wa_last_sent.is_(None), Wallet.wa_last_sent < sent_before),
                Client.status != ClientStatus.DISABLED,
                Client.whatsapp_phone.is_not(None),
                Client.whatsapp_dues_reminders.is_(True),
            )
            .order_by(Wallet.wa_last_sent.asc().nulls_first(), Wallet.id)
            .limit(limit)
            .with_for_update(of=Wallet, skip_locked=True)
        )
        return [(w, c) for w, c in (await session.execute(stmt)).all()]

    async def insert_posting(self, session: AsyncSession, values: dict[str, Any]) -> LedgerPosting | None:
        """The new posting, or None when a posting with this correlation key (or the same commission or
        reversal) already exists."""
        stmt = insert(LedgerPosting).values(**values).on_conflict_do_nothing().returning(LedgerPosting)
        posting: LedgerPosting | None = (await session.execute(stmt)).scalar_one_or_none()
        return posting

    async def by_key(self, session: AsyncSession, correlation_key: str) -> LedgerPosting | None:
        stmt = select(LedgerPosting).where(LedgerPosting.correlation_key == correlation_key)
        return (await session.execute(stmt)).scalar_one_or_none()

    async def commission_of(self, session: AsyncSession, transaction_id: uuid.UUID) -> LedgerPosting | None:
        stmt = select(LedgerPosting).where(
            LedgerPosting.type == PostingType.COMMISSION, LedgerPosting.transaction_id == transaction_id
        )
        return (await session.execute(stmt)).scalar_one_or_none()

    async def reversal_totals(self, session: AsyncSession, transaction_id: uuid.UUID) -> tuple[int, int]:
        """(refunded, reversed): the refunds recorded against this payment's commission so far, and the
        commission they gave back (positive)."""
        stmt = select(
            func.coalesce(func.sum(LedgerPosting.subject_amount), 0),
            func.coalesce(func.sum(-LedgerPosting.amount), 0),
        ).where(
            LedgerPosting.type == PostingType.COMMISSION_REVERSAL,
            LedgerPosting.transaction_id == transaction_id,
        )
        refunded, reversed_ = (await session.execute(stmt)).one()
        return int(refunded or 0), int(reversed_ or 0)

    def add_legs(
        self,
        session: AsyncSession,
        *,
        posting_id: uuid.UUID,
        client_id: uuid.UUID,
        wallet_id: uuid.UUID,
        type: str,
        dues: int,
        counter_account: str,
        transaction_id: uuid.UUID | None,
        refund_id: uuid.UUID | None,
        reference: str | None,
    ) -> None:
        session.add(
            WalletEntry(
                id=uuid.uuid4(),
                wallet_id=wallet_id,
                posting_id=posting_id,
                amount=dues,
                type=type,
                transaction_id=transaction_id,
                refund_id=refund_id,
                reference=reference,
            )
        )
        session.add(
            PlatformEntry(
                id=uuid.uuid4(),
                posting_id=posting_id,
                account=counter_account,
                client_id=client_id,
                amount=-dues,
            )
        )

    # ---- merchant reads

    def entries_readable(self, client_id: uuid.UUID) -> Any:
        return (
            select(WalletEntry, LedgerPosting)
            .join(LedgerPosting, LedgerPosting.id == WalletEntry.posting_id)
            .join(Wallet, Wallet.id == WalletEntry.wallet_id)
            .where(Wallet.client_id == client_id)
        )

    async def entries_for_merchant(
        self,
        session: AsyncSession,
        client_id: uuid.UUID,
        *,
        type: str | None,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None,
    ) -> list[tuple[WalletEntry, LedgerPosting]]:
        stmt = self.entries_readable(client_id)
        if type:
            stmt = stmt.where(WalletEntry.type == type)
        stmt = newest_first(stmt, WalletEntry, after=after, limit=limit)
        return [(row[0], row[1]) for row in (await session.execute(stmt)).all()]

    # ---- operator reads

    def _filtered(self, stmt: Any, flt: LedgerFilter) -> Any:
        if flt.client_id:
            stmt = stmt.where(LedgerPosting.client_id == flt.client_id)
        if flt.type:
            stmt = stmt.where(LedgerPosting.type == flt.type)
        if flt.created_from:
            stmt = stmt.where(LedgerPosting.created_at >= flt.created_from)
        if flt.created_to:
            stmt = stmt.where(LedgerPosting.created_at < flt.created_to)
        return stmt

    async def postings(
        self,
        session: AsyncSession,
        flt: LedgerFilter,
        *,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None,
    ) -> list[tuple[LedgerPosting, str]]:
        stmt = self._filtered(
            select(LedgerPosting, Client.company_name).join(Client, Client.id == LedgerPosting.client_id), flt
        )
        stmt = newest_first(stmt, LedgerPosting, after=after, limit=limit)
        return [(p, name) for p, name in (await session.execute(stmt)).all()]

    async def of_transaction(self, session: AsyncSession, transaction_id: uuid.UUID) -> list[LedgerPosting]:
        """A payment's postings (its commission and each refund's reversal), oldest first."""
        stmt = (
            select(LedgerPosting)
            .where(LedgerPosting.transaction_id == transaction_id)
            .order_by(LedgerPosting.created_at, LedgerPosting.id)
        )
        return list((await session.execute(stmt)).scalars())

    async def totals(
        self, session: AsyncSession, flt: LedgerFilter, *, period: str, timezone: str
    ) -> list[dict[str, Any]]:
        """Per merchant and period (day or month, in the settlement time zone): the sum of each posting type's
        effect on balance_due, and the net change."""
        local = func.timezone(timezone, LedgerPosting.created_at)
        bucket = func.date_trunc(period, local).label("period")

        def of(kind: str) -> Any:
            return func.coalesce(func.sum(LedgerPosting.amount).filter(LedgerPosting.type == kind), 0)

        stmt = self._filtered(
            select(
                LedgerPosting.client_id,
                Client.company_name,
                bucket,
                of(PostingType.COMMISSION).label("commission"),
                of(PostingType.COMMISSION_REVERSAL).label("reversals"),
                of(PostingType.COMMISSION_PAYOUT).label("payouts"),
                of(PostingType.ADJUSTMENT).label("adjustments"),
                func.sum(LedgerPosting.amount).label("net_change"),
                func.count().label("postings"),
            )
            .join(Client, Client.id == LedgerPosting.client_id)
            .group_by(LedgerPosting.client_id, Client.company_name, text("period")),
            flt,
        ).order_by(text("period DESC"), Client.company_name)
        return [dict(row._mapping) for row in (await session.execute(stmt)).all()]

    async def daily_commission(
        self, session: AsyncSession, *, since: datetime, timezone: str, client_id: uuid.UUID | None
    ) -> list[dict[str, Any]]:
        """Commission charged and reversed per local day since a moment (on ix_ledger_postings_created, or the
        merchant's ix_ledger_postings_client_created)."""
        day = func.date(func.timezone(timezone, LedgerPosting.created_at)).label("day")
        stmt = (
            select(
                day,
                func.coalesce(
                    func.sum(LedgerPosting.amount).filter(LedgerPosting.type == PostingType.COMMISSION), 0
                ).label("commission"),
                func.coalesce(
                    func.sum(LedgerPosting.amount).filter(
                        LedgerPosting.type == PostingType.COMMISSION_REVERSAL
                    ),
                    0,
                ).label("reversals"),
            )
            .where(
                LedgerPosting.created_at >= since,
                LedgerPosting.type.in_((PostingType.COMMISSION, PostingType.COMMISSION_REVERSAL)),
            )
            .group_by(text("day"))
        )
        if client_id is not None:
            stmt = stmt.where(LedgerPosting.client_id == client_id)
        return [dict(row._mapping) for row in (await session.execute(stmt)).all()]

    async def daily_dues_change(
        self, session: AsyncSession, client_id: uuid.UUID, *, since: datetime, timezone: str
    ) -> dict[Any, int]:
        """A merchant's net change of balance_due per local day since a moment (every posting type; on
        ix_ledger_postings_client_created): local date -> paise."""
        day = func.date(func.timezone(timezone, LedgerPosting.created_at)).label("day")
        stmt = (
            select(day, func.sum(LedgerPosting.amount))
            .where(LedgerPosting.client_id == client_id, LedgerPosting.created_at >= since)
            .group_by(text("day"))
        )
        return {row[0]: int(row[1]) for row in (await session.execute(stmt)).all()}

    async def legs(
        self, session: AsyncSession, posting_ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, list[dict[str, Any]]]:
        """Both sides of each posting: the merchant's dues leg and the platform's counter-leg."""
        out: dict[uuid.UUID, list[dict[str, Any]]] = {pid: [] for pid in posting_ids}
        if not posting_ids:
            return out
        for pid, amount in await session.execute(
            select(WalletEntry.posting_id, WalletEntry.amount).where(WalletEntry.posting_id.in_(posting_ids))
        ):
            out[pid].append({"account": "merchant_dues", "amount": amount})
        for pid, account, amount in await session.execute(
            select(PlatformEntry.posting_id, PlatformEntry.account, PlatformEntry.amount).where(
                PlatformEntry.posting_id.in_(posting_ids)
            )
        ):
            out[pid].append({"account": account, "amount": amount})
        return out


# paid, or refunded after it was paid (an authorization refunded without capture was never charged)
_WAS_PAID = (
    "(t.status IN ('paid', 'partially_refunded') OR (t.status = 'refunded' AND t.paid_at IS NOT NULL))"
)

# the ledger checker's invariants (ledger/checker.py): each query returns the rows that break one
INVARIANT_QUERIES: dict[str, str] = {
    "postings": """
        SELECT p.id::text AS subject, p.type, p.correlation_key, p.amount,
               coalesce(w.s, 0) AS dues, coalesce(w.s, 0) + coalesce(pl.s, 0) AS off
        FROM ledger_postings p
        LEFT JOIN (SELECT posting_id, sum(amount) AS s FROM wallet_entries GROUP BY posting_id) w ON w.posting_id = p.id
        LEFT JOIN (SELECT posting_id, sum(amount) AS s FROM platform_entries GROUP BY posting_id) pl
               ON pl.posting_id = p.id
        WHERE coalesce(w.s, 0) + coalesce(pl.s, 0) <> 0 OR p.amount <> coalesce(w.s, 0)
           OR (p.type = 'COMMISSION' AND p.amount < 0)
           OR (p.type IN ('COMMISSION_REVERSAL', 'COMMISSION_PAYOUT') AND p.amount > 0)
    """,
    "balance_mismatch": """
        SELECT w.client_id::text AS subject, w.balance_due, coalesce(e.s, 0) AS entries
        FROM wallets w LEFT JOIN (SELECT wallet_id, sum(amount) AS s FROM wallet_entries GROUP BY wallet_id) e
               ON e.wallet_id = w.id
        WHERE w.balance_due <> coalesce(e.s, 0)
    """,
    "duplicate_commission": """
        SELECT transaction_id::text AS subject, 'ledger_postings' AS source, count(*) AS n FROM ledger_postings
        WHERE type = 'COMMISSION' GROUP BY transaction_id HAVING count(*) > 1
        UNION ALL
        SELECT transaction_id::text, 'wallet_entries', count(*) FROM wallet_entries
        WHERE type = 'COMMISSION' AND transaction_id IS NOT NULL GROUP BY transaction_id HAVING count(*) > 1
    """,
    "reversals": """
        SELECT r.transaction_id::text AS subject, r.reversed, coalesce(c.amount, 0) AS charged, r.refunded,
               t.amount AS payment
        FROM (SELECT transaction_id, sum(-amount) AS reversed, sum(subject_amount) AS refunded
              FROM ledger_postings WHERE type = 'COMMISSION_REVERSAL' GROUP BY transaction_id) r
        JOIN all_transactions t ON t.id = r.transaction_id
        LEFT JOIN ledger_postings c ON c.type = 'COMMISSION' AND c.transaction_id = r.transaction_id
        WHERE r.reversed > coalesce(c.amount, 0) OR r.refunded > t.amount
    """,
    "paid_without_commission": f"""
        SELECT t.id::text AS subject, t.client_id::text AS merchant_id, t.status, t.amount FROM all_transactions t
        WHERE {_WAS_PAID} AND t.mode = 'live'  -- a test payment is charged no commission
          AND NOT EXISTS (SELECT 1 FROM ledger_postings p WHERE p.type = 'COMMISSION' AND p.transaction_id = t.id)
    """,
    "commission_without_payment": f"""
        SELECT p.id::text AS subject, t.id::text AS transaction_id, t.status FROM ledger_postings p
        JOIN all_transactions t ON t.id = p.transaction_id
        WHERE p.type = 'COMMISSION' AND NOT {_WAS_PAID}
    """,
    # the foreign keys to transactions went when payments began to be archived (models/archived_transaction.py)
    "transaction_reference_missing": """
        SELECT x.transaction_id::text AS subject, x.source FROM (
            SELECT DISTINCT transaction_id, 'ledger_postings' AS source FROM ledger_postings
            WHERE transaction_id IS NOT NULL
            UNION ALL
            SELECT DISTINCT transaction_id, 'wallet_entries' FROM wallet_entries WHERE transaction_id IS NOT NULL
            UNION ALL
            SELECT DISTINCT transaction_id, 'refunds' FROM refunds
            UNION ALL
            SELECT DISTINCT transaction_id, 'settlement_line_items' FROM settlement_line_items
        ) x
        WHERE NOT EXISTS (SELECT 1 FROM all_transactions t WHERE t.id = x.transaction_id)
    """,
    "transaction_archived_twice": """
        SELECT t.id::text AS subject FROM transactions t JOIN archived_transactions a ON a.id = t.id
    """,
    "leg_wrong_merchant": """
        SELECT e.id::text AS subject, 'wallet_entries' AS source FROM wallet_entries e
        JOIN ledger_postings p ON p.id = e.posting_id WHERE e.wallet_id <> p.wallet_id
        UNION ALL
        SELECT pe.id::text, 'platform_entries' FROM platform_entries pe
        JOIN ledger_postings p ON p.id = pe.posting_id WHERE pe.client_id <> p.client_id
    """,
}


class InvariantRepository:
    async def violations(self, session: AsyncSession, name: str, *, limit: int) -> list[dict[str, Any]]:
        """Up to `limit` rows that break the invariant `name` (a key of INVARIANT_QUERIES)."""
        sql = INVARIANT_QUERIES[name]
        return [
            dict(row) for row in (await session.execute(text(f"{sql} LIMIT {int(limit)}"))).mappings().all()
        ]


ledger_repo = LedgerRepository()
invariant_repo = InvariantRepository()
