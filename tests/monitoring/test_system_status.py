"""System status (seed 003's `/api/v1/system/status`): every component — api, postgresql, redis, the scheduler,
each queue's workers, each active gateway's PSP, WhatsApp, Slack — ok, degraded or down, since when and why;
checks on demand recorded in system_status with their history; admin only."""

from __future__ import annotations

import signal
import uuid
from datetime import UTC, datetime

import httpx
from bullmq import Queue
from sqlalchemy import update

from lightspeedpay.config import get_settings
from lightspeedpay.gateways.service import gateway_service
from lightspeedpay.jobs import queues
from lightspeedpay.models import PaymentGateway, WhatsAppNotification
from tests.factories import create_merchant, create_sandbox_gateway, wait_for
from tests.fixtures import Platform

ADMIN = {"Authorization": f"Bearer {get_settings().admin_token}"}
CORE = ["api", "postgresql", "redis", "scheduler", *(f"queue:{q}" for q in queues.QUEUE_NAMES)]


def _components(body: dict) -> dict[str, dict]:
    return {c["component"]: c for c in body["components"]}


async def _check(http: httpx.AsyncClient) -> dict:
    r = await http.post("/api/v1/system/status/check")
    assert r.status_code == 200, r.text
    return r.json()


async def _until(http: httpx.AsyncClient, component: str, status: str, *, timeout: float = 30) -> dict:
    async def seen():
        body = await _check(http)
        return body if _components(body).get(component, {}).get("status") == status else None

    return await wait_for(seen, timeout=timeout, every=0.5, what=f"{component} to read {status}")


async def _all_core_ok(http: httpx.AsyncClient) -> dict:
    async def ok():
        body = await _check(http)
        c = _components(body)
        return body if all(c.get(name, {}).get("status") == "ok" for name in CORE) else None

    # the tables were emptied for this test: the workers and the scheduler beat again within 2 s
    return await wait_for(ok, timeout=30, every=0.5, what="every core component to read ok")


async def test_every_component_is_reported_with_its_details(platform, session):
    gw = await create_sandbox_gateway(session, platform.simulator_url)
    async with httpx.AsyncClient(base_url=platform.api_url, headers=ADMIN, timeout=30) as http:
        body = await _all_core_ok(http)
        c = _components(body)
        assert set(c) == {*CORE, f"gateway:{gw.name}", "whatsapp", "slack"}
        assert body["status"] == "ok"
        for item in body["components"]:
            assert item["checked_at"] == body["checked_at"]
            assert item["since"] <= item["checked_at"]
        # Slack is optional: judged by its deliveries when its webhook URL is set (none yet here), else reported
        # as not configured (tests/monitoring/test_health.py starts an API without it)
        if get_settings().slack_webhook_url:
            assert c["slack"]["status"] == "ok" and c["slack"]["reason"] == "no messages in the last hour"
        else:
            assert c["slack"]["status"] == "not_configured"
        assert c["whatsapp"]["status"] == "ok" and c["whatsapp"]["reason"] == "no messages in the last hour"
        assert c[f"gateway:{gw.name}"]["status"] == "ok"
        assert c[f"gateway:{gw.name}"]["details"]["provider"] == "sandbox"
        assert c["postgresql"]["details"]["seconds"] >= 0 and c["redis"]["details"]["seconds"] >= 0

        # each queue's workers: the platform's worker, alive, seen by its heartbeat and by BullMQ in Redis
        worker_pid = platform.procs["worker"].pid
        for name in queues.QUEUE_NAMES:
            details = c[f"queue:{name}"]["details"]
            mine = [w for w in details["workers"] if w["pid"] == worker_pid]
            assert mine and mine[0]["state"] == "alive", details
            assert mine[0]["rss_bytes"] > 0
            assert details["redis_connections"] >= 1 and details["paused"] is False

        # the scheduler: who leads, and each periodic task's schedule and last run with its duration
        sched = c["scheduler"]["details"]
        assert sched["leader"]["pid"] == platform.procs["scheduler"].pid
        tasks = {t["task"]: t for t in sched["tasks"]}
        assert tasks["status_check"]["schedule"] == "cron */10 * * * *"
        assert tasks["sweeper"]["schedule"] == "every 1s"

        async def sweeper_ran():
            b = await _check(http)
            t = {t["task"]: t for t in _components(b)["scheduler"]["details"]["tasks"]}["sweeper"]
            return t if t["last_outcome"] == "ok" else None

        sweeper = await wait_for(sweeper_ran, timeout=30, what="a recorded sweeper run")
        assert sweeper["last_duration_ms"] >= 0 and sweeper["last_finished_at"] >= sweeper["last_started_at"]

        # GET answers the latest recorded check
        latest = await _check(http)
        got = await http.get("/api/v1/system/status")
        assert got.status_code == 200
        assert got.json()["check_id"] == latest["check_id"]

        # the admin views of the same heartbeats
        workers = (await http.get("/api/v1/admin/workers")).json()["items"]
        assert worker_pid in [w["pid"] for w in workers if w["state"] == "alive"]
        scheduler = (await http.get("/api/v1/admin/scheduler")).json()
        assert scheduler["leader"]["pid"] == platform.procs["scheduler"].pid
        runs = (await http.get("/api/v1/admin/scheduler/runs", params={"task": "sweeper"})).json()["items"]
        assert runs and {r["task"] for r in runs} == {"sweeper"}
        assert runs[0]["started_at"] >= runs[-1]["started_at"]


