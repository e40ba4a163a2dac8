"""Each signed request takes effect at most once (DESIGN §5 invariant 8): a signature is remembered in Redis
for as long as its timestamp is acceptable, and the same signature again is a replay.

Only requests that change something are checked (POST, PUT, PATCH, DELETE): a replayed read gives an
eavesdropper nothing new, and clients legitimately poll the same GET twice within a second, which signs to
the same bytes. The same signed bytes again are let through only when they carry the same Idempotency-Key as
the first time: that is a client's retry (an SDK retrying within the second signs to the same bytes), and
the key then decides (the first answer is replayed, nothing runs twice); a replay without the key, or with
another one, is refused. If Redis is wiped, signatures seen in the last window are forgotten; until the window passes
a replay of one of those is caught only by the request's own guards (order_id unique, Idempotency-Key).
If Redis does not answer in time the request is refused with a retryable 503 rather than let through."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from dataclasses import dataclass

from redis.exceptions import RedisError

from lightspeedpay.config import get_settings
from lightspeedpay.errors import ReplayCheckUnavailable, RequestReplayed
from lightspeedpay.jobs import queues
from lightspeedpay.ratelimit.limiter import Decision, rate_limiter

CHECKED_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class LimitAsk:
    """The rate limit a request is counted under (ratelimit/guards.py): taken in the replay check's round trip
    when the windows live in the same Redis."""

    key: str
    limit: int
    window_seconds: int


async def accept_once(
    method: str,
    client_id: uuid.UUID,
    signature: str,
    idempotency_key: str | None,
    *,
    limit: LimitAsk | None = None,
) -> Decision | None:
    """Raise RequestReplayed when this signature was accepted before within its timestamp window (unless both
    carry the same Idempotency-Key). With `limit`, the request also takes its place in the rate limiter's window
    in the same script when the limiter shares this Redis, and the limiter's decision is returned (None: not
    taken here; the caller asks the limiter)."""
    if method not in CHECKED_METHODS:
        return None
    mark = "k:" + hashlib.sha256(idempotency_key.encode()).hexdigest() if idempotency_key else "-"
    s = get_settings()
    # a timestamp may be up to the tolerance in the past or the future: remember it for both sides
    ttl = 2 * s.signature_tolerance_seconds + 1
    key = f"{s.queue_prefix}:seen-signature:{client_id}:{signature}"
    decision = None
    try:
        async with asyncio.timeout(s.replay_check_timeout_seconds):
            if limit is not None and rate_limiter.shares(s.redis_url):
                replayed, decision = await rate_limiter.hit_after_replay_check(
                    queues.redis_client(), key, mark, ttl, limit.key, limit.limit, limit.window_seconds
                )
            else:
                seen = await queues.redis_client().set(key, mark, nx=True, ex=ttl, get=True)
                replayed = seen is not None and (mark == "-" or _text(seen) != mark)
    except (RedisError, OSError, TimeoutError):
        raise ReplayCheckUnavailable(
            "The replay check is unavailable for a moment; send the request again "
            "shortly (it has not been carried out)."
        ) from None
    if replayed:
        raise RequestReplayed(
            "This signed request was already received; sign each request anew with the "
            "current X-Timestamp (a retry must be signed again).",
            field="X-Signature",
        )
    return decision


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
