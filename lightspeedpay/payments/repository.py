"""Every query on transactions; merchant reads are scoped to the merchant in one place."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy import Select, and_, exists, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from lightspeedpay.gateways.repository import eligible_sql, reserve_set_sql, routing_order_sql
from lightspeedpay.kit import request_context
from lightspeedpay.kit.pagination import OffsetWindow
from lightspeedpay.models import Client, Order, Transaction
from lightspeedpay.models.order import OrderStatus
from lightspeedpay.models.transaction import TransactionStatus
from lightspeedpay.payments.schemas import OrderFilter, TransactionFilter


@dataclass(frozen=True)
class StaleClaim:
    """A payment the janitor claimed: enough to ask its PSP, with no row held."""

    transaction_id: uuid.UUID
    gateway_id: uuid.UUID
    gateway_txn_id: str | None


CAPTURED_OR_AUTHORIZED = (
    TransactionStatus.AUTHORIZED,
    TransactionStatus.PAID,
    TransactionStatus.PARTIALLY_REFUNDED,
    TransactionStatus.REFUNDED,
)

# Merchant check, gateway selection and reservation, the transaction and its job intent: one statement,
# so the chosen gateway row is locked only for the statement itself (see DESIGN.md §6). A payment of an
# order (:parent_order_id) also locks the order, checks it can still be paid, and counts the attempt.
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
                SELECT 1 FROM transactions t WHERE t.parent_order_id = ord.id
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
                              status, customer, notes, redirect_url, volume_released, created_at, updated_at)
    SELECT :txn_id, :payment_id,
           COALESCE(CAST(:order_id AS varchar), (SELECT o.public_id || '/' || (o.attempts + 1) FROM o)),
           CAST(:parent_order_id AS uuid), :client_id, upd.id, :amount, :currency, 'created',
           CAST(:customer AS jsonb), CAST(:notes AS jsonb), :redirect_url, false, now(), now()
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


class TransactionRepository:
    async def initiate(
        self,
        conn: AsyncConnection,
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
    ) -> InitiateResult:
        """`order_id` is the merchant's reference; None for a payment of an order (`parent_order_id`), which
        takes `{order public id}/{attempt}`. `answer`: the idempotent response to store with the payment."""
        params = {
            "client_id": client_id,
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
        row = (
            await conn.execute(_INITIATE_WAIT if wait_for_lock else _INITIATE_SKIP_LOCKED, params)
        ).one_or_none()
        if row is None:
            return InitiateResult(False, "unknown", 0, 0, None, None)
        return InitiateResult(
            bool(row.ok),
            row.status,
            row.balance_due,
            row.suspend_threshold,
            row.transaction_id,
            row.intent_id,
            row.order_open,
            payment_id if row.transaction_id else None,
            claim_held=bool(row.claim_held),
            gateway_id=row.gateway_id,
        )

    async def payment_id_for_order(
        self, conn: AsyncConnection, client_id: uuid.UUID, order_id: str
    ) -> str | None:
        return (
            await conn.execute(
                select(Transaction.payment_id).where(
                    Transaction.client_id == client_id, Transaction.order_id == order_id
                )
            )
        ).scalar_one_or_none()

    def readable(self, client_id: uuid.UUID) -> Select[Transaction]:
        return select(Transaction).where(Transaction.client_id == client_id)

    async def get_for_merchant(
        self,
        session: AsyncSession,
        client_id: uuid.UUID,
        transaction_id: uuid.UUID,
        *,
        for_update: bool = False,
    ) -> Transaction | None:
        stmt = self.readable(client_id).where(Transaction.id == transaction_id)
        if for_update:
            stmt = stmt.with_for_update()
        return (await session.execute(stmt)).scalar_one_or_none()

    async def list_for_merchant(
        self,
        session: AsyncSession,
        client_id: uuid.UUID,
        flt: TransactionFilter,
        *,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None,
    ) -> list[Transaction]:
        stmt = self.readable(client_id)
        if flt.status:
            stmt = stmt.where(Transaction.status == flt.status)
        if flt.created_from:
            stmt = stmt.where(Transaction.created_at >= flt.created_from)
        if flt.created_to:
            stmt = stmt.where(Transaction.created_at < flt.created_to)
        if after:
            created, row_id = after
            stmt = stmt.where(
                or_(
                    Transaction.created_at < created,
                    and_(Transaction.created_at == created, Transaction.id < row_id),
                )
            )
        stmt = stmt.order_by(Transaction.created_at.desc(), Transaction.id.desc()).limit(limit)
        return list((await session.execute(stmt)).scalars())

    async def by_payment_id(
        self, session: AsyncSession, client_id: uuid.UUID, payment_id: str, *, for_update: bool = False
    ) -> Transaction | None:
        stmt = self.readable(client_id).where(Transaction.payment_id == payment_id)
        if for_update:
            stmt = stmt.with_for_update()
        return (await session.execute(stmt)).scalar_one_or_none()

    async def page(
        self,
        session: AsyncSession,
        client_id: uuid.UUID,
        window: OffsetWindow,
        *,
        parent_order_id: uuid.UUID | None = None,
    ) -> list[Transaction]:
        """Razorpay-style pages (count, skip, from, to), newest first."""
        stmt = self.readable(client_id)
        if parent_order_id is not None:
            stmt = stmt.where(Transaction.parent_order_id == parent_order_id)
        return list((await session.execute(window.apply(stmt, Transaction))).scalars())

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
        """Not scoped and not locked: for a job that locks the row only once its network call is done."""
        return await session.get(Transaction, transaction_id)

    async def get_for_update(self, session: AsyncSession, transaction_id: uuid.UUID) -> Transaction | None:
        return await session.get(Transaction, transaction_id, with_for_update=True, populate_existing=True)

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
        stmt = (
            select(Transaction)
            .where(Transaction.gateway_id == gateway_id, Transaction.gateway_txn_id == gateway_txn_id)
            .with_for_update()
        )
        return (await session.execute(stmt)).scalar_one_or_none()

    async def payment_ids(self, session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
        """transaction uuid -> pay_… for the transactions given (one query)."""
        if not ids:
            return {}
        stmt = select(Transaction.id, Transaction.payment_id).where(Transaction.id.in_(ids))
        return {row.id: row.payment_id for row in await session.execute(stmt)}

    async def latest_payment_id_of_order(self, session: AsyncSession, order_id: uuid.UUID) -> str | None:
        return (
            await session.execute(
                select(Transaction.payment_id)
                .where(Transaction.parent_order_id == order_id)
                .order_by(Transaction.created_at.desc())
                .limit(1)
            )
        ).scalar_one_or_none()

    async def of_order(
        self, session: AsyncSession, order_id: uuid.UUID, payment_id: str
    ) -> Transaction | None:
        """Not scoped to a merchant: for the payer's side, which knows the order and the payment only."""
        return (
            await session.execute(
                select(Transaction).where(
                    Transaction.payment_id == payment_id, Transaction.parent_order_id == order_id
                )
            )
        ).scalar_one_or_none()


transaction_repo = TransactionRepository()


class OrderRepository:
    def readable(self, client_id: uuid.UUID) -> Select[Order]:
        return select(Order).where(Order.client_id == client_id)

    async def by_public_id(self, session: AsyncSession, client_id: uuid.UUID, public_id: str) -> Order | None:
        stmt = self.readable(client_id).where(Order.public_id == public_id)
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
        self, session: AsyncSession, client_id: uuid.UUID, window: OffsetWindow, flt: OrderFilter
    ) -> list[Order]:
        stmt = self.readable(client_id)
        if flt.receipt is not None:
            stmt = stmt.where(Order.receipt == flt.receipt)
        if flt.authorized is not None:
            with_payment = exists().where(
                Transaction.parent_order_id == Order.id, Transaction.status.in_(CAPTURED_OR_AUTHORIZED)
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
