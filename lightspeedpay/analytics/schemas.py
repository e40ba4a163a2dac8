"""Response bodies of the analytics APIs (documentation of what the service builds; money in paise)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Metrics(BaseModel):
    count: int = Field(description="payments created in the period, whatever their status now")
    succeeded: int = Field(description="authorized, paid, partially_refunded or refunded")
    failed: int = Field(description="failed or expired")
    in_flight: int = Field(description="created or pending: no outcome yet")
    success_rate: float | None = Field(
        description="succeeded / (succeeded + failed), percent; null when no payment was decided"
    )
    volume: int = Field(description="the amount of the payments that succeeded, paise")
    refunded: int = Field(description="refunded of the period's payments so far, paise")
    average_ticket: int | None = Field(description="volume / succeeded, paise (half up); null when none")


class Columns(BaseModel):
    """One list per measure, aligned with the period's `series.bucket` list (every bucket, empty ones as 0)."""

    count: list[int]
    succeeded: list[int]
    failed: list[int]
    success_rate: list[float | None]
    volume: list[int]


class Series(Columns):
    bucket: list[str] = Field(description="each bucket's start, ISO 8601 in IST")


class Group(Metrics):
    key: str = Field(description="gateway id, provider, merchant id, method (unknown: not said) or status")
    label: str = Field(description="gateway name, merchant name, or the key")


class GroupSeries(Columns):
    key: str
    label: str


class FailureReason(BaseModel):
    code: str = Field(description="the transaction's error_code (UNKNOWN when none was given)")
    count: int
    share: float = Field(description="percent of the period's failed and expired payments")


class Period(BaseModel):
    from_: str = Field(alias="from", description="ISO 8601 in IST, aligned to the bucket")
    to: str = Field(description="exclusive")
    totals: Metrics
    top_failure_reasons: list[FailureReason] = Field(description="the five most frequent")
    groups: list[Group] = Field(
        description="the current period's largest groups (by count, at most `limit`); the previous period "
        "lists the same groups in the same order"
    )
    series: Series = Field(description="every bucket of the period as columns, the shape a chart takes")
    group_series: list[GroupSeries] = Field(
        description="the series of each group listed, on the same buckets"
    )


class Change(BaseModel):
    count: float | None = Field(description="percent change against the previous period")
    volume: float | None
    average_ticket: float | None
    success_rate_points: float | None = Field(description="difference in percentage points")


class AnalyticsReport(BaseModel):
    timezone: str = Field(description="Asia/Kolkata: hour and day buckets are IST hours and days")
    bucket: str = Field(description="5m, 1h or 1d")
    currency: str
    group_by: str | None
    groups_total: int = Field(description="how many groups the current period has (groups lists `limit`)")
    current: Period
    previous: Period = Field(description="the period of the same length just before")
    change: Change
