"""Payment analytics from incremental rollups: the scheduled fold of the delta log, and the questions the
operator and each merchant ask of it (volume, count, success rate, average ticket, top failure reasons; by
gateway, provider, merchant, method or status; in 5-minute, hour or IST-day buckets, beside the previous period).

How the rollups stay exact
--------------------------
Every counted change of a transaction row (its insert; a change of status, amount, refunded amount, gateway,
method or failure code) makes the database append -1 for the old values and +1 for the new ones to
`analytics_deltas`, in a trigger, so in the same database transaction as the change itself, whatever code made
it (migration 0008_analytics). The fold claims a batch of deltas with `DELETE ... WHERE id IN (SELECT ... FOR
UPDATE SKIP LOCKED)`, sums them per bucket and dimensions, adds the sums to `analytics_rollups` (a count and an
amount per status) and `analytics_failures` (per failure code) and commits, all in one transaction:

- after a crash nothing is lost or counted twice: a fold that did not commit deleted nothing and added nothing;
  its deltas are still there for the next one;
- two folds at once never count a delta twice: a delta row is deleted by exactly one committed transaction
  (SKIP LOCKED hands each fold other rows; a row is gone once the other commits); their additions to the same
  rollup row are serialised by its row lock (taken in key order, so no deadlock);
- no watermark: a change committed late (its delta id lower than ones already folded) is still in the table
  and is folded next time, so a long transaction can never be skipped the way an `updated_at > last run`
  scan skips it;
- payments never wait on one another for analytics: the trigger only inserts; the shared counter rows are
  updated by the fold alone;
- archiving or deleting transactions writes no delta, so past rollups keep their counts.

A payment is counted in the bucket of its `created_at`, in the status it is in now: the rollups answer "of the
payments created in this hour, how many succeeded" exactly as a count over the transactions would, a fold later
(LSP_ANALYTICS_FOLD_SECONDS).

The other way, a job that folds "transactions changed since a watermark" and recomputes the touched buckets, was
not taken: `updated_at` is set when a transaction's statement runs, not when it commits, so a watermark skips
rows committed late unless it lags by more than the longest transaction; and recomputing a bucket from the
transactions loses the rows an archive has moved away.

Which rows a question reads (`_cut`): each grain keeps the payments at several cuts (all dimensions; without the
merchant; per merchant only; the total), and a question reads the narrowest one that has what it groups and
filters by, so a 180-day question over every merchant reads a few thousand rows whatever the number of payments.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.analytics.repository import (
    FAILED,
    STATUSES,
    SUCCEEDED,
    Folded,
    Scope,
    Span,
    analytics_repo,
)
from lightspeedpay.analytics.window import IST, STEP, Window, pieces, window
from lightspeedpay.config import get_settings
from lightspeedpay.errors import AnalyticsQueryInvalid
from lightspeedpay.jobs.unit_of_work import unit_of_work
from lightspeedpay.models.analytics_rollup import ALL, CUTS, RollupCut, RollupGrain
from lightspeedpay.models.gateway import Provider
from lightspeedpay.models.transaction import PaymentMethod, TransactionStatus

GROUPS = ("gateway", "provider", "merchant", "method", "status")
MERCHANT_GROUPS = ("gateway", "provider", "method", "status")
UNKNOWN_METHOD = "unknown"  # payments whose PSP did not say how the payer paid
TOP_FAILURE_REASONS = 5
_CURRENCY = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True)
class AnalyticsQuery:
    window: Window
    currency: str
    group_by: str | None
    limit: int
    client_id: uuid.UUID | None = None  # a merchant's own payments, or the operator's merchant filter
    gateway_id: uuid.UUID | None = None
    provider: str | None = None
    method: str | None = None  # '' for unknown


@dataclass
class Measures:
    count: int = 0
    succeeded: int = 0
    failed: int = 0
    volume: int = 0
    refunded: int = 0

    @classmethod
    def of(cls, row: Any) -> Measures:
        """From a repository row: (key, key, count, succeeded, failed, volume, refunded, ...), read by position
        (thousands of rows a question)."""
        return cls(row[2], row[3], row[4], row[5], row[6])

    @classmethod
    def of_status(cls, row: Any, status: str) -> Measures:
        """One status's figures from a row read `per_status` (then the n_… and amount_… of each status, in
        STATUSES' order). What was refunded is kept per row, not per status: a `refunded` payment has had all its
        amount refunded, so the rest of the refunds are the `partially_refunded` payments'."""
        i = STATUSES.index(status)
        n, amount = row[7 + i], row[7 + len(STATUSES) + i]
        refunded = 0
        if status == TransactionStatus.REFUNDED:
            refunded = amount
        elif status == TransactionStatus.PARTIALLY_REFUNDED:
            refunded = row[6] - row[7 + len(STATUSES) + STATUSES.index(TransactionStatus.REFUNDED)]
        return cls(
            count=n,
            succeeded=n if status in SUCCEEDED else 0,
            failed=n if status in FAILED else 0,
            volume=amount if status in SUCCEEDED else 0,
            refunded=refunded,
        )

    def add(self, other: Measures) -> None:
        self.count += other.count
        self.succeeded += other.succeeded
        self.failed += other.failed
        self.volume += other.volume
        self.refunded += other.refunded

    def success_rate(self) -> float | None:
        """Succeeded over decided (succeeded + failed or expired), in percent; payments in flight do not count."""
        decided = self.succeeded + self.failed
        return round(self.succeeded * 100 / decided, 2) if decided else None

    def average_ticket(self) -> int | None:
        if not self.succeeded:
            return None
        return int((Decimal(self.volume) / self.succeeded).quantize(Decimal(1), ROUND_HALF_UP))

    def out(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "succeeded": self.succeeded,
            "failed": self.failed,
            "in_flight": self.count - self.succeeded - self.failed,
            "success_rate": self.success_rate(),
            "volume": self.volume,
            "refunded": self.refunded,
            "average_ticket": self.average_ticket(),
        }


