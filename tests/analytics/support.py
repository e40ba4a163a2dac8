"""Helpers of the analytics tests: fold the delta log, and what the rollups must hold, counted directly from the
transactions and bucketed in Python (independently of the fold's SQL)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.analytics.repository import MEASURES
from lightspeedpay.analytics.service import analytics_service
from lightspeedpay.analytics.window import floor
from lightspeedpay.models import AnalyticsFailure, AnalyticsRollup, PaymentGateway
from lightspeedpay.models.analytics_rollup import ALL, ALL_IDS, CUTS, RollupCut

Key = tuple[Any, ...]
# updated_at for payments written by hand: the platform's janitor claims open payments by updated_at (and expires
# them past the TTL), which would change the figures under a test's feet; this one it never reaches
UNTOUCHED = datetime(2100, 1, 1, tzinfo=UTC)


async def fold_all(batch: int | None = None) -> None:
    await analytics_service.fold_pending(batch=batch)


def _key(r: Any) -> Key:
    return (r.grain, r.cut, r.client_id, r.bucket_at, r.gateway_id, r.provider, r.method, r.currency)


async def rollups(session: AsyncSession) -> tuple[dict[Key, tuple[int, ...]], dict[Key, int]]:
    """Every rollup row (key -> its measures, in MEASURES' order) and every failures row (key + code -> count)."""
    await session.rollback()
    rows = {
        _key(r): tuple(getattr(r, m) for m in MEASURES)
        for r in (await session.execute(select(AnalyticsRollup))).scalars()
    }
    failures = {
        (*_key(f), f.failure_code): f.txn_count
        for f in (await session.execute(select(AnalyticsFailure))).scalars()
    }
    return rows, failures


async def direct_count(
    session: AsyncSession, *, source: str = "transactions"
) -> tuple[dict[Key, tuple[int, ...]], dict[Key, int]]:
    """What `rollups()` must return: the payments of `source` (transactions, or all_transactions: the archive
    too) counted one by one."""
    await session.rollback()
    providers = {g.id: g.provider for g in (await session.execute(select(PaymentGateway))).scalars()}
    txns = await session.execute(
        text(
            "SELECT created_at, client_id, gateway_id, method, status, currency, error_code, amount, "
            f"amount_refunded FROM {source}"
        )
    )
    rows: dict[Key, dict[str, int]] = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
    failures: dict[Key, int] = defaultdict(int)
    for t in txns:
        dims = {
            RollupCut.FULL: (t.client_id, t.gateway_id, providers[t.gateway_id], t.method or ""),
            RollupCut.PLATFORM: (ALL_IDS, t.gateway_id, providers[t.gateway_id], t.method or ""),
            RollupCut.MERCHANT: (t.client_id, ALL_IDS, ALL, ALL),
            RollupCut.GATEWAY: (ALL_IDS, t.gateway_id, providers[t.gateway_id], ALL),
            RollupCut.METHOD: (ALL_IDS, ALL_IDS, ALL, t.method or ""),
            RollupCut.TOTAL: (ALL_IDS, ALL_IDS, ALL, ALL),
        }
        for grain, cuts in CUTS.items():
            bucket: datetime = floor(t.created_at, grain)
            for cut in cuts:
                client, gateway, provider, method = dims[cut]
                key = (grain.value, cut.value, client, bucket, gateway, provider, method, t.currency)
                row = rows[key]
                row[f"n_{t.status}"] += 1
                row[f"amount_{t.status}"] += t.amount
                row["refunded"] += t.amount_refunded
                if t.status in ("failed", "expired"):
                    failures[(*key, t.error_code or "")] += 1
    return {k: tuple(v[m] for m in MEASURES) for k, v in rows.items()}, dict(failures)


async def pending_deltas(session: AsyncSession) -> int:
    await session.rollback()
    return int((await session.execute(text("SELECT count(*) FROM analytics_deltas"))).scalar_one())
