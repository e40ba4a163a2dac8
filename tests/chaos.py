"""The chaos driver: idempotent payments through the real platform while its processes are SIGKILLed, Redis is
wiped and the PSP goes down, then a verdict read from PostgreSQL. `tests/test_chaos.py` runs a short form on the
test fixtures' platform; `bench/chaos.py` runs a long form on a database of its own. Both call `run_chaos`.

What a merchant is promised, and what the verdict counts (each must be 0):

* lost: a 201's transaction_id that is not in the database;
* doubled: more than one transaction for one logical payment (the unique order id makes it structural;
  counted anyway), or a transaction the clients never asked for;
* orphaned: a logical payment whose transaction exists but whose key never answered it, e.g. a retry that got
  409 DUPLICATE_ORDER_ID (its message invites a new order id: a second charge), or a client that gave up;
* changed: a key answered with two different successful bodies, or a 2xx then anything else;
* 500s: answers with status 500;
* never accepted: keys whose client gave up without a 2xx, or got a 4xx it cannot retry;
* stuck: after the settle time, a transaction not in a final state, or a job intent not completed (failed
  intents with a reason are reported, not counted);
* failed outside the outage: a failed/expired payment that the PSP outage does not explain;
* ledger: violations reported by `lightspeedpay ledger check`.

Clients behave as the README tells merchants to: one Idempotency-Key and one body per logical payment; on a
connection error, a timeout, a 5xx or 409 IDEMPOTENCY_KEY_IN_USE they retry with the same key and body, signed
again with a fresh timestamp (a byte-identical signed request may be refused as a replay), with backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import redis.asyncio as aioredis
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from tests.factories import MerchantClient

PAY_PATH = "/api/v1/pay"
# the processes chaos kills, and the CLI arguments that start them again
KILLABLE = {"api": ("api",), "worker": ("worker",), "scheduler": ("scheduler",)}
FINAL_TXN_STATUSES = ("paid", "failed", "expired", "partially_refunded", "refunded")
RETRY_CODES = ("IDEMPOTENCY_KEY_IN_USE",)


@dataclass
class ChaosConfig:
    payments: int = 200
    concurrency: int = 12  # requests in flight at most
    seconds: float = 45.0  # the payments are released evenly over this long; chaos runs meanwhile
    # mean seconds between two SIGKILLs of the same process, counted for the api from when it answers again: on a
    # slow machine an api killed while still starting was down for most of the run (its clients gave up, and the
    # run tested less, not more)
    kill_every: float = 8.0
    down_for: float = 1.0  # at most this long between a kill and the restart
    outage_at: float = 0.35  # the PSP goes down at this fraction of `seconds` ...
    outage_seconds: float = 8.0  # ... for this long
    wipe_at: float = 0.6  # the queue's Redis keys are deleted once, at this fraction of `seconds`
    replay_fraction: float = 0.1  # share of keys sent again right after their 2xx (a client that lost it)
    request_timeout: float = 10.0
    retry_for: float = 150.0  # a client keeps retrying one key this long, then gives up
    settle_seconds: float = 120.0  # after the chaos, wait at most this long for everything to be final
    failure_grace: float = 30.0  # a payment failing this long after the outage ended is not explained by it
    amount: int = 10_000
    seed: int | None = None


_WIPE = """
local cursor, n = "0", 0
repeat
  local found = redis.call("SCAN", cursor, "MATCH", ARGV[1], "COUNT", 1000)
  cursor = found[1]
  for _, key in ipairs(found[2]) do redis.call("DEL", key); n = n + 1 end
