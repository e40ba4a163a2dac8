"""One question, `hit(key, limit, window)`: may one more request under `key` go through, and what headers say so.

The counters are a moving window in Redis: each key holds the times of its last `limit` accepted requests (a
list, newest first), so a limit of 100 per 60 s is exact at every instant (no burst of 200 across a window edge)
and a refused request costs nothing (it is not recorded). The algorithm and the list's layout are those of the
`limits` library's moving window, which this module used until issue 14: there a hit took two round trips (its
acquire script answers only yes or no, and the RateLimit-* figures need a second script to read the window), and
the hit is on every signed request. Here one Lua script takes the place and reads the window in the same call,
on redis-py's `Script` (EVALSHA, loaded again if Redis forgot it). The hit is bounded by
LSP_RATE_LIMIT_TIMEOUT_SECONDS on a connection pool of its own. When Redis is down or slow the answer is None: the
caller serves the request (fail open) and a warning is logged, at most once per LSP_RATE_LIMIT_WARN_SECONDS per
process."""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass
from typing import Any

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from lightspeedpay.config import get_settings

log = structlog.get_logger()

# One place in a window: `key` holds request times, newest first; `stamp` is now (seconds, as a string).
# Answers {allowed (1|0), requests in the window after this one, the oldest of them (seconds, as a string)}.
_HIT_FUNCTION = """
local function hit(key, stamp, limit, window)
    local since = tonumber(stamp) - window
    local allowed = 0
    local entry = redis.call('LINDEX', key, limit - 1)
    if not entry or tonumber(entry) < since then
        redis.call('LPUSH', key, stamp)
        redis.call('LTRIM', key, 0, limit - 1)
        redis.call('EXPIRE', key, window)
        allowed = 1
    end
    -- the last index whose time is still in the window (the list is newest first): a binary search
    local low, high, found = 0, redis.call('LLEN', key) - 1, -1
    while low <= high do
        local mid = math.floor((low + high) / 2)
        local value = tonumber(redis.call('LINDEX', key, mid))
        if value and value >= since then
            found = mid
            low = mid + 1
        else
            high = mid - 1
        end
    end
    if found < 0 then
        return {allowed, 0, stamp}
    end
    return {allowed, found + 1, redis.call('LINDEX', key, found)}
end
"""
# KEYS[1]: the window. ARGV: now, limit, window seconds.
_HIT = _HIT_FUNCTION + "return hit(KEYS[1], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]))"
# The replay check (auth/replay.py) and the hit in one round trip. KEYS: the signature's key, the window. ARGV: the
# signature's mark and its time to live, then now, limit, window seconds. A replay is refused before it takes a
# place: answers {1}; otherwise {0, allowed, count, oldest}.
_REPLAY_CHECK_AND_HIT = (
    _HIT_FUNCTION
    + """
local seen = redis.call('SET', KEYS[1], ARGV[1], 'NX', 'GET', 'EX', ARGV[2])
if seen and (ARGV[1] == '-' or seen ~= ARGV[1]) then
    return {1}
end
local decided = hit(KEYS[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]))
return {0, decided[1], decided[2], decided[3]}
"""
)


@dataclass(frozen=True)
class Decision:
    """What the limiter decided for one request: the figures of the IETF RateLimit header fields."""

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int  # until the oldest request in the window leaves it (a place frees up)
    retry_after: int | None  # seconds, when refused

    def headers(self) -> dict[str, str]:
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
        }
        if self.retry_after is not None:
            headers["Retry-After"] = str(self.retry_after)
        return headers


class RateLimiter:
    def __init__(self, redis_url: str | None = None) -> None:
        self._redis_url = redis_url
        self._redis: Redis | None = None
        self._script: Any = None
        self._prefix = ""
        self._replay_script: Any = None
        self._replay_client: Redis | None = None
        self._warned_at = -math.inf

    def _client(self) -> Any:
        if self._redis is None:
            s = get_settings()
            url = self._redis_url or s.rate_limit_redis_url or s.redis_url
            # the pool's own timeouts are the overall bound too: a connect or a read never outlives it
            self._redis = Redis.from_url(
                url,
                socket_timeout=s.rate_limit_timeout_seconds,
                socket_connect_timeout=s.rate_limit_timeout_seconds,
                max_connections=s.redis_max_connections,
            )
            self._script = self._redis.register_script(_HIT)
            self._prefix = f"{s.queue_prefix}:ratelimit:"
        return self._script

    async def hit(self, key: str, limit: int, window_seconds: int) -> Decision | None:
        """Take one place in `key`'s window of `limit` requests per `window_seconds`; None when Redis did not
        answer in time (the request is let through)."""
        script = self._client()
        now = time.time()
        try:
            async with asyncio.timeout(get_settings().rate_limit_timeout_seconds):
                allowed, count, oldest = await script(
                    keys=[self._prefix + key], args=[repr(now), limit, window_seconds]
                )
        except (RedisError, OSError, TimeoutError) as exc:
            self._warn(exc)
            return None
        return _decision(now, int(allowed), int(count), oldest, limit, window_seconds)

    def shares(self, redis_url: str) -> bool:
        """Whether the windows live in the Redis at `redis_url` (then a caller there may hit them in its own
        script: `hit_after_replay_check`)."""
        s = get_settings()
        return (self._redis_url or s.rate_limit_redis_url or s.redis_url) == redis_url

    async def hit_after_replay_check(
        self,
        client: Redis,
        replay_key: str,
        mark: str,
        ttl: int,
        key: str,
        limit: int,
        window_seconds: int,
    ) -> tuple[bool, Decision | None]:
        """The replay check's `SET NX GET` and then, unless it is a replay, the hit: one script on `client` (the
        caller's connection to the same Redis, with the caller's bound and error handling). (replayed, decision)."""
        self._client()  # the key prefix
        if self._replay_script is None or self._replay_client is not client:
            self._replay_script, self._replay_client = client.register_script(_REPLAY_CHECK_AND_HIT), client
        now = time.time()
        answer = await self._replay_script(
            keys=[replay_key, self._prefix + key], args=[mark, ttl, repr(now), limit, window_seconds]
        )
        if int(answer[0]):
            return True, None
        _, allowed, count, oldest = answer
        return False, _decision(now, int(allowed), int(count), oldest, limit, window_seconds)

    def _warn(self, exc: BaseException) -> None:
        now = time.monotonic()
        if now - self._warned_at >= get_settings().rate_limit_warn_seconds:
            self._warned_at = now
            log.warning("rate_limit_unavailable", error=type(exc).__name__, detail=str(exc)[:200])

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
        self._redis = self._script = self._replay_script = self._replay_client = None


def _decision(now: float, allowed: int, count: int, oldest: Any, limit: int, window_seconds: int) -> Decision:
    reset = max(1, math.ceil(float(oldest) + window_seconds - now))
    return Decision(
        allowed=bool(allowed),
        limit=limit,
        remaining=max(0, limit - count),
        reset_seconds=reset,
        retry_after=None if allowed else reset,
    )


rate_limiter = RateLimiter()
