"""py-spy on the API workers during a phase, and the summary of its raw (folded) stacks."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

from .common import PY, ROOT, console
from .pg import sample_pg_activity

PY_SPY = str(Path(PY).parent / "py-spy")


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
        return path[len(root) :]
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
    (
        "initiation SQL (SQLAlchemy + asyncpg)",
        ("lightspeedpay/payments/repository.py", "lightspeedpay/gateways/repository.py"),
    ),
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
        return [
            {
                "name": key if isinstance(key, str) else f"{key[0]}  ({key[1]})",
                "samples": n,
                "share": round(n / total, 4),
            }
            for key, n in counter.most_common(k)
        ]

    app_incl = Counter({k: v for k, v in incl.items() if k[1].startswith("lightspeedpay/")})
    return {
        "samples": total,
        "cpu_seconds": round(total / rate, 2),
        "samples_per_worker": per_file,
        # py-spy counts a thread as active when Linux says it is runnable: on a CPU *or waiting for one*
        "active_share_per_worker": [round(n / (rate * seconds), 3) for n in per_file],
        "worker_cores": round(total / rate / seconds, 2),
        "top_own": top(own, 25),
        "components": top(comp, 14),
        "stages": top(stage, 12),
        "app_inclusive": top(app_incl, 12),
        "raw_files": [str(p.relative_to(ROOT)) for p in raw_files],
    }


class PhaseProfiler:
    """py-spy on each API worker and pg_stat_activity sampling over one phase's measured window."""

    def __init__(
        self, workers: list[int], raw_files: list[Path], seconds: int, rate: int, database_url: str
    ) -> None:
        self.workers, self.raw_files, self.seconds, self.rate = workers, raw_files, seconds, rate
        self.database_url = database_url
        self._spy: list[asyncio.Future[asyncio.subprocess.Process]] = []
        self._stop_pg = asyncio.Event()
        self._pg_task: asyncio.Future[dict[str, Any]] | None = None

    def start(self) -> None:
        """Called by the load driver when the measured window opens (not awaited: the phase is running)."""
        for pid, out in zip(self.workers, self.raw_files, strict=True):
            self._spy.append(
                asyncio.ensure_future(
                    asyncio.create_subprocess_exec(
                        PY_SPY,
                        "record",
                        "--pid",
                        str(pid),
                        "--duration",
                        str(self.seconds),
                        "--rate",
                        str(self.rate),
                        "--format",
                        "raw",
                        "--full-filenames",
                        "--nonblocking",
                        "--output",
                        str(out),
                        stdout=asyncio.subprocess.DEVNULL,
                        stderr=asyncio.subprocess.PIPE,
                    )
                )
            )
        self._pg_task = asyncio.ensure_future(sample_pg_activity(self.database_url, self._stop_pg))

    async def finish(self) -> dict[str, Any]:
        self._stop_pg.set()
        prof: dict[str, Any] = {}
        errs = []
        before = os.times()
        for fut in self._spy:
            proc = await fut
            _, err = await proc.communicate()
            if proc.returncode:
                errs.append(err.decode(errors="replace")[-300:])
        after = os.times()
        prof["py_spy"] = summarise_profile(self.raw_files, self.seconds, self.rate)
        # py-spy's own CPU: it is a reaped child of this process
        prof["py_spy_cpu_cores"] = round(
            (after.children_user + after.children_system - before.children_user - before.children_system)
            / self.seconds,
            3,
        )
        if errs:
            prof["py_spy_error"] = " | ".join(errs)
        if self._pg_task is not None:
            prof["pg_activity"] = await self._pg_task
        return prof
