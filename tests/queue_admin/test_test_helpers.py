"""Seed 002's test helpers: the queues at a glance and the demo merchant's keys, served outside production only
(404 there, checked on an app built in-process with LSP_ENV=production)."""

from __future__ import annotations

import base64
import os
import uuid

import httpx
import pytest

from lightspeedpay.config import get_settings
from lightspeedpay.devtools.demo import DEMO_MERCHANT
from lightspeedpay.merchants.service import NewMerchant, merchant_service
from tests.factories import merchant_client


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

        new = await merchant_service.create(session, company_name=DEMO_MERCHANT, webhook_url=None)
        await session.commit()
        r = await c.get("/api/v1/test/merchant")
        assert r.status_code == 200, r.text
        creds = r.json()
        assert creds["client_id"] == str(new.client.id) and creds["client_key"] == new.client.client_key
        assert creds["client_salt"] == new.client_salt and creds["company_name"] == DEMO_MERCHANT

        demo = NewMerchant(
            client=new.client, client_salt=creds["client_salt"], webhook_secret=creds["webhook_secret"]
        )
        signed = merchant_client(platform.api_url, demo, c)
        r = await signed.get(f"/api/v1/transactions/{uuid.uuid4()}")
        assert r.status_code == 404, r.text  # authenticated: the transaction is just not there


@pytest.fixture
def production_app(monkeypatch):
    monkeypatch.setenv("LSP_ENV", "production")
    monkeypatch.setenv("LSP_ADMIN_TOKEN", "p" * 40)
    monkeypatch.setenv("LSP_ENCRYPTION_KEYS", "prod1:" + base64.b64encode(os.urandom(32)).decode())
    get_settings.cache_clear()
    try:
        from lightspeedpay.app import create_app

        yield create_app()
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


async def test_the_test_helpers_do_not_exist_in_production(production_app):
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=production_app), base_url="http://api"
    ) as c:
        for path in ("/api/v1/test/jobs/status", "/api/v1/test/merchant"):
            r = await c.get(path)
            assert r.status_code == 404, (path, r.text)
            assert r.json()["error"]["code"] == "NOT_FOUND"
        # the app itself answers (the 404 is the helpers', not a broken app)
        r = await c.get("/api/v1/admin/queues", headers={"Authorization": "Bearer wrong"})
        assert r.status_code == 401
