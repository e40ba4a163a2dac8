"""CPU accounting from /proc: per process tree, per watched process, machine-wide, and CPU pressure."""

from __future__ import annotations

import os
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_table() -> dict[int, tuple[int, int, int]]:
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
        rest = data[data.rindex(b")") + 2 :].split()
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


def system_cpu() -> dict[str, int]:
    with open("/proc/stat") as f:
        user, nice, system, idle, iowait, irq, softirq, steal = (int(x) for x in f.readline().split()[1:9])
    return {
        "busy": user + nice + system + irq + softirq + steal,
        "total": user + nice + system + idle + iowait + irq + softirq + steal,
        "irq": irq + softirq,
    }


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
        table = self._table = proc_table()
        vals = {name: _tree_ticks(table, pid) / CLK_TCK for name, pid in self.roots.items() if pid}
        t = os.times()
        vals["loadgen"] = t.user + t.system
        vals["tools"] = t.children_user + t.children_system  # reaped children: pgbench, py-spy
        for name, pid in self.watch.items():
            vals[f"_w_{name}"] = table.get(pid, (0, 0, 0))[1] / CLK_TCK
            vals[f"_v_{name}"], vals[f"_i_{name}"] = _ctx_switches(pid)
        sysc = system_cpu()
        vals["_busy"], vals["_total"], vals["_irq"] = (
            sysc["busy"] / CLK_TCK,
            sysc["total"] / CLK_TCK,
            sysc["irq"] / CLK_TCK,
        )
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
                    cmd = (
                        Path(f"/proc/{pid}/cmdline")
                        .read_bytes()
                        .replace(b"\0", b" ")
                        .decode(errors="replace")
                    )
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
        out["other"] = round(
            max(
                out["machine_busy"] - sum(out[k] for k in out if k not in ("machine_busy", "irq_softirq")), 0
            ),
            3,
        )
        if "_psi" in d:
            out["cpu_pressure"] = round(d["_psi"] / wall, 3)  # share of time some task waited for a CPU
        out["workers"] = {
            name: {
                "cores": round(d[f"_w_{name}"] / wall, 3),
                "voluntary_switches": int(d[f"_v_{name}"]),
                "involuntary_switches": int(d[f"_i_{name}"]),
            }
            for name in self.watch
        }
        out["other_processes"] = self._others(wall)
        out["wall"] = round(wall, 3)
        return out
