"""Every query of the usage rollup."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.models import ApiUsageDaily, Client


class UsageRepository:
    async def add(self, session: AsyncSession, rows: Sequence[dict[str, Any]]) -> int:
        """Add counts to the rollup: new rows are inserted, existing ones summed bucket by bucket; the number
        of rows added."""
        if not rows:
            return 0
        known = set(
            await session.scalars(select(Client.id).where(Client.id.in_({row["client_id"] for row in rows})))
        )
        rows = [row for row in rows if row["client_id"] in known]  # a merchant deleted since is not counted
        if not rows:
            return 0
        stmt = insert(ApiUsageDaily).values(list(rows))
        table = ApiUsageDaily.__table__
        summed = text(
            "ARRAY(SELECT a + b FROM unnest(api_usage_daily.latency_buckets, excluded.latency_buckets) "
            "WITH ORDINALITY AS t(a, b, i) ORDER BY i)"
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.client_id, table.c.day, table.c.route, table.c.status],
            set_={
                "count": table.c.count + stmt.excluded.count,
                "duration_ms_sum": table.c.duration_ms_sum + stmt.excluded.duration_ms_sum,
                "latency_buckets": summed,
                "updated_at": func.now(),
            },
            # a row of another histogram layout is left alone rather than summed with the wrong bounds
            where=table.c.bucket_layout == stmt.excluded.bucket_layout,
        )
        await session.execute(stmt)
        return len(rows)

    async def rows(
        self, session: AsyncSession, client_id: uuid.UUID, first: date, last: date, layout: int
    ) -> Sequence[ApiUsageDaily]:
        return (
            await session.scalars(
                select(ApiUsageDaily)
                .where(
                    ApiUsageDaily.client_id == client_id,
                    ApiUsageDaily.day >= first,
                    ApiUsageDaily.day <= last,
                    ApiUsageDaily.bucket_layout == layout,
                )
                .order_by(ApiUsageDaily.day, ApiUsageDaily.route, ApiUsageDaily.status)
            )
        ).all()


usage_repo = UsageRepository()
