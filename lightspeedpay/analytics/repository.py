"""Every query of the analytics: folding the delta log into the rollups, and reading the rollups."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Float,
    Integer,
    Select,
    and_,
    case,
    cast,
    func,
    literal_column,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.analytics.window import STEP
from lightspeedpay.models import AnalyticsFailure, AnalyticsRollup, Client, PaymentGateway
from lightspeedpay.models.analytics_rollup import ALL_IDS, RollupCut, RollupGrain
from lightspeedpay.models.transaction import TransactionStatus

STATUSES = [s.value for s in TransactionStatus]
# a payer who paid: captured, or authorized (and maybe refunded since); the PSP said no: failed or expired
SUCCEEDED = [
    TransactionStatus.AUTHORIZED.value,
    TransactionStatus.PAID.value,
    TransactionStatus.PARTIALLY_REFUNDED.value,
    TransactionStatus.REFUNDED.value,
]
FAILED = [TransactionStatus.FAILED.value, TransactionStatus.EXPIRED.value]
MEASURES = [f"n_{s}" for s in STATUSES] + [f"amount_{s}" for s in STATUSES] + ["refunded"]
_KEY = "grain, cut, client_id, bucket_at, gateway_id, provider, method, currency"
_FKEY = f"{_KEY}, failure_code"
# GROUPING(client_id, gateway_id, method) is a bit mask of what a grouping set rolled away: 4 the merchant, 2 the
# gateway (and provider), 1 the method
_CUT = """CASE GROUPING(client_id, gateway_id, method)
               WHEN 0 THEN 'full' WHEN 4 THEN 'platform' WHEN 3 THEN 'merchant' WHEN 5 THEN 'gateway'
               WHEN 6 THEN 'method' ELSE 'total' END AS cut,
           coalesce(client_id, CAST(:all_ids AS uuid)) AS client_id, bucket_at,
           coalesce(gateway_id, CAST(:all_ids AS uuid)) AS gateway_id,
           coalesce(provider, '') AS provider, coalesce(method, '') AS method, currency"""
_CUTS = """GROUPING SETS ((client_id, gateway_id, provider, method), (gateway_id, provider, method), (client_id),
                           (gateway_id, provider), (method), ())"""
# the cuts each grain keeps: models.analytics_rollup.CUTS
_KEPT = "(grain <> '5m' OR cut IN ('full', 'gateway', 'method', 'total'))"
_PIVOT = ",\n           ".join(
    [f"coalesce(sum(txn_count) FILTER (WHERE status = '{s}'), 0) AS n_{s}" for s in STATUSES]
    + [f"coalesce(sum(amount) FILTER (WHERE status = '{s}'), 0) AS amount_{s}" for s in STATUSES]
    + ["sum(refunded) AS refunded"]
)
_NONZERO = " OR ".join(f"{m} <> 0" for m in MEASURES)
_ZERO = " AND ".join(f"r.{m} = 0" for m in MEASURES)
_ADD = ", ".join(f"{m} = r.{m} + excluded.{m}" for m in MEASURES)
_MEASURE_LIST = ", ".join(MEASURES)

# One batch of the delta log, claimed and deleted (SKIP LOCKED: a concurrent fold takes other deltas, never the
# same ones), summed per bucket of each grain and per cut (GROUPING SETS), pivoted by status, and added to the
# rollups; failed and expired ones also to the failures by code. Each upsert takes its row locks in key order,
# and the failures are upserted only once the rollups are (the scalar subquery on `upserted` runs it to the
# end first), so two folds at once wait for one another instead of deadlocking. The keys whose counts came back
# to zero are returned, to be deleted while this transaction still holds their locks.
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
), rollup_rows AS (
    SELECT grain, {_CUT},
           {_PIVOT}
    FROM graded
    GROUP BY grain, bucket_at, currency, {_CUTS}
), failure_rows AS (
    SELECT grain, {_CUT}, failure_code, sum(txn_count) AS txn_count
    FROM graded WHERE status IN ('failed', 'expired')
    GROUP BY grain, bucket_at, currency, failure_code, {_CUTS}
), upserted AS (
    INSERT INTO analytics_rollups AS r ({_KEY}, {_MEASURE_LIST})
    SELECT {_KEY}, {_MEASURE_LIST} FROM rollup_rows WHERE {_KEPT} AND ({_NONZERO}) ORDER BY {_KEY}
    ON CONFLICT ({_KEY}) DO UPDATE SET {_ADD}
    RETURNING {_KEY}, ({_ZERO}) AS empty
), failures_upserted AS (
    INSERT INTO analytics_failures AS r ({_FKEY}, txn_count)
    SELECT {_FKEY}, txn_count FROM failure_rows
    WHERE {_KEPT} AND txn_count <> 0 AND (SELECT count(*) FROM upserted) >= 0
    ORDER BY {_FKEY}
    ON CONFLICT ({_FKEY}) DO UPDATE SET txn_count = r.txn_count + excluded.txn_count
    RETURNING {_FKEY}, r.txn_count = 0 AS empty
)
SELECT (SELECT count(*) FROM claimed) AS deltas,
       (SELECT count(*) FROM upserted) AS upserts,
       (SELECT count(*) FROM failures_upserted) AS failure_upserts,
       (SELECT CAST(coalesce(jsonb_agg(jsonb_build_array({_KEY})), '[]') AS text) FROM upserted WHERE empty)
           AS empty_rollups,
       (SELECT CAST(coalesce(jsonb_agg(jsonb_build_array({_FKEY})), '[]') AS text)
        FROM failures_upserted WHERE empty) AS empty_failures
"""
)

