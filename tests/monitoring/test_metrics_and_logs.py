"""Issue 9: Prometheus `/metrics` in multiprocess mode and JSON logs with the request id, over real processes.

A second API with two uvicorn workers (LSP_API_WORKERS=2) runs beside the session's platform, and the session's
queue worker is replaced by one at INFO; both log JSON to files of their own. Payments go through the two API
workers until both have served some; whichever worker answers a scrape, the counts are the sums over every
process of the host: both API workers, the queue worker and the session's own API."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from lightspeedpay.config import get_settings
from lightspeedpay.kit.readiness import wait_http
from lightspeedpay.models import JobIntent
from lightspeedpay.models.job_intent import JobIntentStatus
from lightspeedpay.monitoring.metrics import directory
from tests.factories import create_merchant, create_sandbox_gateway, merchant_client, wait_for
from tests.fixtures import LOG_DIR, Platform
from tests.net import free_port

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@dataclass
class Observed:
    api_url: str
    api: Any  # the Popen of the two-worker API's supervisor
    logs: dict[str, tuple[Path, int]]  # name -> (file, where this run starts in it)
    metrics_dir: Path

    def lines(self, name: str) -> list[str]:
        path, start = self.logs[name]
        return path.read_bytes()[start:].decode(errors="replace").splitlines()


def _children(pid: int) -> set[int]:
    """The uvicorn worker processes of an API started with several workers (multiprocessing's spawned children;
    not its resource tracker)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid and b"spawn_main" in cmdline:
                found.add(int(entry.name))
    return found


@pytest.fixture(scope="module")
def observed(platform: Platform) -> Iterator[Observed]:
    port = free_port()
    env = {
        **platform.env,
        "LSP_API_WORKERS": "2",
        "LSP_API_PORT": str(port),
        "LSP_LOG_JSON": "true",
        "LSP_LOG_LEVEL": "INFO",
        "LSP_METRICS_CACHE_SECONDS": "0",
    }
    extra = Platform(env=env)
    names = ("api-2workers", "worker-json")
    logs = {}
    for name in names:
        path = LOG_DIR / f"{name}.log"
        logs[name] = (path, path.stat().st_size if path.exists() else 0)
    platform.kill("worker", signal.SIGTERM)  # lets go of its jobs; the JSON worker takes over
    try:
        api = extra.start("api-2workers", "api")
        extra.start("worker-json", "worker")
        wait_http(f"http://127.0.0.1:{port}/health", 60)
        yield Observed(f"http://127.0.0.1:{port}", api, logs, directory())
    finally:
        extra.stop_all()
        platform.start("worker", "worker")
        _wait_for_a_worker(platform)


def _wait_for_a_worker(platform: Platform) -> None:
    """The next tests expect the session's worker to be serving the queues again."""
    deadline = time.monotonic() + 60
    headers = {"Authorization": f"Bearer {get_settings().admin_token}"}
    while time.monotonic() < deadline:
        r = httpx.get(f"{platform.api_url}/api/v1/admin/queues", headers=headers, timeout=10)
        if r.status_code == 200 and all(q["workers"] >= 1 for q in r.json()["items"]):
            return
        time.sleep(0.5)
    raise AssertionError("the session's worker did not come back within 60 s")


