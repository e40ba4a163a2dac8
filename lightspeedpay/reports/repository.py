"""Every query of the health report: the figures of one period, read from the tables of the domains they belong to
(read only), and the stored reports."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.kit.pagination import newest_first
from lightspeedpay.models import HealthReport

# live payments created in the period, archived or not, by status (test-mode payments are no business figure;
# the gateway table below counts them, as they do test the sandbox gateways)
_PAYMENTS = text("""
SELECT status, count(*) AS n, coalesce(sum(amount), 0) AS amount
FROM all_transactions WHERE created_at >= :start AND created_at < :end AND mode = 'live'
GROUP BY status
""")

# per gateway: the payments routed to it in the period by outcome, and its PSP calls (gateway_attempts)
_GATEWAYS = text("""
WITH p AS (
    SELECT gateway_id,
           count(*) AS payments,
           count(*) FILTER (WHERE status IN ('authorized', 'paid', 'partially_refunded', 'refunded')) AS succeeded,
           count(*) FILTER (WHERE status = 'failed') AS failed,
           count(*) FILTER (WHERE status = 'expired') AS expired
    FROM all_transactions WHERE created_at >= :start AND created_at < :end GROUP BY gateway_id
), a AS (
    SELECT gateway_id, count(*) AS psp_calls,
           count(*) FILTER (WHERE outcome = 'declined') AS declines,
           count(*) FILTER (WHERE outcome = 'technical_error') AS technical_errors
    FROM gateway_attempts WHERE created_at >= :start AND created_at < :end GROUP BY gateway_id
)
SELECT g.id AS gateway_id, g.name, g.provider,
       coalesce(p.payments, 0) AS payments, coalesce(p.succeeded, 0) AS succeeded,
       coalesce(p.failed, 0) AS failed, coalesce(p.expired, 0) AS expired,
       coalesce(a.psp_calls, 0) AS psp_calls, coalesce(a.declines, 0) AS declines,
       coalesce(a.technical_errors, 0) AS technical_errors
FROM payment_gateways g
LEFT JOIN p ON p.gateway_id = g.id
LEFT JOIN a ON a.gateway_id = g.id
WHERE p.gateway_id IS NOT NULL OR a.gateway_id IS NOT NULL
ORDER BY g.name
""")

_FAILURE_REASONS = text("""
SELECT gateway_id, coalesce(error_code, 'UNKNOWN') AS code, count(*) AS n
FROM all_transactions
WHERE created_at >= :start AND created_at < :end AND status IN ('failed', 'expired')
GROUP BY gateway_id, coalesce(error_code, 'UNKNOWN')
ORDER BY n DESC, code
""")

_COMMISSION = text("""
SELECT type, count(*) AS n, coalesce(sum(amount), 0) AS amount
FROM ledger_postings WHERE created_at >= :start AND created_at < :end
GROUP BY type
""")

_ALERTS = text("""
SELECT
    (SELECT count(*) FROM alerts WHERE status <> 'resolved') AS open,
    (SELECT count(*) FROM alerts WHERE status = 'acknowledged') AS acknowledged,
    (SELECT count(*) FROM alerts WHERE opened_at >= :start AND opened_at < :end) AS opened,
    (SELECT count(*) FROM alerts WHERE resolved_at >= :start AND resolved_at < :end) AS resolved
