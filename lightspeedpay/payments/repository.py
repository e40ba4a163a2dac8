"""Every query on transactions; merchant reads are scoped to the merchant in one place.

A payment lives in `transactions` or, once final and old, in `archived_transactions` (models/
archived_transaction.py). Reads find it in either: one row is looked up in the hot table first, then in the
archive; lists read the view `all_transactions`. An archived row loads as a `Transaction` (same columns), so
callers and schemas take either. Whatever locks a payment to change it moves an archived one back first
(`restore`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import orjson
from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import aliased

from lightspeedpay.db import raw_statement
from lightspeedpay.gateways.repository import eligible_sql, reserve_set_sql, routing_order_sql
from lightspeedpay.kit import request_context
from lightspeedpay.kit.logging import log
from lightspeedpay.kit.pagination import OffsetWindow
from lightspeedpay.models import ArchivedTransaction, Client, Order, PaymentGateway, Transaction
from lightspeedpay.models.archived_transaction import TRANSACTION_COLUMNS, all_transactions
from lightspeedpay.models.order import OrderStatus
from lightspeedpay.models.transaction import TransactionStatus
from lightspeedpay.payments.schemas import (
    FAILED_STATUSES,
    SUCCEEDED_STATUSES,
    UNFINISHED_STATUSES,
    OrderFilter,
    PaymentSearch,
    phone_forms,
    recognise,
)


@dataclass(frozen=True)
class StaleClaim:
    """A payment the janitor claimed: enough to ask its PSP, with no row held."""

    transaction_id: uuid.UUID
    gateway_id: uuid.UUID
    gateway_txn_id: str | None


# an archived payment, or any payment, loaded as a Transaction
ARCHIVED_TXN = aliased(Transaction, ArchivedTransaction.__table__, adapt_on_names=True)
ALL_TXN = aliased(Transaction, all_transactions, adapt_on_names=True)

_COLUMNS = ", ".join(TRANSACTION_COLUMNS)

# Back to the hot table, in one statement: the archived row is deleted (and so locked: a concurrent restore
# waits, then finds nothing to move) and inserted into transactions with the same id.
_RESTORE = text(f"""
WITH moved AS (
    DELETE FROM archived_transactions WHERE id = :id RETURNING {_COLUMNS}
)
INSERT INTO transactions ({_COLUMNS}) SELECT {_COLUMNS} FROM moved RETURNING id
""")

_RESTORING = text("SELECT set_config('lsp.restoring_from_archive', :on, true)")

# One batch of the daily archive, oldest first after the cursor (created_at, id): final payments older than the
# cutoff with nothing pending are moved, in one statement, from transactions to archived_transactions. Rows
# locked by anyone are skipped (the next day takes them); the locked rows' status and updated_at are re-checked
# on their newest version. "Nothing pending": no pending refund, no pending (or parked) job intent naming it, and
# every COMMISSION / COMMISSION_REVERSAL posting of it taken by a settlement. A refund or PSP event that comes
# later restores the payment first (`restore`), so a race with this statement loses nothing.
_ARCHIVE_BATCH = text(f"""
WITH candidates AS (
    SELECT t.id, t.created_at FROM transactions t
    WHERE t.status IN ('paid', 'partially_refunded', 'refunded', 'failed', 'expired')
      AND t.created_at < :cutoff AND (t.created_at, t.id) > (:after_created, :after_id)
    ORDER BY t.created_at, t.id
    LIMIT :limit
), movable AS (
    SELECT t.id FROM transactions t JOIN candidates c ON c.id = t.id
    WHERE t.status IN ('paid', 'partially_refunded', 'refunded', 'failed', 'expired')
      AND t.updated_at < :cutoff
      AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.transaction_id = t.id AND r.status = 'pending')
      AND NOT EXISTS (SELECT 1 FROM job_intents j
                      WHERE j.status IN ('pending', 'parked') AND j.payload ->> 'transaction_id' = t.id::text)
      AND NOT EXISTS (SELECT 1 FROM ledger_postings p
                      WHERE p.transaction_id = t.id AND p.type IN ('COMMISSION', 'COMMISSION_REVERSAL')
                        AND NOT EXISTS (SELECT 1 FROM settlement_line_items li WHERE li.posting_id = p.id))
    FOR UPDATE OF t SKIP LOCKED
), moved AS (
    DELETE FROM transactions t USING movable m WHERE t.id = m.id
    RETURNING {", ".join(f"t.{c}" for c in TRANSACTION_COLUMNS)}
), archived AS (
    INSERT INTO archived_transactions ({_COLUMNS}, archived_at)
    SELECT {_COLUMNS}, now() FROM moved
    RETURNING id
), last AS (
    SELECT created_at, id FROM candidates ORDER BY created_at DESC, id DESC LIMIT 1
)
SELECT (SELECT count(*) FROM candidates) AS scanned, (SELECT count(*) FROM archived) AS moved,
       (SELECT created_at FROM last) AS last_created, (SELECT id FROM last) AS last_id
