"""Periodic work; one active scheduler at a time, elected with a PostgreSQL advisory lock."""

from __future__ import annotations

import asyncio
import signal

from sqlalchemy import text

from lightspeedpay.config import get_settings
from lightspeedpay.db import engine
from lightspeedpay.jobs import queues, sweeper
from lightspeedpay.kit.logging import log

_LOCK_KEY = 0x4C5350  # "LSP"


async def run() -> None:
    settings = get_settings()
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
        log.info("scheduler_started", sweep_every=settings.sweeper_interval_seconds)
        while not stop.is_set():
            try:
                await sweeper.sweep()
            except Exception as exc:  # noqa: BLE001 - the loop must outlive a bad tick
                log.warning("sweep_failed", error=str(exc))
            await _wait(stop, settings.sweeper_interval_seconds)
    await queues.close()


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass
