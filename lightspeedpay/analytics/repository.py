"""Every query of the analytics: folding the delta log into the rollups, and reading the rollups."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, literal_column, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.models import AnalyticsRollup, Client, PaymentGateway
from lightspeedpay.models.analytics_rollup import ALL_IDS, RollupCut, RollupGrain
from lightspeedpay.models.transaction import TransactionStatus

# a payer who paid: captured, or authorized (and maybe refunded since); the PSP said no: failed or expired
SUCCEEDED = (
    TransactionStatus.AUTHORIZED,
    TransactionStatus.PAID,
    TransactionStatus.PARTIALLY_REFUNDED,
    TransactionStatus.REFUNDED,
)
FAILED = (TransactionStatus.FAILED, TransactionStatus.EXPIRED)

_KEY = "grain, cut, client_id, bucket_at, gateway_id, provider, method, status, currency, failure_code"

# One batch of the delta log, claimed and deleted (SKIP LOCKED: a concurrent fold takes other deltas, never the
# same ones), summed per bucket of each grain and per cut (GROUPING SETS: full, platform = without the
# merchant, merchant = without gateway/provider/method), and added to the rollups. The upsert takes its row
# locks in key order, so two folds at once wait for one another instead of deadlocking. It returns the keys
# whose counts came back to zero (deleted next, while this transaction still holds their locks).
_FOLD = text(
    f"""
WITH claimed AS (
    DELETE FROM analytics_deltas
    WHERE id IN (SELECT id FROM analytics_deltas ORDER BY id LIMIT :batch FOR UPDATE SKIP LOCKED)
    RETURNING bucket_at, client_id, gateway_id, provider, method, status, currency, failure_code,
              txn_count, amount, refunded
), graded AS (
    SELECT g.grain,
           CASE g.grain WHEN '5m' THEN c.bucket_at
                        WHEN '1h' THEN date_trunc('hour', c.bucket_at, 'Asia/Kolkata')
                        ELSE date_trunc('day', c.bucket_at, 'Asia/Kolkata') END AS bucket_at,
           c.client_id, c.gateway_id, c.provider, c.method, c.status, c.currency, c.failure_code,
           c.txn_count, c.amount, c.refunded
    FROM claimed c CROSS JOIN (VALUES ('5m'), ('1h'), ('1d')) AS g (grain)
), folded AS (
    SELECT grain,
           CASE WHEN GROUPING(gateway_id) = 1 THEN 'merchant'
                WHEN GROUPING(client_id) = 1 THEN 'platform' ELSE 'full' END AS cut,
           coalesce(client_id, CAST(:all_ids AS uuid)) AS client_id, bucket_at,
           coalesce(gateway_id, CAST(:all_ids AS uuid)) AS gateway_id,
           coalesce(provider, '') AS provider, coalesce(method, '') AS method, status, currency, failure_code,
           sum(txn_count) AS txn_count, sum(amount) AS amount, sum(refunded) AS refunded
    FROM graded
    GROUP BY grain, bucket_at, status, currency, failure_code,
             GROUPING SETS ((client_id, gateway_id, provider, method), (gateway_id, provider, method), (client_id))
    HAVING sum(txn_count) <> 0 OR sum(amount) <> 0 OR sum(refunded) <> 0
), upserted AS (
    INSERT INTO analytics_rollups AS r ({_KEY}, txn_count, amount, refunded)
    SELECT {_KEY}, txn_count, amount, refunded FROM folded ORDER BY {_KEY}
    ON CONFLICT ({_KEY}) DO UPDATE
    SET txn_count = r.txn_count + excluded.txn_count, amount = r.amount + excluded.amount,
        refunded = r.refunded + excluded.refunded
    RETURNING {_KEY}, (r.txn_count = 0 AND r.amount = 0 AND r.refunded = 0) AS empty
)
SELECT (SELECT count(*) FROM claimed) AS deltas, (SELECT count(*) FROM upserted) AS upserts,
       (SELECT CAST(coalesce(jsonb_agg(jsonb_build_array({_KEY})), '[]') AS text) FROM upserted WHERE empty)
           AS empty
"""
)

_DELETE_EMPTY = text(
    f"""
DELETE FROM analytics_rollups
WHERE ({_KEY}) IN (
    SELECT k->>0, k->>1, CAST(k->>2 AS uuid), CAST(k->>3 AS timestamptz), CAST(k->>4 AS uuid), k->>5, k->>6,
           k->>7, k->>8, k->>9
    FROM jsonb_array_elements(CAST(:keys AS jsonb)) AS k)
