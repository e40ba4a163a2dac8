"""The streams' routes: the admin token in the header and nowhere else, coded errors, a snapshot first on every
stream; the gateway stream follows a breaker that trips and recovers and an operator's change; the queue stream
gets the scheduler's samples; when the hub loses Redis every stream is told to reconnect, and the hub comes back."""

from __future__ import annotations

import httpx
import redis.asyncio as redis

from lightspeedpay.config import get_settings
from lightspeedpay.gateways.routing import routing_service
from lightspeedpay.jobs import queues
from lightspeedpay.jobs.unit_of_work import unit_of_work
from tests.factories import create_merchant, create_sandbox_gateway, jobs_settled, merchant_client
from tests.streams.support import Listener, admin_headers, stop_all, until

ADMIN = "/api/v1/admin/streams"


async def test_errors_are_coded_and_the_admin_token_goes_in_the_header_only(platform, session):
    new = await create_merchant(session)
    async with httpx.AsyncClient(base_url=platform.api_url, timeout=10) as http:
        r = await http.get(f"{ADMIN}/nope", headers=admin_headers())
        assert (r.status_code, r.json()["error"]["code"]) == (404, "STREAM_NOT_FOUND")
        r = await http.get(f"{ADMIN}/transactions")
        assert (r.status_code, r.json()["error"]["code"]) == (401, "UNAUTHORIZED")
        r = await http.get(f"{ADMIN}/transactions", params={"token": get_settings().admin_token})
        assert (r.status_code, r.json()["error"]["code"]) == (401, "UNAUTHORIZED")
        r = await http.get("/api/v1/merchant/streams/transactions")
        assert (r.status_code, r.json()["error"]["code"]) == (401, "UNAUTHORIZED")
        # a merchant's signature opens its own stream, not the operator's
        native = merchant_client(platform.api_url, new, http)
        r = await native.get(f"{ADMIN}/transactions")
        assert r.status_code == 401
        r = await http.get(ADMIN, headers=admin_headers())
        assert r.status_code == 200 and set(r.json()["streams"]) == {
            "gateways",
            "queues",
            "alerts",
            "workers",
            "transactions",
            "status",
        }


async def test_every_stream_starts_with_a_snapshot(platform, session):
    new = await create_merchant(session)
    names = ["gateways", "queues", "alerts", "workers", "transactions", "status"]
    async with httpx.AsyncClient(timeout=httpx.Timeout(10, read=60)) as http:
        native = merchant_client(platform.api_url, new, http)
        path = "/api/v1/merchant/streams/transactions"
        listeners = [Listener(http, f"{platform.api_url}{ADMIN}/{n}", admin_headers()).start() for n in names]
        listeners.append(Listener(http, platform.api_url + path, native.headers("GET", path, b"")).start())
        try:
            await until(
                lambda: all(lst.events or lst.ended for lst in listeners), timeout=30, what="snapshots"
            )
            assert [lst.status for lst in listeners] == [200] * 7
            assert [lst.events[0].event for lst in listeners] == ["snapshot"] * 7
            snap = {n: lst.events[0].data for n, lst in zip([*names, "merchant"], listeners, strict=True)}
            assert snap["merchant"] == []  # the new merchant has no payment yet
            assert {q["name"] for q in snap["queues"]["items"]} == set(queues.QUEUE_NAMES)
            assert isinstance(snap["workers"], list)  # the worker's row comes back with its next beat
            assert isinstance(snap["alerts"], list)
            assert snap["status"] is None or {"status", "components"} <= set(snap["status"])
        finally:
            await stop_all(listeners)


