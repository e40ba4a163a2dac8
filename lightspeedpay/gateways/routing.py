"""Smart routing around the base order: the circuit breaker, measured success rates, failover reservations
and the health probe that brings a tripped gateway back."""

from __future__ import annotations

import time
import uuid
from datetime import date

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.config import get_settings
from lightspeedpay.db import sessionmaker
from lightspeedpay.gateways.adapters import get_adapter
from lightspeedpay.gateways.adapters.base import PspError
from lightspeedpay.gateways.repository import gateway_repo
from lightspeedpay.gateways.service import gateway_service
from lightspeedpay.jobs.unit_of_work import unit_of_work
from lightspeedpay.kit.logging import log
from lightspeedpay.models import Alert, GatewayAttempt, PaymentGateway

_RESERVE_NEXT = text("""
UPDATE payment_gateways pg
SET current_volume = (CASE WHEN pg.volume_month = :month THEN pg.current_volume ELSE 0 END) + :amount,
    volume_month = :month, last_used_at = clock_timestamp()
WHERE pg.id = (
    SELECT id FROM payment_gateways
    WHERE is_active AND NOT temp_failed AND id <> ALL(:exclude)
      AND (CASE WHEN volume_month = :month THEN current_volume ELSE 0 END) + :amount <= monthly_limit
    ORDER BY priority DESC, success_rate DESC, last_used_at ASC
    LIMIT 1 FOR UPDATE {lock}
)
RETURNING pg.id
""")

# success = paid (or paid then refunded) over everything that reached an outcome in the window, counting
# technical failures to create the order; too few outcomes is no evidence, and leaves 100 %
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
)
UPDATE payment_gateways g SET success_rate = rates.rate
FROM rates WHERE rates.id = g.id AND g.success_rate IS DISTINCT FROM rates.rate
RETURNING g.name, g.success_rate
""")


class RoutingService:
    async def reserve_next(self, session: AsyncSession, *, amount: int, exclude: list[uuid.UUID],
                           month: date) -> uuid.UUID | None:
        """Reserve the amount on the best eligible gateway not yet tried for this payment."""
        params = {"amount": amount, "exclude": exclude, "month": month}
        for lock in ("SKIP LOCKED", ""):
            stmt = text(_RESERVE_NEXT.text.format(lock=lock))
            found = (await session.execute(stmt, params)).scalar_one_or_none()
            if found is not None:
                return found
        return None

    async def record_attempt(self, session: AsyncSession, *, transaction_id: uuid.UUID, gateway_id: uuid.UUID,
                             attempt: int, outcome: str, latency_ms: int, error: PspError | None = None) -> None:
        session.add(GatewayAttempt(transaction_id=transaction_id, gateway_id=gateway_id, attempt=attempt,
                                   outcome=outcome, latency_ms=latency_ms,
                                   error_code=error.code if error else None,
                                   error_message=error.message[:500] if error else None))
        if outcome == "technical_error":
            await self.technical_failure(session, gateway_id)
        else:  # the PSP answered: the failure streak is over (no write when there is none)
            await session.execute(update(PaymentGateway)
                                  .where(PaymentGateway.id == gateway_id, PaymentGateway.consecutive_failures > 0)
                                  .values(consecutive_failures=0))

    async def technical_failure(self, session: AsyncSession, gateway_id: uuid.UUID) -> None:
        threshold = get_settings().breaker_threshold
        row = (await session.execute(text("""
            UPDATE payment_gateways
            SET consecutive_failures = consecutive_failures + 1,
                temp_failed_at = CASE WHEN NOT temp_failed AND consecutive_failures + 1 >= :n THEN now()
                                      ELSE temp_failed_at END,
                temp_failed = temp_failed OR consecutive_failures + 1 >= :n
            WHERE id = :id
            RETURNING name, consecutive_failures, temp_failed_at = now() AS tripped
        """), {"n": threshold, "id": gateway_id})).one()
        if row.tripped:
            message = f"gateway {row.name} tripped its breaker after {row.consecutive_failures} technical failures"
            session.add(Alert(kind="gateway_breaker_tripped", severity="critical", gateway_id=gateway_id,
                              message=message, details={"consecutive_failures": row.consecutive_failures}))
            log.warning("gateway_breaker_tripped", gateway=row.name, failures=row.consecutive_failures)

    async def refresh_success_rates(self, session: AsyncSession) -> dict[str, float]:
        s = get_settings()
        rows = (await session.execute(_REFRESH_SUCCESS, {"window": s.success_window_minutes,
                                                         "min_sample": s.success_min_sample})).all()
        return {r.name: float(r.success_rate) for r in rows}

    async def probe_tripped(self) -> list[str]:
        """Ask each temp_failed gateway's PSP whether it answers again; clear the breaker when it does. The PSP
        is asked with no transaction open; each recovery is written in its own short unit of work, and only if
        the gateway is still tripped then."""
        async with sessionmaker()() as session:
            tripped = [(g.id, g.name, g.provider, gateway_service.account(g)) for g in (await session.execute(
                select(PaymentGateway).where(PaymentGateway.temp_failed, PaymentGateway.is_active))).scalars()]
        recovered = []
        for gateway_id, name, provider, account in tripped:
            started = time.perf_counter()
            try:
                await get_adapter(provider).check_connectivity(account)
            except PspError as exc:
                log.info("gateway_probe_failed", gateway=name, error=exc.code)
                continue
            latency = int((time.perf_counter() - started) * 1000)
            async with unit_of_work() as session:
                gateway = await gateway_repo.lock(session, gateway_id)
                if gateway is None or not gateway.temp_failed:
                    continue  # cleared meanwhile (an operator, another probe)
                gateway.temp_failed, gateway.consecutive_failures, gateway.temp_failed_at = False, 0, None
                session.add(Alert(kind="gateway_recovered", severity="info", gateway_id=gateway.id,
                                  message=f"gateway {name} answers again ({latency} ms); breaker cleared"))
            log.info("gateway_recovered", gateway=name, latency_ms=latency)
            recovered.append(name)
        return recovered


routing_service = RoutingService()
