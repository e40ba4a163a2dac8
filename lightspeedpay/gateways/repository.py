"""Every query on the gateway pool: the one definition of an eligible gateway, reservations, the breaker.

Lock order: a transaction that locks more than one gateway row takes them in id order (`lock_for_failover`,
`lock_many`, `refresh_success_rates`); every other statement touches a single gateway row. Then no two
transactions can wait for each other's gateway rows in a cycle (issue 8, defect 9). Explicit locks are
FOR NO KEY UPDATE, the strength an UPDATE takes: a plain FOR UPDATE would also wait for the KEY SHARE locks
that every insert referencing a gateway (a transaction, an attempt, an alert) holds until its commit, which
brings the cycles back in another guise.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Row, delete, exists, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from lightspeedpay.models import (
    Alert,
    ArchivedTransaction,
    GatewayAttempt,
    PaymentGateway,
    PspEvent,
    Transaction,
)
from lightspeedpay.models.gateway_attempt import GatewayAttemptOutcome


def volume_sql(alias: str = "pg") -> str:
    """The paise reserved on the gateway in :month: a volume stored for an earlier month counts as nothing."""
    return f"(CASE WHEN {alias}.volume_month = :month THEN {alias}.current_volume ELSE 0 END)"


def eligible_sql(alias: str = "pg") -> str:
    """THE gateway-eligibility rule, the only copy: whether the gateway `alias` may take a new reservation of
    :amount paise in :month (active, breaker closed, within its monthly limit after the monthly reset) for a
    payment of the mode :sandbox_only says (true: a test-mode payment, which only sandbox gateways may take).
    Every query that selects a gateway embeds it, the one-statement initiation included, so they cannot drift."""
    return (
        f"({alias}.is_active AND NOT {alias}.temp_failed"
        f" AND {volume_sql(alias)} + :amount <= {alias}.monthly_limit"
        f" AND (NOT CAST(:sandbox_only AS boolean) OR {alias}.provider = 'sandbox'))"
    )


def routing_order_sql(alias: str = "pg", *, explore: str | None = None) -> str:
    """Best gateway first: priority, then (when the SQL expression `explore` is true) a random pick within the
    priority, then measured success rate, then the least recently used."""
    shuffle = f"(CASE WHEN {explore} THEN random() ELSE 0 END), " if explore else ""
    return f"{alias}.priority DESC, {shuffle}{alias}.success_rate DESC, {alias}.last_used_at ASC"


def reserve_set_sql(alias: str = "pg") -> str:
    """The SET list that reserves :amount on the gateway for :month (a new month starts from zero)."""
    return (
        f"current_volume = {volume_sql(alias)} + :amount, volume_month = :month, "
        "last_used_at = clock_timestamp()"
    )


# every gateway row a failover may write, locked in id order before the first write: the failing gateway (its
# breaker, the reservation given back) and, when the payment may move, each eligible gateway it could move to
_LOCK_FOR_FAILOVER = text(f"""
SELECT pg.id FROM payment_gateways pg
WHERE pg.id = :current OR (:move AND pg.id <> ALL(:exclude) AND {eligible_sql()})
ORDER BY pg.id
FOR NO KEY UPDATE
""")

# the best of the rows this transaction already holds, so nothing here waits
_RESERVE_AMONG = text(f"""
UPDATE payment_gateways pg SET {reserve_set_sql()}
WHERE pg.id = (SELECT pg.id FROM payment_gateways pg
               WHERE pg.id = ANY(:among) AND pg.id <> ALL(:exclude) AND {eligible_sql()}
               ORDER BY {routing_order_sql()} LIMIT 1)
