"""`/api/health` (seed 003) and `/health`: 200 when PostgreSQL and Redis answer; 503 saying which one does
not, within a bounded time, when an API is pointed at a Redis port nobody listens on. No auth. That API's
system status says the same, component by component (and, without a Slack URL, "not configured")."""

from __future__ import annotations

import httpx

from lightspeedpay.config import get_settings
from lightspeedpay.jobs import queues
from tests.fixtures import Platform
from tests.net import free_port, wait_answering


async def test_health_answers_200_with_each_dependency(platform):
    async with httpx.AsyncClient(base_url=platform.api_url, timeout=10) as http:
        for path in ("/api/health", "/health"):
            r = await http.get(path)
            assert r.status_code == 200, r.text
            assert r.json() == {"status": "ok", "checks": {"postgresql": "ok", "redis": "ok"}}


async def test_health_answers_503_naming_redis_when_redis_is_gone(platform):
    port = free_port()
    dead_redis = f"redis://127.0.0.1:{free_port()}/0"
    own = Platform(
        env={
            **platform.env,
            "LSP_REDIS_URL": dead_redis,
            "LSP_API_PORT": str(port),
            "LSP_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "LSP_HEALTH_TIMEOUT_SECONDS": "1",
            "LSP_SLACK_WEBHOOK_URL": "",
        }
    )
    url = f"http://127.0.0.1:{port}"
    try:
        own.start("api-dead-redis", "api")
        await wait_answering(f"{url}/openapi.json", timeout=60)
        # bounded: the client gives up long before a dependency's own timeouts would (redis-py retries,
        # asyncpg's 60 s connect)
        async with httpx.AsyncClient(base_url=url, timeout=8) as http:
            for path in ("/api/health", "/health"):
                r = await http.get(path)
                assert r.status_code == 503, r.text
                body = r.json()
                assert body["status"] == "degraded"
                assert body["checks"]["postgresql"] == "ok"
                assert body["checks"]["redis"].startswith("error: ")
            # no auth needed, and nothing else of the API is affected by the probe
            assert (await http.get("/openapi.json")).status_code == 200

            r = await http.post(
                "/api/v1/system/status/check",
                headers={"Authorization": f"Bearer {get_settings().admin_token}"},
                timeout=30,
            )
            assert r.status_code == 200, r.text
            body = r.json()
            c = {item["component"]: item for item in body["components"]}
            assert body["status"] == "down"
            assert c["redis"]["status"] == "down" and c["postgresql"]["status"] == "ok"
            assert c["api"]["status"] == "degraded" and "redis error" in c["api"]["reason"]
            # the workers still beat (into PostgreSQL), but this API cannot see their Redis connections
            for name in queues.QUEUE_NAMES:
                queue = c[f"queue:{name}"]
                assert queue["status"] == "degraded", queue
                assert "cannot see the workers' Redis connections" in queue["reason"]
            assert c["slack"]["status"] == "not_configured"
            assert c["slack"]["reason"] == "LSP_SLACK_WEBHOOK_URL is not set"
    finally:
        own.stop_all()
