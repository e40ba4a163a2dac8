"""Runs periodic work (the table is `lightspeedpay.schedule`); one active scheduler at a time, elected with a
PostgreSQL advisory lock."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Awaitable, Callable
from typing import Any

from lightspeedpay.config import get_settings
from lightspeedpay.db import engine
from lightspeedpay.jobs import queues
from lightspeedpay.jobs.repository import try_scheduler_lock
from lightspeedpay.kit import http
from lightspeedpay.kit.logging import log

Periodic = tuple[str, float, Callable[[], Awaitable[Any]]]


async def run(periodic: Callable[[], list[Periodic]]) -> None:
    """Elect this process (or stand by), then run `periodic()`'s tasks, each every so many seconds."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with engine().connect() as conn:
        while not stop.is_set():
            got = await try_scheduler_lock(conn)
            await conn.commit()
            if got:
                break
            log.info("scheduler_standby")
            await _wait(stop, 5)
        tasks = periodic()
        timeout = get_settings().scheduler_task_timeout_seconds
        log.info(
            "scheduler_started", tasks={name: every for name, every, _ in tasks}, timeout_seconds=timeout
        )
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
                    running[name] = asyncio.create_task(
                        _run_once(name, work, timeout), name=f"scheduled:{name}"
                    )
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
        log.warning(
            "scheduled_run_timeout",
            task=name,
            timeout_seconds=timeout,
            elapsed_seconds=round(time.monotonic() - started, 1),
        )
    except Exception as exc:  # noqa: BLE001 - the loop must outlive a bad tick
        log.warning("scheduled_run_failed", task=name, error=f"{type(exc).__name__}: {exc}")


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass
