"""Issue 8, defects 6 and 7: a signed request takes effect at most once (a byte-identical replay is refused),
and a merchant's client salt can be rotated with a grace period in which both salts verify."""

from __future__ import annotations

import asyncio
import json
import sys
import time

import httpx
from sqlalchemy import select

from lightspeedpay.merchants.service import merchant_service
from lightspeedpay.models import ApiCredentialSecret, AuditLog, Refund
from tests.auth.support import replaced_secret_works_until_its_grace_ends
from tests.factories import MerchantClient, count, create_merchant, create_sandbox_gateway, merchant_client
from tests.fixtures import ROOT
from tests.paying import paid_payment


async def test_a_replayed_signed_refund_is_refused_and_refunds_once(platform, session):
    new = await create_merchant(session)
    await create_sandbox_gateway(session, platform.simulator_url)
    async with httpx.AsyncClient(timeout=30) as http:
        client = merchant_client(platform.api_url, new, http)
        txn = await paid_payment(client, amount=10_000)
        path = f"/api/v1/transactions/{txn['id']}/refunds"
        body = json.dumps({"amount": 1_000}).encode()
        headers = client.headers("POST", path, body)
        first = await http.post(platform.api_url + path, content=body, headers=headers)
        replayed = await http.post(platform.api_url + path, content=body, headers=headers)
        # a replay with an Idempotency-Key it did not have is still a replay
        with_key = await http.post(
            platform.api_url + path, content=body, headers={**headers, "Idempotency-Key": "sneaky-key"}
        )
        assert first.status_code == 201, first.text
        for r in (replayed, with_key):
            assert r.status_code == 401 and r.json()["error"] == {
                "code": "REQUEST_REPLAYED",
                "field": "X-Signature",
                "message": r.json()["error"]["message"],
            }
        assert await count(session, Refund) == 1
        # reads may repeat: polling the same GET within a second signs to the same bytes
        get_headers = client.headers("GET", f"/api/v1/transactions/{txn['id']}", b"")
        for _ in range(2):
            r = await http.get(f"{platform.api_url}/api/v1/transactions/{txn['id']}", headers=get_headers)
            assert r.status_code == 200


async def test_the_same_bytes_with_the_same_idempotency_key_are_a_retry(platform, session):
    new = await create_merchant(session)
    await create_sandbox_gateway(session, platform.simulator_url)
    async with httpx.AsyncClient(timeout=30) as http:
        client = merchant_client(platform.api_url, new, http)
        txn = await paid_payment(client, amount=10_000)
        path = f"/api/v1/transactions/{txn['id']}/refunds"
        body = json.dumps({"amount": 700}).encode()
        headers = {**client.headers("POST", path, body), "Idempotency-Key": "refund-retry-1"}
        first = await http.post(platform.api_url + path, content=body, headers=headers)
        retry = await http.post(platform.api_url + path, content=body, headers=headers)
    assert first.status_code == retry.status_code == 201
    assert retry.content == first.content and retry.headers["Idempotent-Replayed"] == "true"
    assert await count(session, Refund) == 1


async def test_a_rotated_salt_keeps_verifying_until_its_grace_period_ends(platform, session):
    new = await create_merchant(session)
    await create_sandbox_gateway(session, platform.simulator_url)
    client_id, client_key, old_salt = new.client.id, new.client.client_key, new.client_salt
    new_salt = await merchant_service.rotate_salt(session, client_id, grace_seconds=3600, actor="test")
    await session.commit()
    assert new_salt != old_salt
    stored = (
        await session.execute(select(ApiCredentialSecret).where(ApiCredentialSecret.expires_at.is_not(None)))
    ).scalar_one()
    assert old_salt not in stored.secret_enc and stored.last4 == old_salt[-4:]  # encrypted at rest
    async with httpx.AsyncClient(timeout=30) as http:
        await replaced_secret_works_until_its_grace_ends(
            platform, session, http, client_key, old_salt, new_salt
        )
    audit = (
        await session.execute(select(AuditLog).where(AuditLog.action == "credentials.regenerated"))
    ).scalar_one()
    assert audit.details == {"grace_period_seconds": 3600}
    assert old_salt not in str(audit.details) + str(audit.before) + str(audit.after)


async def test_a_leaked_salt_is_refused_at_once(platform, session):
    new = await create_merchant(session)
    await create_sandbox_gateway(session, platform.simulator_url)
    await merchant_service.rotate_salt(session, new.client.id, grace_seconds=0, actor="test")
    await session.commit()
    async with httpx.AsyncClient(timeout=30) as http:
        r = await merchant_client(platform.api_url, new, http).pay()
    assert r.status_code == 401 and r.json()["error"]["code"] == "INVALID_SIGNATURE"


async def test_the_cli_rotates_a_salt(platform, session):
    new = await create_merchant(session)
    await create_sandbox_gateway(session, platform.simulator_url)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "lightspeedpay.cli",
        "merchant",
        "rotate-salt",
        new.client.client_key,
        "--grace-seconds",
        "0",
        "--json",
        cwd=ROOT,
        env=platform.env,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 0
    salt = json.loads(out)["client_salt"]
    async with httpx.AsyncClient(timeout=30) as http:
        assert (await merchant_client(platform.api_url, new, http).pay()).status_code == 401
        assert (
            await MerchantClient(platform.api_url, new.client.client_key, salt, http).pay()
        ).status_code == 201


async def test_two_identical_requests_in_one_second_are_told_apart_by_a_millisecond_timestamp(
    platform, session
):
    new = await create_merchant(session)
    await create_sandbox_gateway(session, platform.simulator_url)
    async with httpx.AsyncClient(timeout=30) as http:
        client = merchant_client(platform.api_url, new, http)
        txn = await paid_payment(client, amount=10_000)
        path = f"/api/v1/transactions/{txn['id']}/refunds"
        body = json.dumps({"amount": 500}).encode()
        now_ms = int(time.time() * 1000)
        answers = [
            await http.post(
                platform.api_url + path,
                content=body,
                headers=client.headers("POST", path, body, timestamp=now_ms + i),
            )
            for i in range(2)
        ]
        stale = await http.post(
            platform.api_url + path,
            content=body,
            headers=client.headers("POST", path, body, timestamp=now_ms - 301_000),
        )
    assert [r.status_code for r in answers] == [201, 201]
    assert stale.status_code == 401 and stale.json()["error"]["code"] == "STALE_TIMESTAMP"
    assert await count(session, Refund) == 2
