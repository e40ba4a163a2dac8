"""The load generator: signed raw HTTP/1.1 requests built before a phase, and a closed-loop driver over
keep-alive connections that records every latency (see bench/README.md, "The load generator")."""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from rich.progress import Progress

PATH = "/api/v1/pay"


def build_requests(creds: dict[str, str], port: int, tag: str, count: int) -> list[bytes]:
    """Signed raw HTTP/1.1 requests with unique order ids, all signed now (valid for the signature window).

    Every signature must be unique: the API accepts a signed POST once and answers the same bytes again with
    401 REQUEST_REPLAYED (auth/replay.py). The order id, and so the body and its signature, differ per request;
    `tag` must differ per phase (the caller puts run, gateway count and concurrency in it)."""
    from lightspeedpay.kit.signing import sign_merchant_request

    ts = str(int(time.time()))
    key, salt = creds["client_key"], creds["client_salt"]
    head = (
        f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"X-Client-Key: {key}\r\nX-Timestamp: {ts}\r\n"
    ).encode()
    out = []
    sigs = set()
    for i in range(count):
        body = b'{"amount":49900,"order_id":"%s-%d","currency":"INR"}' % (tag.encode(), i)
        sig = sign_merchant_request(salt, ts, "POST", PATH, body)
        sigs.add(sig)
        out.append(
            head + b"X-Signature: %s\r\nContent-Length: %d\r\n\r\n%s" % (sig.encode(), len(body), body)
        )
    if len(sigs) != count:  # built before the phase, so checking costs the measurement nothing
        raise RuntimeError(f"{count - len(sigs)} of {count} pre-built requests repeat a signature")
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
    redis: dict[str, float] = field(default_factory=dict)  # the Redis server's commands over the phase
    pgbench_tps: float | None = None
    pgbench: dict[str, Any] = field(default_factory=dict)
    profile: dict[str, Any] | None = None


def pct(sorted_vals: list[float], q: float) -> float | None:
    if not sorted_vals:
        return None
    idx = min(len(sorted_vals) - 1, max(0, math.ceil(q * len(sorted_vals)) - 1))  # nearest rank
    return round(sorted_vals[idx] * 1000, 2)


async def drive(
    requests: list[bytes],
    port: int,
    concurrency: int,
    warmup: float,
    seconds: float,
    progress: Progress,
    task: Any,
    on_measure_start: Any = None,
) -> dict[str, Any]:
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
                length = int(low[i + 15 : low.index(b"\r\n", i)]) if i >= 0 else 0
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
        per_second.append(
            {"second": sec, "completed": len(vals), "p50_ms": pct(vals, 0.5), "p99_ms": pct(vals, 0.99)}
        )
    lat.sort()
    completed = len(lat)
    errors = sum(v for k, v in statuses.items() if k != "201")
    return {
        "completed": completed,
        "rps": round(completed / seconds, 1),
        "p50_ms": pct(lat, 0.50),
        "p90_ms": pct(lat, 0.90),
        "p99_ms": pct(lat, 0.99),
        "max_ms": round(lat[-1] * 1000, 2) if lat else None,
        "mean_ms": round(sum(lat) / completed * 1000, 2) if completed else None,
        "errors": errors,
        "statuses": dict(statuses),
        "error_samples": samples,
        "exhausted": exhausted,
        "unfinished": len(pending),
        "per_second": per_second,
    }
