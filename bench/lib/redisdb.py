"""Redis for the benchmark: clearing the bench prefix, the server's pid (for CPU), commands processed."""

from __future__ import annotations

from typing import Any


async def clear_redis(redis_url: str, prefix: str) -> int:
    import redis.asyncio as redis

    r = redis.Redis.from_url(redis_url)
    try:
        keys = [k async for k in r.scan_iter(f"{prefix}:*", count=1000)]
        for i in range(0, len(keys), 500):
            await r.delete(*keys[i : i + 500])
        return len(keys)
    finally:
        await r.aclose()


async def redis_pid(redis_url: str) -> int:
    import redis.asyncio as redis

    r = redis.Redis.from_url(redis_url)
    try:
        return int((await r.info("server"))["process_id"])
    finally:
        await r.aclose()


def client(redis_url: str) -> Any:
    import redis.asyncio as redis

    return redis.Redis.from_url(redis_url)


async def commands_processed(r: Any) -> int:
    """INFO `total_commands_processed`: counted by the whole server, so other clients' commands on any of its
    DBs are included (the bench has a DB of its own, not a server)."""
    return int((await r.info("stats"))["total_commands_processed"])
