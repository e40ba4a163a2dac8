"""One question, `hit(key, limit, window)`: may one more request under `key` go through, and what headers say so.

The counters are a moving window in Redis (`limits.aio`'s MovingWindowRateLimiter on redis-py): each key holds
the times of its last `limit` accepted requests, so a limit of 100 per 60 s is exact at every instant (no burst of
200 across a window edge) and a refused request costs nothing (it is not recorded). A hit is two round trips
(take a place, then read the window for the headers), bounded together by LSP_RATE_LIMIT_TIMEOUT_SECONDS on a
connection pool of its own. When Redis is down or slow the answer is None: the caller serves the request (fail
open) and a warning is logged, at most once per LSP_RATE_LIMIT_WARN_SECONDS per process."""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass
from typing import Any, cast

import structlog
from limits import RateLimitItemPerSecond
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from redis.exceptions import RedisError

from lightspeedpay.config import get_settings

log = structlog.get_logger()


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
        self._strategy: MovingWindowRateLimiter | None = None
        self._storage: RedisStorage | None = None
        self._warned_at = -math.inf

    def _limiter(self) -> MovingWindowRateLimiter:
        if self._strategy is None:
            s = get_settings()
            url = self._redis_url or s.rate_limit_redis_url or s.redis_url
            # the pool's own timeouts are the overall bound too: a connect or a read never outlives it
            self._storage = RedisStorage(
                "async+" + url,
                implementation="redispy",
                key_prefix=f"{s.queue_prefix}:ratelimit",
                socket_timeout=s.rate_limit_timeout_seconds,
                socket_connect_timeout=s.rate_limit_timeout_seconds,
                max_connections=s.redis_max_connections,
            )
            self._strategy = MovingWindowRateLimiter(self._storage)
        return self._strategy

    async def hit(self, key: str, limit: int, window_seconds: int) -> Decision | None:
        """Take one place in `key`'s window of `limit` requests per `window_seconds`; None when Redis did not
        answer in time (the request is let through)."""
        item = RateLimitItemPerSecond(limit, window_seconds)
        strategy = self._limiter()
        try:
            async with asyncio.timeout(get_settings().rate_limit_timeout_seconds):
                allowed = await strategy.hit(item, key)
                stats = await strategy.get_window_stats(item, key)
        except (RedisError, StorageError, OSError, TimeoutError) as exc:
            self._warn(exc)
            return None
        reset = max(1, math.ceil(stats.reset_time - time.time()))
        return Decision(
            allowed=allowed,
            limit=limit,
            remaining=max(0, stats.remaining),
            reset_seconds=reset,
            retry_after=None if allowed else reset,
        )

    def _warn(self, exc: BaseException) -> None:
        now = time.monotonic()
        if now - self._warned_at >= get_settings().rate_limit_warn_seconds:
            self._warned_at = now
            log.warning("rate_limit_unavailable", error=type(exc).__name__, detail=str(exc)[:200])

    async def close(self) -> None:
        if self._storage is not None:
            await cast(Any, self._storage.bridge).get_connection().aclose()  # redis-py's client
        self._strategy = self._storage = None


rate_limiter = RateLimiter()
