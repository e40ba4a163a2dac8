#!/usr/bin/env python3
"""Analytics benchmark: a million transactions seeded into the bench database (INSERT … SELECT generate_series,
through the analytics trigger as any insert goes), the delta log folded into the rollups, then the latency of
`GET /api/v1/admin/analytics` and `GET /api/v1/merchant/analytics` over ranges, buckets and groupings, beside
`pgbench -N` run on the same database in the same run.

    .venv/bin/python bench/analytics.py                                  # 1,000,000 transactions, c = 1 and 4
    .venv/bin/python bench/analytics.py --transactions 200000 --requests 30

See bench/README.md ("Analytics"). It uses the bench database (`lightspeedpay_bench`, or --database-url), never
the test or demo database, a queue prefix of its own, and empties the bench tables at the end unless --keep-data.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from rich.table import Table

# measure the tree this script sits in, also from an exported copy; bench.lib is imported from there too
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from bench.lib import pg, redisdb  # noqa: E402
from bench.lib.api import Api  # noqa: E402
from bench.lib.common import RESULTS, ROOT, bench_env, console, free_port, source_info  # noqa: E402
from bench.lib.cpu import CpuMeter, proc_table  # noqa: E402
from bench.lib.load import pct  # noqa: E402

DEFAULT_DATABASE_URL = "postgresql+asyncpg://lightspeedpay@127.0.0.1:5432/lightspeedpay_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
AIM_P95_MS = 200.0
GATEWAYS = [  # (name, provider): four PSPs, eight accounts
    ("bench_razorpay_1", "razorpay"),
    ("bench_razorpay_2", "razorpay"),
    ("bench_payu_1", "payu"),
    ("bench_payu_2", "payu"),
    ("bench_phonepe_1", "phonepe"),
    ("bench_phonepe_2", "phonepe"),
    ("bench_sandbox_1", "sandbox"),
    ("bench_sandbox_2", "sandbox"),
]
FAILURE_CODES = [
    "BAD_REQUEST_ERROR",
    "PAYMENT_DECLINED",
    "INSUFFICIENT_FUNDS",
    "BAD_VPA",
    "BANK_TECHNICAL_ERROR",
    "AUTHENTICATION_FAILED",
    "CARD_EXPIRED",
    "TXN_TIMEOUT",
]

# One chunk of the seed, as a payment platform's table looks after half a year: most payments paid, some failed
# (eight codes) or expired, a few refunded or still open; merchants skewed (a few large ones), amounts skewed to
# small tickets, UPI the most used method. created_at runs through the last `days` days in the order of the rows
# (as payments arrive), so the delta log is folded in time order as it is in service.
_SEED = """
INSERT INTO transactions (id, payment_id, order_id, client_id, gateway_id, amount, currency, status, method,
                          error_code, amount_refunded, paid_at, created_at, updated_at)
SELECT gen_random_uuid(), 'pay_bench' || i, 'bench-' || i,
       ($3::uuid[])[1 + floor(power(random(), 2) * array_length($3::uuid[], 1))::int],
       ($4::uuid[])[1 + floor(random() * array_length($4::uuid[], 1))::int],
       amount, 'INR', status,
       CASE WHEN status IN ('created', 'pending') THEN NULL
            WHEN rm < 0.55 THEN 'upi' WHEN rm < 0.80 THEN 'card' WHEN rm < 0.92 THEN 'netbanking'
            WHEN rm < 0.98 THEN 'wallet' ELSE NULL END,
       CASE WHEN status = 'failed' THEN ($5::text[])[1 + floor(random() * array_length($5::text[], 1))::int]
            WHEN status = 'expired' THEN 'PAYMENT_EXPIRED' END,
       CASE WHEN status = 'refunded' THEN amount WHEN status = 'partially_refunded' THEN amount / 2 ELSE 0 END,
       CASE WHEN status IN ('paid', 'refunded', 'partially_refunded') THEN created_at + interval '1 minute' END,
       created_at, created_at
