"""The printed report (per-gateway-count table, chart, profile, summary) and the JSON results file."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from rich.table import Table
from rich.text import Text

from .common import RESULTS, console
from .load import PhaseResult

AIM_RPS, AIM_P99_MS, AIM_CONCURRENCY = 600.0, 100.0, 64


def fmt(v: float | None, spec: str = ".1f") -> str:
    return "—" if v is None else format(v, spec)


def print_table(gateways: int, phases: list[PhaseResult], workers: int) -> None:
    t = Table(
        title=f"POST /api/v1/pay — {gateways} gateway{'s' if gateways != 1 else ''} in the pool, "
        f"{workers} API workers",
        title_justify="left",
    )
    for col, just in (
        ("concurrency", "right"),
        ("initiations/s", "right"),
        ("p50 ms", "right"),
        ("p99 ms", "right"),
        ("errors", "right"),
        ("pgbench -N tps", "right"),
        ("vs pgbench", "right"),
        ("CPU cores api·pg·redis·gen·other = busy", "left"),
        ("db xacts/req", "right"),
    ):
        t.add_column(col, justify=just)  # type: ignore[arg-type]
    for ph in phases:
        c = ph.cpu_cores
        cpu = (
            f"{c.get('api', 0):.2f}·{c.get('postgres', 0):.2f}·{c.get('redis', 0):.2f}·{c.get('loadgen', 0):.2f}"
            f"·{c.get('other', 0):.2f} = {c.get('machine_busy', 0):.2f}/{os.cpu_count()}"
        )
        ratio = f"{ph.rps / ph.pgbench_tps:.0%}" if ph.pgbench_tps else "—"
        errs = Text(str(ph.errors), style="red" if ph.errors else "")
        if c.get("other", 0) > 0.1:
            cpu += " ⚠ other load"
        flag = " ⚠ ran out of requests" if ph.exhausted else ""
        t.add_row(
            str(ph.concurrency),
            f"{ph.rps:,.0f}{flag}",
            fmt(ph.p50_ms),
            fmt(ph.p99_ms),
            errs,
            fmt(ph.pgbench_tps, ",.0f"),
            ratio,
            cpu,
            fmt(ph.db.get("xacts_per_req"), ".2f"),
        )
    console.print(t)
    for ph in phases:
        c = ph.cpu_cores
        okn = max(ph.statuses.get("201", 0), 1)
        ws = c.get("workers", {})
        inv = sum(w["involuntary_switches"] for w in ws.values()) / okn
        per_s = [x for x in ph.per_second if x["completed"]]
        spread = (
            f"per-second rate {min(x['completed'] for x in per_s):,}–{max(x['completed'] for x in per_s):,}, "
            f"worst 1-s p99 {max(x['p99_ms'] or 0 for x in per_s):.1f} ms; "
            if per_s
            else ""
        )
        console.print(
            f"  c={ph.concurrency}: {spread}p90 {fmt(ph.p90_ms)} ms, max {fmt(ph.max_ms)} ms; "
            f"connections per worker {ph.connections_per_worker}; worker CPU "
            f"{'/'.join(format(w['cores'], '.2f') for w in ws.values())} cores; "
            f"CPU pressure {c.get('cpu_pressure', 0):.0%} of the time; "
            f"{ph.db.get('new_sessions_per_s', 0):g} new PostgreSQL connections/s; "
            f"Redis (whole server) {ph.redis.get('commands_per_s', 0):,.0f} commands/s, "
            f"{ph.redis.get('commands_per_req', 0):.1f} per initiation; "
            f"{inv:.2f} worker preemptions/request",
            style="grey50",
        )
        if c.get("other", 0) > 0.1 and c.get("other_processes"):
            console.print(
                "      other load: "
                + "; ".join(f"{o['cores']:.2f} cores {o['cmdline'][:70]}" for o in c["other_processes"][:2]),
                style="yellow",
            )
        if ph.errors:
            console.print(
                f"  c={ph.concurrency}: answers {ph.statuses}; e.g. {ph.error_samples[:2]}", style="red"
            )
        if ph.profile is not None:
            console.print(
                f"  c={ph.concurrency} was profiled (py-spy attached): its figures carry that overhead",
                style="yellow",
            )


def print_chart(gateways: int, phases: list[PhaseResult], scale_max: float) -> None:
    width = 46
    console.print(
        f"[bold]throughput vs PostgreSQL ceiling — {gateways} gateway(s)[/]  "
        f"(█ initiations/s, ░ pgbench -N tps; full width = {scale_max:,.0f}/s)"
    )

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
        console.print(
            f"  py-spy: {spy['samples']:,} samples of active (non-idle) worker threads; py-spy itself "
            f"used {prof.get('py_spy_cpu_cores', 0):.2f} cores; raw: {', '.join(spy['raw_files'])}"
        )
        ws = list(ph.cpu_cores.get("workers", {}).values())
        for i, (active, w) in enumerate(zip(spy.get("active_share_per_worker", []), ws, strict=False)):
            console.print(
                f"  worker {i + 1}: active (running or runnable) {active:.0%} of the time, on a CPU "
                f"{w['cores']:.0%} (/proc) → waiting for a CPU ≈ {max(active - w['cores'], 0):.0%}, "
                f"idle {max(1 - active, 0):.0%}"
            )
        for title, key, k in (
            ("where the request's CPU goes (by innermost app/library stage)", "stages", 12),
            ("own time by package", "components", 10),
            ("top functions by own time", "top_own", 20),
            ("app functions, inclusive time", "app_inclusive", 8),
        ):
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
        t = Table(
            title=f"API's PostgreSQL backends, sampled {pga['snapshots']}× (share of backend-samples, "
            "average backends in that state)",
            title_justify="left",
            show_edge=False,
            pad_edge=False,
        )
        t.add_column("share", justify="right")
        t.add_column("avg backends", justify="right")
        t.add_column("state · wait event")
        for row in pga["states"]:
            t.add_row(f"{row['share']:.1%}", f"{row['avg_backends']:.1f}", row["name"])
        console.print(t)
        console.print(
            "  active statements sampled: "
            + ", ".join(f"{q['name']} ×{q['samples']}" for q in pga["active_queries"])
        )
    db = ph.db
    if db:
        console.print(
            f"  per initiation: {db.get('xacts_per_req')} PostgreSQL transactions, "
            f"{db.get('wal_syncs_per_req')} WAL syncs, {db.get('wal_bytes_per_req')} WAL bytes"
        )
    console.print()


def write_results(report: dict[str, Any], stamp: str) -> Path:
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
        t.add_row(
            str(r["gateways"]), *[f"{ph['rps']:,.0f} ({fmt(ph['p99_ms'], '.0f')})" for ph in r["phases"]]
        )
    console.print(t)