async def test_a_gateway_reads_degraded_then_down_with_since_and_history(platform, session):
    gw = await create_sandbox_gateway(session, platform.simulator_url)
    key_id = gateway_service.account(gw).credentials["key_id"]
    component = f"gateway:{gw.name}"
    async with httpx.AsyncClient(base_url=platform.api_url, headers=ADMIN, timeout=30) as http:
        first = _components(await _check(http))[component]
        assert first["status"] == "ok"
        again = _components(await _check(http))[component]
        assert again["since"] == first["since"] and again["checked_at"] > first["checked_at"]

        await session.execute(
            update(PaymentGateway).where(PaymentGateway.id == gw.id).values(consecutive_failures=2)
        )
        await session.commit()
        body = await _check(http)
        degraded = _components(body)[component]
        assert degraded["status"] == "degraded"
        assert degraded["reason"] == "2 technical failures in a row"
        assert degraded["since"] == body["checked_at"]

        # the breaker trips; the PSP keeps failing, so the scheduler's probe cannot clear it
        async with httpx.AsyncClient(timeout=10) as sim:
            r = await sim.put(
                f"{platform.simulator_url}/_sim/accounts/{key_id}/faults", json={"http_5xx": True}
            )
            assert r.status_code == 200
        try:
            await session.execute(
                update(PaymentGateway)
                .where(PaymentGateway.id == gw.id)
                .values(temp_failed=True, temp_failed_at=datetime.now(UTC), consecutive_failures=5)
            )
            await session.commit()
            body = await _check(http)
            down = _components(body)[component]
            assert down["status"] == "down" and down["reason"].startswith("breaker tripped at ")
            assert down["since"] == body["checked_at"]
            assert body["status"] == "down"
            body = await _check(http)
            assert _components(body)[component]["since"] == down["since"]

            history = await http.get(
                "/api/v1/system/status/history", params={"component": component, "range": "1h"}
            )
            assert history.status_code == 200, history.text
            items = history.json()["items"]
            statuses = [i["status"] for i in items]
            # newest first; the scheduler's own check may have added a row in between
            assert [s for n, s in enumerate(statuses) if n == 0 or statuses[n - 1] != s] == [
                "down",
                "degraded",
                "ok",
            ]
            assert len(items) >= 5
            assert {i["component"] for i in items} == {component}
            everything = (await http.get("/api/v1/system/status/history", params={"range": "30m"})).json()
            assert {"api", "redis", component} <= {i["component"] for i in everything["items"]}
        finally:
            async with httpx.AsyncClient(timeout=10) as sim:
                await sim.put(f"{platform.simulator_url}/_sim/accounts/{key_id}/faults", content=b"")


async def test_whatsapp_reads_down_when_every_message_fails_and_degraded_when_some_do(platform, session):
    new = await create_merchant(session)

    def notice(status: str, error: str | None = None) -> WhatsAppNotification:
        return WhatsAppNotification(
            id=uuid.uuid4(),
            client_id=new.client.id,
            template="low_balance_template",
            type="LOW_BALANCE",
            to_phone="919800000001",
            payload_json={"parameters": []},
            status=status,
            attempts=4 if status == "failed" else 1,
            error=error,
            sent_at=datetime.now(UTC) if status == "sent" else None,
        )

    session.add_all(
        [notice("failed", "HTTP 503 from the Cloud API"), notice("failed", "HTTP 503 from the Cloud API")]
    )
    await session.commit()
    async with httpx.AsyncClient(base_url=platform.api_url, headers=ADMIN, timeout=30) as http:
        wa = _components(await _check(http))["whatsapp"]
        assert wa["status"] == "down"
        assert wa["reason"] == "all 2 messages of the last hour failed: HTTP 503 from the Cloud API"
        session.add(notice("sent"))
        await session.commit()
        wa = _components(await _check(http))["whatsapp"]
        assert wa["status"] == "degraded" and wa["reason"].startswith(
            "2 of 3 messages of the last hour failed"
        )