_KEYS_FROM_JSON = """SELECT k->>0, k->>1, CAST(k->>2 AS uuid), CAST(k->>3 AS timestamptz), CAST(k->>4 AS uuid),
           k->>5, k->>6, k->>7{extra}
    FROM jsonb_array_elements(CAST(:keys AS jsonb)) AS k"""
_DELETE_EMPTY_ROLLUPS = text(
    f"DELETE FROM analytics_rollups r WHERE ({_KEY}) IN ({_KEYS_FROM_JSON.format(extra='')}) AND {_ZERO}"
)
_DELETE_EMPTY_FAILURES = text(
    f"DELETE FROM analytics_failures r WHERE ({_FKEY}) IN ({_KEYS_FROM_JSON.format(extra=', k->>8')}) "
    "AND r.txn_count = 0"
)


@dataclass(frozen=True)
class Folded:
    deltas: int  # delta rows claimed and deleted
    upserts: int  # rollup and failure rows added to or created
    emptied: int  # rows whose counts came back to zero, deleted


@dataclass(frozen=True)
class Span:
    """Rollup rows of one grain and cut over [start, end) (aligned to the grain)."""

    grain: RollupGrain
    cut: RollupCut
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Scope:
    """The filters of a question: which merchant's, gateway's, provider's, method's payments, in which currency."""

    currency: str
    client_id: uuid.UUID | None = None
    gateway_id: uuid.UUID | None = None
    provider: str | None = None
    method: str | None = None


R, F = AnalyticsRollup, AnalyticsFailure
# grouping by status needs no column: the statuses are the rollup's measure columns
GROUP_COLUMNS: dict[str, str] = {
    "gateway": "gateway_id",
    "provider": "provider",
    "merchant": "client_id",
    "method": "method",
}
# grouped by the output columns' names: an expression with a bound value, repeated in GROUP BY, would be a second
# parameter that PostgreSQL does not know to be the same expression
_PERIOD: ColumnElement[Any] = literal_column("period")
_GROUP: ColumnElement[Any] = literal_column("grp")


def _figures(*, per_status: bool, summed: bool = True) -> list[Any]:
    """count, succeeded, failed, volume, refunded (then, per_status, n_… and amount_… of each status), summed
    (or a row's own, when each row is one group's one bucket). sum(bigint) is numeric in PostgreSQL (a Decimal
    here): cast back, thousands of rows are read per question."""

    def total(columns: list[str]) -> Any:
        return cast(func.sum(sum_columns(columns)), BigInteger) if summed else sum_columns(columns)

    def sum_columns(columns: list[str]) -> Any:
        expr: Any = getattr(R, columns[0])
        for c in columns[1:]:
            expr = expr + getattr(R, c)
        return expr

    figures = [
        total([f"n_{s}" for s in STATUSES]).label("count"),
        total([f"n_{s}" for s in SUCCEEDED]).label("succeeded"),
        total([f"n_{s}" for s in FAILED]).label("failed"),
        total([f"amount_{s}" for s in SUCCEEDED]).label("volume"),
        total(["refunded"]).label("refunded"),
    ]
    if per_status:
        figures += [total([m]).label(m) for m in MEASURES[:-1]]
    return figures