async def test_the_gateway_and_alert_streams_follow_the_breaker_and_the_operator(platform, session):
    gateway = await create_sandbox_gateway(session, platform.simulator_url)
    async with httpx.AsyncClient(timeout=httpx.Timeout(10, read=60)) as http:
        stream = Listener(http, f"{platform.api_url}{ADMIN}/gateways", admin_headers()).start()
        alerts = Listener(http, f"{platform.api_url}{ADMIN}/alerts", admin_headers()).start()
        try:
            await until(lambda: bool(stream.events and alerts.events), timeout=30, what="the snapshots")
            assert [g["id"] for g in stream.events[0].data] == [str(gateway.id)]
            assert stream.events[0].data[0]["breaker"]["temp_failed"] is False

            def changes() -> list[str]:
                return [e.data["change"] for e in stream.of("gateway") if e.data["id"] == str(gateway.id)]

            # technical failures up to the threshold trip the breaker; the scheduler's probe finds the PSP
            # answering again and clears it
            for _ in range(get_settings().breaker_threshold):
                async with unit_of_work() as s:
                    await routing_service.technical_failure(s, gateway.id)
            await until(lambda: "recovered" in changes(), timeout=30, what="the trip and the recovery")
            assert changes()[:2] == ["tripped", "recovered"]
            tripped = stream.of("gateway")[0].data
            assert tripped["breaker"]["temp_failed"] is True
            assert tripped["breaker"]["consecutive_failures"] == get_settings().breaker_threshold
            # the gateway-down alert opened with the trip and was resolved with the recovery

            def alert_changes() -> list[str]:
                return [
                    e.data["change"] for e in alerts.of("alert") if e.data["gateway_id"] == str(gateway.id)
                ]

            await until(lambda: "resolved" in alert_changes(), timeout=30, what="the alert's resolution")
            assert alert_changes()[0] == "opened" and alert_changes()[-1] == "resolved"
            assert alerts.of("alert")[-1].data["status"] == "resolved"

            r = await http.patch(
                f"{platform.api_url}/api/v1/admin/gateways/{gateway.id}",
                json={"priority": 7},
                headers=admin_headers(),
            )
            assert r.status_code == 200, r.text
            await until(lambda: "updated" in changes(), timeout=10, what="the operator's change")
            assert stream.of("gateway")[-1].data["priority"] == 7
        finally:
            await stop_all([stream, alerts])
    # the alert's Slack messages are sent before the next test empties the tables
    await jobs_settled(session)


async def test_the_queue_worker_and_status_streams_get_their_changes(platform, session):
    async with httpx.AsyncClient(timeout=httpx.Timeout(10, read=60)) as http:
        streams = {
            name: Listener(http, f"{platform.api_url}{ADMIN}/{name}", admin_headers()).start()
            for name in ("queues", "workers", "status")
        }
        try:
            await until(lambda: all(s.events for s in streams.values()), timeout=30, what="the snapshots")
            r = await http.post(f"{platform.api_url}/api/v1/system/status/check", headers=admin_headers())
            assert r.status_code == 200, r.text
            await until(lambda: bool(streams["status"].of("status")), timeout=10, what="the check")
            assert streams["status"].of("status")[-1].data["check_id"] == r.json()["check_id"]
            # the scheduler's samples and the worker's heartbeats
            every = get_settings().stream_queue_sample_seconds
            await until(
                lambda: len(streams["queues"].of("queues")) >= 2, timeout=3 * every + 10, what="two samples"
            )
            sample = {q["name"]: q for q in streams["queues"].of("queues")[-1].data["items"]}
            assert set(sample) == set(queues.QUEUE_NAMES)
            assert {"waiting", "active", "delayed", "failed", "completed"} <= set(sample["refunds"]["counts"])
            await until(lambda: bool(streams["workers"].of("worker")), timeout=20, what="a heartbeat")
            beat = streams["workers"].of("worker")[-1].data
            assert beat["state"] == "alive" and beat["pid"] == platform.procs["worker"].pid
        finally:
            await stop_all(list(streams.values()))


async def test_a_lost_redis_connection_makes_every_stream_reconnect(platform, session):
    async with httpx.AsyncClient(timeout=httpx.Timeout(10, read=60)) as http:
        url = f"{platform.api_url}{ADMIN}/transactions"
        first = [Listener(http, url, admin_headers()).start() for _ in range(3)]
        try:
            await until(lambda: all(lst.events for lst in first), timeout=30, what="snapshots")
            client = redis.Redis.from_url(get_settings().redis_url)
            try:
                hub = f"lsp-stream-hub:{platform.procs['api'].pid}"
                ids = [c["id"] for c in await client.client_list() if c["name"] == hub]
                assert len(ids) == 1, "one subscription per API process"
                await client.client_kill_filter(_id=ids[0])
            finally:
                await client.aclose()
            await until(lambda: all(lst.ended for lst in first), timeout=20, what="the streams to end")
            assert all(lst.events[-1].event == "reconnect" for lst in first)
            assert all(lst.events[-1].data == {"reason": "resync"} for lst in first)
            # a stream opened now gets changes again (the hub subscribed anew)
            again = Listener(http, url, admin_headers()).start()
            first.append(again)
            await until(lambda: bool(again.events), timeout=30, what="a new snapshot")
            new = await create_merchant(session)
            await create_sandbox_gateway(session, platform.simulator_url)
            r = await merchant_client(platform.api_url, new, http).pay(amount=3_000)
            assert r.status_code == 201, r.text
            txn_id = r.json()["transaction_id"]
            await until(
                lambda: any(e.data["id"] == txn_id for e in again.of("transaction")),
                timeout=20,
                what="its change",
            )
        finally:
            await stop_all(first)