until cursor == "0"
return n
"""


@dataclass
class Answer:
    at: float  # seconds since the run started
    status: int | None  # None: no answer (connection error, timeout)
    body: Any = None  # the decoded JSON, or the text
    error: str | None = None  # the transport error's class
    replayed: bool = False

    @property
    def code(self) -> str | None:
        if isinstance(self.body, dict):
            return self.body.get("code") or (self.body.get("error") or {}).get("code")
        return None


@dataclass
class Payment:
    """One logical payment: its key, its body, and every answer its key got, in order."""

    key: str
    order_id: str
    body: bytes
    answers: list[Answer] = field(default_factory=list)
    last_timestamp: int = 0
    gave_up: bool = False

    @property
    def first_success(self) -> Answer | None:
        return next((a for a in self.answers if a.status is not None and 200 <= a.status < 300), None)


@dataclass
class Progress:
    """Live counts, for a progress display."""

    released: int = 0
    done: int = 0
    requests: int = 0
    transport_errors: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    kills: Counter[str] = field(default_factory=Counter)
    events: list[tuple[float, str]] = field(default_factory=list)
    phase: str = "starting"


@dataclass
class Verdict:
    counts: dict[str, int]  # the promises: each must be 0
    info: dict[str, Any]  # figures that explain them
    examples: dict[str, list[Any]]  # a few offending keys/rows per non-zero count

    @property
    def failed(self) -> dict[str, int]:
        return {k: v for k, v in self.counts.items() if v}

    def describe(self) -> str:
        lines = [f"{k}: {v}" for k, v in self.counts.items()]
        lines += [f"  ({k}: {v})" for k, v in self.info.items()]
        for k, rows in self.examples.items():
            for row in rows[:5]:
                lines.append(f"  e.g. {k}: {json.dumps(row, default=str)[:600]}")
        return "\n".join(lines)


class Processes:
    """What chaos needs from the running platform: SIGKILL a process by name and start it again. Works on
    `tests.fixtures.Platform` (its `start`/`kill`/`procs`)."""

    def __init__(self, platform: Any) -> None:
        self.platform = platform

    def kill(self, name: str) -> None:
        if name in self.platform.procs:
            self.platform.kill(name)

    def start(self, name: str) -> None:
        if name not in self.platform.procs:
            self.platform.start(name, *KILLABLE[name])

    def crashed(self) -> list[str]:
        """Processes that exited without chaos killing them, with their exit status (they are started again)."""
        dead = {n: p.returncode for n, p in list(self.platform.procs.items()) if p.poll() is not None}
        for name in dead:
            self.platform.procs.pop(name)
            if name in KILLABLE:
                self.start(name)
        return [f"{name} (exit status {code})" for name, code in dead.items()]


class Chaos:
    def __init__(
        self,
        platform: Any,
        client_key: str,
        salt: str,
        gateway_keys: list[str],
        cfg: ChaosConfig,
        *,
        progress: Progress | None = None,
    ) -> None:
        self.platform = platform
        self.procs = Processes(platform)
        self.cfg = cfg
        self.rng = random.Random(cfg.seed)
        self.gateway_keys = gateway_keys
        self.progress = progress or Progress()
        self.t0 = time.monotonic()
        self.run_id = uuid.uuid4().hex[:8]
        self.payments = [self._payment(i) for i in range(cfg.payments)]
        self.outage: tuple[float, float] | None = None  # wall-clock (epoch) start and end
        self.crashes: list[str] = []
        self.api_down: list[float] = []  # seconds from each restart of the api until it answered
        self._client_key, self._salt = client_key, salt
        self._stop = asyncio.Event()
        self._in_flight = asyncio.Semaphore(cfg.concurrency)

    def _payment(self, i: int) -> Payment:
        order_id = f"chaos-{self.run_id}-{i:05d}"
        body = json.dumps(
            {
                "amount": self.cfg.amount,
                "order_id": order_id,
                "currency": "INR",
                "notes": {"chaos": self.run_id},
            }
        ).encode()
        return Payment(key=str(uuid.uuid4()), order_id=order_id, body=body)

    def now(self) -> float:
        return time.monotonic() - self.t0

    def event(self, what: str) -> None:
        self.progress.events.append((round(self.now(), 1), what))

    # ---- clients ----------------------------------------------------------------------------------------

    async def send(self, http: httpx.AsyncClient, p: Payment) -> Answer:
        async with self._in_flight:
            # signed when it goes out, with a fresh timestamp and never the previous one: a retry must not be the
            # byte-identical request (it may be refused as a replay)
            ts = max(int(time.time()), p.last_timestamp + 1)
            p.last_timestamp = ts
            client = MerchantClient(self.platform.api_url, self._client_key, self._salt, http)
            headers = {**client.headers("POST", PAY_PATH, p.body, timestamp=ts), "Idempotency-Key": p.key}
            self.progress.requests += 1
            try:
                r = await http.post(
                    self.platform.api_url + PAY_PATH,
                    content=p.body,
                    headers=headers,
                    timeout=self.cfg.request_timeout,
                )
            except httpx.TransportError as e:
                self.progress.transport_errors += 1
                answer = Answer(self.now(), None, error=type(e).__name__)
            else:
                try:
                    body: Any = r.json()
                except ValueError:
                    body = r.text[:500]
                self.progress.statuses[r.status_code] += 1
                answer = Answer(
                    self.now(), r.status_code, body, replayed=r.headers.get("idempotent-replayed") == "true"
                )
        p.answers.append(answer)
        return answer

    @staticmethod
    def retryable(a: Answer) -> bool:
        return a.status is None or a.status >= 500 or (a.status == 409 and a.code in RETRY_CODES)

    async def pay(self, http: httpx.AsyncClient, p: Payment) -> None:
        """Until a 2xx or an answer a merchant cannot retry; with backoff; gives up after `retry_for`."""
        give_up_at = self.now() + self.cfg.retry_for
        pause = 0.2
        while True:
            a = await self.send(http, p)
            if not self.retryable(a):
                break
            if self.now() >= give_up_at:
                p.gave_up = True
                break
            await asyncio.sleep(pause * (0.5 + self.rng.random()))
            pause = min(pause * 2, 3.0)
        if a.status is not None and a.status < 300 and self.rng.random() < self.cfg.replay_fraction:
            await self.send(http, p)  # the client lost the answer and asks again: the same answer is due

    async def clients(self) -> None:
        """Payments arrive at their own pace, evenly over `seconds`, whatever happens to earlier ones: a merchant's
        shop does not stop taking orders while one payment's retries wait out a dead request's key. At most
        `concurrency` requests are in flight at once; a client backing off holds none."""
        n = len(self.payments)
        limits = httpx.Limits(
            max_connections=self.cfg.concurrency, max_keepalive_connections=self.cfg.concurrency
        )
        async with httpx.AsyncClient(limits=limits) as http:

            async def client(i: int, p: Payment) -> None:
                await asyncio.sleep(self.cfg.seconds * i / max(n, 1))
                self.progress.released += 1
                await self.pay(http, p)
                self.progress.done += 1

            await asyncio.gather(*(client(i, p) for i, p in enumerate(self.payments)))

    # ---- chaos ------------------------------------------------------------------------------------------

    async def _sleep_or_stop(self, seconds: float) -> bool:
        """Sleep; True when the chaos is over."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), timeout=max(seconds, 0))
        return self._stop.is_set()

    async def killer(self, name: str) -> None:
        while not await self._sleep_or_stop(self.rng.expovariate(1 / self.cfg.kill_every)):
            await asyncio.to_thread(self.procs.kill, name)
            self.progress.kills[name] += 1
            self.event(f"SIGKILL {name}")
            await asyncio.sleep(self.rng.uniform(0, self.cfg.down_for))
            await asyncio.to_thread(self.procs.start, name)
            if name == "api":
                await self._api_answers()

    async def _api_answers(self, timeout: float = 60.0) -> None:
        """Until the restarted api answers /health (or the chaos is over)."""
        started = self.now()
        async with httpx.AsyncClient(timeout=2) as http:
            while self.now() - started < timeout and not self._stop.is_set():
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get(f"{self.platform.api_url}/health")).status_code < 500:
                        self.api_down.append(round(self.now() - started, 1))
                        self.event(f"api answers again after {self.api_down[-1]} s")
                        return
                await asyncio.sleep(0.1)

    async def psp_outage(self) -> None:
        if await self._sleep_or_stop(self.cfg.seconds * self.cfg.outage_at):
            return
        await self.set_faults(http_5xx=502)
        start = time.time()
        self.event(f"PSP down (502) for {self.cfg.outage_seconds:.0f} s")
        try:
            await asyncio.sleep(self.cfg.outage_seconds)
        finally:
            await self.set_faults()
            self.outage = (start, time.time())
            self.event("PSP healed")

    async def set_faults(self, **faults: Any) -> None:
        async with httpx.AsyncClient(timeout=10) as c:
            for key_id in self.gateway_keys:
                r = await c.put(f"{self.platform.simulator_url}/_sim/accounts/{key_id}/faults", json=faults)
                r.raise_for_status()

    async def wipe_redis(self) -> None:
        if await self._sleep_or_stop(self.cfg.seconds * self.cfg.wipe_at):
            return
        # only this platform's queue keys: other processes share the Redis server
        prefix = self.platform.env["LSP_QUEUE_PREFIX"]
        r = aioredis.Redis.from_url(self.platform.env["LSP_REDIS_URL"])
        try:
            # in one script, so at one instant, as a Redis that restarts without its data loses everything: a
            # SCAN-then-DEL from here let a job added between the two survive in part (its hash without its
            # place in the wait list), which no real loss of Redis does
            wiped = await r.eval(_WIPE, 0, f"{prefix}:*")
        finally:
            await r.aclose()
        self.event(f"Redis wiped ({wiped} keys under {prefix}:)")

    async def watch_crashes(self) -> None:
        while not await self._sleep_or_stop(1.0):
            for name in await asyncio.to_thread(self.procs.crashed):
                self.crashes.append(name)
                self.event(f"{name} exited on its own; started again")

    # ---- the run ----------------------------------------------------------------------------------------

    async def run(self) -> Verdict:
        self.progress.phase = "payments under chaos"
        chaos = [
            asyncio.create_task(c)
            for c in (
                *(self.killer(name) for name in KILLABLE),
                self.psp_outage(),
                self.wipe_redis(),
                self.watch_crashes(),
            )
        ]
        try:
            await self.clients()
        finally:
            self._stop.set()
            await asyncio.gather(*chaos, return_exceptions=False)
            for name in KILLABLE:
                await asyncio.to_thread(self.procs.start, name)
            await self.set_faults()
        self.event("chaos over; every process running, the PSP healthy")
        self.progress.phase = "settling"
        settled = await self.settle()
        self.progress.phase = "replaying every key"
        await self.replay_all()
        # a key whose client gave up while the api was down is first accepted by its replay: wait for that work too
        self.progress.phase = "settling the replays"
        settled += await self.settle()
        self.progress.phase = "verdict"
        return await self.verdict(settled)

    async def settle(self) -> float:
        """Wait until every transaction is final and no job intent is pending; the seconds it took."""
        start = self.now()
        deadline = start + self.cfg.settle_seconds
        while self.now() < deadline:
            for name in await asyncio.to_thread(self.procs.crashed):
                self.crashes.append(name)
            open_txns, pending = await self._open_work()
            if open_txns == 0 and pending == 0:
                break
            await asyncio.sleep(1)
        return self.now() - start

    async def _open_work(self) -> tuple[int, int]:
        async with self._db() as conn:
            open_txns = (
                await conn.execute(
                    text(
                        "SELECT count(*) FROM transactions t JOIN clients c ON c.id = t.client_id "
                        "WHERE c.client_key = :k AND NOT (t.status = ANY(:final))"
                    ),
                    {"k": self._client_key, "final": list(FINAL_TXN_STATUSES)},
                )
            ).scalar_one()
            pending = await conn.execute(text("SELECT count(*) FROM job_intents WHERE status = 'pending'"))
            return int(open_txns), int(pending.scalar_one())

    async def replay_all(self) -> None:
        """Every key once more, after everything settled: the answer a client got must not have changed."""
        async with httpx.AsyncClient() as http:

            async def one(p: Payment) -> None:
                a = await self.send(http, p)
                for _ in range(3):  # the api is up now; a transport error here is a blip, not an answer
                    if a.status is not None:
                        break
                    await asyncio.sleep(1)
                    a = await self.send(http, p)

            await asyncio.gather(*(one(p) for p in self.payments))

    @contextlib.asynccontextmanager
    async def _db(self) -> Any:
        """A connection of the driver's own; connecting is retried for a while, since the box's PostgreSQL
        connection slots can be briefly exhausted by the platform's processes under chaos."""
        engine = create_async_engine(self.platform.env["LSP_DATABASE_URL"], pool_size=1)
        try:
            for attempt in range(30):
                try:
                    conn = await engine.connect()
                    break
                except (DBAPIError, OSError):
                    if attempt == 29:
                        raise
                    await asyncio.sleep(1)
            try:
                yield conn
            finally:
                await conn.close()
        finally:
            await engine.dispose()

    def ledger_check(self) -> list[dict[str, Any]]:
        r = subprocess.run(
            [sys.executable, "-m", "lightspeedpay.cli", "ledger", "check", "--json", "--no-alert"],
            env=self.platform.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        try:
            return list(json.loads(r.stdout or "[]"))
        except ValueError:
            return [{"check": "ledger check did not run", "message": (r.stdout + r.stderr)[-2000:]}]

    async def verdict(self, settled_in: float) -> Verdict:
        async with self._db() as conn:
            client_id = (
                await conn.execute(
                    text("SELECT id FROM clients WHERE client_key = :k"), {"k": self._client_key}
                )
            ).scalar_one()
            txns = (
                (
                    await conn.execute(
                        text(
                            "SELECT id::text, order_id, status, error_code, extract(epoch FROM created_at)::float8 AS created, "
                            "extract(epoch FROM updated_at)::float8 AS updated FROM transactions WHERE client_id = :c"
                        ),
                        {"c": client_id},
                    )
                )
                .mappings()
                .all()
            )
            intents = (
                (
                    await conn.execute(
                        text(
                            "SELECT status, name, last_error, count(*) AS n FROM job_intents GROUP BY status, name, last_error"
                        )
                    )
                )
                .mappings()
                .all()
            )
            # what a stuck intent was waiting for, to tell a lost job from a slow one
            pending = (
                (
                    await conn.execute(
                        text(
                            "SELECT id::text, name, payload, attempts, last_error, run_after, created_at, updated_at "
                            "FROM job_intents WHERE status = 'pending' ORDER BY created_at LIMIT 20"
                        )
                    )
                )
                .mappings()
                .all()
            )
        verdict = judge(
            self.payments,
            [dict(t) for t in txns],
            [dict(i) for i in intents],
            await asyncio.to_thread(self.ledger_check),
            outage=self.outage,
            failure_grace=self.cfg.failure_grace,
            extra={
                "settled in s": round(settled_in, 1),
                "kills": dict(self.progress.kills),
                "crashed on their own": Counter(self.crashes),
                "requests": self.progress.requests,
                "transport errors": self.progress.transport_errors,
                "clients that gave up before their replay": sum(p.gave_up for p in self.payments),
                "api down for (s, after each kill)": self.api_down,
            },
        )
        if pending:
            verdict.examples["pending job intents"] = [dict(row) for row in pending]
        return verdict


def judge(
    payments: list[Payment],
    txns: list[dict[str, Any]],
    intents: list[dict[str, Any]],
    ledger: list[dict[str, Any]],
    *,
    outage: tuple[float, float] | None,
    failure_grace: float,
    extra: dict[str, Any] | None = None,
) -> Verdict:
    """The verdict, from the clients' answers and the database's rows (a pure function: see its tests)."""
    by_order: dict[str, list[dict[str, Any]]] = {}
    for t in txns:
        by_order.setdefault(t["order_id"], []).append(t)
    txn_ids = {t["id"] for t in txns}
    ours = {p.order_id for p in payments}
    ex: dict[str, list[Any]] = {}

    def bad(kind: str, p: Payment | None, **more: Any) -> None:
        row = (
            {
                "key": p.key,
                "order_id": p.order_id,
                "answers": [(a.at, a.status, a.code or a.error) for a in p.answers],
            }
            if p
            else {}
        )
        ex.setdefault(kind, []).append({**row, **more})

    counts = Counter(
        {
            k: 0
            for k in (
                "lost",
                "doubled",
                "orphaned",
                "changed",
                "500s",
                "never accepted",
                "stuck",
                "failed outside the outage",
                "ledger violations",
            )
        }
    )
    statuses: Counter[str] = Counter()
    orphaned: dict[str, str] = {}  # key -> why
    for p in payments:
        for a in p.answers:
            statuses[
                str(a.status) + (f" {a.code}" if a.code else "") if a.status else f"no answer ({a.error})"
            ] += 1
            if a.status == 500:
                counts["500s"] += 1
                bad("500s", p, body=a.body)
        first = p.first_success
        rows = by_order.get(p.order_id, [])
        if len(rows) > 1:
            counts["doubled"] += 1
            bad("doubled", p, transactions=[r["id"] for r in rows])
        if first is None:
            counts["never accepted"] += 1
            bad("never accepted", p, gave_up=p.gave_up)
            if rows:
                orphaned[p.key] = "a transaction exists; its key never answered it"
                bad("orphaned", p, transaction=rows[0]["id"], why=orphaned[p.key])
            continue
        txn_id = first.body.get("transaction_id") if isinstance(first.body, dict) else None
        if txn_id not in txn_ids:
            counts["lost"] += 1
            bad("lost", p, transaction_id=txn_id)
        if rows and all(r["id"] != txn_id for r in rows):
            orphaned[p.key] = "the key answered another transaction than its order's"
            bad("orphaned", p, transaction=rows[0]["id"], answered=txn_id)
        if any(a.code == "DUPLICATE_ORDER_ID" for a in p.answers) and p.key not in orphaned:
            orphaned[p.key] = "a retry of the key answered DUPLICATE_ORDER_ID"
            bad("orphaned", p, why=orphaned[p.key])
        later = p.answers[p.answers.index(first) + 1 :]
        if any(a.status is not None and (a.status != first.status or a.body != first.body) for a in later):
            counts["changed"] += 1
            bad("changed", p, first=first.body)
    counts["orphaned"] = len(orphaned)
    unknown = [t for t in txns if t["order_id"] not in ours]
    counts["doubled"] += len(unknown)
    ex.setdefault("doubled", []).extend(
        {"unasked transaction": t["id"], "order_id": t["order_id"]} for t in unknown[:5]
    )
    txn_statuses = Counter(t["status"] for t in txns)
    for t in txns:
        if t["status"] not in FINAL_TXN_STATUSES:
            counts["stuck"] += 1
            ex.setdefault("stuck", []).append({"transaction": t["id"], "status": t["status"]})
        elif t["status"] in ("failed", "expired"):
            explained = (
                outage is not None and t["updated"] >= outage[0] and t["created"] <= outage[1] + failure_grace
            )
            if not explained:
                counts["failed outside the outage"] += 1
                ex.setdefault("failed outside the outage", []).append(
                    {"transaction": t["id"], "status": t["status"], "error_code": t["error_code"]}
                )
    intent_counts: Counter[str] = Counter()
    failed_intents: list[dict[str, Any]] = []
    for i in intents:
        intent_counts[i["status"]] += i["n"]
        if i["status"] == "pending" or (i["status"] == "failed" and not i["last_error"]):
            counts["stuck"] += i["n"]
            ex.setdefault("stuck", []).append(
                {"job intents": i["n"], "name": i["name"], "status": i["status"]}
            )
        elif i["status"] == "failed":
            failed_intents.append({"name": i["name"], "n": i["n"], "reason": (i["last_error"] or "")[:200]})
    counts["ledger violations"] = len(ledger)
    if ledger:
        ex["ledger violations"] = ledger[:5]
    info: dict[str, Any] = {
        "logical payments": len(payments),
        "accepted (2xx)": sum(1 for p in payments if p.first_success),
        "transactions": len(txns),
        "transaction statuses": dict(txn_statuses),
        "failed/expired error codes": dict(
            Counter(t["error_code"] for t in txns if t["status"] in ("failed", "expired"))
        ),
        "answers": dict(statuses.most_common()),
        "job intents": dict(intent_counts),
        "failed job intents (reported)": failed_intents,
        **(extra or {}),
    }
    return Verdict(dict(counts), info, ex)


def client_answers(payments: list[Payment]) -> list[dict[str, Any]]:
    """Every key's answers, for a results file."""
    return [
        {
            "key": p.key,
            "order_id": p.order_id,
            "gave_up": p.gave_up,
            "answers": [
                {
                    "at": round(a.at, 2),
                    "status": a.status,
                    "code": a.code,
                    "error": a.error,
                    "replayed": a.replayed,
                    "body": a.body,
                }
                for a in p.answers
            ],
        }
        for p in payments
    ]


async def run_chaos(
    platform: Any,
    client_key: str,
    salt: str,
    gateway_keys: list[str],
    cfg: ChaosConfig,
    *,
    progress: Progress | None = None,
    on_chaos: Callable[[Chaos], None] | None = None,
) -> tuple[Verdict, Chaos]:
    """Run a chaos round against a running platform for one merchant (its client key and salt) whose sandbox
    gateways are `gateway_keys` (simulator key ids, set to auto_outcome "success")."""
    chaos = Chaos(platform, client_key, salt, gateway_keys, cfg, progress=progress)
    if on_chaos:
        on_chaos(chaos)
    return await chaos.run(), chaos
