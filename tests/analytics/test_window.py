"""The analytics window without a database: IST alignment of each bucket, dates as IST days, the default bucket
by range, and the previous period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lightspeedpay.analytics.window import ceil, floor, pieces, window
from lightspeedpay.errors import AnalyticsRangeTooLong, AnalyticsTooManyBuckets
from lightspeedpay.models.analytics_rollup import RollupGrain

NOW = datetime(2026, 3, 2, 6, 47, 10, tzinfo=UTC)  # 12:17:10 IST


def test_buckets_are_ist_hours_and_days():
    at = datetime(2026, 3, 1, 18, 29, 59, tzinfo=UTC)  # 23:59:59 IST
    assert floor(at, RollupGrain.FIVE_MINUTES) == datetime(2026, 3, 1, 18, 25, tzinfo=UTC)
    assert floor(at, RollupGrain.HOUR) == datetime(2026, 3, 1, 17, 30, tzinfo=UTC)  # 23:00 IST
    assert floor(at, RollupGrain.DAY) == datetime(2026, 2, 28, 18, 30, tzinfo=UTC)  # 1 March IST
    assert ceil(at, RollupGrain.DAY) == datetime(2026, 3, 1, 18, 30, tzinfo=UTC)
    midnight = datetime(2026, 3, 1, 18, 30, tzinfo=UTC)
    assert floor(midnight, RollupGrain.DAY) == ceil(midnight, RollupGrain.DAY) == midnight


def test_a_range_back_from_now_is_aligned_with_its_previous_period():
    w = window(start=None, end=None, span="24h", bucket=None, now=NOW)
    assert w.bucket == RollupGrain.HOUR
    assert (w.start, w.end) == (
        datetime(2026, 3, 1, 6, 30, tzinfo=UTC),
        datetime(2026, 3, 2, 7, 30, tzinfo=UTC),
    )
    assert w.previous_start == w.start - timedelta(hours=25)
    assert window(start=None, end=None, span="6h", bucket=None, now=NOW).bucket == RollupGrain.FIVE_MINUTES
    assert window(start=None, end=None, span="30d", bucket=None, now=NOW).bucket == RollupGrain.DAY


def test_dates_are_whole_ist_days_and_to_includes_its_day():
    w = window(start="2026-03-01", end="2026-03-31", span=None, bucket=None)
    assert (w.start, w.end) == (
        datetime(2026, 2, 28, 18, 30, tzinfo=UTC),
        datetime(2026, 3, 31, 18, 30, tzinfo=UTC),
    )
    assert len(w.buckets(w.start, w.end)) == 31


def test_180_days_is_the_most_and_finer_buckets_cover_less():
    assert window(start=None, end=None, span="180d", bucket=None, now=NOW).bucket == RollupGrain.DAY
    with pytest.raises(AnalyticsRangeTooLong) as exc:
        window(start=None, end=None, span="4321h", bucket=None, now=NOW)
    assert exc.value.field == "range"
    assert window(start=None, end=None, span="90d", bucket="1h", now=NOW).bucket == RollupGrain.HOUR
    assert window(start=None, end=None, span="7d", bucket="5m", now=NOW).bucket == RollupGrain.FIVE_MINUTES
    for span, bucket in (("91d", "1h"), ("8d", "5m")):
        with pytest.raises(AnalyticsTooManyBuckets) as too_many:
            window(start=None, end=None, span=span, bucket=bucket, now=NOW)
        assert too_many.value.field == "bucket"


def test_a_total_reads_whole_days_and_hours_where_it_can():
    start = datetime(2026, 3, 1, 17, 25, tzinfo=UTC)  # 22:55 IST on 1 March
    end = datetime(2026, 3, 3, 19, 35, tzinfo=UTC)  # 01:05 IST on 4 March
    ist_midnight = datetime(2026, 3, 1, 18, 30, tzinfo=UTC)
    assert pieces(start, end, RollupGrain.FIVE_MINUTES) == [
        (RollupGrain.FIVE_MINUTES, start, start + timedelta(minutes=5)),
        (RollupGrain.HOUR, start + timedelta(minutes=5), ist_midnight),
        (RollupGrain.DAY, ist_midnight, ist_midnight + timedelta(days=2)),
        (RollupGrain.HOUR, ist_midnight + timedelta(days=2), end - timedelta(minutes=5)),
        (RollupGrain.FIVE_MINUTES, end - timedelta(minutes=5), end),
    ]
    assert pieces(ist_midnight, ist_midnight + timedelta(hours=5), RollupGrain.HOUR) == [
        (RollupGrain.HOUR, ist_midnight, ist_midnight + timedelta(hours=5))
    ]
