"""Settlements: one per merchant and calendar day (LSP_SETTLEMENT_TIMEZONE).

A settlement takes every payment captured (its COMMISSION posting) and every refund processed (its
COMMISSION_REVERSAL posting) before the end of its day, or before the moment it runs for the current day,
that no settlement took yet; so a late event or a failed day is caught up by the next settlement, and
nothing is settled twice. gross - refunds - commission = net. When the merchant settles dues from
settlements, `commission.payout` then deducts min(balance_due, gross - refunds) as a COMMISSION_PAYOUT.
pending -> processing -> completed, or failed with a reason (a failed one is retried by re-running it).
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay import jobs
from lightspeedpay.config import get_settings
from lightspeedpay.db import sessionmaker
from lightspeedpay.errors import NotFound, ValidationFailed
from lightspeedpay.kit.logging import log
from lightspeedpay.kit.pagination import page_cursor, parse_cursor
from lightspeedpay.ledger.repository import ledger_repo
from lightspeedpay.ledger.service import ledger_service
from lightspeedpay.models import Client, Settlement
from lightspeedpay.models.client import ClientStatus
from lightspeedpay.models.settlement import SettlementStatus
from lightspeedpay.monitoring import audit
from lightspeedpay.monitoring.audit import csv_cell
from lightspeedpay.settlements.repository import settlement_repo
from lightspeedpay.webhooks.service import webhook_service


class SettlementNotFound(NotFound):
    pass


def local_zone() -> ZoneInfo:
    return ZoneInfo(get_settings().settlement_timezone)


def today() -> date:
    return datetime.now(local_zone()).date()


def period_of(day: date) -> tuple[datetime, datetime]:
    tz = local_zone()
    return datetime.combine(day, time(0), tzinfo=tz), datetime.combine(
        day + timedelta(days=1), time(0), tzinfo=tz
    )


class SettlementService:
    async def run(
        self,
        session: AsyncSession,
        *,
        day: date | None = None,
        client_id: uuid.UUID | None = None,
        actor: str,
        retry_failed: bool = True,
    ) -> list[tuple[Settlement, bool]]:
        """Create (at most once) the settlements of a day and queue their processing. Without a merchant,
        every merchant with something unsettled in the period gets one. Returns (settlement, created)."""
        day = day or today() - timedelta(days=1)
        if day > today():
            raise ValidationFailed(f"The period {day.isoformat()} has not started yet.", field="date")
        start, end = period_of(day)
        if client_id is not None:
            if await session.get(Client, client_id) is None:
                raise NotFound("No merchant with this id.", field="merchant_id")
            targets = [client_id]
        else:
            # merchants with something unsettled, and those settled for this period already (a re-run shows
            # them, and retries a failed one)
            unsettled = await settlement_repo.unsettled_merchants(session, cutoff=min(end, datetime.now(UTC)))
            settled = await settlement_repo.merchants_of_period(session, period_start=start, period_end=end)
            targets = list(dict.fromkeys([*settled, *unsettled]))
        out: list[tuple[Settlement, bool]] = []
        for cid in targets:
            sid, created = await settlement_repo.insert_once(
                session,
                client_id=cid,
                period_date=day,
                period_start=start,
                period_end=end,
                requested_by=actor,
            )
            settlement = await settlement_repo.get_for_update(session, sid)
            assert settlement is not None
            if created:
                client = await session.get(Client, cid)
                assert client is not None
                audit.record(
                    session,
                    actor=actor,
                    action="settlement.created",
                    client_id=cid,
                    target_type="settlement",
                    target_id=sid,
                    after={"status": settlement.status, "period_date": day.isoformat()},
                    details={"period_date": day.isoformat()},
                )
                await self._emit(session, client, "settlement.created", settlement)
                jobs.enqueue(session, "settlement.process", settlement_id=str(sid))
            elif settlement.status == SettlementStatus.FAILED and retry_failed:
                audit.record(
                    session,
                    actor=actor,
                    action="settlement.retried",
                    client_id=cid,
                    target_type="settlement",
                    target_id=sid,
                    before={"status": settlement.status, "failure_reason": settlement.failure_reason},
                    after={"status": SettlementStatus.PENDING, "failure_reason": None},
                    details={"period_date": day.isoformat()},
                )
                settlement.status, settlement.failure_reason = SettlementStatus.PENDING, None
                jobs.enqueue(session, "settlement.process", settlement_id=str(sid))
            out.append((settlement, created))
        return out

    async def process(self, session: AsyncSession, settlement_id: uuid.UUID) -> None:
        settlement = await settlement_repo.get_for_update(session, settlement_id)
        if settlement is None or settlement.status != SettlementStatus.PENDING:
            return  # already processed
        client = await session.get(Client, settlement.client_id)
        assert client is not None
        # one settlement of a merchant at a time: they take line items from the same postings
        await ledger_repo.lock_wallet(session, client.id)
        if client.status == ClientStatus.DISABLED:
            self._fail(session, settlement, "The merchant account is disabled.")
            return
        cutoff = min(settlement.period_end, datetime.now(UTC))
        settlement.status, settlement.cutoff_at = SettlementStatus.PROCESSING, cutoff
        await settlement_repo.take_line_items(session, settlement, cutoff=cutoff)
        for key, value in (await settlement_repo.totals(session, settlement.id)).items():
            setattr(settlement, key, value)
        settlement.payable_amount = settlement.gross_amount - settlement.refunds_amount
        audit.record(
            session,
            actor="settlement",
            action="settlement.processing",
            client_id=client.id,
            target_type="settlement",
            target_id=settlement.id,
            details={"payments": settlement.payment_count, "refunds": settlement.refund_count},
        )
        if client.settle_dues_from_settlement:
            jobs.enqueue(session, "commission.payout", settlement_id=str(settlement.id))
            return
        await self._complete(session, client, settlement)

    async def commission_payout(self, session: AsyncSession, settlement_id: uuid.UUID) -> None:
        """The daily commission payout: dues settled out of the settlement's proceeds."""
        settlement = await settlement_repo.get_for_update(session, settlement_id)
        if settlement is None or settlement.status != SettlementStatus.PROCESSING:
            return
        client = await session.get(Client, settlement.client_id)
        assert client is not None
        proceeds = settlement.gross_amount - settlement.refunds_amount
        settlement.dues_deducted = await ledger_service.deduct_from_settlement(
            session,
            client,
            settlement_id=settlement.id,
            available=proceeds,
            label=f"settlement {settlement.period_date.isoformat()}",
        )
        settlement.payable_amount = proceeds - settlement.dues_deducted
        await self._complete(session, client, settlement)

    async def fail_stuck(self, session: AsyncSession) -> int:
        """Settlements whose job used up its attempts become failed, with the job's last error."""
        stuck = await settlement_repo.stuck(session)
        for sid, error in stuck:
            settlement = await settlement_repo.get_for_update(session, sid)
            if settlement is not None and settlement.status in (
                SettlementStatus.PENDING,
                SettlementStatus.PROCESSING,
            ):
                self._fail(session, settlement, error or "The settlement job failed.")
        return len(stuck)

    async def scheduled(self, session: AsyncSession) -> dict[str, int]:
        """The scheduler's daily settlement: yesterday's, once the local hour has passed."""
        failed = await self.fail_stuck(session)
        now = datetime.now(local_zone())
        if now.hour < get_settings().settlement_after_hour:
            return {"created": 0, "failed": failed} if failed else {}
        results = await self.run(
            session, day=now.date() - timedelta(days=1), actor="scheduler", retry_failed=False
        )
        created = sum(1 for _, c in results if c)
        return {"created": created, "failed": failed} if created or failed else {}

    async def daily_commission_payout(
        self, session: AsyncSession, *, day: date | None = None
    ) -> dict[str, Any]:
        """Seed 003's "Commission Payout", daily at 00:00 IST. The commission a merchant owes is collected by
        deducting it from its settlement (`commission.payout`, for merchants who settle dues from settlements)
        or paid by the merchant (`POST /api/v1/admin/merchants/{id}/payouts`); what was missing is the daily
        run that makes the deductions happen on time and never stay stuck:
        - the day that just ended is settled at once (a posting is settled by the first settlement whose cutoff
          is after it, so settling at 00:00 rather than after LSP_SETTLEMENT_AFTER_HOUR loses nothing: a
          posting committed late goes to the next day's settlement); each settlement then deducts the dues;
        - every failed settlement (a processing or payout job that gave up; its line items stay taken, so only
          re-running it settles them) is retried, once a day, instead of waiting for an operator. Those of
          disabled merchants are left to an operator.
        The 5-minute `settlements` check stays as the catch-up when this run was missed. Run once per IST day
        (retention.DailyRuns). `day`: the day to settle, yesterday by default."""
        stuck = await self.fail_stuck(session)
        day = day or today() - timedelta(days=1)
        settled = await self.run(session, day=day, actor="commission_payout", retry_failed=True)
        retried = 0
        for client_id, failed_day in await settlement_repo.failed_to_retry(session):
            if failed_day == day:
                continue  # retried by the run above
            await self.run(session, day=failed_day, client_id=client_id, actor="commission_payout")
            retried += 1
        created = sum(1 for _, new in settled if new)
        return {"day": day.isoformat(), "created": created, "retried": retried, "failed_stuck": stuck}

    def _fail(self, session: AsyncSession, settlement: Settlement, reason: str) -> None:
        settlement.status, settlement.failure_reason = SettlementStatus.FAILED, reason[:2000]
        audit.record(
            session,
            actor="settlement",
            action="settlement.failed",
            client_id=settlement.client_id,
            target_type="settlement",
            target_id=settlement.id,
            details={"reason": reason[:2000]},
        )
        log.warning("settlement_failed", settlement_id=str(settlement.id), reason=reason)

    async def _complete(self, session: AsyncSession, client: Client, settlement: Settlement) -> None:
        settlement.status, settlement.completed_at = SettlementStatus.COMPLETED, datetime.now(UTC)
        audit.record(
            session,
            actor="settlement",
            action="settlement.completed",
            client_id=client.id,
            target_type="settlement",
            target_id=settlement.id,
            details={
                "net_amount": settlement.net_amount,
                "dues_deducted": settlement.dues_deducted,
                "payable_amount": settlement.payable_amount,
            },
        )
        await self._emit(session, client, "settlement.completed", settlement)

    async def _emit(self, session: AsyncSession, client: Client, event: str, settlement: Settlement) -> None:
        await webhook_service.emit(session, client, event, self.summary(settlement))

    @staticmethod
    def summary(s: Settlement) -> dict[str, Any]:
        return {
            "settlement_id": str(s.id),
            "period_date": s.period_date.isoformat(),
            "period_start": s.period_start.isoformat(),
            "period_end": s.period_end.isoformat(),
            "status": s.status,
            "currency": s.currency,
            "payment_count": s.payment_count,
            "refund_count": s.refund_count,
            "gross_amount": s.gross_amount,
            "refunds_amount": s.refunds_amount,
            "commission_amount": s.commission_amount,
            "net_amount": s.net_amount,
            "dues_deducted": s.dues_deducted,
            "payable_amount": s.payable_amount,
        }

    async def get(
        self,
        session: AsyncSession,
        client_id: uuid.UUID,
        settlement_id: uuid.UUID,
        *,
        mode: str | None = None,
    ) -> Settlement:
        settlement = await settlement_repo.get_for_merchant(session, client_id, settlement_id, mode=mode)
        if settlement is None:
            raise SettlementNotFound(
                "No settlement with this id belongs to your account.", field="settlement_id"
            )
        return settlement

    async def page(
        self,
        session: AsyncSession,
        *,
        client_id: uuid.UUID | None,
        status: str | None,
        limit: int,
        cursor: str | None,
        mode: str | None = None,
    ) -> tuple[list[Settlement], str | None]:
        """Newest first, keyset-paginated; one merchant's (`client_id`, in its request's `mode`) or everyone's
        (the operator)."""
        rows = await settlement_repo.list(
            session,
            client_id=client_id,
            status=status,
            limit=limit + 1,
            after=parse_cursor(cursor),
            mode=mode,
        )
        return rows[:limit], page_cursor(rows, limit)

    async def line_items(
        self, session: AsyncSession, settlement: Settlement, *, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """The settlement's payments and refunds in the order they happened (the first `limit` of them)."""
        return await settlement_repo.line_items(session, settlement.id, limit=limit)

    async def line_items_csv(self, session: AsyncSession, settlement: Settlement) -> tuple[str, str]:
        """A merchant's settlement as CSV, one row per line item (its API's and its console's download): the
        file name and the text."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(LINE_ITEM_CSV_COLUMNS)
        for row in await self.line_items(session, settlement):
            item = row["item"]
            writer.writerow(
                [
                    settlement.id,
                    settlement.period_date.isoformat(),
                    item.kind,
                    item.occurred_at.isoformat(),
                    item.transaction_id,
                    row["order_id"],
                    item.refund_id or "",
                    row["gateway_name"],
                    settlement.currency,
                    item.amount,
                    item.commission,
                    item.net,
                    _inr(item.amount),
                    _inr(item.commission),
                    _inr(item.net),
                ]
            )
        return f"settlement-{settlement.period_date.isoformat()}-{settlement.id}.csv", out.getvalue()

    # ---- the operator's reads

    async def get_any(self, session: AsyncSession, settlement_id: uuid.UUID) -> Settlement:
        """Any merchant's settlement (the operator's read)."""
        settlement = await settlement_repo.get(session, settlement_id)
        if settlement is None:
            raise SettlementNotFound("No settlement has this id.", field="settlement_id")
        return settlement

    async def runs(
        self, session: AsyncSession, *, limit: int, before: date | None = None
    ) -> tuple[list[dict[str, Any]], date | None]:
        """Settlement runs (one per settled day), newest first, and the day the next page starts before."""
        rows = await settlement_repo.runs(session, limit=limit + 1, before=before)
        more = len(rows) > limit
        rows = rows[:limit]
        return rows, (rows[-1]["period_date"] if more else None)

    async def run_page(
        self,
        session: AsyncSession,
        period_date: date,
        *,
        status: str | None = None,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[tuple[Settlement, str]], str | None]:
        """One run's settlements (merchant name beside each), newest first, keyset-paginated."""
        rows = await settlement_repo.of_period(
            session, period_date, status=status, limit=limit + 1, after=parse_cursor(cursor)
        )
        return rows[:limit], page_cursor(rows, limit, key=lambda r: r[0])

    async def export_run_csv(self, period_date: date) -> AsyncIterator[bytes]:
        """A run's settlements as CSV (one row per merchant), newest first; read in short transactions."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(RUN_CSV_COLUMNS)
        yield _drain(out)
        after: tuple[datetime, uuid.UUID] | None = None
        while True:
            async with sessionmaker()() as session:
                rows = await settlement_repo.of_period(
                    session, period_date, status=None, limit=_EXPORT_BATCH, after=after
                )
            for s, company_name in rows:
                writer.writerow(
                    [
                        s.id,
                        s.period_date.isoformat(),
                        s.client_id,
                        csv_cell(company_name),
                        s.status,
                        csv_cell(s.failure_reason),
                        s.currency,
                        s.payment_count,
                        s.refund_count,
                        s.gross_amount,
                        s.refunds_amount,
                        s.commission_amount,
                        s.net_amount,
                        s.dues_deducted,
                        s.payable_amount,
                        f"{Decimal(s.payable_amount) / 100:.2f}",
                        s.created_at.isoformat(),
                        s.completed_at.isoformat() if s.completed_at else "",
                    ]
                )
            if rows:
                yield _drain(out)
            if len(rows) < _EXPORT_BATCH:
                return
            after = (rows[-1][0].created_at, rows[-1][0].id)

    async def per_gateway(self, session: AsyncSession, settlement: Settlement) -> list[dict[str, Any]]:
        return await settlement_repo.per_gateway(session, settlement.id)


RUN_CSV_COLUMNS = (
    "settlement_id",
    "period_date",
    "merchant_id",
    "company_name",
    "status",
    "failure_reason",
    "currency",
    "payment_count",
    "refund_count",
    "gross_paise",
    "refunds_paise",
    "commission_paise",
    "net_paise",
    "dues_deducted_paise",
    "payable_paise",
    "payable_inr",
    "created_at",
    "completed_at",
)
_EXPORT_BATCH = 500
LINE_ITEM_CSV_COLUMNS = (
    "settlement_id",
    "period_date",
    "kind",
    "occurred_at",
    "transaction_id",
    "order_id",
    "refund_id",
    "gateway",
    "currency",
    "amount_paise",
    "commission_paise",
    "net_paise",
    "amount_inr",
    "commission_inr",
    "net_inr",
)


def _inr(paise: int) -> str:
    return f"{Decimal(paise) / 100:.2f}"


def _drain(out: io.StringIO) -> bytes:
    text = out.getvalue()
    out.seek(0)
    out.truncate()
    return text.encode()


settlement_service = SettlementService()