RETURNING pg.id
""")

# `was` is read under the row lock the statement takes, so `tripped` is true for exactly one failure: the one
# that opened the breaker
_COUNT_TECHNICAL_FAILURE = text("""
WITH was AS (SELECT id, temp_failed FROM payment_gateways WHERE id = :id FOR NO KEY UPDATE)
UPDATE payment_gateways pg
SET consecutive_failures = pg.consecutive_failures + 1,
    temp_failed = pg.temp_failed OR pg.consecutive_failures + 1 >= :threshold,
    temp_failed_at = CASE WHEN NOT pg.temp_failed AND pg.consecutive_failures + 1 >= :threshold THEN now()
                          ELSE pg.temp_failed_at END
FROM was WHERE pg.id = was.id
RETURNING pg.name, pg.consecutive_failures, (pg.temp_failed AND NOT was.temp_failed) AS tripped
""")

# success = paid (or paid then refunded) over everything that reached an outcome in the window, counting
# technical failures to create the order; too few outcomes is no evidence, and leaves 100 %. The rows that
# change are locked in id order first (one bulk UPDATE would lock them in whatever order it scans them).
_REFRESH_SUCCESS = text("""
WITH outcomes AS (
    SELECT gateway_id,
           count(*) FILTER (WHERE status IN ('paid', 'partially_refunded', 'refunded')) AS ok,
           count(*) FILTER (WHERE status IN ('failed', 'expired')) AS bad
    FROM transactions WHERE updated_at > now() - make_interval(mins => :window)
    GROUP BY gateway_id
), tech AS (
    SELECT gateway_id, count(*) AS bad FROM gateway_attempts
    WHERE outcome = 'technical_error' AND created_at > now() - make_interval(mins => :window)
    GROUP BY gateway_id
), rates AS (
    SELECT g.id,
           CASE WHEN coalesce(o.ok, 0) + coalesce(o.bad, 0) + coalesce(t.bad, 0) < :min_sample THEN 100.00
                ELSE round(100.0 * coalesce(o.ok, 0) / (coalesce(o.ok, 0) + coalesce(o.bad, 0) + coalesce(t.bad, 0)), 2)
           END AS rate
    FROM payment_gateways g
    LEFT JOIN outcomes o ON o.gateway_id = g.id LEFT JOIN tech t ON t.gateway_id = g.id
), locked AS (
    SELECT g.id FROM payment_gateways g JOIN rates ON rates.id = g.id
    WHERE g.success_rate IS DISTINCT FROM rates.rate
    ORDER BY g.id FOR NO KEY UPDATE OF g
)
UPDATE payment_gateways g SET success_rate = rates.rate
FROM rates, locked WHERE rates.id = g.id AND locked.id = g.id AND g.success_rate IS DISTINCT FROM rates.rate
RETURNING g.id, g.name, g.success_rate
""")


class GatewayRepository:
    async def get(
        self, session: AsyncSession, gateway_id: uuid.UUID, *, fresh: bool = False
    ) -> PaymentGateway | None:
        """`fresh`: read the row again even if this session has it (after a statement changed it), without a
        lock of its own."""
        return await session.get(PaymentGateway, gateway_id, populate_existing=fresh)

    async def labels(self, conn: AsyncConnection | AsyncSession) -> dict[uuid.UUID, tuple[str, str]]:
        """(name, provider) of every gateway: the labels of the payment metrics."""
        rows = await conn.execute(select(PaymentGateway.id, PaymentGateway.name, PaymentGateway.provider))
        return {r.id: (r.name, r.provider) for r in rows}

    async def by_name(self, session: AsyncSession, name: str) -> PaymentGateway | None:
        return (
            await session.execute(select(PaymentGateway).where(PaymentGateway.name == name))
        ).scalar_one_or_none()

    async def all(self, session: AsyncSession, *, fresh: bool = False) -> list[PaymentGateway]:
        """Every gateway, best first; `fresh` re-reads rows this session has already loaded and changed."""
        stmt = select(PaymentGateway).order_by(PaymentGateway.priority.desc(), PaymentGateway.name)
        if fresh:
            stmt = stmt.execution_options(populate_existing=True)
        return list((await session.execute(stmt)).scalars())

    async def lock(self, session: AsyncSession, gateway_id: uuid.UUID) -> PaymentGateway | None:
        stmt = (
            select(PaymentGateway)
            .where(PaymentGateway.id == gateway_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return (await session.execute(stmt)).scalar_one_or_none()

    async def lock_many(
        self, session: AsyncSession, gateway_ids: Sequence[uuid.UUID]
    ) -> list[PaymentGateway]:
        """Lock in id order, so two bulk changes cannot deadlock on each other (NO KEY: see the module's note)."""
        stmt = (
            select(PaymentGateway)
            .where(PaymentGateway.id.in_(gateway_ids))
            .order_by(PaymentGateway.id)
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        )
        return list((await session.execute(stmt)).scalars())

    async def has_history(self, session: AsyncSession, gateway_id: uuid.UUID) -> bool:
        """Whether any payment, PSP event, attempt or alert refers to the gateway (it must then be kept)."""
        checks = [
            exists().where(model.gateway_id == gateway_id)
            for model in (Transaction, ArchivedTransaction, PspEvent, GatewayAttempt, Alert)
        ]
        return bool((await session.execute(select(or_(*checks)))).scalar())

    async def delete(self, session: AsyncSession, gateway_id: uuid.UUID) -> None:
        await session.execute(delete(PaymentGateway).where(PaymentGateway.id == gateway_id))

    async def attempt_figures(
        self, session: AsyncSession, *, window_minutes: int
    ) -> dict[uuid.UUID, Row[Any]]:
        """Per gateway over the last `window_minutes`: attempts by outcome and latency percentiles (ms)."""
        a = GatewayAttempt
        stmt = (
            select(
                a.gateway_id,
                func.count().label("attempts"),
                func.count().filter(a.outcome == GatewayAttemptOutcome.CREATED).label("created"),
                func.count().filter(a.outcome == GatewayAttemptOutcome.DECLINED).label("declines"),
                func.count()
                .filter(a.outcome == GatewayAttemptOutcome.TECHNICAL_ERROR)
                .label("technical_errors"),
                func.percentile_cont(0.5).within_group(a.latency_ms).label("p50"),
                func.percentile_cont(0.95).within_group(a.latency_ms).label("p95"),
            )
            .where(a.created_at > func.now() - timedelta(minutes=window_minutes))
            .group_by(a.gateway_id)
        )
        return {row.gateway_id: row for row in (await session.execute(stmt)).all()}

    async def release(self, session: AsyncSession, gateway_id: uuid.UUID, amount: int, month: date) -> None:
        """Give a failed payment's amount back to the gateway's monthly volume (only within the same month)."""
        await session.execute(
            update(PaymentGateway)
            .where(PaymentGateway.id == gateway_id, PaymentGateway.volume_month == month)
            .values(current_volume=PaymentGateway.current_volume - amount)
        )

    async def any_eligible(
        self, conn: AsyncConnection | AsyncSession, amount: int, month: date, *, sandbox_only: bool = False
    ) -> bool:
        return bool(
            (
                await conn.execute(
                    text(f"SELECT EXISTS (SELECT 1 FROM payment_gateways pg WHERE {eligible_sql()})"),
                    {"amount": amount, "month": month, "sandbox_only": sandbox_only},
                )
            ).scalar()
        )

    async def is_eligible(
        self, session: AsyncSession, gateway_id: uuid.UUID, amount: int, month: date
    ) -> bool:
        return bool(
            (
                await session.execute(
                    text(
                        f"SELECT EXISTS (SELECT 1 FROM payment_gateways pg WHERE pg.id = :id AND {eligible_sql()})"
                    ),
                    {"id": gateway_id, "amount": amount, "month": month, "sandbox_only": False},
                )
            ).scalar()
        )

    async def best_eligible_provider(
        self, session: AsyncSession, amount: int, month: date, *, sandbox_only: bool = False
    ) -> str | None:
        """The provider of the gateway the router would pick now, without reserving anything."""
        return (
            await session.execute(
                text(
                    f"SELECT pg.provider FROM payment_gateways pg WHERE {eligible_sql()} "
                    f"ORDER BY {routing_order_sql()} LIMIT 1"
                ),
                {"amount": amount, "month": month, "sandbox_only": sandbox_only},
            )
        ).scalar_one_or_none()

    async def lock_for_failover(
        self,
        session: AsyncSession,
        *,
        current: uuid.UUID,
        move: bool,
        exclude: Sequence[uuid.UUID],
        amount: int,
        month: date,
        sandbox_only: bool = False,
    ) -> list[uuid.UUID]:
        """Lock, in id order, the failing gateway `current` and (if `move`) every eligible gateway not in
        `exclude`; returns the locked ids."""
        params = {
            "current": current,
            "move": move,
            "exclude": list(exclude),
            "amount": amount,
            "month": month,
            "sandbox_only": sandbox_only,
        }
        return list((await session.execute(_LOCK_FOR_FAILOVER, params)).scalars())

    async def reserve_among(
        self,
        session: AsyncSession,
        *,
        among: Sequence[uuid.UUID],
        exclude: Sequence[uuid.UUID],
        amount: int,
        month: date,
        sandbox_only: bool = False,
    ) -> uuid.UUID | None:
        """Reserve the amount on the best eligible gateway of `among` (rows the caller has locked)."""
        params = {
            "among": list(among),
            "exclude": list(exclude),
            "amount": amount,
            "month": month,
            "sandbox_only": sandbox_only,
        }
        return (await session.execute(_RESERVE_AMONG, params)).scalar_one_or_none()

    async def count_technical_failure(
        self, session: AsyncSession, gateway_id: uuid.UUID, threshold: int
    ) -> Row[Any]:
        """One more failure in the streak; the breaker opens at `threshold`. Returns name,
        consecutive_failures and tripped (whether this failure opened it)."""
        return (
            await session.execute(_COUNT_TECHNICAL_FAILURE, {"id": gateway_id, "threshold": threshold})
        ).one()

    async def end_failure_streak(self, session: AsyncSession, gateway_id: uuid.UUID) -> None:
        """The PSP answered: the streak is over (no write when there is none)."""
        await session.execute(
            update(PaymentGateway)
            .where(PaymentGateway.id == gateway_id, PaymentGateway.consecutive_failures > 0)
            .values(consecutive_failures=0)
        )

    async def refresh_success_rates(
        self, session: AsyncSession, *, window_minutes: int, min_sample: int
    ) -> list[Row[Any]]:
        """Recompute each gateway's success rate; returns (id, name, success_rate) of those that changed."""
        params = {"window": window_minutes, "min_sample": min_sample}
        return list((await session.execute(_REFRESH_SUCCESS, params)).all())

    async def tripped(self, session: AsyncSession) -> list[PaymentGateway]:
        stmt = select(PaymentGateway).where(PaymentGateway.temp_failed, PaymentGateway.is_active)
        return list((await session.execute(stmt)).scalars())

    async def attempted_for(self, session: AsyncSession, transaction_id: uuid.UUID) -> list[uuid.UUID]:
        """The gateways a payment was tried on, in order."""
        return list(
            (
                await session.execute(
                    select(GatewayAttempt.gateway_id)
                    .where(GatewayAttempt.transaction_id == transaction_id)
                    .order_by(GatewayAttempt.created_at)
                )
            ).scalars()
        )

    async def attempts_of(self, session: AsyncSession, transaction_id: uuid.UUID) -> list[GatewayAttempt]:
        """Every call made to a PSP for a payment, in order: the routing's first pick and each failover."""
        stmt = (
            select(GatewayAttempt)
            .where(GatewayAttempt.transaction_id == transaction_id)
            .order_by(GatewayAttempt.created_at, GatewayAttempt.attempt)
        )
        return list((await session.execute(stmt)).scalars())


gateway_repo = GatewayRepository()