async def scrape(url: str) -> Samples:
    async with httpx.AsyncClient(timeout=15) as http:  # a new connection: any worker may answer
        r = await http.get(f"{url}/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    out: Samples = {}
    for family in text_string_to_metric_families(r.text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def _pay(api_url: str, new: Any) -> str:
    async with httpx.AsyncClient(timeout=30) as http:  # one connection per payment, spread over the workers
        signed = merchant_client(api_url, new, http)
        r = await signed.pay(amount=5_000)
    assert r.status_code == 201, r.text
    return str(r.json()["transaction_id"])


async def _paid(client: Any, txn_ids: list[str]) -> None:
    async def all_paid() -> bool:
        for txn_id in txn_ids:
            t = (await client.get(f"/api/v1/transactions/{txn_id}")).json()
            if t["status"] != "paid":
                return False
        return True

    await wait_for(all_paid, timeout=60, what=f"{len(txn_ids)} payments to be paid")


async def test_metrics_are_summed_over_every_process_of_the_host(observed, platform, session):
    new = await create_merchant(session)
    gw_name = f"metrics_{uuid.uuid4().hex[:6]}"
    gateway = await create_sandbox_gateway(
        session, platform.simulator_url, name=gw_name, auto_outcome="success"
    )
    gateway_id = gateway.id
    before = await scrape(observed.api_url)

    workers = _children(observed.api.pid)
    assert len(workers) == 2, workers
    txn_ids: list[str] = []
    while True:
        txn_ids += await asyncio.gather(*(_pay(observed.api_url, new) for _ in range(6)))
        # uvicorn replaces a worker that stops answering its health check: count every worker seen
        workers |= _children(observed.api.pid)
        served = {pid for pid in workers if (observed.metrics_dir / f"histogram_{pid}.db").exists()}
        if len(served) >= 2 or len(txn_ids) >= 120:
            break
    assert len(served) >= 2, "the payments did not reach both API workers"
    sent = len(txn_ids)
    async with httpx.AsyncClient(timeout=30) as http:
        await _paid(merchant_client(platform.api_url, new, http), txn_ids)

    async def settled() -> Samples | None:
        after = await scrape(observed.api_url)
        labels = {"status": "paid", "gateway": gw_name, "provider": "sandbox"}
        paid = value(after, "lsp_payments_total", **labels) - value(before, "lsp_payments_total", **labels)
        return after if paid >= sent else None

    after = await wait_for(settled, timeout=20, what="the paid payments to be counted")

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    # counted by the two API workers
    assert delta("lsp_payment_initiation_seconds_count", outcome="created") == sent
    assert delta("lsp_payments_total", status="created", gateway=gw_name, provider="sandbox") == sent
    # counted by the queue worker, another process
    assert delta("lsp_payments_total", status="pending", gateway=gw_name, provider="sandbox") == sent
    assert delta("lsp_payments_total", status="paid", gateway=gw_name, provider="sandbox") == sent
    assert delta("lsp_jobs_total", task="transaction.process", result="completed") == sent
    assert (
        delta("lsp_psp_call_seconds_count", gateway=gw_name, provider="sandbox", outcome="http_2xx") >= sent
    )

    # whichever worker answers, every scrape says the same
    scrapes = [await scrape(observed.api_url) for _ in range(8)]
    assert {value(s, "lsp_payment_initiation_seconds_count", outcome="created") for s in scrapes} == {
        value(after, "lsp_payment_initiation_seconds_count", outcome="created")
    }
    # the session's own single-process API reads the same directory: the same figures
    same = await scrape(platform.api_url)
    assert value(same, "lsp_payments_total", status="created", gateway=gw_name, provider="sandbox") == value(
        after, "lsp_payments_total", status="created", gateway=gw_name, provider="sandbox"
    )

    # read at scrape time: BullMQ counts, unfinished intents, the breaker
    session.add(
        JobIntent(
            id=uuid.uuid4(),
            queue="settlements",
            name="settlement.process",
            payload={"settlement_id": str(uuid.uuid4())},
            status=JobIntentStatus.PARKED,
            attempts=0,
        )
    )
    await session.commit()
    latest = await scrape(observed.api_url)
    assert value(latest, "lsp_job_intents", queue="settlements", status="parked") == 1
    assert value(latest, "lsp_queue_jobs", queue="transaction-processing", state="completed") >= 1
    assert (("lsp_queue_paused", frozenset({("queue", "refunds")}))) in latest
    assert value(latest, "lsp_gateway_breaker_open", gateway=gw_name, provider="sandbox") == 0
    assert value(latest, "lsp_metrics_source_up", source="postgresql") == 1
    assert value(latest, "lsp_metrics_source_up", source="redis") == 1
    async with httpx.AsyncClient(
        base_url=observed.api_url, headers={"Authorization": f"Bearer {get_settings().admin_token}"}
    ) as admin:
        # the scheduler's probe (every second here) clears a breaker whose PSP answers, so it may close again
        # between the PATCH and the scrape: then the row says so too, and the trip is tried again
        for _ in range(5):
            r = await admin.patch(f"/api/v1/admin/gateways/{gateway_id}", json={"temp_failed": True})
            assert r.status_code == 200, r.text
            tripped = await scrape(observed.api_url)
            if value(tripped, "lsp_gateway_breaker_open", gateway=gw_name, provider="sandbox") == 1:
                break
            row = await admin.get(f"/api/v1/admin/gateways/{gateway_id}")
            assert row.json()["temp_failed"] is False, "the breaker is open but the scrape says closed"
        assert value(tripped, "lsp_gateway_breaker_open", gateway=gw_name, provider="sandbox") == 1
        r = await admin.patch(f"/api/v1/admin/gateways/{gateway_id}", json={"temp_failed": False})
        assert r.status_code == 200, r.text

    # live processes of this host: the session's API and the two workers here, one queue worker, one scheduler
    async def live() -> Samples | None:
        now = await scrape(observed.api_url)
        expected = 1 + len(_children(observed.api.pid))
        return now if value(now, "lsp_processes", kind="api") == expected == 3 else None

    now = await wait_for(live, timeout=30, what="lsp_processes to count this host's API processes")
    assert value(now, "lsp_processes", kind="worker") == 1
    assert value(now, "lsp_processes", kind="scheduler") == 1


async def test_a_killed_worker_leaves_the_live_figures_but_not_the_counts(observed, platform, session):
    """A worker killed outright is marked dead at the next scrape (mark_process_dead): it no longer counts as a
    live process, and what it counted stays in the sums, as counters must."""
    before = await scrape(platform.api_url)
    victim = min(_children(observed.api.pid))
    os.kill(victim, signal.SIGKILL)

    async def reaped() -> Samples | None:
        now = await scrape(platform.api_url)
        live = 1 + len(_children(observed.api.pid))  # uvicorn may start a replacement
        # the replacement can make the count right before a scrape has marked the victim dead: wait for both
        gone = not list(observed.metrics_dir.glob(f"gauge_live*_{victim}.db"))
        return now if gone and value(now, "lsp_processes", kind="api") == live else None

    after = await wait_for(reaped, timeout=60, what="the killed worker to leave lsp_processes")
    assert not list(observed.metrics_dir.glob(f"gauge_live*_{victim}.db"))
    for key, counted in before.items():
        if key[0] in ("lsp_payments_total", "lsp_payment_initiation_seconds_count"):
            assert after.get(key, 0.0) >= counted, key


def _json_lines(lines: list[str]) -> list[dict[str, Any]]:
    out = []
    for line in lines:
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except ValueError:
            raise AssertionError(f"a log line that is not JSON: {line!r}") from None
    return out


async def test_one_request_id_runs_through_the_api_and_worker_logs(observed, platform, session):
    new = await create_merchant(session)
    await create_sandbox_gateway(session, platform.simulator_url, auto_outcome="success")
    rid = f"req_logs_{uuid.uuid4().hex[:12]}"
    async with httpx.AsyncClient(timeout=30) as http:
        client = merchant_client(observed.api_url, new, http)
        http.headers["X-Request-Id"] = rid
        r = await client.pay(amount=7_000)
        assert r.status_code == 201, r.text
        assert r.headers["x-request-id"] == rid
        refused = await client.pay(amount=-1)  # an error answer is logged under the id too
        assert refused.status_code == 422

    def worker_lines() -> list[dict[str, Any]]:
        return [
            line
            for line in _json_lines(observed.lines("worker-json"))
            if line.get("request_id") == rid and line.get("event") == "job_completed"
        ]

    async def job_logged() -> list[dict[str, Any]]:
        return worker_lines()

    done = await wait_for(job_logged, timeout=30, what="the worker's line for the request's job")
    assert {line["task"] for line in done} >= {"transaction.process"}

    api_lines = _json_lines(observed.lines("api-2workers"))  # every line JSON: the production format
    mine = [line for line in api_lines if line.get("request_id") == rid]
    assert {(line["event"], line["path"], line["status"]) for line in mine} == {
        ("request", "/api/v1/pay", 201),
        ("request", "/api/v1/pay", 422),
    }
    assert all(
        line["level"] == "info" and "timestamp" in line and line["client"] == "127.0.0.1" for line in mine
    )
    # every line of either file that names the request carries it as its request_id
    for name in ("api-2workers", "worker-json"):
        for line in _json_lines(observed.lines(name)):
            if rid in json.dumps(line):
                assert line.get("request_id") == rid, line
    # no line leaks a secret of the request (the merchant's salt signs it; the signature is not logged)
    text = "\n".join(observed.lines("api-2workers"))
    assert new.client_salt not in text and "X-Signature" not in text


async def test_a_host_without_an_api_serves_its_counts_with_the_metrics_server(observed, platform, session):
    """A worker-only host runs `lightspeedpay metrics-server`: the same directory, the same sums (the
    scrape-time figures are the API hosts' to give)."""
    new = await create_merchant(session)
    gw_name = f"exporter_{uuid.uuid4().hex[:6]}"
    await create_sandbox_gateway(session, platform.simulator_url, name=gw_name, auto_outcome="success")
    async with httpx.AsyncClient(timeout=30) as http:
        client = merchant_client(platform.api_url, new, http)
        r = await client.pay(amount=3_000)
        assert r.status_code == 201, r.text
        await _paid(client, [r.json()["transaction_id"]])
    port = free_port()
    exporter = Platform(env=dict(platform.env)).start("metrics-server", "metrics-server", "--port", str(port))
    try:
        wait_http(f"http://127.0.0.1:{port}/metrics", 30)
        labels = {"status": "paid", "gateway": gw_name, "provider": "sandbox"}

        async def agreed() -> Samples | None:
            served = await scrape(f"http://127.0.0.1:{port}")
            api = await scrape(platform.api_url)
            both = value(served, "lsp_payments_total", **labels), value(api, "lsp_payments_total", **labels)
            return served if both == (1.0, 1.0) else None

        served = await wait_for(agreed, timeout=20, what="the exporter and the API to agree")
        assert not any(name == "lsp_queue_jobs" for name, _ in served)
    finally:
        exporter.terminate()
        exporter.wait(timeout=15)
