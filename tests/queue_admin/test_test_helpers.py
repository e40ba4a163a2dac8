"""Seed 002's test helpers: the queues at a glance and the demo merchant's keys, served outside production only
(404 there, checked on an app built in-process with LSP_ENV=production)."""

from __future__ import annotations

import base64
import os
import uuid
from dataclasses import replace

import httpx

from lightspeedpay.devtools.demo import DEMO_MERCHANT
from lightspeedpay.merchants.service import merchant_service
from tests.factories import MerchantClient, merchant_client
from tests.fixtures import Platform
from tests.net import free_port, wait_answering


async def test_jobs_status_counts_the_intents_and_sees_the_workers(platform, session):
    async with httpx.AsyncClient(base_url=platform.api_url, timeout=20) as c:
        r = await c.get("/api/v1/test/jobs/status")  # no authentication, as in seed 002
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"pending", "processing", "completed", "failed", "worker_status"}
    assert body["worker_status"] == "running"
    assert all(isinstance(body[k], int) for k in ("pending", "processing", "completed", "failed"))


async def test_the_demo_merchants_credentials_sign_requests(platform, session):
    async with httpx.AsyncClient(base_url=platform.api_url, timeout=20) as c:
        r = await c.get("/api/v1/test/merchant")
        assert r.status_code == 404 and r.json()["error"]["code"] == "NOT_FOUND"  # no demo merchant yet

        new = await merchant_service.create(
            session, company_name=DEMO_MERCHANT, webhook_url=None, kyc_status="activated"
        )
        await session.commit()
        r = await c.get("/api/v1/test/merchant")
        assert r.status_code == 200, r.text
        creds = r.json()
        assert creds["client_id"] == str(new.client.id) and creds["client_key"] == new.client.client_key
        assert creds["client_salt"] == new.client_salt and creds["company_name"] == DEMO_MERCHANT

        assert creds["test_key_id"] == new.test_key_id and creds["test_key_secret"] == new.test_secret

        demo = replace(new, client_salt=creds["client_salt"], webhook_secret=creds["webhook_secret"])
        signed = merchant_client(platform.api_url, demo, c)
        r = await signed.get(f"/api/v1/transactions/{uuid.uuid4()}")
        assert r.status_code == 404, r.text  # authenticated: the transaction is just not there
        test_mode = MerchantClient(platform.api_url, creds["test_key_id"], creds["test_key_secret"], c)
        r = await test_mode.get(f"/api/v1/transactions/{uuid.uuid4()}")
        assert r.status_code == 404, r.text


async def test_the_test_helpers_do_not_exist_in_production(platform):
    # an API process of its own with LSP_ENV=production (building the app inside the test process would
    # reconfigure this process's logging for every later test)
    port = free_port()
    own = Platform(
        env={
            **platform.env,
            "LSP_ENV": "production",
            "LSP_ADMIN_TOKEN": "p" * 40,
            "LSP_JWT_KEYS": "prod1:" + base64.b64encode(os.urandom(48)).decode(),
            "LSP_ENCRYPTION_KEYS": "prod1:" + base64.b64encode(os.urandom(32)).decode(),
            "LSP_API_PORT": str(port),
            "LSP_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        }
    )
    url = f"http://127.0.0.1:{port}"
    try:
        own.start("api-production", "api")
        await wait_answering(f"{url}/api/health", timeout=60)
        async with httpx.AsyncClient(base_url=url, timeout=20) as c:
            for path in ("/api/v1/test/jobs/status", "/api/v1/test/merchant"):
                r = await c.get(path)
                assert r.status_code == 404, (path, r.text)
                assert r.json()["error"]["code"] == "NOT_FOUND"
            # the app itself answers (the 404 is the helpers', not a broken app)
            r = await c.get("/api/v1/admin/queues", headers={"Authorization": "Bearer wrong"})
            assert r.status_code == 401
    finally:
        own.stop_all()
