"""Smart routing around the base order: the circuit breaker, measured success rates, failover reservations
and the health probe that brings a tripped gateway back."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.alerts import conditions
from lightspeedpay.alerts.service import alert_service
from lightspeedpay.config import get_settings
from lightspeedpay.db import sessionmaker
from lightspeedpay.gateways.adapters import get_adapter
from lightspeedpay.gateways.adapters.base import PspError
from lightspeedpay.gateways.repository import gateway_repo
from lightspeedpay.gateways.service import gateway_service, volume_month
from lightspeedpay.jobs import broadcast
from lightspeedpay.jobs.unit_of_work import unit_of_work
from lightspeedpay.kit.logging import log
from lightspeedpay.models import GatewayAttempt
from lightspeedpay.models.alert import AlertKind
from lightspeedpay.models.gateway_attempt import GatewayAttemptOutcome


@dataclass(frozen=True)
class Reservation:
    """A payment's reservation to move away from a failing gateway."""

    amount: int
    exclude: list[uuid.UUID]  # the gateways already tried for the payment, the failing one included
    month: date  # the month a new reservation counts in (now)
    reserved_month: date  # the month the failing gateway's reservation counts in (the payment's creation)
    sandbox_only: bool = False  # a test-mode payment moves only to another sandbox gateway


class RoutingService:
    async def record_attempt(
        self,
        session: AsyncSession,
        *,
        transaction_id: uuid.UUID,
        gateway_id: uuid.UUID,
        attempt: int,
        outcome: str,
        latency_ms: int,
        error: PspError | None = None,
    ) -> None:
        """The attempt's row; when the PSP answered (created or declined), its failure streak is over. A
        technical error is counted by `technical_failure`, which takes the gateway locks in order."""
        session.add(
            GatewayAttempt(
                transaction_id=transaction_id,
                gateway_id=gateway_id,
                attempt=attempt,
                outcome=outcome,
                latency_ms=latency_ms,
                error_code=error.code if error else None,
                error_message=error.message[:500] if error else None,
            )
        )
        if outcome != GatewayAttemptOutcome.TECHNICAL_ERROR:
            await gateway_repo.end_failure_streak(session, gateway_id)

    async def technical_failure(
        self, session: AsyncSession, gateway_id: uuid.UUID, *, move: Reservation | None = None
    ) -> uuid.UUID | None:
        """Count a technical failure of `gateway_id` on its breaker (an alert when it trips) and, given a
        `move`, move that reservation to the best eligible gateway outside `move.exclude`; returns the gateway it
        moved to (None: it stays).

        Every gateway row written here is locked first, in id order, by one statement: two failovers, or a
        failover and the scheduler's rate refresh, cannot wait for each other in a cycle, and an initiation
        never holds one gateway row while waiting for another. Run it as one retryable unit
        (`kit.db_conflicts.retry_on_conflict` with the session): the trip, its alert and the move then commit
        with the job, or are all redone."""
        locked = await gateway_repo.lock_for_failover(
            session,
            current=gateway_id,
            move=move is not None,
            exclude=move.exclude if move else [],
            amount=move.amount if move else 0,
            month=move.month if move else volume_month(),
            sandbox_only=move.sandbox_only if move else False,
        )
        trip = await gateway_repo.count_technical_failure(
            session, gateway_id, get_settings().breaker_threshold
        )
        if trip.tripped:
            await alert_service.raise_condition(
                session,
                AlertKind.GATEWAY_DOWN,
                conditions.gateway_down(gateway_id, trip.name, failures=trip.consecutive_failures),
            )
            log.warning("gateway_breaker_tripped", gateway=trip.name, failures=trip.consecutive_failures)
            # read again as the statement left it; no lock of its own (the row is held FOR NO KEY UPDATE, and a
            # stronger lock would wait for every payment being inserted against the gateway)
            tripped = await gateway_repo.get(session, gateway_id, fresh=True)
            assert tripped is not None
            gateway_service.announce(session, tripped, "tripped")
        if move is None:
            return None
        moved_to = await gateway_repo.reserve_among(
            session,
            among=locked,
            exclude=move.exclude,
            amount=move.amount,
            month=move.month,
            sandbox_only=move.sandbox_only,
        )
        if moved_to is not None:
            await gateway_repo.release(session, gateway_id, move.amount, move.reserved_month)
        return moved_to

    async def refresh_success_rates(self, session: AsyncSession) -> dict[str, float]:
        s = get_settings()
        rows = await gateway_repo.refresh_success_rates(
            session, window_minutes=s.success_window_minutes, min_sample=s.success_min_sample
        )
        if rows:
            broadcast.publish(
                session,
                broadcast.GATEWAYS,
                "success_rates",
                [{"id": r.id, "name": r.name, "success_rate": r.success_rate} for r in rows],
            )
        return {r.name: float(r.success_rate) for r in rows}

    async def probe_tripped(self) -> list[str]:
        """Ask each temp_failed gateway's PSP whether it answers again; clear the breaker when it does. The PSP
        is asked with no transaction open; each recovery is written in its own short unit of work, and only if
        the gateway is still tripped then."""
        async with sessionmaker()() as session:
            tripped = [
                (g.id, g.name, g.provider, gateway_service.account(g))
                for g in await gateway_repo.tripped(session)
            ]
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
                gateway_service.announce(session, gateway, "recovered")
                await alert_service.resolve(
                    session,
                    conditions.gateway_down_key(gateway.id),
                    note=f"gateway {name} answers the health probe again ({latency} ms); breaker cleared",
                )
            log.info("gateway_recovered", gateway=name, latency_ms=latency)
            recovered.append(name)
        return recovered


routing_service = RoutingService()