# built once: (per_status, summed) -> the figures' expressions
_FIGURES = {
    (p, summed): _figures(per_status=p, summed=summed) for p in (False, True) for summed in (False, True)
}
# what fixes each dimension of a cut's rows: a filter (scope) or the grouping
_CUT_DIMENSIONS = {
    RollupCut.FULL: {"merchant", "gateway", "method"},
    RollupCut.PLATFORM: {"gateway", "method"},
    RollupCut.MERCHANT: {"merchant"},
    RollupCut.GATEWAY: {"gateway"},
    RollupCut.METHOD: {"method"},
    RollupCut.TOTAL: set(),
}


def _one_row_per_group(scope: Scope, cut: RollupCut, group_by: str | None) -> bool:
    """Whether each (bucket, group) is one row of the cut already: every dimension it keeps is grouped by or fixed
    by a filter (a provider is not a gateway: it may have several). Then the series needs no GROUP BY, whose hash
    of thousands of groups cost more than reading the rows."""
    fixed = {group_by} if group_by in ("merchant", "gateway", "method") else set()
    fixed |= {
        name
        for name, value in (
            ("merchant", scope.client_id),
            ("gateway", scope.gateway_id),
            ("method", scope.method),
        )
        if value is not None
    }
    return _CUT_DIMENSIONS[cut] <= fixed


def _where(table: Any, scope: Scope, spans: list[Span]) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [
        or_(
            *(
                and_(
                    table.grain == span.grain,
                    table.cut == span.cut,
                    # the primary key's prefix is (grain, cut, client_id, bucket_at)
                    table.client_id == ALL_IDS if span.cut not in _PER_MERCHANT else true(),
                    table.bucket_at >= span.start,
                    table.bucket_at < span.end,
                )
                for span in spans
            )
        ),
        table.currency == scope.currency,
    ]
    if scope.client_id is not None:
        where.append(table.client_id == scope.client_id)
    if scope.gateway_id is not None:
        where.append(table.gateway_id == scope.gateway_id)
    if scope.provider is not None:
        where.append(table.provider == scope.provider)
    if scope.method is not None:
        where.append(table.method == scope.method)
    return where


_PER_MERCHANT = (RollupCut.FULL, RollupCut.MERCHANT)


def _group(table: Any, group_by: str | None) -> Any:
    column = GROUP_COLUMNS.get(group_by or "")
    return (getattr(table, column) if column else literal_column("''")).label("grp")


def _period(table: Any, split_at: datetime) -> Any:
    return case((table.bucket_at >= split_at, 1), else_=0).label("period")


async def _rows(session: AsyncSession, stmt: Select[Any]) -> list[Any]:
    """The statement run on the session's own connection by the driver itself: a question reads thousands of rows,
    and building SQLAlchemy rows from them took longer than the query (asyncpg's records index like tuples)."""
    conn = await session.connection()
    if not session.info.get("analytics_work_mem"):
        # a series groups thousands of rows into as many groups: with the default 4 MB the hash spills to disk.
        # SET LOCAL through SQLAlchemy opens the transaction the driver's reads then run in; it ends with it
        await conn.execute(text("SET LOCAL work_mem = '64MB'"))
        session.info["analytics_work_mem"] = True
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})  # IN (…) lists
    params = [compiled.params[name] for name in compiled.positiontup or ()]
    driver = (await conn.get_raw_connection()).driver_connection
    assert driver is not None
    return list(await driver.fetch(compiled.string, *params))