FROM (
    SELECT i, rm, 100 + floor(power(random(), 3) * 500000)::bigint AS amount,
           now() - make_interval(secs => $6::float8 * (1 - (i - $8::bigint + random()) / $7::float8)) AS created_at,
           CASE WHEN rs < 0.72 THEN 'paid' WHEN rs < 0.86 THEN 'failed' WHEN rs < 0.89 THEN 'expired'
                WHEN rs < 0.91 THEN 'refunded' WHEN rs < 0.93 THEN 'partially_refunded'
                WHEN rs < 0.96 THEN 'pending' WHEN rs < 0.98 THEN 'created' ELSE 'authorized' END AS status
    FROM (SELECT i, random() AS rs, random() AS rm FROM generate_series($1::bigint, $2::bigint) i) r
) s
"""


@dataclass(frozen=True)
class Scenario:
    who: str  # admin or merchant
    span: str
    bucket: str
    group_by: str | None = None
    merchant_filter: bool = False

    @property
    def name(self) -> str:
        by = f" by {self.group_by}" if self.group_by else ""
        scope = " (one merchant)" if self.merchant_filter else ""
        return f"{self.who} {self.span}/{self.bucket}{by}{scope}"


SCENARIOS = [
    Scenario("admin", "24h", "5m"),
    Scenario("admin", "24h", "5m", "gateway"),
    Scenario("admin", "7d", "5m", "method"),
    Scenario("admin", "7d", "1h", "status"),
    Scenario("admin", "7d", "1h", "method"),
    Scenario("admin", "30d", "1h", "provider"),
    Scenario("admin", "30d", "1d", "gateway"),
    Scenario("admin", "90d", "1h"),
    Scenario("admin", "90d", "1d", "merchant"),
    Scenario("admin", "180d", "1d"),
    Scenario("admin", "180d", "1d", "gateway"),
    Scenario("admin", "180d", "1d", "merchant"),
    Scenario("admin", "30d", "1d", "method", merchant_filter=True),
    Scenario("merchant", "7d", "1h"),
    Scenario("merchant", "7d", "5m", "method"),
    Scenario("merchant", "30d", "1d", "gateway"),
    Scenario("merchant", "180d", "1d", "status"),
]


@dataclass
class Measured:
    scenario: str
    concurrency: int
    requests: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    rps: float
    errors: int
    response_kb: float
    error_samples: list[str] = field(default_factory=list)
    cpu_cores: dict[str, Any] = field(default_factory=dict)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ints = lambda s: [int(x) for x in s.split(",") if x.strip()]  # noqa: E731
    p.add_argument("--transactions", type=int, default=1_000_000, help="rows seeded (default 1,000,000)")
    p.add_argument("--merchants", type=int, default=20, help="merchants (default 20)")
    p.add_argument(
        "--days", type=int, default=180, help="created_at spread over the last N days (default 180)"
    )
    p.add_argument(
        "--steady",
        type=int,
        default=30_000,
        help="payments of the last minute for the steady-state fold (30,000)",
    )
    p.add_argument("--chunk", type=int, default=100_000, help="rows per INSERT … SELECT (default 100,000)")
    p.add_argument("--requests", type=int, default=60, help="measured requests per scenario and concurrency")
    p.add_argument("--warmup", type=int, default=3, help="unmeasured requests first (default 3)")
    p.add_argument("--concurrency", type=ints, default=[1, 4], help="client counts (default 1,4)")
    p.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (default 2)")
    p.add_argument("--pgbench-seconds", type=int, default=10, help="pgbench -N seconds per client count")
    p.add_argument("--no-pgbench", action="store_true", help="skip the pgbench -N ceiling")
    p.add_argument("--quiet-wait", type=float, default=120, help="wait up to S s for other CPU load to stop")
    p.add_argument("--database-url", default=os.environ.get("LSP_BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    p.add_argument("--redis-url", default=os.environ.get("LSP_BENCH_REDIS_URL", DEFAULT_REDIS_URL))
    p.add_argument("--keep-data", action="store_true", help="leave the seeded rows in the bench database")
    p.add_argument("--fresh-db", action="store_true", help="drop and recreate the bench schema first")
    p.add_argument(
        "--reuse",
        action="store_true",
        help="measure the rows an earlier --keep-data run left (no seed, no fold)",
    )
    args = p.parse_args(argv)
    database = pg.pg_conn_kwargs(args.database_url)["database"]
    if database in ("lightspeedpay", "lightspeedpay_test") or "test" in database:
        p.error(f"refusing to seed {database!r}: use a bench database")
    return args


async def seed(admin: Any, args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, str]]:
    """Merchants and gateways through the app's services, then the transactions in chunks of INSERT … SELECT."""
    from lightspeedpay.db import engine, sessionmaker
    from lightspeedpay.gateways.adapters import get_adapter
    from lightspeedpay.gateways.service import gateway_service
    from lightspeedpay.merchants.service import merchant_service

    tables = await pg.app_tables(admin)
    await admin.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
    async with sessionmaker()() as session:
        merchants = [
            await merchant_service.create(
                session, company_name=f"Bench Merchant {i + 1:02d}", webhook_url=None, kyc_status="activated"
            )
            for i in range(args.merchants)
        ]
        gateways = []
        for name, provider in GATEWAYS:
            creds = {f: secrets.token_hex(8) for f in get_adapter(provider).credential_fields}
            gateways.append(
                await gateway_service.add(
                    session,
                    name=name,
                    provider=provider,
                    base_url="http://127.0.0.1:1",
                    credentials=creds,
                    monthly_limit=10**15,
                )
            )
        await session.commit()
    await engine().dispose()
    client_ids = [m.client.id for m in merchants]
    gateway_ids = [g.id for g in gateways]
    t0 = time.perf_counter()
    done = 0
    for lo in range(1, args.transactions + 1, args.chunk):
        hi = min(lo + args.chunk - 1, args.transactions)
        await admin.execute(
            _SEED,
            lo,
            hi,
            client_ids,
            gateway_ids,
            FAILURE_CODES,
            args.days * 86400.0,
            args.transactions,
            1,
        )
        done = hi
        console.print(f"  seeded {done:,} transactions ({time.perf_counter() - t0:.0f} s)", end="\r")
    seed_s = time.perf_counter() - t0
    # changes after the insert: the day's open payments paid, older ones expired (-1/+1 deltas, the row trigger)
    t1 = time.perf_counter()
    updated = await admin.execute(
        "UPDATE transactions SET status = 'paid', method = 'upi', paid_at = now() "
        "WHERE status = 'pending' AND created_at > now() - interval '1 day'"
    )
    expired = await admin.execute(
        "UPDATE transactions SET status = 'expired', error_code = 'PAYMENT_EXPIRED' "
        "WHERE status = 'created' AND created_at < now() - interval '1 day'"
    )
    update_s = time.perf_counter() - t1
    deltas = await admin.fetchval("SELECT count(*) FROM analytics_deltas")
    await admin.execute("VACUUM ANALYZE transactions")
    # the biggest merchant (the seed skews towards the first) signs the merchant scenarios
    info = {
        "transactions": args.transactions,
        "merchants": args.merchants,
        "gateways": len(gateway_ids),
        "days": args.days,
        "seed_seconds": round(seed_s, 1),
        "seed_rows_per_s": round(args.transactions / seed_s),
        "updates": {"paid": int(updated.split()[-1]), "expired": int(expired.split()[-1])},
        "update_seconds": round(update_s, 1),
        "deltas": int(deltas),
        "statuses": {
            r["status"]: r["n"]
            for r in await admin.fetch(
                "SELECT status, count(*) AS n FROM transactions GROUP BY status ORDER BY 2 DESC"
            )
        },
    }
    creds = {
        "client_key": merchants[0].client.client_key,
        "client_salt": merchants[0].client_salt,
        "client_id": str(client_ids[0]),
    }
    return info, creds


