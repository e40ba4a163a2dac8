"""The API under test, started and stopped by the benchmark, and what is asked of it from outside."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

from .common import PY, ROOT
from .cpu import proc_table


class Api:
    """`lightspeedpay api --workers N`, started and stopped by the benchmark (only this process group)."""

    def __init__(self, env: dict[str, str], port: int, workers: int, log_path: Path) -> None:
        self.env, self.port, self.workers, self.log_path = env, port, workers, log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - lives as long as the process
        self.proc = subprocess.Popen(
            [PY, "-m", "lightspeedpay.cli", "api", "--workers", str(self.workers), "--port", str(self.port)],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def worker_pids(self) -> list[int]:
        assert self.proc is not None
        table = proc_table()
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
        out = subprocess.run(
            ["ss", "-Htnp", "state", "established", f"( sport = :{port} )"],
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    counts = Counter(int(m) for m in re.findall(r"pid=(\d+)", out))
    return [counts.get(pid, 0) for pid in pids]