""")


@dataclass(frozen=True)
class ArchiveBatch:
    scanned: int  # candidates looked at (final and old enough)
    moved: int  # of which moved to the archive
    last: tuple[datetime, uuid.UUID] | None  # the cursor after this batch; None: nothing was left


CAPTURED_OR_AUTHORIZED = (
    TransactionStatus.AUTHORIZED,
    TransactionStatus.PAID,
    TransactionStatus.PARTIALLY_REFUNDED,
    TransactionStatus.REFUNDED,
)

# Merchant check, gateway selection and reservation, the transaction and its job intent: one statement,
# so the chosen gateway row is locked only for the statement itself (see DESIGN.md §6). A payment of an
# order (:parent_order_id) also locks the order, checks it can still be paid (no payment of it, archived or
# not, got as far as authorized), and counts the attempt.
# Under an Idempotency-Key (:idem_id) the statement goes ahead only while the request's claim still holds
# (its fencing token) and stores the answer (:idem_body) with the payment: they commit together or not at all.
_INITIATE = """
WITH m AS (
    SELECT c.status, c.suspend_threshold, w.balance_due,
           (c.status = 'active' AND w.balance_due < c.suspend_threshold) AS ok
    FROM clients c JOIN wallets w ON w.client_id = c.id
    WHERE c.id = :client_id
), o AS (
    SELECT ord.id, ord.public_id, ord.attempts,
           (ord.status <> 'paid' AND NOT EXISTS (
                SELECT 1 FROM all_transactions t WHERE t.parent_order_id = ord.id
                AND t.status IN ('authorized', 'paid', 'partially_refunded', 'refunded'))) AS open
    FROM orders ord WHERE ord.id = CAST(:parent_order_id AS uuid) AND ord.client_id = :client_id
    FOR UPDATE
), k AS (
    SELECT id FROM idempotency_keys
    WHERE id = CAST(:idem_id AS uuid) AND claim_token = CAST(:idem_token AS uuid) AND status = 'running'
    FOR UPDATE
), go AS (
    SELECT (SELECT ok FROM m)
           AND (CAST(:parent_order_id AS uuid) IS NULL OR COALESCE((SELECT open FROM o), false))
           AND (CAST(:idem_id AS uuid) IS NULL OR EXISTS (SELECT 1 FROM k)) AS ok
), g AS (
    SELECT pg.id FROM payment_gateways pg
    WHERE (SELECT ok FROM go) AND {eligible}
    ORDER BY {routing_order}
    LIMIT 1 {lock}
), upd AS (
    UPDATE payment_gateways pg SET {reserve}
    WHERE pg.id = (SELECT id FROM g) AND {eligible}
    RETURNING pg.id
), txn AS (
    INSERT INTO transactions (id, payment_id, order_id, parent_order_id, client_id, gateway_id, amount, currency,
                              status, customer, notes, redirect_url, volume_released, created_at, updated_at,
                              mode)
    SELECT :txn_id, :payment_id,
           COALESCE(CAST(:order_id AS varchar), (SELECT o.public_id || '/' || (o.attempts + 1) FROM o)),
           CAST(:parent_order_id AS uuid), :client_id, upd.id, :amount, :currency, 'created',
           CAST(:customer AS jsonb), CAST(:notes AS jsonb), :redirect_url, false, now(), now(), :mode
    FROM upd
    RETURNING id, created_at
), attempt AS (
    UPDATE orders SET attempts = orders.attempts + 1, updated_at = now(),
           status = CASE WHEN orders.status = 'created' THEN 'attempted' ELSE orders.status END
    FROM txn WHERE orders.id = CAST(:parent_order_id AS uuid)
    RETURNING orders.id
), intent AS (
    INSERT INTO job_intents (id, queue, name, payload, status, attempts, run_after, request_id, created_at,
                             updated_at)
    SELECT :intent_id, 'transaction-processing', 'transaction.process',
           jsonb_build_object('transaction_id', txn.id::text), 'pending', 0, now(), :request_id, now(), now()
    FROM txn
    RETURNING id
), answer AS (
    UPDATE idempotency_keys SET status = 'completed', locked_at = NULL, response_code = 201,
           response_body = CAST(:idem_body AS bytea), response_content_type = 'application/json'
    FROM k, txn WHERE idempotency_keys.id = k.id
    RETURNING idempotency_keys.id
)
SELECT m.ok, m.status, m.balance_due, m.suspend_threshold, (SELECT open FROM o) AS order_open,
       (SELECT id FROM txn) AS transaction_id, (SELECT id FROM intent) AS intent_id,
       (SELECT id FROM upd) AS gateway_id,
       (SELECT count(*) FROM attempt) AS attempts_counted,
       (CAST(:idem_id AS uuid) IS NULL OR EXISTS (SELECT 1 FROM k)) AS claim_held,
       (SELECT count(*) FROM answer) AS answers_stored