AND txn_count = 0 AND amount = 0 AND refunded = 0
"""
)


@dataclass(frozen=True)
class Folded:
    deltas: int  # delta rows claimed and deleted
    upserts: int  # rollup rows added to or created
    emptied: int  # rollup rows whose counts came back to zero, deleted


@dataclass(frozen=True)
class Scope:
    """Which rollup rows a question reads: a grain and cut, a time range, and the filters."""

    grain: RollupGrain
    cut: RollupCut
    start: datetime
    end: datetime
    currency: str
    client_id: uuid.UUID | None = None
    gateway_id: uuid.UUID | None = None
    provider: str | None = None
    method: str | None = None


R = AnalyticsRollup
GROUP_COLUMNS: dict[str, Any] = {
    "gateway": R.gateway_id,
    "provider": R.provider,
    "merchant": R.client_id,
    "method": R.method,
    "status": R.status,
}


def _measures() -> list[Any]:
    return [
        func.sum(R.txn_count).label("count"),
        func.coalesce(func.sum(R.txn_count).filter(R.status.in_(SUCCEEDED)), 0).label("succeeded"),
        func.coalesce(func.sum(R.txn_count).filter(R.status.in_(FAILED)), 0).label("failed"),
        func.coalesce(func.sum(R.amount).filter(R.status.in_(SUCCEEDED)), 0).label("volume"),
        func.sum(R.refunded).label("refunded"),
    ]


def _where(scope: Scope) -> list[ColumnElement[bool]]:
    where = [
        R.grain == scope.grain,
        R.cut == scope.cut,
        R.bucket_at >= scope.start,
        R.bucket_at < scope.end,
        R.currency == scope.currency,
    ]
    if scope.cut == RollupCut.PLATFORM:
        where.append(R.client_id == ALL_IDS)  # the primary key's prefix: (grain, cut, client_id, bucket_at)
    elif scope.client_id is not None:
        where.append(R.client_id == scope.client_id)
    if scope.gateway_id is not None:
        where.append(R.gateway_id == scope.gateway_id)
    if scope.provider is not None:
        where.append(R.provider == scope.provider)
    if scope.method is not None:
        where.append(R.method == scope.method)
    return where


class AnalyticsRepository:
    async def fold(self, session: AsyncSession, *, batch: int) -> Folded:
        row = (await session.execute(_FOLD, {"batch": batch, "all_ids": ALL_IDS})).one()
        emptied = 0
        if row.empty != "[]":
            emptied = (await session.execute(_DELETE_EMPTY, {"keys": row.empty})).rowcount  # type: ignore[attr-defined]
        return Folded(deltas=row.deltas, upserts=row.upserts, emptied=emptied)

    async def totals(
        self, session: AsyncSession, scope: Scope, *, split_at: datetime, group_by: str | None
    ) -> list[Any]:
        """(period, group, measures) rows: period 1 is [split_at, end), period 0 the one before it."""
        period = case((R.bucket_at >= split_at, 1), else_=0).label("period")
        group = _group(group_by)
        stmt: Select[Any] = (
            select(period, group, *_measures()).where(*_where(scope)).group_by(_PERIOD, _GROUP)
        )
        return list(await session.execute(stmt))

    async def series(
        self,
        session: AsyncSession,
        scope: Scope,
        *,
        group_by: str | None,
        groups: list[Any] | None = None,
    ) -> list[Any]:
        """(bucket_at, group, measures) rows, for the groups given (all of them when None)."""
        group = _group(group_by)
        where = _where(scope)
        if group_by is not None and groups is not None:
            where.append(GROUP_COLUMNS[group_by].in_(groups))
        stmt: Select[Any] = (
            select(R.bucket_at, group, *_measures()).where(*where).group_by(R.bucket_at, _GROUP)
        )
        return list(await session.execute(stmt))

    async def failure_reasons(self, session: AsyncSession, scope: Scope, *, split_at: datetime) -> list[Any]:
        """(period, failure_code, count) of failed and expired payments."""
        period = case((R.bucket_at >= split_at, 1), else_=0).label("period")
        stmt: Select[Any] = (
            select(period, R.failure_code, func.sum(R.txn_count).label("count"))
            .where(*_where(scope), R.status.in_(FAILED))
            .group_by(_PERIOD, R.failure_code)
        )
        return list(await session.execute(stmt))

    async def gateway_names(self, session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
        rows = await session.execute(
            select(PaymentGateway.id, PaymentGateway.name).where(PaymentGateway.id.in_(ids))
        )
        return {r.id: r.name for r in rows}

    async def merchant_names(self, session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
        rows = await session.execute(select(Client.id, Client.company_name).where(Client.id.in_(ids)))
        return {r.id: r.company_name for r in rows}


# grouped by the output columns' names: an expression with a bound value, repeated in GROUP BY, would be a second
# parameter that PostgreSQL does not know to be the same expression
_PERIOD: ColumnElement[Any] = literal_column("period")
_GROUP: ColumnElement[Any] = literal_column("grp")


def _group(group_by: str | None) -> Any:
    return (GROUP_COLUMNS[group_by] if group_by is not None else literal_column("''")).label("grp")


analytics_repo = AnalyticsRepository()
