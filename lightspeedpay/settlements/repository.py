"""Every query on settlements and their line items; merchant reads are scoped in one place."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, String, cast, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.kit.pagination import newest_first
from lightspeedpay.models import Client, JobIntent, PaymentGateway, Settlement, SettlementLineItem
from lightspeedpay.models.client import ClientStatus
from lightspeedpay.models.job_intent import JobIntentStatus
from lightspeedpay.models.settlement import SettlementStatus
from lightspeedpay.models.settlement_line_item import SettlementLineKind
from lightspeedpay.payments.repository import ALL_TXN

# A ledger posting is settled at most once (UNIQUE(posting_id)): whatever ran before, overlapping runs or a
# re-run of the period can only take what no settlement holds yet.
_TAKE_PAYMENTS = text("""
INSERT INTO settlement_line_items (id, settlement_id, kind, posting_id, transaction_id, refund_id, gateway_id,
                                   amount, commission, net, occurred_at, created_at)
SELECT gen_random_uuid(), :settlement_id, 'payment', p.id, t.id, NULL, t.gateway_id,
       t.amount, p.amount, t.amount - p.amount, coalesce(t.paid_at, p.created_at), now()
FROM ledger_postings p JOIN all_transactions t ON t.id = p.transaction_id
WHERE p.client_id = :client_id AND p.type = 'COMMISSION' AND p.created_at < :cutoff
  AND NOT EXISTS (SELECT 1 FROM settlement_line_items li WHERE li.posting_id = p.id)
ON CONFLICT (posting_id) DO NOTHING
""")
_TAKE_REFUNDS = text("""
INSERT INTO settlement_line_items (id, settlement_id, kind, posting_id, transaction_id, refund_id, gateway_id,
                                   amount, commission, net, occurred_at, created_at)
SELECT gen_random_uuid(), :settlement_id, 'refund', p.id, t.id, p.refund_id, t.gateway_id,
       p.subject_amount, p.amount, -p.subject_amount - p.amount, p.created_at, now()
FROM ledger_postings p JOIN all_transactions t ON t.id = p.transaction_id
WHERE p.client_id = :client_id AND p.type = 'COMMISSION_REVERSAL' AND p.created_at < :cutoff
  AND NOT EXISTS (SELECT 1 FROM settlement_line_items li WHERE li.posting_id = p.id)
ON CONFLICT (posting_id) DO NOTHING
""")
_UNSETTLED_MERCHANTS = text("""
SELECT DISTINCT p.client_id FROM ledger_postings p
WHERE p.type IN ('COMMISSION', 'COMMISSION_REVERSAL') AND p.created_at < :cutoff
  AND NOT EXISTS (SELECT 1 FROM settlement_line_items li WHERE li.posting_id = p.id)