FROM m
"""
# The gateway part is the pool's one eligibility rule and routing order (gateways/repository.py). The first try
# locks the best row nobody is changing (NO KEY UPDATE SKIP LOCKED; a payment or attempt referencing the row
# does not make it busy). The waiting try locks nothing while choosing: the UPDATE then
# waits for that one row and re-checks the rule on its newest version (no row: it was taken meanwhile, try
# again). Either way the statement never holds one gateway row while waiting for another, so it cannot be
# part of a deadlock with the worker's failovers (issue 8, defect 9).
_GATEWAY_PARTS = {
    "eligible": eligible_sql("pg"),
    "routing_order": routing_order_sql("pg", explore=":explore"),
    "reserve": reserve_set_sql("pg"),
}
_INITIATE_SKIP_LOCKED = text(_INITIATE.format(lock="FOR NO KEY UPDATE SKIP LOCKED", **_GATEWAY_PARTS))
_INITIATE_WAIT = text(_INITIATE.format(lock="", **_GATEWAY_PARTS))
_INITIATE_SKIP_LOCKED_RAW = raw_statement(_INITIATE_SKIP_LOCKED)
_INITIATE_WAIT_RAW = raw_statement(_INITIATE_WAIT)


@dataclass(frozen=True)
class InitiateResult:
    merchant_ok: bool
    merchant_status: str
    balance_due: int
    suspend_threshold: int
    transaction_id: uuid.UUID | None
    intent_id: uuid.UUID | None
    # for a payment of an order: whether the order could still take a payment (None: no such order)
    order_open: bool | None = None
    payment_id: str | None = None
    claim_held: bool = True  # False: the Idempotency-Key's claim was taken over; nothing was written
    gateway_id: uuid.UUID | None = None  # the gateway the payment was reserved on


@dataclass(frozen=True)
class StoredAnswer:
    """An idempotent request's answer, stored by the initiation statement under the claim (key, token)."""

    key_id: uuid.UUID
    token: uuid.UUID
    body: bytes


@dataclass(frozen=True)
class DaySummary:
    count: int
    succeeded: int
    failed: int
    volume: int  # paise

    @property
    def success_rate(self) -> float | None:
        decided = self.succeeded + self.failed
        return self.succeeded / decided if decided else None


