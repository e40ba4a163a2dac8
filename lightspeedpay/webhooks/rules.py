"""What an endpoint's answer means: delivered, retry later (and when), a final failure, or gone."""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime
from enum import StrEnum


class Verdict(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"  # 408, 429, 5xx, 3xx (redirects are not followed), no answer at all
    FINAL = "final"  # any other 4xx: the receiver refuses this event; sending it again will not help
    GONE = "gone"  # 410: the receiver asks us to stop; the endpoint is disabled


def verdict(status_code: int | None) -> Verdict:
    """None means no HTTP answer (connection refused, timeout, DNS failure)."""
    if status_code is None:
        return Verdict.RETRY
    if 200 <= status_code < 300:
        return Verdict.DELIVERED
    if status_code == 410:
        return Verdict.GONE
    if status_code in (408, 429):
        return Verdict.RETRY
    if 400 <= status_code < 500:
        return Verdict.FINAL
    return Verdict.RETRY


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds from now: delta-seconds or an HTTP date (RFC 9110 §10.2.3); None if absent or
    unreadable. A date in the past means "now"."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # str.isdigit() alone accepts '²', which int() refuses
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