class AnalyticsRepository:
    async def fold(self, session: AsyncSession, *, batch: int) -> Folded:
        row = (await session.execute(_FOLD, {"batch": batch, "all_ids": ALL_IDS})).one()
        emptied = 0
        if row.empty_rollups != "[]":
            emptied += (await session.execute(_DELETE_EMPTY_ROLLUPS, {"keys": row.empty_rollups})).rowcount  # type: ignore[attr-defined]
        if row.empty_failures != "[]":
            emptied += (await session.execute(_DELETE_EMPTY_FAILURES, {"keys": row.empty_failures})).rowcount  # type: ignore[attr-defined]
        return Folded(deltas=row.deltas, upserts=row.upserts + row.failure_upserts, emptied=emptied)

    async def totals(
        self,
        session: AsyncSession,
        scope: Scope,
        spans: list[Span],
        *,
        split_at: datetime,
        group_by: str | None,
        per_status: bool,
    ) -> list[Any]:
        """(period, grp, *figures) rows (see _figures): period 1 is from split_at on, period 0 before it."""
        stmt: Select[Any] = (
            select(_period(R, split_at), _group(R, group_by), *_FIGURES[per_status, True])
            .where(*_where(R, scope, spans))
            .group_by(_PERIOD, _GROUP)
        )
        return await _rows(session, stmt)

    async def series(
        self,
        session: AsyncSession,
        scope: Scope,
        span: Span,
        *,
        split_at: datetime,
        group_by: str | None,
        groups: list[Any] | None = None,
        per_status: bool = False,
    ) -> list[Any]:
        """(period, grp, index[], count[], succeeded[], failed[], volume[] (then, per_status, n_…[] and amount_…[]
        of each status)) rows, for the groups given (all of them when None): a point per bucket with payments, its
        place in the period's buckets in index[]. Arrays decode in the driver; rows would be built one by one."""
        where = _where(R, scope, [span])
        if group_by in GROUP_COLUMNS and groups is not None:
            where.append(getattr(R, GROUP_COLUMNS[group_by]).in_(groups))
        one_row = _one_row_per_group(scope, span.cut, group_by)
        figures = _FIGURES[per_status, not one_row]
        rows = select(R.bucket_at, _group(R, group_by), *figures).where(*where)
        if not one_row:
            rows = rows.group_by(R.bucket_at, _GROUP)
        r = rows.subquery("r")
        # each point's place in its period's list of buckets: the client scatters the arrays by it
        step, bases = STEP[span.grain].total_seconds(), (span.start.timestamp(), split_at.timestamp())
        epoch = cast(func.extract("epoch", r.c.bucket_at), Float)
        in_current = r.c.bucket_at >= split_at
        index = cast((epoch - case((in_current, bases[1]), else_=bases[0])) / step, Integer)
        names = ["count", "succeeded", "failed", "volume"] + (MEASURES[:-1] if per_status else [])
        # plain aggregates in one GROUP BY see the rows in the same order: element k of every array is one point
        stmt: Select[Any] = select(
            case((in_current, 1), else_=0).label("period"),
            r.c.grp,
            func.array_agg(index).label("index"),
            *(func.array_agg(r.c[name]).label(name) for name in names),
        ).group_by(_PERIOD, r.c.grp)
        return await _rows(session, stmt)

    async def failure_reasons(
        self, session: AsyncSession, scope: Scope, spans: list[Span], *, split_at: datetime
    ) -> list[Any]:
        """(period, failure_code, count) of failed and expired payments."""
        stmt: Select[Any] = (
            select(
                _period(F, split_at), F.failure_code, cast(func.sum(F.txn_count), BigInteger).label("count")
            )
            .where(*_where(F, scope, spans))
            .group_by(_PERIOD, F.failure_code)
        )
        return await _rows(session, stmt)

    async def gateway_names(self, session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
        rows = await session.execute(
            select(PaymentGateway.id, PaymentGateway.name).where(PaymentGateway.id.in_(ids))
        )
        return {r.id: r.name for r in rows}

    async def merchant_names(self, session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
        rows = await session.execute(select(Client.id, Client.company_name).where(Client.id.in_(ids)))
        return {r.id: r.company_name for r in rows}


analytics_repo = AnalyticsRepository()
