#!/usr/bin/env python3
"""Chaos, long form: thousands of idempotent payments through the real platform (api, worker, scheduler, PSP
simulator, merchant receiver) while the api, the worker and the scheduler are SIGKILLed at random, the queue's
Redis keys are wiped once and the PSP is down for a while; then the verdict (0 lost, 0 doubled, 0 orphaned,
0 answers changed, 0 × 500, nothing stuck, a clean ledger) from PostgreSQL.

    .venv/bin/python bench/chaos.py                                   # 2,000 payments over 240 s
    .venv/bin/python bench/chaos.py --payments 300 --seconds 45       # about the CI test's size

The driver and the verdict are tests/chaos.py, shared with tests/test_chaos.py (the short form in CI). The run
uses a database of its own (`lightspeedpay_chaos`), a queue prefix of its own in Redis, and cleans up after
itself. See bench/README.md. Exit status 1 when any count of the verdict is not 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run the tree this script sits in
RESULTS = ROOT / "bench" / "results"
DEFAULT_DATABASE_URL = "postgresql+asyncpg://lightspeedpay@127.0.0.1:5432/lightspeedpay_chaos"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--payments", type=int, default=2000, help="logical payments (default 2000)")
    p.add_argument("--concurrency", type=int, default=24, help="requests in flight at most (default 24)")
    p.add_argument(
        "--seconds",
        type=float,
        default=240,
        help="the payments are released over this long, under chaos (default 240)",
    )
    p.add_argument(
        "--gateways", type=int, default=2, help="sandbox gateways, all on the simulator (default 2)"
    )
    p.add_argument(
        "--kill-every",
        type=float,
        default=10,
        help="mean seconds between two SIGKILLs of each of api, worker, scheduler (default 10)",
    )
    p.add_argument(
        "--outage-seconds", type=float, default=20, help="how long the PSP answers 502 (default 20)"
    )
    p.add_argument(
        "--retry-for",
        type=float,
        default=240,
        help="a client retries one key this long, then gives up (default 240; keep it above the "
        "idempotency lock)",
    )
    p.add_argument(
        "--settle-seconds",
        type=float,
        default=300,
        help="after the chaos, wait at most this long for every payment and job to be final (default 300)",
    )
    p.add_argument(
        "--idempotency-lock-seconds",
        type=float,
        default=None,
        help="LSP_IDEMPOTENCY_LOCK_SECONDS for the api (default: the app's, 90)",
    )
    p.add_argument("--seed", type=int, default=None, help="random seed of the chaos and the clients")
    p.add_argument("--database-url", default=os.environ.get("LSP_CHAOS_DATABASE_URL", DEFAULT_DATABASE_URL))
    p.add_argument("--redis-url", default=os.environ.get("LSP_CHAOS_REDIS_URL", DEFAULT_REDIS_URL))
    p.add_argument("--keep-data", action="store_true", help="leave the run's rows in the chaos database")
    args = p.parse_args(argv)
    if urlsplit(args.database_url).path.lstrip("/") in ("lightspeedpay", ""):
        p.error("the chaos run needs a database of its own, never the demo database `lightspeedpay`")
    return args


def platform_env(args: argparse.Namespace, log_dir: Path) -> dict[str, str]:
    """The test suite's accelerated settings (tests/conftest.py), on this run's database, Redis and ports."""
    os.environ["LSP_TEST_LOG_DIR"] = str(log_dir)  # tests.fixtures reads it on import
    from tests.conftest import TEST_ENV, _free_port  # picks free loopback ports on import

    api, sim, receiver, wa = _free_port(), _free_port(), _free_port(), _free_port()
    env = {
        **os.environ,
        **TEST_ENV,
        "LSP_DATABASE_URL": args.database_url,
        "LSP_REDIS_URL": args.redis_url,
        "LSP_QUEUE_PREFIX": f"lspchaos{uuid.uuid4().hex[:6]}",
        "LSP_API_PORT": str(api),
        "LSP_PUBLIC_BASE_URL": f"http://127.0.0.1:{api}",
        "LSP_SIMULATOR_PORT": str(sim),
        "LSP_RECEIVER_PORT": str(receiver),
        "LSP_SIMULATOR_ACCOUNTS_FILE": os.path.join(tempfile.mkdtemp(prefix="lsp-chaos-"), "accounts.json"),
        "LSP_WA_STANDIN_PORT": str(wa),
        "LSP_WA_BASE_URL": f"http://127.0.0.1:{wa}",
        "LSP_API_WORKERS": "1",
    }  # one process: a SIGKILL takes the whole api down, no orphaned workers
    if args.idempotency_lock_seconds is not None:
        env["LSP_IDEMPOTENCY_LOCK_SECONDS"] = str(args.idempotency_lock_seconds)
    os.environ.update(env)  # before the app's settings are first read in this process
    return env


async def prepare_database(url: str) -> None:
    """Create and migrate the chaos database; empty every application table."""
    from lightspeedpay.db_admin import create_database_if_missing, upgrade_database

    await create_database_if_missing(url)
    await asyncio.to_thread(upgrade_database, url)
    await empty_tables(url)


async def empty_tables(url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        tables = [
            r["tablename"]
            for r in await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
            )
        ]
        if tables:
            await conn.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
    finally:
        await conn.close()


async def open_shop(platform: Any, gateways: int) -> tuple[str, str, list[str]]:
    """A merchant whose webhooks go to the receiver, and its sandbox gateways (the simulator pays them)."""
    from lightspeedpay.db import engine, sessionmaker
    from lightspeedpay.gateways.service import gateway_service
    from tests.factories import create_merchant, create_sandbox_gateway

    async with sessionmaker()() as session:
        new = await create_merchant(session, receiver_url=platform.receiver_url)
        gws = [
            await create_sandbox_gateway(session, platform.simulator_url, auto_outcome="success")
            for _ in range(gateways)
        ]
        keys = [gateway_service.account(g).credentials["key_id"] for g in gws]
    await engine().dispose()
    return new.client.client_key, new.client_salt, keys


def wipe_queue_keys(redis_url: str, prefix: str) -> None:
    import redis

    r = redis.Redis.from_url(redis_url)
    keys = list(r.scan_iter(f"{prefix}:*", count=1000))
    for i in range(0, len(keys), 500):
        r.delete(*keys[i : i + 500])
    r.close()


def count_in_logs(log_dir: Path, needle: str) -> dict[str, int]:
    return {
        p.stem: n for p in sorted(log_dir.glob("*.log")) if (n := p.read_text(errors="replace").count(needle))
    }


async def main(args: argparse.Namespace) -> int:
    stamp = time.strftime("%Y%m%dT%H%M%S")
    log_dir = RESULTS / f"chaos-{stamp}-logs"
    env = platform_env(args, log_dir)

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from lightspeedpay.kit.readiness import wait_http
    from tests import chaos as driver
    from tests.fixtures import Platform

    console = Console(highlight=False, width=None if sys.stdout.isatty() else 140)
    console.print(
        f"[bold]chaos[/]: {args.payments} payments over {args.seconds:.0f} s, {args.concurrency} clients, "
        f"database {urlsplit(args.database_url).path.lstrip('/')}, queue prefix {env['LSP_QUEUE_PREFIX']}, "
        f"logs in {log_dir.relative_to(ROOT)}"
    )
    await prepare_database(args.database_url)
    platform = Platform(env=env)
    for name, cmd in (
        ("simulator", "simulator"),
        ("receiver", "receiver"),
        ("whatsapp", "whatsapp-standin"),
        ("api", "api"),
        ("worker", "worker"),
        ("scheduler", "scheduler"),
    ):
        platform.start(name, cmd)
    try:
        for url in (
            f"{platform.api_url}/health",
            f"{platform.simulator_url}/_sim/health",
            f"{platform.receiver_url}/_receiver/endpoints/x/deliveries",
        ):
            await asyncio.to_thread(wait_http, url, 60)
        client_key, salt, gateway_keys = await open_shop(platform, args.gateways)
        cfg = driver.ChaosConfig(
            payments=args.payments,
            concurrency=args.concurrency,
            seconds=args.seconds,
            kill_every=args.kill_every,
            outage_seconds=args.outage_seconds,
            retry_for=args.retry_for,
            settle_seconds=args.settle_seconds,
            seed=args.seed,
        )
        live = driver.Progress()
        bars = Progress(
            TextColumn("{task.description:<22}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[detail]}"),
            console=console,
        )
        released = bars.add_task("payments released", total=args.payments, detail="")
        done = bars.add_task("payments answered", total=args.payments, detail="")
        phase = bars.add_task("phase", total=None, detail="")

        async def refresh() -> None:
            shown = 0
            while True:
                kills = " ".join(f"{k}×{v}" for k, v in sorted(live.kills.items()))
                statuses = " ".join(f"{k}×{v}" for k, v in sorted(live.statuses.items()))
                bars.update(released, completed=live.released, detail=f"kills: {kills or '-'}")
                bars.update(
                    done,
                    completed=live.done,
                    detail=f"requests {live.requests}, no answer {live.transport_errors}, {statuses}",
                )
                bars.update(phase, description=live.phase)
                for at, what in live.events[shown:]:
                    if not what.startswith("SIGKILL"):
                        bars.console.print(f"[dim]{at:7.1f} s[/] {what}")
                shown = len(live.events)
                await asyncio.sleep(0.5)

        # SIGINT/SIGTERM end the run through its clean-up (stop the processes, delete the queue keys)
        main_task = asyncio.current_task()
        assert main_task is not None
        for sig in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(sig, main_task.cancel)
        with bars:
            ticker = asyncio.create_task(refresh())
            started = time.monotonic()
            try:
                verdict, chaos = await driver.run_chaos(
                    platform, client_key, salt, gateway_keys, cfg, progress=live
                )
            finally:
                await asyncio.sleep(0.6)
                ticker.cancel()
        elapsed = time.monotonic() - started
    finally:
        platform.stop_all()
        wipe_queue_keys(args.redis_url, env["LSP_QUEUE_PREFIX"])

    verdict.info["log lines with 'deadlock detected'"] = count_in_logs(log_dir, "deadlock detected")
    verdict.info["run seconds"] = round(elapsed, 1)
    table = Table(title=f"chaos verdict: {args.payments} payments, {args.seconds:.0f} s of chaos")
    table.add_column("promise")
    table.add_column("count", justify="right")
    for k, v in verdict.counts.items():
        table.add_row(k, f"[green]{v}[/]" if v == 0 else f"[bold red]{v}[/]")
    console.print(table)
    figures = Table(title="figures", show_header=False)
    figures.add_column("what")
    figures.add_column("value", overflow="fold")
    for k, v in verdict.info.items():
        figures.add_row(k, json.dumps(v, default=str) if not isinstance(v, str | int | float) else str(v))
    console.print(figures)
    for kind, rows in verdict.examples.items():
        for row in rows[:3]:
            console.print(f"[red]{kind}[/]: {json.dumps(row, default=str)[:400]}")

    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"chaos-{stamp}.json"
    out.write_text(
        json.dumps(
            {
                "args": vars(args),
                "counts": verdict.counts,
                "info": verdict.info,
                "examples": verdict.examples,
                "events": chaos.progress.events,
                "keys": driver.client_answers(chaos.payments),
            },
            default=str,
            indent=1,
        )
    )
    console.print(f"every key's answers: {out.relative_to(ROOT)}")
    if not args.keep_data:
        await empty_tables(args.database_url)
    return 1 if verdict.failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