class AnalyticsService:
    # ---- the fold
    async def fold(self, session: AsyncSession, *, batch: int | None = None) -> Folded:
        """Fold one batch of the delta log into the rollups (the caller commits)."""
        return await analytics_repo.fold(session, batch=batch or get_settings().analytics_fold_batch)

    async def fold_pending(self, *, batch: int | None = None) -> dict[str, int] | None:
        """The scheduled run: batch after batch, each its own short transaction, until a batch comes back short
        (what commits meanwhile is the next run's)."""
        size = batch or get_settings().analytics_fold_batch
        total = Folded(0, 0, 0)
        while True:
            async with unit_of_work() as session:
                done = await self.fold(session, batch=size)
            total = Folded(
                total.deltas + done.deltas, total.upserts + done.upserts, total.emptied + done.emptied
            )
            if done.deltas < size:
                break
        return total.__dict__ if total.deltas else None

    # ---- the questions
    def query(
        self,
        *,
        start: str | None,
        end: str | None,
        span: str | None,
        bucket: str | None,
        group_by: str | None,
        currency: str | None,
        limit: int,
        client_id: uuid.UUID | str | None = None,
        gateway_id: str | None = None,
        provider: str | None = None,
        method: str | None = None,
        merchant_scope: bool = False,
    ) -> AnalyticsQuery:
        """A question from the query string, checked; every mistake is a 400 naming its parameter."""
        allowed = MERCHANT_GROUPS if merchant_scope else GROUPS
        if group_by is not None and group_by not in allowed:
            raise AnalyticsQueryInvalid(
                f"group_by must be one of {', '.join(allowed)}"
                + (" (a merchant sees only its own payments)." if group_by == "merchant" else "."),
                field="group_by",
            )
        code = (currency or "INR").strip().upper()
        if not _CURRENCY.match(code):
            raise AnalyticsQueryInvalid("currency must be an ISO 4217 code such as INR.", field="currency")
        if provider is not None and provider not in {p.value for p in Provider}:
            raise AnalyticsQueryInvalid(
                f"provider must be one of {', '.join(p.value for p in Provider)}.", field="provider"
            )
        methods = [m.value for m in PaymentMethod] + [UNKNOWN_METHOD]
        if method is not None and method not in methods:
            raise AnalyticsQueryInvalid(f"method must be one of {', '.join(methods)}.", field="method")
        return AnalyticsQuery(
            window=window(start=start, end=end, span=span, bucket=bucket),
            currency=code,
            group_by=group_by,
            limit=limit,
            client_id=_uuid(client_id, "merchant_id"),
            gateway_id=_uuid(gateway_id, "gateway_id"),
            provider=provider,
            method=None if method is None else (ALL if method == UNKNOWN_METHOD else method),
        )

    async def report(self, session: AsyncSession, q: AnalyticsQuery) -> dict[str, Any]:
        w = q.window
        scope = Scope(
            currency=q.currency,
            client_id=q.client_id,
            gateway_id=q.gateway_id,
            provider=q.provider,
            method=q.method,
        )
        # totals and failure reasons over each period read the coarsest buckets that tile it, series the question's;
        # what is not per group (the failure reasons, the overall series) reads the cut without the grouping
        tiles = [
            (grain, a, b)
            for start, end in ((w.previous_start, w.start), (w.start, w.end))
            for grain, a, b in pieces(start, end, w.bucket)
        ]
        whole = [Span(grain, _cut(q, grain), a, b) for grain, a, b in tiles]
        whole_ungrouped = [Span(grain, _cut(q, grain, grouped=False), a, b) for grain, a, b in tiles]
        series_span = Span(w.bucket, _cut(q, w.bucket), w.previous_start, w.end)
        overall_span = Span(w.bucket, _cut(q, w.bucket, grouped=False), w.previous_start, w.end)
        step = STEP[w.bucket]
        periods = {1: _Period(w.start, w.end, step), 0: _Period(w.previous_start, w.start, step)}
        by_status = q.group_by == "status"
        totals = await analytics_repo.totals(
            session, scope, whole, split_at=w.start, group_by=q.group_by, per_status=by_status
        )
        for row in totals:
            p = periods[row[0]]
            p.totals.add(Measures.of(row))
            if by_status:
                for status in STATUSES:
                    if row[7 + STATUSES.index(status)]:
                        p.groups.setdefault(status, Measures()).add(Measures.of_status(row, status))
            elif q.group_by is not None:
                p.groups.setdefault(row[1], Measures()).add(Measures.of(row))
        # the groups shown are the current period's largest (by count), the previous period's figures beside them
        keys = sorted(periods[1].groups, key=lambda k: (-periods[1].groups[k].count, str(k)))
        shown = keys[: q.limit]
        every_group = q.group_by is not None and not by_status and len(keys) == len(shown)
        if q.group_by is None or by_status or every_group:
            # one read: the overall series, or (every group shown) the groups' series that add up to it
            rows = await analytics_repo.series(
                session,
                scope,
                series_span,
                split_at=w.start,
                group_by=q.group_by if every_group else None,
                per_status=by_status,
            )
            for row in rows:
                p = periods[row[0]]
                if every_group:
                    p.group_series[row[1]] = _Series.of(row, p.size)
                    continue
                p.series = _Series.of(row, p.size)
                if by_status:
                    for status in shown:
                        p.group_series[status] = _Series.of_status(row, status, p.size)
            if every_group:
                for p in periods.values():
                    p.series = _Series.sum(p.size, list(p.group_series.values()))
        else:
            for row in await analytics_repo.series(
                session, scope, overall_span, split_at=w.start, group_by=None
            ):
                periods[row[0]].series = _Series.of(row, periods[row[0]].size)
            if shown:
                for row in await analytics_repo.series(
                    session, scope, series_span, split_at=w.start, group_by=q.group_by, groups=shown
                ):
                    periods[row[0]].group_series[row[1]] = _Series.of(row, periods[row[0]].size)
        reasons = await analytics_repo.failure_reasons(session, scope, whole_ungrouped, split_at=w.start)
        for period, code, n in reasons:
            failures = periods[period].failures
            failures[code or "UNKNOWN"] = failures.get(code or "UNKNOWN", 0) + n
        labels = await self._labels(session, q.group_by, shown)
        current, previous = periods[1], periods[0]
        return {
            "timezone": "Asia/Kolkata",
            "bucket": w.bucket.value,
            "currency": q.currency,
            "group_by": q.group_by,
            "groups_total": len(keys),
            "current": current.out(shown, labels),
            "previous": previous.out(shown, labels),
            "change": _change(current.totals, previous.totals),
        }

    async def _labels(self, session: AsyncSession, group_by: str | None, keys: list[Any]) -> dict[Any, str]:
        if group_by == "gateway":
            return {k: str(v) for k, v in (await analytics_repo.gateway_names(session, keys)).items()}
        if group_by == "merchant":
            return {k: str(v) for k, v in (await analytics_repo.merchant_names(session, keys)).items()}
        return {k: _key(k) for k in keys}


