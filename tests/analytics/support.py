"""Helpers of the analytics tests: fold the delta log, and what the rollups must hold, counted directly from the
transactions and bucketed in Python (independently of the fold's SQL)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.analytics.service import analytics_service
from lightspeedpay.analytics.window import floor
from lightspeedpay.models import AnalyticsRollup, PaymentGateway
from lightspeedpay.models.analytics_rollup import ALL, ALL_IDS, RollupCut, RollupGrain

Key = tuple[Any, ...]
# updated_at for payments written by hand: the platform's janitor claims open payments by updated_at (and expires
# them past the TTL), which would change the figures under a test's feet; this one it never reaches
UNTOUCHED = datetime(2100, 1, 1, tzinfo=UTC)


async def fold_all(batch: int | None = None) -> None:
    await analytics_service.fold_pending(batch=batch)


async def rollups(session: AsyncSession) -> dict[Key, tuple[int, int, int]]:
    """Every rollup row: (grain, cut, client, bucket, gateway, provider, method, status, currency, code) ->
    (count, amount, refunded)."""
    await session.rollback()
    rows = (await session.execute(select(AnalyticsRollup))).scalars()
    return {
        (
            r.grain,
            r.cut,
            r.client_id,
            r.bucket_at,
            r.gateway_id,
            r.provider,
            r.method,
            r.status,
            r.currency,
            r.failure_code,
        ): (r.txn_count, r.amount, r.refunded)
        for r in rows
    }


async def direct_count(session: AsyncSession) -> dict[Key, tuple[int, int, int]]:
    """What `rollups()` must return: the transactions counted one by one."""
    await session.rollback()
    providers = {g.id: g.provider for g in (await session.execute(select(PaymentGateway))).scalars()}
    txns = await session.execute(
        text(
            "SELECT created_at, client_id, gateway_id, method, status, currency, error_code, amount, "
            "amount_refunded FROM transactions"
        )
    )
    out: dict[Key, list[int]] = defaultdict(lambda: [0, 0, 0])
    for t in txns:
        code = (t.error_code or "") if t.status in ("failed", "expired") else ""
        full = (t.client_id, t.gateway_id, providers[t.gateway_id], t.method or "")
        for grain in RollupGrain:
            bucket: datetime = floor(t.created_at, grain)
            for cut, (client, gateway, provider, method) in (
                (RollupCut.FULL, full),
                (RollupCut.PLATFORM, (ALL_IDS, *full[1:])),
                (RollupCut.MERCHANT, (t.client_id, ALL_IDS, ALL, ALL)),
            ):
                key = (
                    grain.value,
                    cut.value,
                    client,
                    bucket,
                    gateway,
                    provider,
                    method,
                    t.status,
                    t.currency,
                    code,
                )
                acc = out[key]
                acc[0] += 1
                acc[1] += t.amount
                acc[2] += t.amount_refunded
    return {k: (v[0], v[1], v[2]) for k, v in out.items()}


async def pending_deltas(session: AsyncSession) -> int:
    await session.rollback()
    return int((await session.execute(text("SELECT count(*) FROM analytics_deltas"))).scalar_one())