async def reused(admin: Any) -> dict[str, str]:
    """The first bench merchant's credentials, from a database a --keep-data run left."""
    from lightspeedpay.kit import crypto

    row = await admin.fetchrow(
        "SELECT c.id, c.client_key, s.secret_enc AS client_salt_enc FROM clients c "
        "JOIN api_credentials k ON k.client_id = c.id AND k.mode = 'live' "
        "JOIN api_credential_secrets s ON s.credential_id = k.id AND s.expires_at IS NULL "
        "WHERE c.company_name = 'Bench Merchant 01'"
    )
    if row is None or not await admin.fetchval("SELECT count(*) FROM analytics_rollups"):
        raise SystemExit("--reuse needs the rows of an earlier run with --keep-data")
    return {
        "client_key": row["client_key"],
        "client_salt": crypto.decrypt(row["client_salt_enc"]),
        "client_id": str(row["id"]),
    }


async def fold(admin: Any) -> dict[str, Any]:
    from lightspeedpay.analytics.service import analytics_service
    from lightspeedpay.db import engine

    t0 = time.perf_counter()
    result = await analytics_service.fold_pending()
    seconds = time.perf_counter() - t0
    await engine().dispose()
    await admin.execute("VACUUM ANALYZE analytics_rollups")
    rows = await admin.fetch(
        "SELECT grain, cut, count(*) AS n FROM analytics_rollups GROUP BY grain, cut ORDER BY grain, cut"
    )
    size = await admin.fetchval("SELECT pg_size_pretty(pg_total_relation_size('analytics_rollups'))")
    deltas = (result or {}).get("deltas", 0)
    return {
        "seconds": round(seconds, 1),
        "deltas": deltas,
        "deltas_per_s": round(deltas / seconds) if seconds else None,
        "result": result,
        "rollup_rows": {f"{r['grain']}/{r['cut']}": r["n"] for r in rows},
        "rollup_size": size,
        "left_in_log": await admin.fetchval("SELECT count(*) FROM analytics_deltas"),
    }


