"""PostgreSQL for the benchmark: connection helpers, waiting for a quiet machine and free slots, reset and
seed of the bench database, counters, pg_stat_activity sampling, and the pgbench ceiling."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import shutil
import subprocess
import time
from collections import Counter
from typing import Any

from rich.progress import Progress

from .common import console
from .cpu import system_cpu


async def pg_free_slots(conn: Any) -> int:
    return int(
        await conn.fetchval(
            "SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int"
            " - (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')"
        )
    )


async def wait_for_slots(conn: Any, needed: int, max_wait: float) -> None:
    """pgbench cannot start all its clients while someone else holds the connection slots."""
    for _ in range(int(max_wait)):
        if await pg_free_slots(conn) >= needed:
            return
        await asyncio.sleep(1)


async def wait_for_quiet(
    conn: Any, max_wait: float, slots_needed: int, threshold: float = 0.25
) -> dict[str, Any]:
    """Before a run: CPU others use (cores) and free PostgreSQL connection slots. Waits up to `max_wait` s for
    the machine to be quiet and for enough slots (the API's pools at c=64, or pgbench's clients), then goes on
    regardless and says so."""
    deadline = time.monotonic() + max_wait
    warned = False
    while True:
        a = system_cpu()
        await asyncio.sleep(1.0)
        b = system_cpu()
        busy = (b["busy"] - a["busy"]) / max(b["total"] - a["total"], 1) * (os.cpu_count() or 1)
        slots = await pg_free_slots(conn)
        ok = busy <= threshold and slots >= slots_needed
        why = f"{busy:.2f} cores busy with other work, {slots} free PostgreSQL connection slots (need {slots_needed})"
        if ok or time.monotonic() >= deadline:
            if not ok:
                console.print(
                    f"[yellow]still not quiet: {why}; measuring anyway — see the 'other' CPU figure "
                    "and the errors[/]"
                )
            return {"background_cores": round(busy, 3), "pg_free_slots": slots, "quiet": ok}
        if not warned:
            console.print(f"[yellow]{why}; waiting up to {max_wait:.0f} s[/]")
            warned = True


def pg_conn_kwargs(database_url: str) -> dict[str, Any]:
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    return {
        "host": url.host or "127.0.0.1",
        "port": url.port or 5432,
        "user": url.username,
        "password": url.password,
        "database": url.database,
    }


def pg_env(database_url: str) -> dict[str, str]:
    kw = pg_conn_kwargs(database_url)
    env = dict(
        os.environ,
        PGHOST=kw["host"],
        PGPORT=str(kw["port"]),
        PGUSER=kw["user"] or "",
        PGDATABASE=kw["database"],
    )
    if kw["password"]:
        env["PGPASSWORD"] = kw["password"]
    return env


async def app_tables(conn: Any) -> list[str]:
    rows = await conn.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> "
        "'alembic_version' AND tablename NOT LIKE 'pgbench\\_%'"
    )
    return [r["tablename"] for r in rows]


async def reset_and_seed(conn: Any, gateways: int) -> dict[str, str]:
    """Empty every application table, then one merchant and `gateways` sandbox gateways, via the app's services."""
    from lightspeedpay.db import engine, sessionmaker
    from lightspeedpay.gateways.service import gateway_service
    from lightspeedpay.merchants.service import merchant_service

    tables = await app_tables(conn)
    await conn.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
    async with sessionmaker()() as session:
        new = await merchant_service.create(
            session, company_name="Bench Merchant", webhook_url=None, kyc_status="activated"
        )
        for i in range(gateways):
            await gateway_service.add(
                session,
                name=f"bench_sandbox_{i + 1}",
                provider="sandbox",
                base_url="http://127.0.0.1:1",
                credentials={
                    "key_id": f"bench_key_{i + 1}",
                    "key_secret": secrets.token_hex(16),
                    "webhook_secret": secrets.token_hex(16),
                },
                monthly_limit=10**15,
                priority=1,
            )
        await session.commit()
    await engine().dispose()  # hold no connections while the API and pgbench run
    await conn.execute("VACUUM ANALYZE payment_gateways")
    await conn.execute("VACUUM ANALYZE clients")
    await conn.execute("VACUUM ANALYZE wallets")
    return {"client_key": new.client.client_key, "client_salt": new.client_salt}


async def db_counters(conn: Any) -> dict[str, int]:
    row = await conn.fetchrow(
        "SELECT d.xact_commit, d.xact_rollback, d.sessions, w.wal_records, w.wal_sync, w.wal_bytes "
        "FROM pg_stat_database d, pg_stat_wal w WHERE d.datname = current_database()"
    )
    return {k: int(v) for k, v in dict(row).items()}


def db_per_request(db0: dict[str, int], db1: dict[str, int], ok: int, seconds: float) -> dict[str, float]:
    """Counter deltas over a phase, per successful request (`ok`, at least 1) or per second."""
    return {
        "xacts_per_req": round(
            (db1["xact_commit"] + db1["xact_rollback"] - db0["xact_commit"] - db0["xact_rollback"]) / ok, 2
        ),
        "wal_syncs_per_req": round((db1["wal_sync"] - db0["wal_sync"]) / ok, 3),
        "wal_bytes_per_req": round((db1["wal_bytes"] - db0["wal_bytes"]) / ok),
        # connections opened during the phase (pool overflow churn shows up here)
        "new_sessions_per_s": round((db1["sessions"] - db0["sessions"]) / seconds, 1),
    }


async def sample_pg_activity(database_url: str, stop: asyncio.Event, interval: float = 0.1) -> dict[str, Any]:
    """What the API's PostgreSQL backends are doing, sampled: on CPU, waiting on a lock, on WAL flush, idle."""
    import asyncpg

    conn = await asyncpg.connect(**pg_conn_kwargs(database_url))
    waits: Counter[str] = Counter()
    queries: Counter[str] = Counter()
    n = 0
    try:
        while not stop.is_set():
            rows = await conn.fetch(
                "SELECT state, wait_event_type, wait_event, left(query, 60) AS q FROM pg_stat_activity "
                "WHERE application_name = 'lightspeedpay' AND datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
            n += 1
            for r in rows:
                if r["state"] == "active":
                    key = (
                        f"{r['wait_event_type']}:{r['wait_event']}"
                        if r["wait_event_type"]
                        else "running (CPU)"
                    )
                    waits["active · " + key] += 1
                    q = " ".join((r["q"] or "").split())
                    kind = (
                        "initiate CTE"
                        if q.startswith("WITH m AS")
                        else "any_eligible (SKIP LOCKED miss)"
                        if q.startswith("SELECT EXISTS")
                        else q[:40]
                    )
                    queries[kind] += 1
                else:
                    waits[f"{r['state']}"] += 1
            try:
                await asyncio.wait_for(stop.wait(), interval)
            except TimeoutError:
                pass
    finally:
        await conn.close()
    total = sum(waits.values()) or 1
    return {
        "snapshots": n,
        "backend_samples": total,
        "states": [
            {"name": k, "share": round(v / total, 4), "avg_backends": round(v / max(n, 1), 2)}
            for k, v in waits.most_common(12)
        ],
        "active_queries": [{"name": k, "samples": v} for k, v in queries.most_common(6)],
    }


def pgbench_available() -> bool:
    return shutil.which("pgbench") is not None


def pgbench_init(database_url: str) -> None:
    subprocess.run(
        ["pgbench", "-i", "-s", "1", "-q"],
        env=pg_env(database_url),
        check=True,
        capture_output=True,
        text=True,
    )


def pgbench_drop(database_url: str) -> None:
    subprocess.run(["pgbench", "-i", "-I", "d"], env=pg_env(database_url), capture_output=True, text=True)


async def pgbench_run(
    database_url: str, clients: int, seconds: int, progress: Progress, task: Any
) -> dict[str, Any]:
    cmd = ["pgbench", "-N", "-c", str(clients), "-j", str(min(clients, 2)), "-T", str(seconds)]
    proc = await asyncio.create_subprocess_exec(
        *cmd, env=pg_env(database_url), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    t0 = time.monotonic()
    comm = asyncio.ensure_future(proc.communicate())
    while not comm.done():
        progress.update(task, completed=min(time.monotonic() - t0, seconds))
        await asyncio.wait([comm], timeout=0.5)
    out, err = comm.result()
    text_out = out.decode() + err.decode()
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", text_out)
    lat = re.search(r"latency average = ([\d.]+) ms", text_out)
    failed = re.search(r"number of failed transactions: (\d+)", text_out)
    return {
        "command": " ".join(cmd),
        "tps": round(float(tps.group(1)), 1) if tps else None,
        "latency_avg_ms": float(lat.group(1)) if lat else None,
        "failed": int(failed.group(1)) if failed else None,
        "returncode": proc.returncode,
        "error": None if tps else text_out[-500:],
    }


async def pgbench_ceiling(
    database_url: str, concurrency: list[int], seconds: int, console: Any
) -> dict[int, Any]:
    """`pgbench -N` on the benchmark's database at each client count, with a progress bar: the ceiling each
    figure of a run stands beside."""
    from rich.progress import BarColumn, Progress, TextColumn

    results: dict[int, Any] = {}
    await asyncio.to_thread(pgbench_init, database_url)
    with Progress(TextColumn("{task.description}"), BarColumn(), console=console, transient=True) as bar:
        for c in concurrency:
            task = bar.add_task(f"pgbench -N c={c}", total=seconds)
            results[c] = await pgbench_run(database_url, c, seconds, bar, task)
    return results


async def release(admin: Any, *, database_url: str, pgbench: bool, empty_tables: bool) -> None:
    """A benchmark's end: pgbench's tables dropped, the seeded rows emptied (unless kept), connections closed."""
    if pgbench:
        await asyncio.to_thread(pgbench_drop, database_url)
    if empty_tables:
        tables = await app_tables(admin)
        if tables:
            await admin.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
    await admin.close()
    from lightspeedpay.db import engine

    await engine().dispose()
