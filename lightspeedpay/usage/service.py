"""The usage report: the rollup's rows for a date range, summed by day and by route, with error rates and
percentiles read from the summed histograms."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.config import get_settings
from lightspeedpay.errors import ValidationFailed
from lightspeedpay.models import ApiUsageDaily
from lightspeedpay.usage import histogram
from lightspeedpay.usage.recorder import IST
from lightspeedpay.usage.repository import usage_repo
from lightspeedpay.usage.schemas import UsageDay, UsageReport, UsageRoute, UsageRow

DEFAULT_DAYS = 7


class _Sum:
    def __init__(self) -> None:
        self.requests = 0
        self.errors = 0
        self.duration_ms = 0
        self.buckets = [0] * histogram.SIZE

    def add(self, row: ApiUsageDaily) -> None:
        self.requests += row.count
        self.errors += row.count if row.status >= 400 else 0
        self.duration_ms += row.duration_ms_sum
        self.buckets = [a + b for a, b in zip(self.buckets, row.latency_buckets, strict=False)]

    @property
    def error_rate(self) -> float:
        return round(self.errors / self.requests, 4) if self.requests else 0.0

    def quantile(self, q: float) -> float | None:
        value = histogram.percentile(self.buckets, q)
        return round(value, 2) if value is not None else None


def _summed(rows: Iterable[ApiUsageDaily]) -> _Sum:
    total = _Sum()
    for row in rows:
        total.add(row)
    return total


class UsageService:
    def date_range(self, first: date | None, last: date | None) -> tuple[date, date]:
        """Default: the last 7 IST days, today included."""
        today = datetime.now(UTC).astimezone(IST).date()
        last = last or today
        if first is None:
            try:
                first = last - timedelta(days=DEFAULT_DAYS - 1)
            except OverflowError:  # `to` in the first days of year 1
                raise ValidationFailed("`to` is too early.", field="to") from None
        if first > last:
            raise ValidationFailed("`from` is after `to`.", field="from")
        longest = get_settings().usage_max_range_days
        if (last - first).days + 1 > longest:
            raise ValidationFailed(f"The range is longer than {longest} days.", field="from")
        return first, last

    async def report(
        self, session: AsyncSession, client_id: uuid.UUID, first: date | None, last: date | None
    ) -> UsageReport:
        first, last = self.date_range(first, last)
        rows = await usage_repo.rows(session, client_id, first, last, histogram.LAYOUT)
        by_day: dict[date, list[ApiUsageDaily]] = defaultdict(list)
        by_route: dict[str, list[ApiUsageDaily]] = defaultdict(list)
        for row in rows:
            by_day[row.day].append(row)
            by_route[row.route].append(row)
        total = _summed(rows)
        days = []
        for day in sorted(by_day):
            s = _summed(by_day[day])
            days.append(
                UsageDay(
                    day=day,
                    requests=s.requests,
                    errors=s.errors,
                    error_rate=s.error_rate,
                    p50_ms=s.quantile(0.5),
                    p95_ms=s.quantile(0.95),
                )
            )
        routes = []
        for route, route_rows in by_route.items():
            s = _summed(route_rows)
            routes.append(
                UsageRoute(
                    route=route,
                    requests=s.requests,
                    errors=s.errors,
                    error_rate=s.error_rate,
                    p50_ms=s.quantile(0.5),
                    p95_ms=s.quantile(0.95),
                    mean_ms=round(s.duration_ms / s.requests, 2) if s.requests else None,
                )
            )
        routes.sort(key=lambda r: (-r.requests, r.route))
        return UsageReport(
            merchant_id=client_id,
            from_date=first,
            to_date=last,
            requests=total.requests,
            errors=total.errors,
            error_rate=total.error_rate,
            p50_ms=total.quantile(0.5),
            p95_ms=total.quantile(0.95),
            days=days,
            routes=routes,
            rows=[UsageRow(day=r.day, route=r.route, status=r.status, requests=r.count) for r in rows],
        )


usage_service = UsageService()