async def steady_fold(admin: Any, args: argparse.Namespace) -> dict[str, Any]:
    """The fold as it runs in service: the last minute's payments (`--steady` of them, created within 60 s, the
    seed's mix), each changed once, then one scheduled fold."""
    from lightspeedpay.analytics.service import analytics_service
    from lightspeedpay.db import engine

    client_ids = [r["id"] for r in await admin.fetch("SELECT id FROM clients")]
    gateway_ids = [r["id"] for r in await admin.fetch("SELECT id FROM payment_gateways")]
    first = args.transactions + 1
    await admin.execute(
        _SEED,
        first,
        first + args.steady - 1,
        client_ids,
        gateway_ids,
        FAILURE_CODES,
        60.0,
        args.steady,
        first,
    )
    # each payment changed once after its insert (as its PSP webhook does): -1 and +1, so 3 deltas a payment
    await admin.execute(
        "UPDATE transactions SET method = 'card' "
        "WHERE created_at > now() - interval '70 seconds' AND method IS DISTINCT FROM 'card'"
    )
    deltas = await admin.fetchval("SELECT count(*) FROM analytics_deltas")
    t0 = time.perf_counter()
    await analytics_service.fold_pending()
    seconds = time.perf_counter() - t0
    await engine().dispose()
    return {
        "payments": args.steady,
        "deltas": int(deltas),
        "seconds": round(seconds, 2),
        "deltas_per_s": round(deltas / seconds) if seconds else None,
    }


async def direct_scan(admin: Any) -> dict[str, Any]:
    """What the 180-day question by gateway costs as a scan of the transactions (what the rollups avoid)."""
    sql = """
        SELECT gateway_id, count(*),
               count(*) FILTER (WHERE status IN ('authorized', 'paid', 'partially_refunded', 'refunded')),
               count(*) FILTER (WHERE status IN ('failed', 'expired')),
               sum(amount) FILTER (WHERE status IN ('authorized', 'paid', 'partially_refunded', 'refunded'))
        FROM transactions WHERE created_at >= now() - interval '360 days' GROUP BY gateway_id
    """
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        await admin.fetch(sql)
        times.append((time.perf_counter() - t0) * 1000)
    return {
        "query": "180 days + previous 180 by gateway, GROUP BY over transactions",
        "ms": round(min(times), 1),
    }


def _target(s: Scenario, creds: dict[str, str]) -> str:
    params: dict[str, str] = {"range": s.span, "bucket": s.bucket}
    if s.group_by:
        params["group_by"] = s.group_by
    if s.merchant_filter:
        params["merchant_id"] = creds["client_id"]
    path = "/api/v1/admin/analytics" if s.who == "admin" else "/api/v1/merchant/analytics"
    return f"{path}?{urlencode(params)}"


def _headers(s: Scenario, target: str, creds: dict[str, str]) -> dict[str, str]:
    from lightspeedpay.config import get_settings
    from lightspeedpay.kit.signing import sign_merchant_request

    if s.who == "admin":
        return {"Authorization": f"Bearer {get_settings().admin_token}"}
    ts = str(int(time.time() * 1000))
    return {
        "X-Client-Key": creds["client_key"],
        "X-Timestamp": ts,
        "X-Signature": sign_merchant_request(creds["client_salt"], ts, "GET", target, b""),
    }


async def measure(
    http: Any, s: Scenario, creds: dict[str, str], concurrency: int, requests: int, warmup: int
) -> Measured:
    target = _target(s, creds)
    for _ in range(warmup):
        await http.get(target, headers=_headers(s, target, creds))
    latencies: list[float] = []
    sizes: list[int] = []
    errors: list[str] = []
    left = requests

    async def client() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            headers = _headers(s, target, creds)  # signed before the clock starts
            t0 = time.perf_counter()
            r = await http.get(target, headers=headers)
            elapsed = time.perf_counter() - t0
            if r.status_code == 200:
                latencies.append(elapsed)
                sizes.append(len(r.content))
            else:
                errors.append(f"{r.status_code} {r.text[:200]}")

    t0 = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    wall = time.perf_counter() - t0
    latencies.sort()
    return Measured(
        scenario=s.name,
        concurrency=concurrency,
        requests=len(latencies),
        p50_ms=pct(latencies, 0.50),
        p95_ms=pct(latencies, 0.95),
        p99_ms=pct(latencies, 0.99),
        max_ms=round(latencies[-1] * 1000, 2) if latencies else None,
        rps=round(len(latencies) / wall, 1),
        errors=len(errors),
        response_kb=round(statistics.mean(sizes) / 1024, 1) if sizes else 0.0,
        error_samples=errors[:3],
    )


def print_results(results: list[Measured], concurrency: list[int], pgbench: dict[int, Any]) -> None:
    t = Table(title="analytics API latency (ms) — p50 / p95 / p99, and req/s", title_justify="left")
    t.add_column("scenario")
    t.add_column("KB", justify="right")
    for c in concurrency:
        t.add_column(f"c={c}", justify="right")
        t.add_column(f"CPU api·pg·other (c={c})", justify="left")
    by_name: dict[str, dict[int, Measured]] = {}
    for m in results:
        by_name.setdefault(m.scenario, {})[m.concurrency] = m
    for name, per_c in by_name.items():
        cells = []
        for c in concurrency:
            m = per_c.get(c)
            if m is None:
                cells += ["—", "—"]
                continue
            style = "red" if (m.p95_ms or 1e9) >= AIM_P95_MS or m.errors else ""
            text = f"{m.p50_ms:.1f} / {m.p95_ms:.1f} / {m.p99_ms:.1f} · {m.rps:.0f}/s" if m.p95_ms else "—"
            if m.errors:
                text += f" ({m.errors} errors)"
            cells.append(f"[{style}]{text}[/]" if style else text)
            cpu = m.cpu_cores
            load = f"{cpu.get('api', 0):.2f}·{cpu.get('postgres', 0):.2f}·{cpu.get('other', 0):.2f}"
            cells.append(load + (" ⚠" if cpu.get("other", 0) > 0.3 else ""))
        first = next(iter(per_c.values()))
        t.add_row(name, f"{first.response_kb:.0f}", *cells)
    console.print(t)
    worst = max((m.p95_ms or 0) for m in results) if results else 0
    verdict = "met" if worst < AIM_P95_MS and not any(m.errors for m in results) else "missed"
    colour = "green" if verdict == "met" else "red"
    console.print(f"worst p95 {worst:.1f} ms: [{colour}]aim p95 < {AIM_P95_MS:.0f} ms {verdict}[/]")
    console.print(
        "CPU: cores used by the API, PostgreSQL and everything else during each scenario (2.00 = the whole box); "
        "⚠ marks more than 0.3 cores of other load"
    )
    for c, res in pgbench.items():
        console.print(f"pgbench -N c={c}: {res.get('tps') or '—'} tps (same database, same run, API stopped)")


