#!/usr/bin/env python3
"""Payment-initiation benchmark: signed `POST /api/v1/pay` against a real API (uvicorn, N worker processes),
measured beside `pgbench -N` on the same database, with the same client counts, in the same run.

    .venv/bin/python bench/initiate.py --gateways 1,3,10 --seconds 10
    .venv/bin/python bench/initiate.py --profile
    .venv/bin/python bench/initiate.py --concurrency 1,16 --rate-limit off   # the limiter's cost: on vs off

See bench/README.md for what every figure means. Everything runs on 127.0.0.1; the benchmark uses a database
(`lightspeedpay_bench`), a Redis DB (14) and a queue prefix of its own, and cleans up after itself.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

# measure the tree this script sits in, also from an exported copy; bench.lib is imported from there too
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from bench.lib import pg, redisdb  # noqa: E402
from bench.lib.api import Api, connections_per_worker  # noqa: E402
from bench.lib.common import RESULTS, ROOT, console, free_port, source_info  # noqa: E402
from bench.lib.cpu import CpuMeter, proc_table  # noqa: E402
from bench.lib.load import PhaseResult, build_requests, drive  # noqa: E402
from bench.lib.profile import PhaseProfiler, ensure_py_spy  # noqa: E402
from bench.lib.report import fmt, print_chart, print_profile, print_summary, print_table, write_results  # noqa: E402

DEFAULT_DATABASE_URL = "postgresql+asyncpg://lightspeedpay@127.0.0.1:5432/lightspeedpay_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ints = lambda s: [int(x) for x in s.split(",") if x.strip()]  # noqa: E731
    p.add_argument("--gateways", type=ints, default=[1], help="gateway pool sizes to measure, e.g. 1,3,10")
    p.add_argument("--concurrency", type=ints, default=[1, 16, 64], help="client counts (default 1,16,64)")
    p.add_argument("--seconds", type=int, default=10, help="measured seconds per phase (default 10)")
    p.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds before each phase (default 2)")
    p.add_argument(
        "--profile",
        action="store_true",
        help="py-spy the API workers during the highest-concurrency phase and sample pg_stat_activity",
    )
    p.add_argument("--profile-rate", type=int, default=97, help="py-spy samples per second (default 97)")
    p.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (default 2)")
    p.add_argument("--port", type=int, default=0, help="API port (default: a free one)")
    p.add_argument(
        "--db-pool-size", type=int, default=20, help="LSP_DB_POOL_SIZE per worker (app default 20)"
    )
    p.add_argument(
        "--merchant-cache-seconds", type=float, default=5.0, help="LSP_MERCHANT_CACHE_SECONDS (app default 5)"
    )
    p.add_argument(
        "--max-rate",
        type=int,
        default=4000,
        help="requests pre-built per second of phase; a phase that runs out is flagged (default 4000)",
    )
    p.add_argument("--no-pgbench", action="store_true", help="skip the pgbench -N ceiling")
    limiter_default = os.environ.get("LSP_RATE_LIMIT_ENABLED", "true").lower() in ("1", "true", "on", "yes")
    p.add_argument(
        "--rate-limit",
        choices=("on", "off"),
        default="on" if limiter_default else "off",
        help="the per-credential rate limiter (LSP_RATE_LIMIT_ENABLED): on, every request takes a place in its "
        "Redis window (with a limit too high to refuse any); off, no limiter (default: on, or the environment's)",
    )
    p.add_argument(
        "--quiet-wait",
        type=float,
        default=120,
        help="before each gateway count, wait up to this many s for other CPU load to stop (default 120)",
    )
    p.add_argument("--database-url", default=os.environ.get("LSP_BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    p.add_argument("--redis-url", default=os.environ.get("LSP_BENCH_REDIS_URL", DEFAULT_REDIS_URL))
    p.add_argument("--keep-data", action="store_true", help="leave the last run's rows in the bench database")
    p.add_argument(
        "--fresh-db",
        action="store_true",
        help="drop and recreate the bench database's schema first (after migrations were edited)",
    )
    args = p.parse_args(argv)
    if args.warmup + args.seconds > 240:
        p.error("warm-up + seconds must stay well inside the 300 s signature window")
    if not args.gateways or min(args.gateways) < 1:
        p.error("--gateways needs counts >= 1")
    if len(set(args.gateways)) != len(args.gateways) or len(set(args.concurrency)) != len(args.concurrency):
        # a phase's order ids, and so its signatures, derive from (gateways, concurrency): a repeat is a replay
        p.error("--gateways and --concurrency values must be distinct")
    return args


async def run(args: argparse.Namespace) -> int:
    import asyncpg

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    RESULTS.mkdir(parents=True, exist_ok=True)
    port = args.port or free_port()
    prefix = f"lspbench{secrets.token_hex(3)}"
    tmp = tempfile.mkdtemp(prefix="lsp-bench-")
    env = dict(os.environ)
    env.update(
        {
            "LSP_ENV": "development",
            "LSP_DATABASE_URL": args.database_url,
            "LSP_REDIS_URL": args.redis_url,
            "LSP_QUEUE_PREFIX": prefix,
            "LSP_API_HOST": "127.0.0.1",
            "LSP_API_PORT": str(port),
            "LSP_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "LSP_API_WORKERS": str(args.workers),
            "LSP_MERCHANT_CACHE_SECONDS": str(args.merchant_cache_seconds),
            "LSP_DB_POOL_SIZE": str(args.db_pool_size),
            "LSP_LOG_LEVEL": "WARNING",
            # on: the limiter's Redis round trips are measured, never a refusal. The bench has one merchant, whose
            # moving window holds every request of the window: a 1-second window keeps it at a few hundred
            # entries, near what a real credential's 100-a-minute window holds, rather than a minute of load
            "LSP_RATE_LIMIT_ENABLED": "true" if args.rate_limit == "on" else "false",
            "LSP_RATE_LIMIT_PER_MINUTE": "1000000000",
            "LSP_RATE_LIMIT_WINDOW_SECONDS": "1",
            "LSP_SIMULATOR_ACCOUNTS_FILE": os.path.join(tmp, "simulator-accounts.json"),
            "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
        }
    )
    os.environ.update(env)  # before anything in-process reads the settings
    if args.profile:
        ensure_py_spy()
    use_pgbench = not args.no_pgbench and pg.pgbench_available()
    if not args.no_pgbench and not use_pgbench:
        console.print("[yellow]pgbench is not installed; the ceiling column stays empty[/]")

    meta = {
        "started": stamp,
        "host_cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "workers": args.workers,
        "seconds": args.seconds,
        "warmup": args.warmup,
        "concurrency": args.concurrency,
        "gateways": args.gateways,
        "db_pool_size": args.db_pool_size,
        "db_max_overflow": 10,
        "merchant_cache_seconds": args.merchant_cache_seconds,
        "rate_limit": args.rate_limit,
        "database": pg.pg_conn_kwargs(args.database_url)["database"],
        "redis_url": args.redis_url,
        "queue_prefix": prefix,
        "profile": args.profile,
        "source": source_info(),
        "load_generator": "bench/initiate.py asyncio+uvloop, pre-signed raw HTTP/1.1, keep-alive, closed loop",
    }
    console.print(
        f"[bold]LightSpeedPay initiation benchmark[/] — API on 127.0.0.1:{port} ({args.workers} workers), "
        f"db {meta['database']}, redis {args.redis_url}, prefix {prefix}"
    )
    src = meta["source"]
    dirty = f" + {src['uncommitted_files']} uncommitted files" if src["uncommitted_files"] else ""
    console.print(f"code: {src['package']} at {src['commit'][:10] or '?'}{dirty}")
    console.print(
        f"phases: concurrency {args.concurrency} × gateways {args.gateways}, {args.warmup:g} s warm-up + "
        f"{args.seconds} s each; pgbench -N {'on' if use_pgbench else 'off'}; rate limiter {args.rate_limit}; "
        f"profile {'on' if args.profile else 'off'}"
    )

    from lightspeedpay.db_admin import create_database_if_missing, upgrade_database

    await create_database_if_missing(args.database_url)
    if args.fresh_db:
        conn = await asyncpg.connect(**pg.pg_conn_kwargs(args.database_url))
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        await conn.close()
    await asyncio.to_thread(upgrade_database, args.database_url)
    admin = await asyncpg.connect(**pg.pg_conn_kwargs(args.database_url))
    postmaster = 0
    try:
        backend = await admin.fetchval("SELECT pg_backend_pid()")
        postmaster = proc_table().get(int(backend), (0, 0, 0))[0]
    except Exception:  # noqa: BLE001 - CPU split is best effort (e.g. a remote server)
        pass
    rpid = await redisdb.redis_pid(args.redis_url)
    rds = redisdb.client(args.redis_url)  # INFO before and after each phase
    report: dict[str, Any] = {"meta": meta, "runs": []}
    api = Api(env, port, args.workers, RESULTS / f"api-{stamp}.log")
    exit_code = 0
    try:
        if use_pgbench:
            await asyncio.to_thread(pg.pgbench_init, args.database_url)
        for g in args.gateways:
            background = await pg.wait_for_quiet(
                admin,
                args.quiet_wait,
                max(args.workers * (args.db_pool_size + 10) + 2, max(args.concurrency) + 1),
            )
            creds = await pg.reset_and_seed(admin, g)
            await redisdb.clear_redis(args.redis_url, prefix)
            phases = await run_gateway_count(
                args, g, creds, api, admin, rds, postmaster, rpid, stamp, use_pgbench
            )
            report["runs"].append(
                {"gateways": g, "before": background, "phases": [ph.__dict__ for ph in phases]}
            )
            scale = max([p.rps for p in phases] + [p.pgbench_tps or 0 for p in phases] + [1.0])
            print_table(g, phases, args.workers)
            print_chart(g, phases, scale)
            for ph in phases:
                if ph.profile is not None:
                    print_profile(g, ph)
            write_results(report, stamp)
        if len(args.gateways) > 1:
            print_summary(report)
    except KeyboardInterrupt:
        exit_code = 130
    finally:
        api.stop()
        if use_pgbench:
            await asyncio.to_thread(pg.pgbench_drop, args.database_url)
        removed = await redisdb.clear_redis(args.redis_url, prefix)
        if not args.keep_data:
            tables = await pg.app_tables(admin)
            if tables:
                await admin.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
        await admin.close()
        await rds.aclose()
        from lightspeedpay.db import engine

        await engine().dispose()
        shutil.rmtree(tmp, ignore_errors=True)
        console.print(
            f"cleaned up: {removed:,} Redis keys under {prefix}:*, pgbench tables dropped"
            f"{'' if args.keep_data else ', bench tables emptied'}"
        )
    path = write_results(report, stamp)
    console.print(f"results: {path.relative_to(ROOT)}")
    return exit_code


async def run_gateway_count(
    args: argparse.Namespace,
    g: int,
    creds: dict[str, str],
    api: Api,
    admin: Any,
    rds: Any,
    postmaster: int,
    rpid: int,
    stamp: str,
    use_pgbench: bool,
) -> list[PhaseResult]:
    api.start()
    phases: list[PhaseResult] = []
    try:
        await api.wait_ready()
        workers = api.worker_pids()
        meter_roots = {"api": api.proc.pid if api.proc else 0, "postgres": postmaster, "redis": rpid}
        top_c = max(args.concurrency)
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
            console=console,
            transient=True,
            refresh_per_second=2,
        ) as progress:
            for c in args.concurrency:
                count = int((args.warmup + args.seconds) * args.max_rate) + c
                requests = build_requests(creds, api.port, f"b{stamp}-g{g}-c{c}", count)
                task = progress.add_task(
                    f"g={g} c={c:<3} POST /pay", total=args.warmup + args.seconds, rate=""
                )
                profiler = (
                    PhaseProfiler(
                        workers,
                        [RESULTS / f"profile-{stamp}-g{g}-c{c}-w{i + 1}.txt" for i in range(len(workers))],
                        args.seconds,
                        args.profile_rate,
                        args.database_url,
                    )
                    if args.profile and c == top_c
                    else None
                )
                meter = CpuMeter(meter_roots, {f"w{i + 1}": pid for i, pid in enumerate(workers)})
                box: dict[str, Any] = {}

                def measure_start(
                    meter: CpuMeter = meter,
                    box: dict[str, Any] = box,
                    profiler: PhaseProfiler | None = profiler,
                ) -> None:
                    meter.start()
                    box["db0"] = asyncio.ensure_future(pg.db_counters(admin))
                    box["redis0"] = asyncio.ensure_future(redisdb.commands_processed(rds))
                    box["conns"] = connections_per_worker(api.port, workers)
                    if profiler is not None:
                        profiler.start()

                out = await drive(
                    requests, api.port, c, args.warmup, args.seconds, progress, task, measure_start
                )
                cpu = meter.stop()
                db0 = await box["db0"]
                db1 = await pg.db_counters(admin)
                redis0 = await box["redis0"]
                redis1 = await redisdb.commands_processed(rds)
                progress.remove_task(task)
                del requests
                okn = max(out["statuses"].get("201", 0), 1)
                # the whole Redis server's commands (BullMQ push, the replay check's SET NX GET, other clients)
                rcmd = redis1 - redis0
                ph = PhaseResult(
                    concurrency=c,
                    seconds=args.seconds,
                    connections_per_worker=box.get("conns", []),
                    cpu_cores=cpu,
                    db=pg.db_per_request(db0, db1, okn, args.seconds),
                    redis={
                        "commands_per_s": round(rcmd / args.seconds, 1),
                        "commands_per_req": round(rcmd / okn, 2),
                    },
                    **out,
                )
                if profiler is not None:
                    ph.profile = await profiler.finish()
                phases.append(ph)
                console.print(
                    f"  g={g} c={c:<3} {ph.rps:8,.0f} req/s  p50 {fmt(ph.p50_ms):>7} ms  "
                    f"p99 {fmt(ph.p99_ms):>7} ms  errors {ph.errors}  "
                    f"conns/worker {ph.connections_per_worker}"
                )
        api.stop()
        if use_pgbench:
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TimeRemainingColumn(),
                console=console,
                transient=True,
                refresh_per_second=2,
            ) as progress:
                for ph in phases:
                    await pg.wait_for_slots(admin, ph.concurrency + 1, 30)
                    task = progress.add_task(f"g={g} c={ph.concurrency:<3} pgbench -N", total=args.seconds)
                    meter = CpuMeter({"postgres": postmaster})
                    meter.start()
                    res = await pg.pgbench_run(
                        args.database_url, ph.concurrency, args.seconds, progress, task
                    )
                    res["cpu_cores"] = meter.stop()
                    progress.remove_task(task)
                    ph.pgbench, ph.pgbench_tps = res, res["tps"]
                    console.print(
                        f"  g={g} c={ph.concurrency:<3} pgbench -N {fmt(res['tps'], ',.0f')} tps"
                        + (f"  [red]{res['error']}[/]" if res["error"] else "")
                    )
    finally:
        api.stop()
    return phases


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        import uvloop

        return uvloop.run(run(args))
    except ImportError:
        return asyncio.run(run(args))


if __name__ == "__main__":
    raise SystemExit(main())
