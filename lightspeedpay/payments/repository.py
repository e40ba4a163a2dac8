"""Every query on transactions; merchant reads are scoped to the merchant in one place."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy import Select, and_, or_, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from lightspeedpay.models import Transaction

# Merchant check, gateway selection and reservation, the transaction and its job intent: one statement,
# so the chosen gateway row is locked only for the statement itself (see DESIGN.md §6).
_INITIATE = """
WITH m AS (
    SELECT c.status, c.suspend_threshold, w.balance_due,
           (c.status = 'active' AND w.balance_due < c.suspend_threshold) AS ok
    FROM clients c JOIN wallets w ON w.client_id = c.id
    WHERE c.id = :client_id
), g AS (
    SELECT pg.id FROM payment_gateways pg
    WHERE (SELECT ok FROM m) AND pg.is_active AND NOT pg.temp_failed
      AND (CASE WHEN pg.volume_month = :month THEN pg.current_volume ELSE 0 END) + :amount <= pg.monthly_limit
    ORDER BY pg.priority DESC, (CASE WHEN :explore THEN random() ELSE 0 END),
             pg.success_rate DESC, pg.last_used_at ASC
    LIMIT 1 FOR UPDATE {lock}
), upd AS (
    UPDATE payment_gateways pg
    SET current_volume = (CASE WHEN pg.volume_month = :month THEN pg.current_volume ELSE 0 END) + :amount,
        volume_month = :month, last_used_at = clock_timestamp()
    FROM g WHERE pg.id = g.id
    RETURNING pg.id
), txn AS (
    INSERT INTO transactions (id, order_id, client_id, gateway_id, amount, currency, status, customer, notes,
                              redirect_url, volume_released, created_at, updated_at)
    SELECT :txn_id, :order_id, :client_id, upd.id, :amount, :currency, 'created', CAST(:customer AS jsonb),
           CAST(:notes AS jsonb), :redirect_url, false, now(), now()
    FROM upd
    RETURNING id, created_at
), intent AS (
    INSERT INTO job_intents (id, queue, name, payload, status, attempts, run_after, created_at, updated_at)
    SELECT :intent_id, 'transaction-processing', 'transaction.process',
           jsonb_build_object('transaction_id', txn.id::text), 'pending', 0, now(), now(), now()
    FROM txn
    RETURNING id
)
SELECT m.ok, m.status, m.balance_due, m.suspend_threshold,
       (SELECT id FROM txn) AS transaction_id, (SELECT id FROM intent) AS intent_id
FROM m
"""
_INITIATE_SKIP_LOCKED = text(_INITIATE.format(lock="SKIP LOCKED"))
_INITIATE_WAIT = text(_INITIATE.format(lock=""))


@dataclass(frozen=True)
class InitiateResult:
    merchant_ok: bool
    merchant_status: str
    balance_due: int
    suspend_threshold: int
    transaction_id: uuid.UUID | None
    intent_id: uuid.UUID | None


@dataclass(frozen=True)
class TransactionFilter:
    status: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


class TransactionRepository:
    async def initiate(self, conn: AsyncConnection, *, client_id: uuid.UUID, order_id: str, amount: int,
                       currency: str, customer: dict[str, Any] | None, notes: dict[str, Any] | None,
                       redirect_url: str | None, month: date, wait_for_lock: bool,
                       explore: bool = False) -> InitiateResult:
        params = {
            "client_id": client_id, "order_id": order_id, "amount": amount, "currency": currency,
            "customer": orjson.dumps(customer).decode() if customer is not None else None,
            "notes": orjson.dumps(notes).decode() if notes is not None else None,
            "redirect_url": redirect_url, "month": month, "txn_id": uuid.uuid4(), "intent_id": uuid.uuid4(),
            "explore": explore,
        }
        row = (await conn.execute(_INITIATE_WAIT if wait_for_lock else _INITIATE_SKIP_LOCKED, params)).one_or_none()
        if row is None:
            return InitiateResult(False, "unknown", 0, 0, None, None)
        return InitiateResult(bool(row.ok), row.status, row.balance_due, row.suspend_threshold,
                              row.transaction_id, row.intent_id)

    def readable(self, client_id: uuid.UUID) -> Select[tuple[Transaction]]:
        return select(Transaction).where(Transaction.client_id == client_id)

    async def get_for_merchant(self, session: AsyncSession, client_id: uuid.UUID,
                               transaction_id: uuid.UUID) -> Transaction | None:
        stmt = self.readable(client_id).where(Transaction.id == transaction_id)
        return (await session.execute(stmt)).scalar_one_or_none()

    async def list_for_merchant(self, session: AsyncSession, client_id: uuid.UUID, flt: TransactionFilter, *,
                                limit: int, after: tuple[datetime, uuid.UUID] | None) -> list[Transaction]:
        stmt = self.readable(client_id)
        if flt.status:
            stmt = stmt.where(Transaction.status == flt.status)
        if flt.created_from:
            stmt = stmt.where(Transaction.created_at >= flt.created_from)
        if flt.created_to:
            stmt = stmt.where(Transaction.created_at < flt.created_to)
        if after:
            created, row_id = after
            stmt = stmt.where(or_(Transaction.created_at < created,
                                  and_(Transaction.created_at == created, Transaction.id < row_id)))
        stmt = stmt.order_by(Transaction.created_at.desc(), Transaction.id.desc()).limit(limit)
        return list((await session.execute(stmt)).scalars())

    async def get_for_update(self, session: AsyncSession, transaction_id: uuid.UUID) -> Transaction | None:
        return await session.get(Transaction, transaction_id, with_for_update=True, populate_existing=True)

    async def stale(self, session: AsyncSession, *, older_than: datetime, limit: int) -> list[Transaction]:
        """Payments still waiting for an outcome, locked for the janitor (others skip them)."""
        stmt = (select(Transaction)
                .where(Transaction.status.in_(("created", "pending", "authorized")),
                       Transaction.updated_at < older_than)
                .order_by(Transaction.updated_at).limit(limit).with_for_update(skip_locked=True))
        return list((await session.execute(stmt)).scalars())

    async def by_gateway_txn(self, session: AsyncSession, gateway_id: uuid.UUID,
                             gateway_txn_id: str) -> Transaction | None:
        stmt = (select(Transaction)
                .where(Transaction.gateway_id == gateway_id, Transaction.gateway_txn_id == gateway_txn_id)
                .with_for_update())
        return (await session.execute(stmt)).scalar_one_or_none()


transaction_repo = TransactionRepository()
