"""Periodic work; one active scheduler at a time, elected with a PostgreSQL advisory lock."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import text

from lightspeedpay.config import get_settings
from lightspeedpay.db import engine, unit_of_work
from lightspeedpay.jobs import queues, sweeper
from lightspeedpay.kit import http
from lightspeedpay.kit.logging import log

_LOCK_KEY = 0x4C5350  # "LSP"


async def _in_session(work: Callable[[Any], Awaitable[Any]]) -> Any:
    """Run `work` as one unit of work: what it queued is pushed right after the commit, not at the sweeper's
    next pass."""
    async with unit_of_work() as session:
        return await work(session)


async def refresh_success_rates() -> Any:
    from lightspeedpay.gateways.routing import routing_service

    return await _in_session(routing_service.refresh_success_rates)


async def probe_gateways() -> Any:
    from lightspeedpay.gateways.routing import routing_service

    # its own units of work: no transaction is open while the PSPs are probed
    return await routing_service.probe_tripped()


async def janitor() -> Any:
    from lightspeedpay.jobs import registry
    from lightspeedpay.payments.service import payment_service

    registry.load_all()
    # its own units of work: claim, ask the PSPs with no transaction open, apply each answer on its own
    return await payment_service.reconcile_stale()


async def release_uncaptured() -> Any:
    from lightspeedpay.refunds.service import refund_service

    return await _in_session(refund_service.release_uncaptured_authorizations)


async def purge_idempotency_keys() -> Any:
    from lightspeedpay.kit import idempotency

    return await _in_session(idempotency.purge_expired)


async def ledger_check() -> Any:
    from lightspeedpay.ledger.checker import ledger_checker

    violations = await ledger_checker.run()
    return {"violations": len(violations)} if violations else None


async def settlements() -> Any:
    from lightspeedpay.jobs import registry
    from lightspeedpay.settlements.service import settlement_service

    registry.load_all()
    return await _in_session(settlement_service.scheduled)


async def webhook_housekeeping() -> Any:
    from lightspeedpay.webhooks.tasks import housekeeping

    return await housekeeping()


def periodic_tasks() -> list[tuple[str, float, Callable[[], Awaitable[Any]]]]:
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
    ]


async def run() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with engine().connect() as conn:
        while not stop.is_set():
            got = (await conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _LOCK_KEY})).scalar()
            await conn.commit()
            if got:
                break
            log.info("scheduler_standby")
            await _wait(stop, 5)
        tasks = periodic_tasks()
        timeout = get_settings().scheduler_task_timeout_seconds
        log.info("scheduler_started", tasks={name: every for name, every, _ in tasks}, timeout_seconds=timeout)
        due = {name: 0.0 for name, _, _ in tasks}
        # each periodic task runs as its own asyncio task, so a slow one (a PSP that hangs) never holds up
        # the sweeper, the settlements or the ledger check; one still running when due again is left alone
        running: dict[str, asyncio.Task[None]] = {}
        try:
            while not stop.is_set():
                now = time.monotonic()
                for name, every, work in tasks:
                    if now < due[name]:
                        continue
                    due[name] = now + every
                    if name in running and not running[name].done():
                        log.info("scheduled_run_skipped", task=name, reason="previous run still going")
                        continue
                    running[name] = asyncio.create_task(_run_once(name, work, timeout), name=f"scheduled:{name}")
                await _wait(stop, max(0.05, min(due.values()) - time.monotonic()))
        finally:
            pending = [t for t in running.values() if not t.done()]
            for t in pending:
                t.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
    await queues.close()
    await http.close()


async def _run_once(name: str, work: Callable[[], Awaitable[Any]], timeout: float) -> None:
    """One run of one periodic task, cancelled after `timeout` seconds; a failure is logged, never raised (the
    scheduler must outlive a bad tick)."""
    started = time.monotonic()
    try:
        async with asyncio.timeout(timeout) as deadline:
            result = await work()
        if result:
            log.info("scheduled_run", task=name, result=result)
    except TimeoutError:
        if not deadline.expired():
            log.warning("scheduled_run_failed", task=name, error="TimeoutError")
            return
        log.warning("scheduled_run_timeout", task=name, timeout_seconds=timeout,
                    elapsed_seconds=round(time.monotonic() - started, 1))
    except Exception as exc:  # noqa: BLE001 - the loop must outlive a bad tick
        log.warning("scheduled_run_failed", task=name, error=f"{type(exc).__name__}: {exc}")


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass
