#!/usr/bin/env python3
"""Payment-initiation benchmark: signed `POST /api/v1/pay` against a real API (uvicorn, N worker processes),
measured beside `pgbench -N` on the same database, with the same client counts, in the same run.

    .venv/bin/python bench/initiate.py --gateways 1,3,10 --seconds 10
    .venv/bin/python bench/initiate.py --profile

See bench/README.md for what every figure means. Everything runs on 127.0.0.1; the benchmark uses a database
(`lightspeedpay_bench`), a Redis DB (14) and a queue prefix of its own, and cleans up after itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # measure the tree this script sits in, also from an exported copy
RESULTS = ROOT / "bench" / "results"
PY = sys.executable
PY_SPY = str(Path(PY).parent / "py-spy")

DEFAULT_DATABASE_URL = "postgresql+asyncpg://lightspeedpay@127.0.0.1:5432/lightspeedpay_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
AIM_RPS, AIM_P99_MS, AIM_CONCURRENCY = 600.0, 100.0, 64
PATH = "/api/v1/pay"
CLK_TCK = os.sysconf("SC_CLK_TCK")

console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)


# ---- options ---------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ints = lambda s: [int(x) for x in s.split(",") if x.strip()]  # noqa: E731
    p.add_argument("--gateways", type=ints, default=[1], help="gateway pool sizes to measure, e.g. 1,3,10")
    p.add_argument("--concurrency", type=ints, default=[1, 16, 64], help="client counts (default 1,16,64)")
    p.add_argument("--seconds", type=int, default=10, help="measured seconds per phase (default 10)")
    p.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds before each phase (default 2)")
    p.add_argument("--profile", action="store_true",
                   help="py-spy the API workers during the highest-concurrency phase and sample pg_stat_activity")
    p.add_argument("--profile-rate", type=int, default=97, help="py-spy samples per second (default 97)")
    p.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (default 2)")
    p.add_argument("--port", type=int, default=0, help="API port (default: a free one)")
    p.add_argument("--db-pool-size", type=int, default=20, help="LSP_DB_POOL_SIZE per worker (app default 20)")
    p.add_argument("--merchant-cache-seconds", type=float, default=5.0,
                   help="LSP_MERCHANT_CACHE_SECONDS (app default 5)")
    p.add_argument("--max-rate", type=int, default=4000,
                   help="requests pre-built per second of phase; a phase that runs out is flagged (default 4000)")
    p.add_argument("--no-pgbench", action="store_true", help="skip the pgbench -N ceiling")
    p.add_argument("--quiet-wait", type=float, default=120,
                   help="before each gateway count, wait up to this many s for other CPU load to stop (default 120)")
    p.add_argument("--database-url", default=os.environ.get("LSP_BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    p.add_argument("--redis-url", default=os.environ.get("LSP_BENCH_REDIS_URL", DEFAULT_REDIS_URL))
    p.add_argument("--keep-data", action="store_true", help="leave the last run's rows in the bench database")
    p.add_argument("--fresh-db", action="store_true",
                   help="drop and recreate the bench database's schema first (after migrations were edited)")
    args = p.parse_args(argv)
    if args.warmup + args.seconds > 240:
        p.error("warm-up + seconds must stay well inside the 300 s signature window")
    if not args.gateways or min(args.gateways) < 1:
        p.error("--gateways needs counts >= 1")
    return args


def source_info() -> dict[str, Any]:
    """Which code is measured: the tree's path, its commit and its uncommitted files (read-only git calls)."""
    def git(*cmd: str) -> str:
        try:
            return subprocess.run(["git", "--no-optional-locks", *cmd], cwd=ROOT, capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return ""

    import lightspeedpay

    changed = [line for line in git("status", "--porcelain", "--untracked-files=no").splitlines() if line]
    commit = git("rev-parse", "HEAD") or os.environ.get("LSP_BENCH_SOURCE_COMMIT", "")  # e.g. a `git archive` copy
    return {"root": str(ROOT), "package": str(Path(lightspeedpay.__file__).parent), "commit": commit,
            "uncommitted_files": len(changed)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---- CPU accounting from /proc ---------------------------------------------------------------------------


def _proc_table() -> dict[int, tuple[int, int, int]]:
    """pid -> (ppid, own ticks, reaped-children ticks)."""
    out: dict[int, tuple[int, int, int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                data = f.read()
        except OSError:
            continue
        rest = data[data.rindex(b")") + 2:].split()
        out[int(name)] = (int(rest[1]), int(rest[11]) + int(rest[12]), int(rest[13]) + int(rest[14]))
    return out


def _tree_ticks(table: dict[int, tuple[int, int, int]], root: int) -> int:
    children: dict[int, list[int]] = defaultdict(list)
    for pid, (ppid, _, _) in table.items():
        children[ppid].append(pid)
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        if pid in table:
            total += table[pid][1] + table[pid][2]
        stack.extend(children.get(pid, ()))
    return total


def _system_cpu() -> dict[str, int]:
    with open("/proc/stat") as f:
        user, nice, system, idle, iowait, irq, softirq, steal = (int(x) for x in f.readline().split()[1:9])
    return {"busy": user + nice + system + irq + softirq + steal, "total": user + nice + system + idle + iowait + irq
            + softirq + steal, "irq": irq + softirq}


def _psi_cpu_some_us() -> int | None:
    """Total microseconds in which some runnable task waited for a CPU (Linux pressure stall information)."""
    try:
        with open("/proc/pressure/cpu") as f:
            return int(f.readline().rsplit("total=", 1)[1])
    except (OSError, IndexError, ValueError):
        return None


def _ctx_switches(pid: int) -> tuple[int, int]:
    vol = invol = 0
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("voluntary_ctxt_switches"):
                    vol = int(line.split()[1])
                elif line.startswith("nonvoluntary_ctxt_switches"):
                    invol = int(line.split()[1])
    except OSError:
        pass
    return vol, invol


@dataclass
class CpuMeter:
    """CPU used by each component over an interval, in cores (1.0 = one core fully busy).

    `roots` are whole process trees (API master + workers, postmaster + backends, redis); `watch` are single
    processes reported on their own too (each API worker): CPU and context switches."""

    roots: dict[str, int]
    watch: dict[str, int] = field(default_factory=dict)
    _start: dict[str, float] = field(default_factory=dict)
    _t: float = 0.0
    _table: dict[int, tuple[int, int, int]] = field(default_factory=dict)
    _table0: dict[int, tuple[int, int, int]] = field(default_factory=dict)

    def _read(self) -> dict[str, float]:
        table = self._table = _proc_table()
        vals = {name: _tree_ticks(table, pid) / CLK_TCK for name, pid in self.roots.items() if pid}
        t = os.times()
        vals["loadgen"] = t.user + t.system
        vals["tools"] = t.children_user + t.children_system  # reaped children: pgbench, py-spy
        for name, pid in self.watch.items():
            vals[f"_w_{name}"] = table.get(pid, (0, 0, 0))[1] / CLK_TCK
            vals[f"_v_{name}"], vals[f"_i_{name}"] = _ctx_switches(pid)
        sysc = _system_cpu()
        vals["_busy"], vals["_total"], vals["_irq"] = (sysc["busy"] / CLK_TCK, sysc["total"] / CLK_TCK,
                                                       sysc["irq"] / CLK_TCK)
        psi = _psi_cpu_some_us()
        if psi is not None:
            vals["_psi"] = psi / 1e6
        return vals

    def start(self) -> None:
        self._start, self._t = self._read(), time.monotonic()
        self._table0 = self._table

    def _others(self, wall: float) -> list[dict[str, Any]]:
        """The busiest processes outside the measured trees (kernel threads, anything else on the machine)."""
        known: set[int] = {os.getpid()}
        children: dict[int, list[int]] = defaultdict(list)
        for pid, (ppid, _, _) in self._table.items():
            children[ppid].append(pid)
        stack = [pid for pid in self.roots.values() if pid] + children.get(os.getpid(), [])
        while stack:
            pid = stack.pop()
            known.add(pid)
            stack.extend(children.get(pid, ()))
        rows = []
        for pid, (_, ticks, _) in self._table.items():
            if pid in known or pid not in self._table0:
                continue
            delta = (ticks - self._table0[pid][1]) / CLK_TCK / wall
            if delta >= 0.01:
                try:
                    cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                except OSError:
                    cmd = "?"
                rows.append({"pid": pid, "cmdline": cmd.strip()[:100], "cores": round(delta, 3)})
        return sorted(rows, key=lambda r: float(str(r["cores"])), reverse=True)[:5]

    def stop(self) -> dict[str, Any]:
        end, wall = self._read(), time.monotonic() - self._t
        d = {k: end[k] - self._start.get(k, 0.0) for k in end}
        ncpu = os.cpu_count() or 1
        out: dict[str, Any] = {k: round(v / wall, 3) for k, v in d.items() if not k.startswith("_")}
        out["machine_busy"] = round(d["_busy"] / max(d["_total"], 1e-9) * ncpu, 3)
        out["irq_softirq"] = round(d["_irq"] / max(d["_total"], 1e-9) * ncpu, 3)
        # kernel work not charged to any process (loopback networking in softirq) and anything else running
        out["other"] = round(max(out["machine_busy"] - sum(out[k] for k in out if k not in (
            "machine_busy", "irq_softirq")), 0), 3)
        if "_psi" in d:
            out["cpu_pressure"] = round(d["_psi"] / wall, 3)  # share of time some task waited for a CPU
        out["workers"] = {name: {"cores": round(d[f"_w_{name}"] / wall, 3), "voluntary_switches": int(d[f"_v_{name}"]),
                                 "involuntary_switches": int(d[f"_i_{name}"])} for name in self.watch}
        out["other_processes"] = self._others(wall)
        out["wall"] = round(wall, 3)
        return out


async def pg_free_slots(conn: Any) -> int:
    return int(await conn.fetchval(
        "SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int"
        " - (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')"))


async def wait_for_slots(conn: Any, needed: int, max_wait: float) -> None:
    """pgbench cannot start all its clients while someone else holds the connection slots."""
    for _ in range(int(max_wait)):
        if await pg_free_slots(conn) >= needed:
            return
        await asyncio.sleep(1)


async def wait_for_quiet(conn: Any, max_wait: float, slots_needed: int, threshold: float = 0.25) -> dict[str, Any]:
    """Before a run: CPU others use (cores) and free PostgreSQL connection slots. Waits up to `max_wait` s for
    the machine to be quiet and for enough slots (the API's pools at c=64, or pgbench's clients), then goes on
    regardless and says so."""
    deadline = time.monotonic() + max_wait
    warned = False
    while True:
        a = _system_cpu()
        await asyncio.sleep(1.0)
        b = _system_cpu()
        busy = (b["busy"] - a["busy"]) / max(b["total"] - a["total"], 1) * (os.cpu_count() or 1)
        slots = await pg_free_slots(conn)
        ok = busy <= threshold and slots >= slots_needed
        why = f"{busy:.2f} cores busy with other work, {slots} free PostgreSQL connection slots (need {slots_needed})"
        if ok or time.monotonic() >= deadline:
            if not ok:
                console.print(f"[yellow]still not quiet: {why}; measuring anyway — see the 'other' CPU figure "
                              "and the errors[/]")
            return {"background_cores": round(busy, 3), "pg_free_slots": slots, "quiet": ok}
        if not warned:
            console.print(f"[yellow]{why}; waiting up to {max_wait:.0f} s[/]")
            warned = True


# ---- the platform under test -------------------------------------------------------------------------------


class Api:
    """`lightspeedpay api --workers N`, started and stopped by the benchmark (only this process group)."""

    def __init__(self, env: dict[str, str], port: int, workers: int, log_path: Path) -> None:
        self.env, self.port, self.workers, self.log_path = env, port, workers, log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - lives as long as the process
        self.proc = subprocess.Popen([PY, "-m", "lightspeedpay.cli", "api", "--workers", str(self.workers),
                                      "--port", str(self.port)], env=self.env, cwd=ROOT, stdout=log,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def worker_pids(self) -> list[int]:
        assert self.proc is not None
        table = _proc_table()
        pids = []
        for pid, (ppid, _, _) in table.items():
            if ppid != self.proc.pid:
                continue
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"spawn_main" in cmd and b"resource_tracker" not in cmd:
                pids.append(pid)
        return sorted(pids)

    async def wait_ready(self, within: float = 60) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"the API exited with {self.proc.returncode}; see {self.log_path}")
            if len(self.worker_pids()) >= self.workers:
                statuses = await asyncio.gather(*(http_status(self.port, "/health") for _ in range(8)))
                if all(s == 200 for s in statuses):
                    return
            await asyncio.sleep(0.3)
        raise RuntimeError(f"the API did not come up within {within} s; see {self.log_path}")

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)  # our own session, started above
                self.proc.wait(timeout=10)
        self.proc = None


async def http_status(port: int, path: str) -> int:
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return 0
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        return int(head[9:12])
    except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError):
        return 0
    finally:
        writer.close()


def connections_per_worker(port: int, pids: list[int]) -> list[int]:
    """Established client connections each API worker holds (the kernel, not us, spreads them)."""
    try:
        out = subprocess.run(["ss", "-Htnp", "state", "established", f"( sport = :{port} )"],
                             capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    counts = Counter(int(m) for m in re.findall(r"pid=(\d+)", out))
    return [counts.get(pid, 0) for pid in pids]


# ---- database and Redis set-up ------------------------------------------------------------------------------


def pg_conn_kwargs(database_url: str) -> dict[str, Any]:
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    return {"host": url.host or "127.0.0.1", "port": url.port or 5432, "user": url.username,
            "password": url.password, "database": url.database}


def pg_env(database_url: str) -> dict[str, str]:
    kw = pg_conn_kwargs(database_url)
    env = dict(os.environ, PGHOST=kw["host"], PGPORT=str(kw["port"]), PGUSER=kw["user"] or "",
               PGDATABASE=kw["database"])
    if kw["password"]:
        env["PGPASSWORD"] = kw["password"]
    return env


async def app_tables(conn: Any) -> list[str]:
    rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> "
                            "'alembic_version' AND tablename NOT LIKE 'pgbench\\_%'")
    return [r["tablename"] for r in rows]


async def reset_and_seed(conn: Any, gateways: int) -> dict[str, str]:
    """Empty every application table, then one merchant and `gateways` sandbox gateways, via the app's services."""
    from lightspeedpay.db import engine, sessionmaker
    from lightspeedpay.gateways.service import gateway_service
    from lightspeedpay.merchants.service import merchant_service

    tables = await app_tables(conn)
    await conn.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
    async with sessionmaker()() as session:
        new = await merchant_service.create(session, company_name="Bench Merchant", webhook_url=None)
        for i in range(gateways):
            await gateway_service.add(
                session, name=f"bench_sandbox_{i + 1}", provider="sandbox", base_url="http://127.0.0.1:1",
                credentials={"key_id": f"bench_key_{i + 1}", "key_secret": secrets.token_hex(16),
                             "webhook_secret": secrets.token_hex(16)},
                monthly_limit=10**15, priority=1)
        await session.commit()
    await engine().dispose()  # hold no connections while the API and pgbench run
    await conn.execute("VACUUM ANALYZE payment_gateways")
    await conn.execute("VACUUM ANALYZE clients")
    await conn.execute("VACUUM ANALYZE wallets")
    return {"client_key": new.client.client_key, "client_salt": new.client_salt}


async def clear_redis(redis_url: str, prefix: str) -> int:
    import redis.asyncio as redis

    r = redis.Redis.from_url(redis_url)
    try:
        keys = [k async for k in r.scan_iter(f"{prefix}:*", count=1000)]
        for i in range(0, len(keys), 500):
            await r.delete(*keys[i:i + 500])
        return len(keys)
    finally:
        await r.aclose()


async def redis_pid(redis_url: str) -> int:
    import redis.asyncio as redis

    r = redis.Redis.from_url(redis_url)
    try:
        return int((await r.info("server"))["process_id"])
    finally:
        await r.aclose()


async def db_counters(conn: Any) -> dict[str, int]:
    row = await conn.fetchrow(
        "SELECT d.xact_commit, d.xact_rollback, d.sessions, w.wal_records, w.wal_sync, w.wal_bytes "
        "FROM pg_stat_database d, pg_stat_wal w WHERE d.datname = current_database()")
    return {k: int(v) for k, v in dict(row).items()}


# ---- the load generator ----------------------------------------------------------------------------------------


def build_requests(creds: dict[str, str], port: int, tag: str, count: int) -> list[bytes]:
    """Signed raw HTTP/1.1 requests with unique order ids, all signed now (valid for the signature window)."""
    from lightspeedpay.kit.signing import sign_merchant_request

    ts = str(int(time.time()))
    key, salt = creds["client_key"], creds["client_salt"]
    head = (f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"X-Client-Key: {key}\r\nX-Timestamp: {ts}\r\n").encode()
    out = []
    for i in range(count):
        body = b'{"amount":49900,"order_id":"%s-%d","currency":"INR"}' % (tag.encode(), i)
        sig = sign_merchant_request(salt, ts, "POST", PATH, body)
        out.append(head + b"X-Signature: %s\r\nContent-Length: %d\r\n\r\n%s" % (sig.encode(), len(body), body))
    return out


@dataclass
class PhaseResult:
    concurrency: int
    seconds: float
    completed: int
    rps: float
    p50_ms: float | None
    p90_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    mean_ms: float | None
    errors: int
    statuses: dict[str, int]
    error_samples: list[str]
    exhausted: bool
    unfinished: int
    per_second: list[dict[str, Any]]
    connections_per_worker: list[int]
    cpu_cores: dict[str, Any] = field(default_factory=dict)
    db: dict[str, float] = field(default_factory=dict)
    pgbench_tps: float | None = None
    pgbench: dict[str, Any] = field(default_factory=dict)
    profile: dict[str, Any] | None = None


def pct(sorted_vals: list[float], q: float) -> float | None:
    if not sorted_vals:
        return None
    idx = min(len(sorted_vals) - 1, max(0, math.ceil(q * len(sorted_vals)) - 1))  # nearest rank
    return round(sorted_vals[idx] * 1000, 2)


async def drive(requests: list[bytes], port: int, concurrency: int, warmup: float, seconds: float,
                progress: Progress, task: Any, on_measure_start: Any = None) -> dict[str, Any]:
    """Closed loop: `concurrency` keep-alive connections, each sending the next pre-built request as soon as
    the previous answer is read. Only answers that complete inside the measured window count."""
    now = time.perf_counter  # uvloop's loop.time() has only millisecond resolution
    nxt = 0
    exhausted = False
    lat: list[float] = []
    finished: list[float] = []
    statuses: Counter[str] = Counter()
    samples: list[str] = []
    t_begin = now()
    t0 = t_begin + warmup
    t_end = t0 + seconds

    async def connection() -> None:
        nonlocal nxt, exhausted
        reader = writer = None
        while True:
            if reader is None:
                try:
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                except OSError as exc:
                    if now() >= t0:
                        statuses[f"connect:{type(exc).__name__}"] += 1
                    await asyncio.sleep(0.05)
                    if now() >= t_end:
                        return
                    continue
            start = now()
            if start >= t_end:
                break
            if nxt >= len(requests):
                exhausted = True
                break
            req = requests[nxt]
            nxt += 1
            try:
                writer.write(req)  # type: ignore[union-attr]
                head = await reader.readuntil(b"\r\n\r\n")
                status = head[9:12]
                low = head.lower()
                i = low.find(b"content-length:")
                length = int(low[i + 15:low.index(b"\r\n", i)]) if i >= 0 else 0
                body = await reader.readexactly(length) if length else b""
                close = b"connection: close" in low
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
                done = now()
                if done >= t0:
                    statuses[f"conn:{type(exc).__name__}"] += 1
                writer.close()  # type: ignore[union-attr]
                reader = writer = None
                continue
            done = now()
            if t0 <= done <= t_end:
                lat.append(done - start)
                finished.append(done - t0)
                code = status.decode()
                statuses[code] += 1
                if code != "201" and len(samples) < 5:
                    samples.append(f"{code} {body[:300].decode(errors='replace')}")
            if close:
                writer.close()  # type: ignore[union-attr]
                reader = writer = None
        if writer is not None:
            writer.close()

    async def ticker() -> None:
        measuring = False
        while True:
            t = now()
            if not measuring and t >= t0:
                measuring = True
                if on_measure_start:
                    on_measure_start()
            label = "warm-up" if t < t0 else f"{len(lat) / max(t - t0, 1e-9):7.0f} req/s"
            progress.update(task, completed=min(t - t_begin, warmup + seconds), rate=label)
            if t >= t_end:
                return
            await asyncio.sleep(min(0.5, t0 - t) if t < t0 else min(0.5, t_end - t))

    tick = asyncio.ensure_future(ticker())
    tasks = [asyncio.ensure_future(connection()) for _ in range(concurrency)]
    await tick
    done, pending = await asyncio.wait(tasks, timeout=10)
    for t in pending:
        t.cancel()
    buckets: dict[int, list[float]] = defaultdict(list)
    for fin, v in zip(finished, lat, strict=True):
        buckets[min(int(fin), int(seconds) - 1)].append(v)
    per_second = []
    for sec in range(int(seconds)):
        vals = sorted(buckets.get(sec, []))
        per_second.append({"second": sec, "completed": len(vals), "p50_ms": pct(vals, 0.5), "p99_ms": pct(vals, 0.99)})
    lat.sort()
    completed = len(lat)
    errors = sum(v for k, v in statuses.items() if k != "201")
    return {
        "completed": completed, "rps": round(completed / seconds, 1),
        "p50_ms": pct(lat, 0.50), "p90_ms": pct(lat, 0.90), "p99_ms": pct(lat, 0.99),
        "max_ms": round(lat[-1] * 1000, 2) if lat else None,
        "mean_ms": round(sum(lat) / completed * 1000, 2) if completed else None,
        "errors": errors, "statuses": dict(statuses), "error_samples": samples,
        "exhausted": exhausted, "unfinished": len(pending), "per_second": per_second,
    }


# ---- profiling ---------------------------------------------------------------------------------------------------


def ensure_py_spy() -> None:
    if Path(PY_SPY).exists():
        return
    console.print("[yellow]py-spy is not in the venv; installing it (pip install py-spy)[/]")
    subprocess.run([PY, "-m", "pip", "install", "-q", "py-spy"], check=True)


def _short(path: str) -> str:
    for marker in ("/site-packages/", "/dist-packages/"):
        if marker in path:
            return path.split(marker, 1)[1]
    root = str(ROOT) + "/"
    if path.startswith(root):
        return path[len(root):]
    m = re.search(r"/python3\.\d+/(.*)$", path)
    return f"stdlib/{m.group(1)}" if m else path


_FRAME = re.compile(r"^(?P<func>.*) \((?P<file>.*?)(?::(?P<line>\d+))?\)$")


def _frame(raw: str) -> tuple[str, str]:
    m = _FRAME.match(raw)
    if not m:
        return raw, ""
    return m.group("func"), _short(m.group("file"))


def _component(file: str) -> str:
    if file.startswith("lightspeedpay/"):
        return "lightspeedpay (app code)"
    if file.startswith("stdlib/asyncio/"):
        return "asyncio (stdlib)"
    if file.startswith("stdlib/"):
        return "stdlib: " + file[7:].split("/")[0].removesuffix(".py")
    top = file.split("/")[0].removesuffix(".py")
    return top or "?"


# Where a sample is spent, decided by the innermost frame of the request's own call chain that matches.
_STAGES = (
    ("BullMQ job push (redis-py, Lua script)", ("lightspeedpay/jobs/queues.py",)),
    ("initiation SQL (SQLAlchemy + asyncpg)", ("lightspeedpay/payments/repository.py",
                                               "lightspeedpay/gateways/repository.py")),
    ("connection checkout/return (SQLAlchemy pool)", ("lightspeedpay/payments/service.py",)),
    ("auth: headers, HMAC, merchant cache", ("lightspeedpay/auth/signature.py",)),
    ("body validation (Pydantic)", ("lightspeedpay/kit/parsing.py",)),
    ("handler + response", ("lightspeedpay/payments/api.py", "lightspeedpay/kit/responses.py")),
    ("FastAPI/Starlette framework", ("fastapi/", "starlette/")),
    ("uvicorn HTTP protocol", ("uvicorn/",)),
    ("redis-py I/O callbacks", ("redis/",)),
    # SQLAlchemy runs the driver inside a greenlet whose stack does not show the request's frames
    ("SQL inside SQLAlchemy's greenlet (request frames cut)", ("asyncpg/", "sqlalchemy/")),
)


def summarise_profile(raw_files: list[Path], seconds: float, rate: int) -> dict[str, Any]:
    own: Counter[tuple[str, str]] = Counter()
    incl: Counter[tuple[str, str]] = Counter()
    comp: Counter[str] = Counter()
    stage: Counter[str] = Counter()
    total = 0
    per_file: list[int] = []
    for path in raw_files:
        per_file.append(0)
        if not path.exists():
            continue
        for line in path.read_text(errors="replace").splitlines():
            stack_s, _, count_s = line.rpartition(" ")
            if not count_s.isdigit() or not stack_s:
                continue
            n = int(count_s)
            per_file[-1] += n
            frames = [_frame(f) for f in stack_s.split(";")]
            total += n
            own[frames[-1]] += n
            comp[_component(frames[-1][1])] += n
            for f in set(frames):
                incl[f] += n
            label = "event loop, socket I/O and other"
            for name, prefixes in _STAGES:
                if any(f[1].startswith(prefixes) for f in frames):
                    label = name
                    break
            stage[label] += n
    if not total:
        return {"samples": 0}

    def top(counter: Counter[Any], k: int) -> list[dict[str, Any]]:
        return [{"name": key if isinstance(key, str) else f"{key[0]}  ({key[1]})",
                 "samples": n, "share": round(n / total, 4)} for key, n in counter.most_common(k)]

    app_incl = Counter({k: v for k, v in incl.items() if k[1].startswith("lightspeedpay/")})
    return {
        "samples": total, "cpu_seconds": round(total / rate, 2), "samples_per_worker": per_file,
        # py-spy counts a thread as active when Linux says it is runnable: on a CPU *or waiting for one*
        "active_share_per_worker": [round(n / (rate * seconds), 3) for n in per_file],
        "worker_cores": round(total / rate / seconds, 2),
        "top_own": top(own, 25), "components": top(comp, 14), "stages": top(stage, 12),
        "app_inclusive": top(app_incl, 12), "raw_files": [str(p.relative_to(ROOT)) for p in raw_files],
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
                "AND pid <> pg_backend_pid()")
            n += 1
            for r in rows:
                if r["state"] == "active":
                    key = f"{r['wait_event_type']}:{r['wait_event']}" if r["wait_event_type"] else "running (CPU)"
                    waits["active · " + key] += 1
                    q = " ".join((r["q"] or "").split())
                    kind = ("initiate CTE" if q.startswith("WITH m AS") else "any_eligible (SKIP LOCKED miss)"
                            if q.startswith("SELECT EXISTS") else q[:40])
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
    return {"snapshots": n, "backend_samples": total,
            "states": [{"name": k, "share": round(v / total, 4), "avg_backends": round(v / max(n, 1), 2)}
                       for k, v in waits.most_common(12)],
            "active_queries": [{"name": k, "samples": v} for k, v in queries.most_common(6)]}


# ---- pgbench ------------------------------------------------------------------------------------------------------


def pgbench_available() -> bool:
    return shutil.which("pgbench") is not None


def pgbench_init(database_url: str) -> None:
    subprocess.run(["pgbench", "-i", "-s", "1", "-q"], env=pg_env(database_url), check=True,
                   capture_output=True, text=True)


def pgbench_drop(database_url: str) -> None:
    subprocess.run(["pgbench", "-i", "-I", "d"], env=pg_env(database_url), capture_output=True, text=True)


async def pgbench_run(database_url: str, clients: int, seconds: int, progress: Progress, task: Any) -> dict[str, Any]:
    cmd = ["pgbench", "-N", "-c", str(clients), "-j", str(min(clients, 2)), "-T", str(seconds)]
    proc = await asyncio.create_subprocess_exec(*cmd, env=pg_env(database_url), stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
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
    return {"command": " ".join(cmd), "tps": round(float(tps.group(1)), 1) if tps else None,
            "latency_avg_ms": float(lat.group(1)) if lat else None,
            "failed": int(failed.group(1)) if failed else None, "returncode": proc.returncode,
            "error": None if tps else text_out[-500:]}


# ---- output -----------------------------------------------------------------------------------------------------


def _fmt(v: float | None, spec: str = ".1f") -> str:
    return "—" if v is None else format(v, spec)


def print_table(gateways: int, phases: list[PhaseResult], workers: int) -> None:
    t = Table(title=f"POST /api/v1/pay — {gateways} gateway{'s' if gateways != 1 else ''} in the pool, "
                    f"{workers} API workers", title_justify="left")
    for col, just in (("concurrency", "right"), ("initiations/s", "right"), ("p50 ms", "right"),
                      ("p99 ms", "right"), ("errors", "right"), ("pgbench -N tps", "right"),
                      ("vs pgbench", "right"), ("CPU cores api·pg·redis·gen·other = busy", "left"), ("db xacts/req", "right")):
        t.add_column(col, justify=just)  # type: ignore[arg-type]
    for ph in phases:
        c = ph.cpu_cores
        cpu = (f"{c.get('api', 0):.2f}·{c.get('postgres', 0):.2f}·{c.get('redis', 0):.2f}·{c.get('loadgen', 0):.2f}"
               f"·{c.get('other', 0):.2f} = {c.get('machine_busy', 0):.2f}/{os.cpu_count()}")
        ratio = f"{ph.rps / ph.pgbench_tps:.0%}" if ph.pgbench_tps else "—"
        errs = Text(str(ph.errors), style="red" if ph.errors else "")
        if c.get("other", 0) > 0.1:
            cpu += " ⚠ other load"
        flag = " ⚠ ran out of requests" if ph.exhausted else ""
        t.add_row(str(ph.concurrency), f"{ph.rps:,.0f}{flag}", _fmt(ph.p50_ms), _fmt(ph.p99_ms), errs,
                  _fmt(ph.pgbench_tps, ",.0f"), ratio, cpu, _fmt(ph.db.get("xacts_per_req"), ".2f"))
    console.print(t)
    for ph in phases:
        c = ph.cpu_cores
        okn = max(ph.statuses.get("201", 0), 1)
        ws = c.get("workers", {})
        inv = sum(w["involuntary_switches"] for w in ws.values()) / okn
        per_s = [x for x in ph.per_second if x["completed"]]
        spread = (f"per-second rate {min(x['completed'] for x in per_s):,}–{max(x['completed'] for x in per_s):,}, "
                  f"worst 1-s p99 {max(x['p99_ms'] or 0 for x in per_s):.1f} ms; " if per_s else "")
        console.print(f"  c={ph.concurrency}: {spread}p90 {_fmt(ph.p90_ms)} ms, max {_fmt(ph.max_ms)} ms; "
                      f"connections per worker {ph.connections_per_worker}; worker CPU "
                      f"{'/'.join(format(w['cores'], '.2f') for w in ws.values())} cores; "
                      f"CPU pressure {c.get('cpu_pressure', 0):.0%} of the time; "
                      f"{ph.db.get('new_sessions_per_s', 0):g} new PostgreSQL connections/s; "
                      f"{inv:.2f} worker preemptions/request", style="grey50")
        if c.get("other", 0) > 0.1 and c.get("other_processes"):
            console.print("      other load: " + "; ".join(f"{o['cores']:.2f} cores {o['cmdline'][:70]}"
                                                       for o in c["other_processes"][:2]), style="yellow")
        if ph.errors:
            console.print(f"  c={ph.concurrency}: answers {ph.statuses}; e.g. {ph.error_samples[:2]}", style="red")
        if ph.profile is not None:
            console.print(f"  c={ph.concurrency} was profiled (py-spy attached): its figures carry that overhead",
                          style="yellow")


def print_chart(gateways: int, phases: list[PhaseResult], scale_max: float) -> None:
    width = 46
    console.print(f"[bold]throughput vs PostgreSQL ceiling — {gateways} gateway(s)[/]  "
                  f"(█ initiations/s, ░ pgbench -N tps; full width = {scale_max:,.0f}/s)")

    def bar(v: float | None, ch: str) -> str:
        if not v:
            return ""
        cells = v / scale_max * width
        full = int(cells)
        return ch * full + ("▏" if cells - full >= 0.5 and ch == "█" else "")

    for ph in phases:
        aim = ""
        if ph.concurrency == AIM_CONCURRENCY:
            ok = ph.rps >= AIM_RPS and (ph.p99_ms or 1e9) < AIM_P99_MS
            aim = f"  [{'green' if ok else 'red'}]aim ≥{AIM_RPS:.0f}/s p99<{AIM_P99_MS:.0f}ms: {'met' if ok else 'missed'}[/]"
        console.print(f"  c={ph.concurrency:<3} pay     [cyan]{bar(ph.rps, '█')}[/] {ph.rps:,.0f}{aim}")
        if ph.pgbench_tps:
            console.print(f"        pgbench [grey62]{bar(ph.pgbench_tps, '░')}[/] {ph.pgbench_tps:,.0f}")
    console.print()


def print_profile(gateways: int, ph: PhaseResult) -> None:
    prof = ph.profile or {}
    spy = prof.get("py_spy") or {}
    console.print(f"[bold]profile — {gateways} gateway(s), c={ph.concurrency}[/]")
    if spy.get("samples"):
        console.print(f"  py-spy: {spy['samples']:,} samples of active (non-idle) worker threads; py-spy itself "
                      f"used {prof.get('py_spy_cpu_cores', 0):.2f} cores; raw: {', '.join(spy['raw_files'])}")
        ws = list(ph.cpu_cores.get("workers", {}).values())
        for i, (active, w) in enumerate(zip(spy.get("active_share_per_worker", []), ws, strict=False)):
            console.print(f"  worker {i + 1}: active (running or runnable) {active:.0%} of the time, on a CPU "
                          f"{w['cores']:.0%} (/proc) → waiting for a CPU ≈ {max(active - w['cores'], 0):.0%}, "
                          f"idle {max(1 - active, 0):.0%}")
        for title, key, k in (("where the request's CPU goes (by innermost app/library stage)", "stages", 12),
                              ("own time by package", "components", 10),
                              ("top functions by own time", "top_own", 20),
                              ("app functions, inclusive time", "app_inclusive", 8)):
            t = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
            t.add_column("share", justify="right")
            t.add_column("samples", justify="right")
            t.add_column("name")
            for row in spy[key][:k]:
                t.add_row(f"{row['share']:.1%}", f"{row['samples']:,}", row["name"])
            console.print(t)
    else:
        console.print(f"  py-spy gave no samples: {prof.get('py_spy_error', '')}", style="red")
    pga = prof.get("pg_activity")
    if pga:
        t = Table(title=f"API's PostgreSQL backends, sampled {pga['snapshots']}× (share of backend-samples, "
                        "average backends in that state)", title_justify="left", show_edge=False, pad_edge=False)
        t.add_column("share", justify="right")
        t.add_column("avg backends", justify="right")
        t.add_column("state · wait event")
        for row in pga["states"]:
            t.add_row(f"{row['share']:.1%}", f"{row['avg_backends']:.1f}", row["name"])
        console.print(t)
        console.print("  active statements sampled: " +
                      ", ".join(f"{q['name']} ×{q['samples']}" for q in pga["active_queries"]))
    db = ph.db
    if db:
        console.print(f"  per initiation: {db.get('xacts_per_req')} PostgreSQL transactions, "
                      f"{db.get('wal_syncs_per_req')} WAL syncs, {db.get('wal_bytes_per_req')} WAL bytes")
    console.print()


# ---- the run ------------------------------------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> int:
    import asyncpg

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    RESULTS.mkdir(parents=True, exist_ok=True)
    port = args.port or free_port()
    prefix = f"lspbench{secrets.token_hex(3)}"
    tmp = tempfile.mkdtemp(prefix="lsp-bench-")
    env = dict(os.environ)
    env.update({
        "LSP_ENV": "development", "LSP_DATABASE_URL": args.database_url, "LSP_REDIS_URL": args.redis_url,
        "LSP_QUEUE_PREFIX": prefix, "LSP_API_HOST": "127.0.0.1", "LSP_API_PORT": str(port),
        "LSP_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", "LSP_API_WORKERS": str(args.workers),
        "LSP_MERCHANT_CACHE_SECONDS": str(args.merchant_cache_seconds), "LSP_DB_POOL_SIZE": str(args.db_pool_size),
        "LSP_LOG_LEVEL": "WARNING", "LSP_SIMULATOR_ACCOUNTS_FILE": os.path.join(tmp, "simulator-accounts.json"),
        "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
    })
    os.environ.update(env)  # before anything in-process reads the settings
    if args.profile:
        ensure_py_spy()
    use_pgbench = not args.no_pgbench and pgbench_available()
    if not args.no_pgbench and not use_pgbench:
        console.print("[yellow]pgbench is not installed; the ceiling column stays empty[/]")

    meta = {
        "started": stamp, "host_cpus": os.cpu_count(), "python": sys.version.split()[0], "workers": args.workers,
        "seconds": args.seconds, "warmup": args.warmup, "concurrency": args.concurrency, "gateways": args.gateways,
        "db_pool_size": args.db_pool_size, "db_max_overflow": 10, "merchant_cache_seconds": args.merchant_cache_seconds,
        "database": pg_conn_kwargs(args.database_url)["database"], "redis_url": args.redis_url,
        "queue_prefix": prefix, "profile": args.profile, "source": source_info(),
        "load_generator": "bench/initiate.py asyncio+uvloop, pre-signed raw HTTP/1.1, keep-alive, closed loop",
    }
    console.print(f"[bold]LightSpeedPay initiation benchmark[/] — API on 127.0.0.1:{port} ({args.workers} workers), "
                  f"db {meta['database']}, redis {args.redis_url}, prefix {prefix}")
    src = meta["source"]
    dirty = f" + {src['uncommitted_files']} uncommitted files" if src["uncommitted_files"] else ""
    console.print(f"code: {src['package']} at {src['commit'][:10] or '?'}{dirty}")
    console.print(f"phases: concurrency {args.concurrency} × gateways {args.gateways}, {args.warmup:g} s warm-up + "
                  f"{args.seconds} s each; pgbench -N {'on' if use_pgbench else 'off'}; "
                  f"profile {'on' if args.profile else 'off'}")

    from lightspeedpay.db_admin import create_database_if_missing, upgrade_database

    await create_database_if_missing(args.database_url)
    if args.fresh_db:
        conn = await asyncpg.connect(**pg_conn_kwargs(args.database_url))
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        await conn.close()
    await asyncio.to_thread(upgrade_database, args.database_url)
    admin = await asyncpg.connect(**pg_conn_kwargs(args.database_url))
    postmaster = 0
    try:
        backend = await admin.fetchval("SELECT pg_backend_pid()")
        postmaster = _proc_table().get(int(backend), (0, 0, 0))[0]
    except Exception:  # noqa: BLE001 - CPU split is best effort (e.g. a remote server)
        pass
    rpid = await redis_pid(args.redis_url)
    report: dict[str, Any] = {"meta": meta, "runs": []}
    api = Api(env, port, args.workers, RESULTS / f"api-{stamp}.log")
    exit_code = 0
    try:
        if use_pgbench:
            await asyncio.to_thread(pgbench_init, args.database_url)
        for g in args.gateways:
            background = await wait_for_quiet(admin, args.quiet_wait, max(
                args.workers * (args.db_pool_size + 10) + 2, max(args.concurrency) + 1))
            creds = await reset_and_seed(admin, g)
            await clear_redis(args.redis_url, prefix)
            phases = await run_gateway_count(args, g, creds, api, admin, postmaster, rpid, stamp, use_pgbench)
            report["runs"].append({"gateways": g, "before": background,
                                   "phases": [ph.__dict__ for ph in phases]})
            scale = max([p.rps for p in phases] + [p.pgbench_tps or 0 for p in phases] + [1.0])
            print_table(g, phases, args.workers)
            print_chart(g, phases, scale)
            for ph in phases:
                if ph.profile is not None:
                    print_profile(g, ph)
            _write(report, stamp)
        if len(args.gateways) > 1:
            print_summary(report)
    except KeyboardInterrupt:
        exit_code = 130
    finally:
        api.stop()
        if use_pgbench:
            await asyncio.to_thread(pgbench_drop, args.database_url)
        removed = await clear_redis(args.redis_url, prefix)
        if not args.keep_data:
            tables = await app_tables(admin)
            if tables:
                await admin.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
        await admin.close()
        from lightspeedpay.db import engine

        await engine().dispose()
        shutil.rmtree(tmp, ignore_errors=True)
        console.print(f"cleaned up: {removed:,} Redis keys under {prefix}:*, pgbench tables dropped"
                      f"{'' if args.keep_data else ', bench tables emptied'}")
    path = _write(report, stamp)
    console.print(f"results: {path.relative_to(ROOT)}")
    return exit_code


def _write(report: dict[str, Any], stamp: str) -> Path:
    path = RESULTS / f"initiate-{stamp}.json"
    path.write_text(json.dumps(report, indent=2, default=str))
    return path


def print_summary(report: dict[str, Any]) -> None:
    t = Table(title="initiations/s by gateway pool size (p99 ms in brackets)", title_justify="left")
    t.add_column("gateways", justify="right")
    concs = [ph["concurrency"] for ph in report["runs"][0]["phases"]]
    for c in concs:
        t.add_column(f"c={c}", justify="right")
    for r in report["runs"]:
        t.add_row(str(r["gateways"]), *[f"{ph['rps']:,.0f} ({_fmt(ph['p99_ms'], '.0f')})" for ph in r["phases"]])
    console.print(t)


async def run_gateway_count(args: argparse.Namespace, g: int, creds: dict[str, str], api: Api, admin: Any,
                            postmaster: int, rpid: int, stamp: str, use_pgbench: bool) -> list[PhaseResult]:
    api.start()
    phases: list[PhaseResult] = []
    try:
        await api.wait_ready()
        workers = api.worker_pids()
        meter_roots = {"api": api.proc.pid if api.proc else 0, "postgres": postmaster, "redis": rpid}
        top_c = max(args.concurrency)
        with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[rate]}"),
                      TimeRemainingColumn(), console=console, transient=True, refresh_per_second=2) as progress:
            for c in args.concurrency:
                count = int((args.warmup + args.seconds) * args.max_rate) + c
                requests = build_requests(creds, api.port, f"b{stamp}-g{g}-c{c}", count)
                task = progress.add_task(f"g={g} c={c:<3} POST /pay", total=args.warmup + args.seconds, rate="")
                profiled = args.profile and c == top_c
                meter = CpuMeter(meter_roots, {f"w{i + 1}": pid for i, pid in enumerate(workers)})
                box: dict[str, Any] = {}
                spy_procs: list[asyncio.subprocess.Process] = []
                raw_files = [RESULTS / f"profile-{stamp}-g{g}-c{c}-w{i + 1}.txt" for i in range(len(workers))]
                stop_pg = asyncio.Event()
                pg_task: asyncio.Future[Any] | None = None

                def measure_start(profiled: bool = profiled, meter: CpuMeter = meter, box: dict[str, Any] = box,
                                  spy_procs: list[Any] = spy_procs, raw_files: list[Path] = raw_files,
                                  stop_pg: asyncio.Event = stop_pg) -> None:
                    nonlocal pg_task
                    meter.start()
                    box["db0"] = asyncio.ensure_future(db_counters(admin))
                    box["conns"] = connections_per_worker(api.port, workers)
                    if profiled:
                        for pid, out in zip(workers, raw_files, strict=True):
                            box.setdefault("spy", []).append(asyncio.ensure_future(asyncio.create_subprocess_exec(
                                PY_SPY, "record", "--pid", str(pid), "--duration", str(args.seconds), "--rate",
                                str(args.profile_rate), "--format", "raw", "--full-filenames", "--nonblocking",
                                "--output", str(out), stdout=asyncio.subprocess.DEVNULL,
                                stderr=asyncio.subprocess.PIPE)))
                        pg_task = asyncio.ensure_future(sample_pg_activity(args.database_url, stop_pg))

                out = await drive(requests, api.port, c, args.warmup, args.seconds, progress, task, measure_start)
                cpu = meter.stop()
                db0 = await box["db0"]
                db1 = await db_counters(admin)
                progress.remove_task(task)
                del requests
                okn = max(out["statuses"].get("201", 0), 1)
                db = {"xacts_per_req": round((db1["xact_commit"] + db1["xact_rollback"] - db0["xact_commit"]
                                              - db0["xact_rollback"]) / okn, 2),
                      "wal_syncs_per_req": round((db1["wal_sync"] - db0["wal_sync"]) / okn, 3),
                      "wal_bytes_per_req": round((db1["wal_bytes"] - db0["wal_bytes"]) / okn),
                      # connections opened during the phase (pool overflow churn shows up here)
                      "new_sessions_per_s": round((db1["sessions"] - db0["sessions"]) / args.seconds, 1)}
                ph = PhaseResult(concurrency=c, seconds=args.seconds, connections_per_worker=box.get("conns", []),
                                 cpu_cores=cpu, db=db, **out)
                if profiled:
                    stop_pg.set()
                    prof: dict[str, Any] = {}
                    errs = []
                    before = os.times()
                    for fut in box.get("spy", []):
                        proc = await fut
                        spy_procs.append(proc)
                        _, err = await proc.communicate()
                        if proc.returncode:
                            errs.append(err.decode(errors="replace")[-300:])
                    after = os.times()
                    prof["py_spy"] = summarise_profile(raw_files, args.seconds, args.profile_rate)
                    prof["py_spy_cpu_cores"] = round((after.children_user + after.children_system
                                                      - before.children_user - before.children_system)
                                                     / args.seconds, 3)
                    if errs:
                        prof["py_spy_error"] = " | ".join(errs)
                    if pg_task is not None:
                        prof["pg_activity"] = await pg_task
                    ph.profile = prof
                phases.append(ph)
                console.print(f"  g={g} c={c:<3} {ph.rps:8,.0f} req/s  p50 {_fmt(ph.p50_ms):>7} ms  "
                              f"p99 {_fmt(ph.p99_ms):>7} ms  errors {ph.errors}  "
                              f"conns/worker {ph.connections_per_worker}")
        api.stop()
        if use_pgbench:
            with Progress(TextColumn("{task.description}"), BarColumn(), TimeRemainingColumn(), console=console,
                          transient=True, refresh_per_second=2) as progress:
                for ph in phases:
                    await wait_for_slots(admin, ph.concurrency + 1, 30)
                    task = progress.add_task(f"g={g} c={ph.concurrency:<3} pgbench -N", total=args.seconds)
                    meter = CpuMeter({"postgres": postmaster})
                    meter.start()
                    res = await pgbench_run(args.database_url, ph.concurrency, args.seconds, progress, task)
                    res["cpu_cores"] = meter.stop()
                    progress.remove_task(task)
                    ph.pgbench, ph.pgbench_tps = res, res["tps"]
                    console.print(f"  g={g} c={ph.concurrency:<3} pgbench -N {_fmt(res['tps'], ',.0f')} tps"
                                  + (f"  [red]{res['error']}[/]" if res["error"] else ""))
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