""")


class SettlementRepository:
    async def insert_once(
        self,
        session: AsyncSession,
        *,
        client_id: uuid.UUID,
        period_date: date,
        period_start: datetime,
        period_end: datetime,
        requested_by: str,
    ) -> tuple[uuid.UUID, bool]:
        """(settlement id, created): the period's one settlement for this merchant."""
        new_id = (
            await session.execute(
                insert(Settlement)
                .values(
                    id=uuid.uuid4(),
                    client_id=client_id,
                    period_date=period_date,
                    period_start=period_start,
                    period_end=period_end,
                    status=SettlementStatus.PENDING,
                    requested_by=requested_by,
                )
                .on_conflict_do_nothing(constraint="uq_settlements_client_period")
                .returning(Settlement.id)
            )
        ).scalar_one_or_none()
        if new_id is not None:
            return new_id, True
        existing = (
            await session.execute(
                select(Settlement.id).where(
                    Settlement.client_id == client_id,
                    Settlement.period_start == period_start,
                    Settlement.period_end == period_end,
                )
            )
        ).scalar_one()
        return existing, False

    async def get_for_update(self, session: AsyncSession, settlement_id: uuid.UUID) -> Settlement | None:
        return await session.get(Settlement, settlement_id, with_for_update=True, populate_existing=True)

    async def unsettled_merchants(self, session: AsyncSession, *, cutoff: datetime) -> list[uuid.UUID]:
        return list((await session.execute(_UNSETTLED_MERCHANTS, {"cutoff": cutoff})).scalars())

    async def merchants_of_period(
        self, session: AsyncSession, *, period_start: datetime, period_end: datetime
    ) -> list[uuid.UUID]:
        stmt = select(Settlement.client_id).where(
            Settlement.period_start == period_start, Settlement.period_end == period_end
        )
        return list((await session.execute(stmt)).scalars())

    async def take_line_items(
        self, session: AsyncSession, settlement: Settlement, *, cutoff: datetime
    ) -> None:
        params = {"settlement_id": settlement.id, "client_id": settlement.client_id, "cutoff": cutoff}
        await session.execute(_TAKE_PAYMENTS, params)
        await session.execute(_TAKE_REFUNDS, params)

    async def totals(self, session: AsyncSession, settlement_id: uuid.UUID) -> dict[str, int]:
        li = SettlementLineItem
        row = (
            await session.execute(
                select(
                    func.count().filter(li.kind == SettlementLineKind.PAYMENT),
                    func.count().filter(li.kind == SettlementLineKind.REFUND),
                    func.coalesce(func.sum(li.amount).filter(li.kind == SettlementLineKind.PAYMENT), 0),
                    func.coalesce(func.sum(li.amount).filter(li.kind == SettlementLineKind.REFUND), 0),
                    func.coalesce(func.sum(li.commission), 0),
                    func.coalesce(func.sum(li.net), 0),
                ).where(li.settlement_id == settlement_id)
            )
        ).one()
        keys = (
            "payment_count",
            "refund_count",
            "gross_amount",
            "refunds_amount",
            "commission_amount",
            "net_amount",
        )
        return {k: int(v) for k, v in zip(keys, row, strict=True)}

    async def per_gateway(self, session: AsyncSession, settlement_id: uuid.UUID) -> list[dict[str, Any]]:
        li = SettlementLineItem
        rows = (
            await session.execute(
                select(
                    li.gateway_id,
                    PaymentGateway.name,
                    PaymentGateway.provider,
                    func.count().filter(li.kind == SettlementLineKind.PAYMENT).label("payment_count"),
                    func.count().filter(li.kind == SettlementLineKind.REFUND).label("refund_count"),
                    func.coalesce(func.sum(li.amount).filter(li.kind == SettlementLineKind.PAYMENT), 0).label(
                        "gross_amount"
                    ),
                    func.coalesce(func.sum(li.amount).filter(li.kind == SettlementLineKind.REFUND), 0).label(
                        "refunds_amount"
                    ),
                    func.coalesce(func.sum(li.commission), 0).label("commission_amount"),
                    func.coalesce(func.sum(li.net), 0).label("net_amount"),
                )
                .join(PaymentGateway, PaymentGateway.id == li.gateway_id)
                .where(li.settlement_id == settlement_id)
                .group_by(li.gateway_id, PaymentGateway.name, PaymentGateway.provider)
                .order_by(PaymentGateway.name)
            )
        ).all()
        return [dict(r._mapping) for r in rows]

    async def line_items(
        self, session: AsyncSession, settlement_id: uuid.UUID, *, limit: int | None = None
    ) -> list[dict[str, Any]]:
        li = SettlementLineItem
        rows = (
            await session.execute(
                select(li, ALL_TXN.order_id, PaymentGateway.name, ALL_TXN.payment_id)
                .join(ALL_TXN, ALL_TXN.id == li.transaction_id)  # the payment may be archived
                .join(PaymentGateway, PaymentGateway.id == li.gateway_id)
                .where(li.settlement_id == settlement_id)
                .order_by(li.occurred_at, li.id)
                .limit(limit)
            )
        ).all()
        return [
            {"item": item, "order_id": order_id, "gateway_name": name, "payment_id": payment_id}
            for item, order_id, name, payment_id in rows
        ]

    async def pending_intents(
        self, session: AsyncSession, settlement_ids: list[uuid.UUID]
    ) -> list[uuid.UUID]:
        if not settlement_ids:
            return []
        stmt = (
            select(JobIntent.id)
            .where(
                JobIntent.queue == "settlements",
                JobIntent.status == JobIntentStatus.PENDING,
                JobIntent.payload["settlement_id"].astext.in_([str(s) for s in settlement_ids]),
            )
            .order_by(JobIntent.created_at)
        )
        return list((await session.execute(stmt)).scalars())

    async def stuck(self, session: AsyncSession) -> list[tuple[uuid.UUID, str | None]]:
        """Settlements whose job gave up (a failed intent, nothing pending or parked): with the job's last
        error."""
        failed = (
            select(JobIntent.payload["settlement_id"].astext.label("sid"), JobIntent.last_error)
            .where(JobIntent.queue == "settlements", JobIntent.status == JobIntentStatus.FAILED)
            .subquery()
        )
        pending = select(JobIntent.id).where(
            JobIntent.queue == "settlements",
            # a parked intent (an operator drained the queue) is still to run once unparked
            JobIntent.status.in_((JobIntentStatus.PENDING, JobIntentStatus.PARKED)),
            JobIntent.payload["settlement_id"].astext == cast(Settlement.id, String),
        )
        stmt = (
            select(Settlement.id, failed.c.last_error)
            .join(failed, failed.c.sid == cast(Settlement.id, String))
            .where(
                Settlement.status.in_((SettlementStatus.PENDING, SettlementStatus.PROCESSING)),
                ~pending.exists(),
            )
        )
        return [(sid, err) for sid, err in (await session.execute(stmt)).all()]

    async def failed_to_retry(self, session: AsyncSession) -> list[tuple[uuid.UUID, date]]:
        """(merchant, day) of every failed settlement of a merchant that is not disabled, oldest first."""
        stmt = (
            select(Settlement.client_id, Settlement.period_date)
            .join(Client, Client.id == Settlement.client_id)
            .where(Settlement.status == SettlementStatus.FAILED, Client.status != ClientStatus.DISABLED)
            .order_by(Settlement.period_date, Settlement.client_id)
        )
        return [(cid, day) for cid, day in (await session.execute(stmt)).all()]

    # ---- the operator's reads

    async def get(self, session: AsyncSession, settlement_id: uuid.UUID) -> Settlement | None:
        return await session.get(Settlement, settlement_id)

    async def runs(self, session: AsyncSession, *, limit: int, before: date | None) -> list[dict[str, Any]]:
        """Settlement runs, one per settled day, newest day first, from before a day (ix_settlements_period):
        how many settlements each state holds, and the day's totals."""
        s = Settlement

        def in_state(state: str) -> Any:
            return func.count().filter(s.status == state)

        stmt = select(
            s.period_date,
            func.count().label("settlements"),
            in_state(SettlementStatus.PENDING).label("pending"),
            in_state(SettlementStatus.PROCESSING).label("processing"),
            in_state(SettlementStatus.COMPLETED).label("completed"),
            in_state(SettlementStatus.FAILED).label("failed"),
            func.coalesce(func.sum(s.gross_amount), 0).label("gross_amount"),
            func.coalesce(func.sum(s.refunds_amount), 0).label("refunds_amount"),
            func.coalesce(func.sum(s.commission_amount), 0).label("commission_amount"),
            func.coalesce(func.sum(s.dues_deducted), 0).label("dues_deducted"),
            func.coalesce(func.sum(s.payable_amount), 0).label("payable_amount"),
            func.min(s.created_at).label("started_at"),
            func.max(s.completed_at).label("completed_at"),
        )
        if before is not None:
            stmt = stmt.where(s.period_date < before)
        stmt = stmt.group_by(s.period_date).order_by(s.period_date.desc()).limit(limit)
        return [dict(row._mapping) for row in (await session.execute(stmt)).all()]

    async def of_period(
        self,
        session: AsyncSession,
        period_date: date,
        *,
        status: str | None,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None,
    ) -> list[tuple[Settlement, str]]:
        """A run's settlements with their merchant's name, newest first (ix_settlements_period)."""
        stmt = (
            select(Settlement, Client.company_name)
            .join(Client, Client.id == Settlement.client_id)
            .where(Settlement.period_date == period_date)
        )
        if status:
            stmt = stmt.where(Settlement.status == status)
        stmt = newest_first(stmt, Settlement, after=after, limit=limit)
        return [(row, name) for row, name in (await session.execute(stmt)).all()]

    # ---- reads

    def readable(self, client_id: uuid.UUID, *, mode: str | None = None) -> Select[Any]:
        """A merchant's settlements; of one `mode` only when given. Every settlement is live: test payments
        post no commission, so nothing of theirs settles; a test-mode request sees none."""
        stmt = select(Settlement).where(Settlement.client_id == client_id)
        return stmt if mode is None else stmt.where(Settlement.mode == mode)

    async def get_for_merchant(
        self,
        session: AsyncSession,
        client_id: uuid.UUID,
        settlement_id: uuid.UUID,
        *,
        mode: str | None = None,
    ) -> Settlement | None:
        stmt = self.readable(client_id, mode=mode).where(Settlement.id == settlement_id)
        found: Settlement | None = (await session.execute(stmt)).scalar_one_or_none()
        return found

    async def list(
        self,
        session: AsyncSession,
        *,
        client_id: uuid.UUID | None,
        status: str | None,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None,
        mode: str | None = None,
    ) -> list[Settlement]:
        stmt = self.readable(client_id, mode=mode) if client_id else select(Settlement)
        if status:
            stmt = stmt.where(Settlement.status == status)
        stmt = newest_first(stmt, Settlement, after=after, limit=limit)
        return list((await session.execute(stmt)).scalars())

    async def count_finished(self, session: AsyncSession, ids: Sequence[uuid.UUID]) -> int:
        """How many of these settlements have finished (completed or failed)."""
        stmt = (
            select(func.count())
            .select_from(Settlement)
            .where(
                Settlement.id.in_(ids),
                Settlement.status.in_((SettlementStatus.COMPLETED, SettlementStatus.FAILED)),
            )
        )
        return int((await session.execute(stmt)).scalar_one())


settlement_repo = SettlementRepository()