class TransactionRepository:
    async def initiate(
        self,
        conn: asyncpg.Connection,
        *,
        client_id: uuid.UUID,
        order_id: str | None,
        amount: int,
        currency: str,
        customer: dict[str, Any] | None,
        notes: dict[str, Any] | None,
        redirect_url: str | None,
        month: date,
        wait_for_lock: bool,
        explore: bool = False,
        parent_order_id: uuid.UUID | None = None,
        txn_id: uuid.UUID,
        payment_id: str,
        answer: StoredAnswer | None = None,
        mode: str = "live",
    ) -> InitiateResult:
        """On a raw asyncpg connection of the hot pool (`db.hot_pool`), in autocommit. `order_id` is the merchant's
        reference; None for a payment of an order (`parent_order_id`), which takes `{order public id}/{attempt}`.
        `answer`: the idempotent response to store with the payment. `mode`: a test payment is marked test and
        only a sandbox gateway may take it."""
        params = {
            "client_id": client_id,
            "mode": mode,
            "sandbox_only": mode == "test",
            "order_id": order_id,
            "amount": amount,
            "currency": currency,
            "payment_id": payment_id,
            "parent_order_id": parent_order_id,
            "customer": orjson.dumps(customer).decode() if customer is not None else None,
            "notes": orjson.dumps(notes).decode() if notes is not None else None,
            "redirect_url": redirect_url,
            "month": month,
            "txn_id": txn_id,
            "intent_id": uuid.uuid4(),
            "request_id": request_context.request_id(),
            "explore": explore,
            "idem_id": answer.key_id if answer else None,
            "idem_token": answer.token if answer else None,
            "idem_body": answer.body if answer else None,
        }
        stmt = _INITIATE_WAIT_RAW if wait_for_lock else _INITIATE_SKIP_LOCKED_RAW
        row = await conn.fetchrow(stmt.sql, *stmt.args(params))
        if row is None:
            return InitiateResult(False, "unknown", 0, 0, None, None)
        return InitiateResult(
            bool(row["ok"]),
            row["status"],
            row["balance_due"],
            row["suspend_threshold"],
            row["transaction_id"],
            row["intent_id"],
            row["order_open"],
            payment_id if row["transaction_id"] else None,
            claim_held=bool(row["claim_held"]),
            gateway_id=row["gateway_id"],
        )

    async def payment_id_for_order(
        self, conn: AsyncConnection, client_id: uuid.UUID, order_id: str
    ) -> str | None:
        """The payment holding a merchant's order id, archived or not."""
        return (
            await conn.execute(
                select(ALL_TXN.payment_id)
                .where(ALL_TXN.client_id == client_id, ALL_TXN.order_id == order_id)
                .limit(1)
            )
        ).scalar_one_or_none()

    def readable(
        self, client_id: uuid.UUID, entity: Any = Transaction, *, mode: str | None = None
    ) -> Select[Transaction]:
        """A merchant's payments in the hot table, or in `entity`: ARCHIVED_TXN, ALL_TXN (both tables); of one
        `mode` only when given (what a merchant's request reads: its own mode's)."""
        stmt = select(entity).where(entity.client_id == client_id)
        return stmt if mode is None else stmt.where(entity.mode == mode)

    async def _one(self, session: AsyncSession, stmt_of: Any, *, for_update: bool) -> Transaction | None:
        """One payment: `stmt_of(entity)` on the hot table, then on the archive (ARCHIVED_TXN). To lock it
        (`for_update`), an archived one is first moved back to the hot table."""
        if not for_update:
            found = (await session.execute(stmt_of(Transaction))).scalar_one_or_none()
            if found is None:
                found = (await session.execute(stmt_of(ARCHIVED_TXN))).scalar_one_or_none()
            return found
        found = (await session.execute(stmt_of(Transaction).with_for_update())).scalar_one_or_none()
        if found is not None:
            return found
        archived_id = (
            await session.execute(stmt_of(ARCHIVED_TXN).with_only_columns(ARCHIVED_TXN.id))
        ).scalar_one_or_none()
        if archived_id is None:
            return None
        # moved back by this call, or by a concurrent one that this call waited for: either way it is hot now
        await self.restore(session, archived_id)
        return (
            await session.execute(
                stmt_of(Transaction).with_for_update().execution_options(populate_existing=True)
            )
        ).scalar_one_or_none()

    async def restore(self, session: AsyncSession, transaction_id: uuid.UUID) -> bool:
        """Move an archived payment back to the hot table, in the caller's DB transaction (so that it can be
        locked and changed). False when it is not archived (any more: a concurrent restore won)."""
        # the analytics trigger counts new payments; this one was counted when it was made
        await session.execute(_RESTORING, {"on": "on"})
        moved = (await session.execute(_RESTORE, {"id": transaction_id})).scalar_one_or_none()
        await session.execute(_RESTORING, {"on": "off"})
        if moved is not None:
            log.info("transaction_restored_from_archive", transaction_id=str(transaction_id))
        return moved is not None

    async def archive_batch(
        self,
        session: AsyncSession,
        *,
        cutoff: datetime,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> ArchiveBatch:
        """Move one batch of final payments older than `cutoff` to the archive (see _ARCHIVE_BATCH)."""
        after_created, after_id = after or (datetime(1970, 1, 1, tzinfo=UTC), uuid.UUID(int=0))
        row = (
            await session.execute(
                _ARCHIVE_BATCH,
                {"cutoff": cutoff, "after_created": after_created, "after_id": after_id, "limit": limit},
            )
        ).one()
        last = (row.last_created, row.last_id) if row.last_id is not None else None
        return ArchiveBatch(int(row.scanned), int(row.moved), last)

    async def get_for_merchant(
        self,
        session: AsyncSession,
        client_id: uuid.UUID,
        transaction_id: uuid.UUID,
        *,
        for_update: bool = False,
        mode: str | None = None,
    ) -> Transaction | None:
        return await self._one(
            session,
            lambda e: self.readable(client_id, e, mode=mode).where(e.id == transaction_id),
            for_update=for_update,
        )

    async def latest(
        self,
        session: AsyncSession,
        *,
        limit: int,
        client_id: uuid.UUID | None = None,
        mode: str | None = None,
    ) -> list[Transaction]:
        """The newest payments, of every merchant or of one (a live stream's snapshot)."""
        stmt = select(Transaction) if client_id is None else self.readable(client_id, mode=mode)
        stmt = stmt.order_by(Transaction.created_at.desc(), Transaction.id.desc()).limit(limit)
        return list((await session.execute(stmt)).scalars())

    async def by_payment_id(
        self,
        session: AsyncSession,
        client_id: uuid.UUID,
        payment_id: str,
        *,
        for_update: bool = False,
        mode: str | None = None,
    ) -> Transaction | None:
        return await self._one(
            session,
            lambda e: self.readable(client_id, e, mode=mode).where(e.payment_id == payment_id),
            for_update=for_update,
        )

    async def page(
        self,
        session: AsyncSession,
        client_id: uuid.UUID,
        window: OffsetWindow,
        *,
        parent_order_id: uuid.UUID | None = None,
        mode: str | None = None,
    ) -> list[Transaction]:
        """Razorpay-style pages (count, skip, from, to), newest first."""
        stmt = self.readable(client_id, ALL_TXN, mode=mode)
        if parent_order_id is not None:
            stmt = stmt.where(ALL_TXN.parent_order_id == parent_order_id)
        return list((await session.execute(window.apply(stmt, ALL_TXN))).scalars())

    async def authorizations_to_release(
        self, session: AsyncSession, *, authorized_before: datetime, limit: int
    ) -> list[Transaction]:
        """Authorized payments past the capture window, locked (concurrent sweeps skip each other's rows)."""
        stmt = (
            select(Transaction)
            .where(
                Transaction.status == TransactionStatus.AUTHORIZED,
                Transaction.authorized_at < authorized_before,
            )
            .order_by(Transaction.authorized_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list((await session.execute(stmt)).scalars())

    async def get(self, session: AsyncSession, transaction_id: uuid.UUID) -> Transaction | None:
        """Not scoped and not locked, archived or not: for a job that locks the row only once its network call
        is done, and for reads."""
        found = await session.get(Transaction, transaction_id)
        if found is None:
            found = (
                await session.execute(select(ARCHIVED_TXN).where(ARCHIVED_TXN.id == transaction_id))
            ).scalar_one_or_none()
        return found

    async def get_for_update(self, session: AsyncSession, transaction_id: uuid.UUID) -> Transaction | None:
        found = await session.get(Transaction, transaction_id, with_for_update=True, populate_existing=True)
        if found is None:
            await self.restore(
                session, transaction_id
            )  # archived (or restored by a call this one waited for)
            found = await session.get(
                Transaction, transaction_id, with_for_update=True, populate_existing=True
            )
        return found

    async def claim_stale(
        self, session: AsyncSession, *, older_than: datetime, now: datetime, limit: int
    ) -> list[StaleClaim]:
        """Payments still waiting for an outcome, claimed for the janitor: their `updated_at` is set to `now` in
        one statement, so once the caller commits, concurrent janitors and the next tick leave them alone for
        another interval. Rows locked by someone else are skipped; no lock outlives the caller's short commit."""
        picked = (
            select(Transaction.id)
            .where(
                Transaction.status.in_(
                    (TransactionStatus.CREATED, TransactionStatus.PENDING, TransactionStatus.AUTHORIZED)
                ),
                Transaction.updated_at < older_than,
            )
            .order_by(Transaction.updated_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .cte("picked")
        )  # a CTE is evaluated once: the LIMIT and the locks apply to one pick
        stmt = (
            update(Transaction)
            .where(Transaction.id == picked.c.id)
            .values(updated_at=now)
            .returning(Transaction.id, Transaction.gateway_id, Transaction.gateway_txn_id)
            .execution_options(synchronize_session=False)
        )
        return [StaleClaim(r.id, r.gateway_id, r.gateway_txn_id) for r in await session.execute(stmt)]

    async def by_gateway_txn(
        self, session: AsyncSession, gateway_id: uuid.UUID, gateway_txn_id: str
    ) -> Transaction | None:
        """Locked (a PSP event about to be applied): an archived payment is moved back first."""
        return await self._one(
            session,
            lambda e: (
                select(e).where(e.gateway_id == gateway_id, e.gateway_txn_id == gateway_txn_id).limit(1)
            ),
            for_update=True,
        )

    async def payment_ids(self, session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
        """transaction uuid -> pay_… for the transactions given, archived or not (one query)."""
        if not ids:
            return {}
        stmt = select(ALL_TXN.id, ALL_TXN.payment_id).where(ALL_TXN.id.in_(ids))
        return {row.id: row.payment_id for row in await session.execute(stmt)}

    async def latest_payment_id_of_order(self, session: AsyncSession, order_id: uuid.UUID) -> str | None:
        return (
            await session.execute(
                select(ALL_TXN.payment_id)
                .where(ALL_TXN.parent_order_id == order_id)
                .order_by(ALL_TXN.created_at.desc())
                .limit(1)
            )
        ).scalar_one_or_none()

    async def of_order(
        self, session: AsyncSession, order_id: uuid.UUID, payment_id: str
    ) -> Transaction | None:
        """Not scoped to a merchant: for the payer's side, which knows the order and the payment only."""
        return await self._one(
            session,
            lambda e: select(e).where(e.payment_id == payment_id, e.parent_order_id == order_id),
            for_update=False,
        )

    # --- the operator's search, across merchants (the console's payments list and CSV export) -----------------

    async def any_by_payment_id(
        self, session: AsyncSession, payment_id: str, *, for_update: bool = False
    ) -> Transaction | None:
        """Not scoped: an operator's look-up of any merchant's payment, archived or not (locked: moved back)."""
        return await self._one(
            session, lambda e: select(e).where(e.payment_id == payment_id), for_update=for_update
        )

    def _search_conditions(self, flt: PaymentSearch) -> list[ColumnElement[bool]]:
        """What a search asks, on ALL_TXN (both tables); each condition is served by an index of both
        (models/transaction.py `search_indexes`, the client and parent-order indexes, the unique payment id).
        Given `client_id`, one merchant's own payments (its API list and CSV, its console)."""
        t = ALL_TXN
        where: list[ColumnElement[bool]] = []
        scoped = flt.client_id is not None
        if scoped:
            where.append(t.client_id == flt.client_id)
        email = func.lower(t.customer["email"].astext)
        if flt.text:
            found = recognise(flt.text)
            if found.kind == "payment_id":
                where.append(t.payment_id == found.value)
            elif found.kind == "uuid":
                tid = uuid.UUID(found.value)
                where.append(t.id == tid if scoped else or_(t.id == tid, t.client_id == tid))
            elif found.kind == "order":
                orders = select(Order.id).where(Order.public_id == found.value)
                where.append(or_(t.parent_order_id.in_(orders), t.order_id == found.value))
            elif found.kind == "email":
                where.append(and_(t.customer.has_key("email"), email == found.value))
            elif found.kind == "phone":
                where.append(
                    and_(
                        t.customer.has_key("phone"), t.customer["phone"].astext.in_(phone_forms(found.value))
                    )
                )
            elif scoped:  # a merchant's own: its order id, the PSP's id, or the receipt of its /v1 order
                receipts = select(Order.id).where(
                    Order.client_id == flt.client_id, Order.receipt == found.value
                )  # ix_orders_client_receipt
                where.append(
                    or_(
                        t.order_id == found.value,
                        t.gateway_txn_id == found.value,
                        t.parent_order_id.in_(receipts),
                    )
                )
            else:
                keyed = select(Client.id).where(Client.client_key == found.value)
                where.append(
                    or_(t.order_id == found.value, t.gateway_txn_id == found.value, t.client_id.in_(keyed))
                )
        if flt.payment_id:
            where.append(t.payment_id == flt.payment_id.strip())
        if flt.transaction_id:
            where.append(t.id == flt.transaction_id)
        if flt.order_id:
            where.append(t.order_id == flt.order_id.strip())
        if flt.gateway_txn_id:
            where.append(t.gateway_txn_id == flt.gateway_txn_id.strip())
        if flt.email:
            where.append(and_(t.customer.has_key("email"), email == flt.email.strip().lower()))
        if flt.phone:
            forms = phone_forms(flt.phone.strip().replace(" ", "").replace("-", ""))
            where.append(and_(t.customer.has_key("phone"), t.customer["phone"].astext.in_(forms)))
        if flt.merchant:
            where.append(t.client_id.in_(self._merchants_named(flt.merchant.strip())))
        if flt.statuses:
            where.append(t.status.in_(flt.statuses))
        if flt.gateway_id:
            where.append(t.gateway_id == flt.gateway_id)
        if flt.provider:
            where.append(
                t.gateway_id.in_(select(PaymentGateway.id).where(PaymentGateway.provider == flt.provider))
            )
        if flt.mode:
            where.append(t.mode == flt.mode)
        if flt.created_from:
            where.append(t.created_at >= flt.created_from)
        if flt.created_to:
            where.append(t.created_at < flt.created_to)
        if flt.amount_min is not None:
            where.append(t.amount >= flt.amount_min)
        if flt.amount_max is not None:
            where.append(t.amount <= flt.amount_max)
        if flt.unfinished_before:
            where.append(and_(t.status.in_(UNFINISHED_STATUSES), t.created_at < flt.unfinished_before))
        return where

    @staticmethod
    def _merchants_named(merchant: str) -> Select[uuid.UUID]:
        """A merchant by its id, its client key, or the start of its company name (any case)."""
        try:
            return select(Client.id).where(Client.id == uuid.UUID(merchant))
        except ValueError:
            pattern = merchant.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            return select(Client.id).where(
                or_(Client.client_key == merchant, func.lower(Client.company_name).like(pattern, escape="\\"))
            )

    async def search(
        self,
        session: AsyncSession,
        flt: PaymentSearch,
        *,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None = None,
        before: tuple[datetime, uuid.UUID] | None = None,
    ) -> list[Transaction]:
        """Payments of every merchant, archived or not, newest first: `limit` of them after the cursor `after`
        (the next page), or the `limit` just before `before` (the previous page, still returned newest first).
        Keyset pages over (created_at, id): no OFFSET, so the thousandth page costs what the first does."""
        t = ALL_TXN
        stmt = select(t).where(*self._search_conditions(flt))
        key = tuple_(t.created_at, t.id)
        if before is not None:
            stmt = stmt.where(key > tuple_(*before)).order_by(t.created_at.asc(), t.id.asc()).limit(limit)
            return list(reversed((await session.execute(stmt)).scalars().all()))
        if after is not None:
            stmt = stmt.where(key < tuple_(*after))
        stmt = stmt.order_by(t.created_at.desc(), t.id.desc()).limit(limit)
        return list((await session.execute(stmt)).scalars())

    async def summary_since(
        self, session: AsyncSession, client_id: uuid.UUID, since: datetime, *, mode: str
    ) -> DaySummary:
        """A merchant's payments created since `since`, in one mode (its console's home: today's figures): how
        many, how many the payer paid (captured or authorized, maybe refunded since) or the PSP refused, and the
        paid volume (index ix_transactions_client_created)."""
        t = Transaction
        paid = t.status.in_(SUCCEEDED_STATUSES)
        refused = t.status.in_(FAILED_STATUSES)
        row = (
            await session.execute(
                select(
                    func.count(),
                    func.count().filter(paid),
                    func.count().filter(refused),
                    func.coalesce(func.sum(t.amount).filter(paid), 0),
                ).where(t.client_id == client_id, t.mode == mode, t.created_at >= since)
            )
        ).one()
        return DaySummary(count=row[0], succeeded=row[1], failed=row[2], volume=int(row[3]))

    async def merchant_names(self, session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
        """client id -> company name, for the merchants given (one query)."""
        if not ids:
            return {}
        rows = await session.execute(select(Client.id, Client.company_name).where(Client.id.in_(ids)))
        return {row.id: row.company_name for row in rows}


transaction_repo = TransactionRepository()


class OrderRepository:
    def readable(self, client_id: uuid.UUID, *, mode: str | None = None) -> Select[Order]:
        stmt = select(Order).where(Order.client_id == client_id)
        return stmt if mode is None else stmt.where(Order.mode == mode)

    async def by_public_id(
        self, session: AsyncSession, client_id: uuid.UUID, public_id: str, *, mode: str | None = None
    ) -> Order | None:
        stmt = self.readable(client_id, mode=mode).where(Order.public_id == public_id)
        return (await session.execute(stmt)).scalar_one_or_none()

    async def with_merchant(self, session: AsyncSession, public_id: str) -> tuple[Order, Client] | None:
        """Not scoped: the order of a checkout link and its merchant."""
        row = (
            await session.execute(
                select(Order, Client)
                .join(Client, Client.id == Order.client_id)
                .where(Order.public_id == public_id)
            )
        ).one_or_none()
        return (row.Order, row.Client) if row is not None else None

    async def any_by_public_id(self, session: AsyncSession, public_id: str) -> Order | None:
        """Not scoped: for the payer's side (hosted checkout), which knows only the order id."""
        return (await session.execute(select(Order).where(Order.public_id == public_id))).scalar_one_or_none()

    async def page(
        self,
        session: AsyncSession,
        client_id: uuid.UUID,
        window: OffsetWindow,
        flt: OrderFilter,
        *,
        mode: str | None = None,
    ) -> list[Order]:
        stmt = self.readable(client_id, mode=mode)
        if flt.receipt is not None:
            stmt = stmt.where(Order.receipt == flt.receipt)
        if flt.authorized is not None:
            with_payment = exists().where(
                ALL_TXN.parent_order_id == Order.id, ALL_TXN.status.in_(CAPTURED_OR_AUTHORIZED)
            )
            stmt = stmt.where(with_payment if flt.authorized else ~with_payment)
        return list((await session.execute(window.apply(stmt, Order))).scalars())

    async def mark_paid(self, session: AsyncSession, order_id: uuid.UUID) -> bool:
        """True when this call moved the order to paid (it stays paid whatever happens to the payment)."""
        moved = await session.execute(
            update(Order)
            .where(Order.id == order_id, Order.status != OrderStatus.PAID)
            .values(status=OrderStatus.PAID, updated_at=func.now())
            .returning(Order.id)
        )
        return moved.scalar_one_or_none() is not None

    async def public_ids(self, session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
        """order uuid -> order_… for the orders given (one query)."""
        if not ids:
            return {}
        rows = await session.execute(select(Order.id, Order.public_id).where(Order.id.in_(ids)))
        return {row.id: row.public_id for row in rows}


order_repo = OrderRepository()
