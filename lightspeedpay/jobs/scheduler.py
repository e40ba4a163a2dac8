"""Periodic work; one active scheduler at a time, elected with a PostgreSQL advisory lock."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import text

from lightspeedpay.config import get_settings
from lightspeedpay.db import engine, sessionmaker
from lightspeedpay.jobs import queues, sweeper
from lightspeedpay.kit import http
from lightspeedpay.kit.logging import log

_LOCK_KEY = 0x4C5350  # "LSP"


async def _in_session(work: Callable[[Any], Awaitable[Any]]) -> Any:
    async with sessionmaker()() as session:
        result = await work(session)
        await session.commit()
        return result


async def refresh_success_rates() -> Any:
    from lightspeedpay.gateways.routing import routing_service

    return await _in_session(routing_service.refresh_success_rates)


async def probe_gateways() -> Any:
    from lightspeedpay.gateways.routing import routing_service

    return await _in_session(routing_service.probe_tripped)


async def janitor() -> Any:
    from lightspeedpay.jobs import registry
    from lightspeedpay.payments.service import payment_service

    registry.load_all()
    return await _in_session(payment_service.reconcile_stale)


def periodic_tasks() -> list[tuple[str, float, Callable[[], Awaitable[Any]]]]:
    s = get_settings()
    return [
        ("sweeper", s.sweeper_interval_seconds, sweeper.sweep),
        ("success_rates", s.routing_refresh_seconds, refresh_success_rates),
        ("gateway_probe", s.health_probe_seconds, probe_gateways),
        ("janitor", s.janitor_interval_seconds, janitor),
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
        log.info("scheduler_started", tasks={name: every for name, every, _ in tasks})
        due = {name: 0.0 for name, _, _ in tasks}
        while not stop.is_set():
            now = time.monotonic()
            for name, every, work in tasks:
                if now < due[name]:
                    continue
                due[name] = now + every
                try:
                    result = await work()
                    if result:
                        log.info("scheduled_run", task=name, result=result)
                except Exception as exc:  # noqa: BLE001 - the loop must outlive a bad tick
                    log.warning("scheduled_run_failed", task=name, error=f"{type(exc).__name__}: {exc}")
            await _wait(stop, max(0.05, min(due.values()) - time.monotonic()))
    await queues.close()
    await http.close()


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass
