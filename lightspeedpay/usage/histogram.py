"""A fixed latency histogram: bucket bounds grow by 25 % from 0.5 ms to a minute, so a percentile read from it
is within about ±12 % of the true value (see `percentile`)."""

from __future__ import annotations

import math
from bisect import bisect_left

LAYOUT = 1  # stored with each row: a change of BOUNDS_MS is a new layout, never mixed with an old one
RATIO = 1.25
# upper bounds (inclusive) of buckets 0..n-1 in milliseconds; bucket n holds everything slower
BOUNDS_MS: tuple[float, ...] = tuple(0.5 * RATIO**k for k in range(53))
SIZE = len(BOUNDS_MS) + 1


def bucket(duration_ms: float) -> int:
    return bisect_left(BOUNDS_MS, duration_ms)


def percentile(buckets: list[int], q: float) -> float | None:
    """The q-quantile (0 < q ≤ 1) of the durations counted in `buckets`, in ms; None when there are none.

    The request of rank ceil(q·n) is known to lie in one bucket (lo, hi] with hi = 1.25·lo; the estimate is the
    bucket's geometric middle √(lo·hi), which is within a factor √1.25 of any value in it: the relative error is
    at most +11.8 % / −10.6 %. Two exceptions: under 0.5 ms (the first bucket) the estimate is 0.5 ms, and past
    the last bound (about 56 s) it is that bound, a lower bound."""
    total = sum(buckets)
    if total == 0:
        return None
    rank = max(1, math.ceil(q * total))
    seen = 0
    for index, count in enumerate(buckets):
        seen += count
        if seen >= rank:
            if index == 0:
                return BOUNDS_MS[0]
            if index >= len(BOUNDS_MS):
                return BOUNDS_MS[-1]
            return math.sqrt(BOUNDS_MS[index - 1] * BOUNDS_MS[index])
    return BOUNDS_MS[-1]
