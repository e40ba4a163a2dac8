"""The scheduler's table of periodic work (cron-like intervals from the settings), run by `jobs.scheduler`:
the one place that names each domain's periodic job, as `tasks.py` names their queue jobs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from lightspeedpay.analytics.service import analytics_service
from lightspeedpay.config import get_settings
from lightspeedpay.gateways.routing import routing_service
from lightspeedpay.idempotency import service as idempotency
from lightspeedpay.jobs import sweeper
from lightspeedpay.jobs.scheduler import Periodic
from lightspeedpay.jobs.unit_of_work import unit_of_work
from lightspeedpay.ledger.checker import ledger_checker
from lightspeedpay.payments.service import payment_service
from lightspeedpay.refunds.service import refund_service
from lightspeedpay.settlements.service import settlement_service
from lightspeedpay.webhooks.tasks import housekeeping


async def _in_session(work: Callable[[Any], Awaitable[Any]]) -> Any:
    """Run `work` as one unit of work: what it queued is pushed right after the commit, not at the sweeper's
    next pass."""
    async with unit_of_work() as session:
        return await work(session)


async def refresh_success_rates() -> Any:
    return await _in_session(routing_service.refresh_success_rates)


async def probe_gateways() -> Any:
    # its own units of work: no transaction is open while the PSPs are probed
    return await routing_service.probe_tripped()


async def janitor() -> Any:
    # its own units of work: claim, ask the PSPs with no transaction open, apply each answer on its own
    return await payment_service.reconcile_stale()


async def release_uncaptured() -> Any:
    return await _in_session(refund_service.release_uncaptured_authorizations)


async def purge_idempotency_keys() -> Any:
    return await _in_session(idempotency.purge_expired)


async def ledger_check() -> Any:
    violations = await ledger_checker.run()
    return {"violations": len(violations)} if violations else None


async def settlements() -> Any:
    return await _in_session(settlement_service.scheduled)


async def webhook_housekeeping() -> Any:
    return await housekeeping()


async def analytics_fold() -> Any:
    # its own units of work, one per batch of the delta log
    return await analytics_service.fold_pending()


def periodic_tasks() -> list[Periodic]:
    s = get_settings()
    return [
        ("ledger_check", s.ledger_check_seconds, ledger_check),
        ("settlements", s.settlement_check_seconds, settlements),
        ("sweeper", s.sweeper_interval_seconds, sweeper.sweep),
        ("success_rates", s.routing_refresh_seconds, refresh_success_rates),
        ("gateway_probe", s.health_probe_seconds, probe_gateways),
        ("janitor", s.janitor_interval_seconds, janitor),
        # merchant webhook deliveries past retention; endpoint queues whose head lost its job
        ("webhook_housekeeping", s.webhook_housekeeping_seconds, webhook_housekeeping),
        # authorizations past LSP_CAPTURE_WINDOW_SECONDS are refunded; checked as often as the janitor runs
        ("uncaptured_authorizations", s.janitor_interval_seconds, release_uncaptured),
        ("idempotency_purge", s.idempotency_purge_seconds, purge_idempotency_keys),
        # the analytics delta log folded into the rollups (the analytics API lags by about this interval)
        ("analytics_fold", s.analytics_fold_seconds, analytics_fold),
    ]
