"""The samples of the idempotency and Razorpay pages, run against the platform with a merchant's test key."""

from __future__ import annotations

import re
import sys

import httpx

from tests.devdocs.samples import run, sample_env
from tests.factories import create_merchant, create_sandbox_gateway


async def _test_keys(platform, session) -> dict[str, str]:
    new = await create_merchant(session)
    await create_sandbox_gateway(session, platform.simulator_url)
    return sample_env(platform.api_url, LSP_KEY_ID=new.test_key_id, LSP_KEY_SECRET=new.test_secret)


async def test_idempotency_sample_gets_the_first_answer_again_and_refuses_a_reused_key(platform, session):
    env = await _test_keys(platform, session)
    out = run([sys.executable, "idempotency.py"], env)
    first = re.search(r"^first: 201 ([0-9a-f-]{36})$", out, re.MULTILINE)
    retry = re.search(r"^retry: 201 ([0-9a-f-]{36}) replayed: true$", out, re.MULTILINE)
    assert first and retry and first.group(1) == retry.group(1), out
    assert "other: 422 IDEMPOTENCY_KEY_REUSED" in out, out
    # one payment, not two
    async with httpx.AsyncClient(
        base_url=platform.api_url, auth=(env["LSP_KEY_ID"], env["LSP_KEY_SECRET"])
    ) as rzp:
        payments = (await rzp.get("/v1/payments")).json()
    assert payments["count"] == 1, payments


async def test_razorpay_curl_sample_makes_reads_and_finds_an_order(platform, session):
    env = await _test_keys(platform, session)
    out = run(["bash", "razorpay_orders.sh"], env)
    order_id = re.search(r"^created (order_\w+)$", out, re.MULTILINE)
    assert order_id, out
    assert f'{{"id":"{order_id.group(1)}","status":"created","amount":49900,' in out, out
    assert f'{{"count":1,"ids":["{order_id.group(1)}"]}}' in out, out