""")

_OPEN_ALERTS = text("""
SELECT severity, kind, count(*) AS n FROM alerts WHERE status <> 'resolved'
GROUP BY severity, kind ORDER BY severity, kind
""")

# the backlog as it is when the report is made
_INTENTS_PENDING = text("""
SELECT queue, count(*) AS n, min(run_after) AS oldest
FROM job_intents WHERE status = 'pending' GROUP BY queue ORDER BY queue
""")

_INTENTS_FAILED = text("""
SELECT name, count(*) FILTER (WHERE updated_at >= :start AND updated_at < :end) AS in_period, count(*) AS total
FROM job_intents WHERE status = 'failed' GROUP BY name ORDER BY name
""")

# merchant webhook deliveries (events, not pings) finished in the period, and their HTTP attempts
_WEBHOOKS = text("""
SELECT
    (SELECT count(*) FROM webhook_deliveries WHERE kind = 'event' AND status = 'delivered'
        AND finished_at >= :start AND finished_at < :end) AS delivered,
    (SELECT count(*) FROM webhook_deliveries WHERE kind = 'event' AND status = 'failed'
        AND finished_at >= :start AND finished_at < :end) AS failed,
    (SELECT count(*) FROM webhook_delivery_attempts WHERE created_at >= :start AND created_at < :end) AS attempts,
    (SELECT count(*) FROM webhook_delivery_attempts WHERE status = 'failed'
        AND created_at >= :start AND created_at < :end) AS failed_attempts,
    (SELECT count(*) FROM webhook_deliveries WHERE status = 'pending') AS pending_now
""")


class HealthReportRepository:
    async def payments(self, session: AsyncSession, start: datetime, end: datetime) -> list[Any]:
        return list(await session.execute(_PAYMENTS, {"start": start, "end": end}))

    async def gateways(self, session: AsyncSession, start: datetime, end: datetime) -> list[Any]:
        return list(await session.execute(_GATEWAYS, {"start": start, "end": end}))

    async def failure_reasons(self, session: AsyncSession, start: datetime, end: datetime) -> list[Any]:
        return list(await session.execute(_FAILURE_REASONS, {"start": start, "end": end}))

    async def commission(self, session: AsyncSession, start: datetime, end: datetime) -> list[Any]:
        return list(await session.execute(_COMMISSION, {"start": start, "end": end}))

    async def alerts(self, session: AsyncSession, start: datetime, end: datetime) -> tuple[Any, list[Any]]:
        counts = (await session.execute(_ALERTS, {"start": start, "end": end})).one()
        return counts, list(await session.execute(_OPEN_ALERTS))

    async def intents(
        self, session: AsyncSession, start: datetime, end: datetime
    ) -> tuple[list[Any], list[Any]]:
        pending = list(await session.execute(_INTENTS_PENDING))
        failed = list(await session.execute(_INTENTS_FAILED, {"start": start, "end": end}))
        return pending, failed

    async def webhooks(self, session: AsyncSession, start: datetime, end: datetime) -> Any:
        return (await session.execute(_WEBHOOKS, {"start": start, "end": end})).one()

    async def insert(self, session: AsyncSession, values: dict[str, Any]) -> HealthReport | None:
        """The period's report, or None when it has one already (one report per day)."""
        stmt = (
            insert(HealthReport)
            .values(id=uuid.uuid4(), **values)
            .on_conflict_do_nothing(index_elements=["period_date"])
            .returning(HealthReport)
        )
        found: HealthReport | None = (await session.execute(stmt)).scalar_one_or_none()
        return found

    async def by_date(self, session: AsyncSession, day: date) -> HealthReport | None:
        stmt = select(HealthReport).where(HealthReport.period_date == day)
        return (await session.execute(stmt)).scalar_one_or_none()

    async def latest(self, session: AsyncSession) -> HealthReport | None:
        stmt = select(HealthReport).order_by(HealthReport.period_date.desc()).limit(1)
        return (await session.execute(stmt)).scalar_one_or_none()

    async def list(
        self,
        session: AsyncSession,
        *,
        date_from: date | None,
        date_to: date | None,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None,
    ) -> list[HealthReport]:
        stmt = select(HealthReport)
        if date_from is not None:
            stmt = stmt.where(HealthReport.period_date >= date_from)
        if date_to is not None:
            stmt = stmt.where(HealthReport.period_date <= date_to)
        stmt = newest_first(stmt, HealthReport, after=after, limit=limit)
        return list((await session.execute(stmt)).scalars())


health_report_repo = HealthReportRepository()