class _Series:
    """A period's buckets as columns (one list per measure, aligned with the period's bucket list), the shape a
    chart takes; every bucket is there, empty ones as zeros."""

    def __init__(self, n: int) -> None:
        self.count, self.succeeded, self.failed, self.volume = [0] * n, [0] * n, [0] * n, [0] * n

    @classmethod
    def sum(cls, n: int, parts: list[_Series]) -> _Series:
        out = cls(n)
        for part in parts:
            out.count = [a + b for a, b in zip(out.count, part.count, strict=True)]
            out.succeeded = [a + b for a, b in zip(out.succeeded, part.succeeded, strict=True)]
            out.failed = [a + b for a, b in zip(out.failed, part.failed, strict=True)]
            out.volume = [a + b for a, b in zip(out.volume, part.volume, strict=True)]
        return out

    @classmethod
    def of(cls, row: Any, n: int) -> _Series:
        """From a repository series row: (period, grp, index[], count[], succeeded[], failed[], volume[], ...),
        a point per bucket with payments, scattered to its place among the period's n buckets."""
        out = cls(n)
        count, succeeded, failed, volume = out.count, out.succeeded, out.failed, out.volume
        for i, c, ok, ko, v in zip(row[2], row[3], row[4], row[5], row[6], strict=True):
            count[i], succeeded[i], failed[i], volume[i] = c, ok, ko, v
        return out

    @classmethod
    def of_status(cls, row: Any, status: str, n: int) -> _Series:
        """One status's series from a row read per_status (then the n_…[] and amount_…[] of each status)."""
        k = STATUSES.index(status)
        out = cls(n)
        for i, c, amount in zip(row[2], row[7 + k], row[7 + len(STATUSES) + k], strict=True):
            out.count[i] = c
            if status in SUCCEEDED:
                out.succeeded[i], out.volume[i] = c, amount
            elif status in FAILED:
                out.failed[i] = c
        return out

    def out(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "succeeded": self.succeeded,
            "failed": self.failed,
            "success_rate": [
                round(ok * 100 / (ok + ko), 2) if ok + ko else None
                for ok, ko in zip(self.succeeded, self.failed, strict=True)
            ],
            "volume": self.volume,
        }