async def run(args: argparse.Namespace) -> int:
    import asyncpg
    import httpx

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    RESULTS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env, prefix = bench_env(args.database_url, args.redis_url, port, args.workers)
    meta = {
        "started": stamp,
        "host_cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "workers": args.workers,
        "requests": args.requests,
        "concurrency": args.concurrency,
        "database": pg.pg_conn_kwargs(args.database_url)["database"],
        "source": source_info(),
    }
    src = meta["source"]
    dirty = f" + {src['uncommitted_files']} uncommitted files" if src["uncommitted_files"] else ""
    console.print(
        f"[bold]LightSpeedPay analytics benchmark[/] — db {meta['database']}, API on 127.0.0.1:{port} "
        f"({args.workers} workers); code {src['commit'][:10] or '?'}{dirty}"
    )
    from lightspeedpay.db_admin import create_database_if_missing, upgrade_database

    await create_database_if_missing(args.database_url)
    if args.fresh_db:
        conn = await asyncpg.connect(**pg.pg_conn_kwargs(args.database_url))
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        await conn.close()
    await asyncio.to_thread(upgrade_database, args.database_url)
    admin = await asyncpg.connect(**pg.pg_conn_kwargs(args.database_url), command_timeout=3600)
    postmaster = 0
    try:
        postmaster = proc_table().get(int(await admin.fetchval("SELECT pg_backend_pid()")), (0, 0, 0))[0]
    except Exception:  # noqa: BLE001 - the CPU split is best effort (e.g. a remote server)
        pass
    report: dict[str, Any] = {"meta": meta}
    api = Api(env, port, args.workers, RESULTS / f"api-analytics-{stamp}.log")
    use_pgbench = not args.no_pgbench and pg.pgbench_available()
    path = RESULTS / f"analytics-{stamp}.json"
    try:
        report["before"] = await pg.wait_for_quiet(admin, args.quiet_wait, args.workers * 30 + 2)
        if args.reuse:
            creds = await reused(admin)
            console.print("measuring the rows a previous --keep-data run left (no seed, no fold)")
        else:
            console.print(f"seeding {args.transactions:,} transactions over {args.days} days …")
            report["seed"], creds = await seed(admin, args)
            s = report["seed"]
            console.print(
                f"seeded {s['transactions']:,} in {s['seed_seconds']} s ({s['seed_rows_per_s']:,} rows/s, the "
                f"analytics trigger included); {sum(s['updates'].values()):,} rows changed in "
                f"{s['update_seconds']} s; {s['deltas']:,} deltas in the log"
            )
            report["fold"] = await fold(admin)
            f = report["fold"]
            console.print(
                f"folded {f['deltas']:,} deltas in {f['seconds']} s ({f['deltas_per_s']:,}/s); rollups "
                f"{sum(f['rollup_rows'].values()):,} rows, {f['rollup_size']}: {f['rollup_rows']}"
            )
            report["steady_fold"] = await steady_fold(admin, args)
            sf = report["steady_fold"]
            console.print(
                f"steady state: {sf['payments']:,} payments of the last minute and their changes, "
                f"{sf['deltas']:,} deltas, folded in {sf['seconds']} s ({sf['deltas_per_s']:,}/s)"
            )
        report["direct_scan"] = await direct_scan(admin)
        console.print(f"for comparison, {report['direct_scan']['query']}: {report['direct_scan']['ms']} ms")
        await redisdb.clear_redis(args.redis_url, prefix)
        api.start()
        await api.wait_ready()
        results: list[Measured] = []
        limits = httpx.Limits(
            max_connections=max(args.concurrency), max_keepalive_connections=max(args.concurrency)
        )
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60, limits=limits) as http:
            for c in args.concurrency:
                for scenario in SCENARIOS:
                    meter = CpuMeter({"api": api.proc.pid if api.proc else 0, "postgres": postmaster})
                    meter.start()
                    m = await measure(http, scenario, creds, c, args.requests, args.warmup)
                    m.cpu_cores = meter.stop()
                    results.append(m)
                    console.print(
                        f"  c={c} {m.scenario:<42} p50 {m.p50_ms} p95 {m.p95_ms} p99 {m.p99_ms} ms, "
                        f"{m.rps}/s, {m.response_kb} KB, errors {m.errors}, other load "
                        f"{m.cpu_cores.get('other', 0):.2f} cores"
                    )
        api.stop()
        report["results"] = [m.__dict__ for m in results]
        pgbench: dict[int, Any] = {}
        if use_pgbench:
            pgbench = await pg.pgbench_ceiling(
                args.database_url, args.concurrency, args.pgbench_seconds, console
            )
        report["pgbench"] = pgbench
        print_results(results, args.concurrency, pgbench)
    finally:
        api.stop()
        await redisdb.clear_redis(args.redis_url, prefix)
        await pg.release(
            admin,
            database_url=args.database_url,
            pgbench=use_pgbench,
            empty_tables=not args.keep_data and not args.reuse,
        )
        path.write_text(json.dumps(report, indent=2, default=str))
        console.print(f"results: {path.relative_to(ROOT)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return asyncio.run(run(args))


if __name__ == "__main__":
    raise SystemExit(main())
