"""The time window of an analytics question: parsed from the query, checked (at most 180 days), aligned to its
buckets in IST (a day bucket is an IST calendar day, an hour bucket an IST hour), with the previous period of
the same length before it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from lightspeedpay.errors import AnalyticsQueryInvalid, AnalyticsRangeTooLong, AnalyticsTooManyBuckets
from lightspeedpay.models.analytics_rollup import RollupGrain

IST = ZoneInfo("Asia/Kolkata")
MAX_RANGE = timedelta(days=180)
DEFAULT_RANGE = "7d"
STEP = {
    RollupGrain.FIVE_MINUTES: timedelta(minutes=5),
    RollupGrain.HOUR: timedelta(hours=1),
    RollupGrain.DAY: timedelta(days=1),  # IST keeps no daylight saving time: every IST day is 24 h
}
# the longest range each bucket may cover, so that a series has at most about 2,200 points (180 days of 5-minute
# buckets would be 51,840; no chart shows that many)
MAX_RANGE_PER_BUCKET = {
    RollupGrain.FIVE_MINUTES: timedelta(days=7),
    RollupGrain.HOUR: timedelta(days=90),
    RollupGrain.DAY: MAX_RANGE,
}
_COARSE_FIRST = [RollupGrain.DAY, RollupGrain.HOUR, RollupGrain.FIVE_MINUTES]
_SPAN = re.compile(r"^(\d{1,6})(m|h|d)$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


@dataclass(frozen=True)
class Window:
    """[start, end) aligned to `bucket`, in UTC; the previous period is [previous_start, start)."""

    start: datetime
    end: datetime
    bucket: RollupGrain

    @property
    def previous_start(self) -> datetime:
        return self.start - (self.end - self.start)

    def buckets(self, start: datetime, end: datetime) -> list[datetime]:
        out, at, step = [], start, STEP[self.bucket]
        while at < end:
            out.append(at)
            at += step
        return out


def pieces(
    start: datetime, end: datetime, finest: RollupGrain
) -> list[tuple[RollupGrain, datetime, datetime]]:
    """[start, end) (aligned to `finest`) as the fewest buckets: whole IST days in the middle, whole hours and then
    5-minute buckets at the edges. A total over the range reads a few hundred rows, not one per 5 minutes."""
    grains = _COARSE_FIRST[: _COARSE_FIRST.index(finest) + 1]

    def split(a: datetime, b: datetime, i: int) -> list[tuple[RollupGrain, datetime, datetime]]:
        if a >= b:
            return []
        grain = grains[i]
        if i == len(grains) - 1:
            return [(grain, a, b)]
        inner_a, inner_b = ceil(a, grain), floor(b, grain)
        if inner_a >= inner_b:
            return split(a, b, i + 1)
        return [*split(a, inner_a, i + 1), (grain, inner_a, inner_b), *split(inner_b, b, i + 1)]

    return split(start, end, 0)


def parse_time(raw: str, field: str, *, end: bool = False) -> datetime:
    """ISO 8601: a date (an IST calendar day: its start, or for `to` its end, so `to=2026-03-31` includes the
    31st) or a date-time (without an offset: IST)."""
    value = raw.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            moment = datetime.combine(day + timedelta(days=1) if end else day, time(0), tzinfo=IST)
        else:
            moment = datetime.fromisoformat(value.replace("z", "Z"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=IST)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise AnalyticsQueryInvalid(
            f"{field} must be an ISO 8601 date (2026-03-01, an IST day) or date-time "
            "(2026-03-01T09:30:00+05:30; without an offset it is IST).",
            field=field,
        ) from None


def parse_span(raw: str) -> timedelta:
    m = _SPAN.match(raw.strip())
    if not m:
        raise AnalyticsQueryInvalid(
            "range must be a number and a unit: m (minutes), h (hours) or d (days), e.g. 24h, 7d or 180d.",
            field="range",
        )
    span = timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})
    if span <= timedelta(0):
        raise AnalyticsQueryInvalid("range must be longer than zero.", field="range")
    return span


def parse_bucket(raw: str) -> RollupGrain:
    try:
        return RollupGrain(raw.strip())
    except ValueError:
        allowed = ", ".join(g.value for g in RollupGrain)
        raise AnalyticsQueryInvalid(f"bucket must be one of {allowed}.", field="bucket") from None


def default_bucket(span: timedelta) -> RollupGrain:
    if span <= timedelta(hours=6):
        return RollupGrain.FIVE_MINUTES
    if span <= timedelta(days=7):
        return RollupGrain.HOUR
    return RollupGrain.DAY


def floor(moment: datetime, bucket: RollupGrain) -> datetime:
    local = moment.astimezone(IST)
    if bucket == RollupGrain.FIVE_MINUTES:
        local = local.replace(minute=local.minute - local.minute % 5, second=0, microsecond=0)
    elif bucket == RollupGrain.HOUR:
        local = local.replace(minute=0, second=0, microsecond=0)
    else:
        local = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return local.astimezone(UTC)


def ceil(moment: datetime, bucket: RollupGrain) -> datetime:
    down = floor(moment, bucket)
    return down if down == moment else down + STEP[bucket]


def window(
    *,
    start: str | None,
    end: str | None,
    span: str | None,
    bucket: str | None,
    now: datetime | None = None,
) -> Window:
    """The window a query asks for: `from`/`to`, or `range` back from `to` (default now), 7 days by default."""
    if start is not None and span is not None:
        raise AnalyticsQueryInvalid("Give either from (and to) or range, not both.", field="range")
    until = parse_time(end, "to", end=True) if end is not None else (now or datetime.now(UTC))
    length = parse_span(span or DEFAULT_RANGE) if start is None else None
    if length is not None and length > MAX_RANGE:
        raise AnalyticsRangeTooLong(
            f"The range is {_days(length)} days; at most {MAX_RANGE.days} days can be asked at once.",
            field="range",
        )
    try:
        since = until - length if length is not None else parse_time(start or "", "from")
        found = _aligned(since, until, span, bucket)
        found.previous_start  # noqa: B018 - the previous period must be a date too
        return found
    except OverflowError:  # a moment at the very edge of the calendar (year 1 or 9999)
        raise AnalyticsQueryInvalid(
            "from and to (and the previous period, as long again before from) must lie between the years 1 and "
            "9999.",
            field="from",
        ) from None


def _aligned(since: datetime, until: datetime, span: str | None, bucket: str | None) -> Window:
    if since >= until:
        raise AnalyticsQueryInvalid("to must be later than from.", field="to")
    if until - since > MAX_RANGE:
        raise AnalyticsRangeTooLong(
            f"The range is {_days(until - since)} days; at most {MAX_RANGE.days} days can be asked at once.",
            field="range" if span is not None else "from",
        )
    grain = parse_bucket(bucket) if bucket is not None else default_bucket(until - since)
    if until - since > MAX_RANGE_PER_BUCKET[grain]:
        raise AnalyticsTooManyBuckets(
            f"{grain.value} buckets cover at most {MAX_RANGE_PER_BUCKET[grain].days} days; ask for a shorter "
            "range or a larger bucket (1h, 1d).",
            field="bucket",
        )
    return Window(start=floor(since, grain), end=ceil(until, grain), bucket=grain)


def _days(span: timedelta) -> str:
    return f"{span / timedelta(days=1):.1f}".removesuffix(".0")