class _Period:
    def __init__(self, start: datetime, end: datetime, step: timedelta) -> None:
        self.start, self.end, self.step = start, end, step
        self.size = (end - start) // step
        self.totals = Measures()
        self.groups: dict[Any, Measures] = {}
        self.series = _Series(self.size)
        self.group_series: dict[Any, _Series] = {}
        self.failures: dict[str, int] = {}

    def group_series_of(self, key: Any) -> _Series:
        """A group's series; zeros when the group had no payment in this period."""
        return self.group_series.get(key) or _Series(self.size)

    def out(self, shown: list[Any], labels: dict[Any, str]) -> dict[str, Any]:
        empty = Measures()
        failed = sum(self.failures.values())
        top = sorted(self.failures.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_FAILURE_REASONS]
        return {
            "from": _ist(self.start),
            "to": _ist(self.end),
            "totals": self.totals.out(),
            "top_failure_reasons": [
                {"code": code, "count": n, "share": round(n * 100 / failed, 2)} for code, n in top
            ],
            "groups": [
                {"key": _key(k), "label": labels.get(k, _key(k)), **self.groups.get(k, empty).out()}
                for k in shown
            ],
            "series": {
                "bucket": _ist_buckets(self.start, self.step, self.size),
                **self.series.out(),
            },
            "group_series": [
                {"key": _key(k), "label": labels.get(k, _key(k)), **self.group_series_of(k).out()}
                for k in shown
            ],
        }


def _cut(q: AnalyticsQuery, grain: RollupGrain, *, grouped: bool = True) -> RollupCut:
    """The narrowest cut of `grain` that keeps what the question filters by (and groups by, when `grouped`)."""
    group_by = q.group_by if grouped else None
    merchant = q.client_id is not None or group_by == "merchant"
    gateway = group_by in ("gateway", "provider") or q.gateway_id is not None or q.provider is not None
    method = group_by == "method" or q.method is not None
    cut = {
        (False, False, False): RollupCut.TOTAL,
        (True, False, False): RollupCut.MERCHANT,
        (False, True, False): RollupCut.GATEWAY,
        (False, False, True): RollupCut.METHOD,
        (False, True, True): RollupCut.PLATFORM,
    }.get((merchant, gateway, method), RollupCut.FULL)
    return cut if cut in CUTS[grain] else RollupCut.FULL


def _change(now: Measures, before: Measures) -> dict[str, Any]:
    """Current against previous: relative change in percent (None when the previous was zero), and the success
    rate's difference in percentage points."""

    def rel(a: int | None, b: int | None) -> float | None:
        return round((a - b) * 100 / b, 2) if a is not None and b else None

    rates = (now.success_rate(), before.success_rate())
    return {
        "count": rel(now.count, before.count),
        "volume": rel(now.volume, before.volume),
        "average_ticket": rel(now.average_ticket(), before.average_ticket()),
        "success_rate_points": round(rates[0] - rates[1], 2) if None not in rates else None,  # type: ignore[operator]
    }


def _ist(moment: datetime) -> str:
    return moment.astimezone(IST).isoformat()


def _ist_buckets(start: datetime, step: timedelta, n: int) -> list[str]:
    """The ISO 8601 IST times of n buckets from start (IST is +05:30 all year: no zone lookup per bucket)."""
    local = start.astimezone(IST).replace(tzinfo=None)
    return [f"{(local + i * step).isoformat()}+05:30" for i in range(n)]


def _key(k: Any) -> str:
    return str(k) if k != ALL else UNKNOWN_METHOD  # only a method is ever '' in a group key


def _uuid(raw: uuid.UUID | str | None, field: str) -> uuid.UUID | None:
    if raw is None or isinstance(raw, uuid.UUID):
        return raw
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise AnalyticsQueryInvalid(f"{field} must be a UUID.", field=field) from None


analytics_service = AnalyticsService()

__all__ = ["FAILED", "SUCCEEDED", "AnalyticsQuery", "analytics_service"]