async def test_a_queue_reads_degraded_when_paused_or_a_worker_dies_and_the_scheduler_down_without_leader(
    platform, session
):
    name = queues.REFUNDS
    component = f"queue:{name}"
    q = Queue(name, {"connection": platform.env["LSP_REDIS_URL"], "prefix": platform.env["LSP_QUEUE_PREFIX"]})
    own = Platform(env=dict(platform.env))
    async with httpx.AsyncClient(base_url=platform.api_url, headers=ADMIN, timeout=30) as http:
        await _all_core_ok(http)
        try:
            await q.pause()
            paused = _components(await _check(http))[component]
            assert paused["status"] == "degraded" and paused["reason"] == "the queue is paused"
        finally:
            await q.resume()
            await q.close()
        await _until(http, component, "ok")

        # a second worker on the queue, then killed: one of two down (3 silent beats of 2 s)
        extra = own.start("worker-status-extra", "worker", "--queue", name)

        async def two_alive():
            body = await _check(http)
            d = _components(body)[component]["details"]
            return body if d["alive"] == 2 else None

        await wait_for(two_alive, timeout=60, what="the second worker's heartbeat")
        own.kill("worker-status-extra", signal.SIGKILL)
        # Redis drops the dead worker's connections at once: "beating but not connected" until its heartbeat,
        # silent for 3 beats, says down
        body = await _until(http, component, "degraded")
        first = _components(body)[component]["reason"]
        assert f":{extra.pid}:" in first and (
            first.startswith("beating but not connected to Redis: ")
            or first.startswith("1 of 2 workers down (")
        ), first

        async def down():
            b = await _check(http)
            reason = _components(b)[component]["reason"] or ""
            return b if reason.startswith("1 of 2 workers down (") else None

        body = await wait_for(down, timeout=30, every=0.5, what="the killed worker to read down")
        reason = _components(body)[component]["reason"]
        assert f":{extra.pid}:" in reason and _components(body)[component]["status"] == "degraded"
        # the other queues lost no worker
        assert _components(body)[f"queue:{queues.SETTLEMENTS}"]["status"] == "ok"

        # no scheduler: down, with the last leader's beat in the reason
        platform.kill("scheduler")
        try:
            body = await _until(http, "scheduler", "down")
            reason = _components(body)["scheduler"]["reason"]
            assert reason.startswith("no scheduler leads: periodic work is not running (the last one beat ")
        finally:
            platform.start("scheduler", "scheduler")
        await _until(http, "scheduler", "ok")


async def test_system_status_needs_the_admin_token_and_a_sane_range(platform):
    async with httpx.AsyncClient(base_url=platform.api_url, timeout=30) as http:
        for method, path in [
            ("GET", "/api/v1/system/status"),
            ("POST", "/api/v1/system/status/check"),
            ("GET", "/api/v1/system/status/history"),
            ("GET", "/api/v1/admin/workers"),
            ("GET", "/api/v1/admin/scheduler"),
            ("GET", "/api/v1/admin/scheduler/runs"),
        ]:
            r = await http.request(method, path)
            assert r.status_code == 401, (path, r.text)
            assert r.json()["error"]["code"] == "UNAUTHORIZED"
        for bad in ["200d", "0h", "abc", "-1h", "1.5h", "31d"]:
            r = await http.get("/api/v1/system/status/history", params={"range": bad}, headers=ADMIN)
            assert r.status_code == 422, (bad, r.text)
            assert r.json()["error"]["code"] == "VALIDATION_ERROR" and r.json()["error"]["field"] == "range"
        r = await http.get("/api/v1/admin/scheduler/runs", params={"range": "8d"}, headers=ADMIN)
        assert r.status_code == 422 and r.json()["error"]["field"] == "range"
        r = await http.get("/api/v1/system/status/history", params={"limit": 0}, headers=ADMIN)
        assert r.status_code == 422
