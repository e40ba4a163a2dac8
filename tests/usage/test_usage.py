"""API usage analytics (seed 001's GET /api/v1/merchant/usage): a known set of requests shows as counts per day,
route template and status, with error rates and latency percentiles; the operator sees the same; the rollup sums
what several flushes (several API processes) add; the histogram's percentile is within its documented error."""

from __future__ import annotations

import math
import random
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select

from lightspeedpay.models import ApiUsageDaily
from lightspeedpay.usage import histogram
from lightspeedpay.usage.recorder import IST, UsageRecorder
from tests.factories import create_merchant, merchant_client, wait_for
from tests.ledger_support import admin_client

WALLET = "GET /api/v1/wallet"
TXN = "GET /api/v1/transactions/{transaction_id}"
RZP_PAYMENTS = "GET /v1/payments"


def _counts(report: dict) -> dict[tuple[str, int], int]:
    return {(r["route"], r["status"]): r["requests"] for r in report["rows"]}


async def test_usage_counts_a_known_set_of_requests(platform, session):
    new = await create_merchant(session)
    other = await create_merchant(session)  # its requests are not in the first merchant's report
    async with httpx.AsyncClient(timeout=20) as http:
        client = merchant_client(platform.api_url, new, http)
        for _ in range(3):
            assert (await client.get("/api/v1/wallet")).status_code == 200
        for _ in range(2):
            assert (await client.get(f"/api/v1/transactions/{uuid.uuid4()}")).status_code == 404
        rzp = await http.get(f"{platform.api_url}/v1/payments", auth=(new.client.client_key, new.client_salt))
        assert rzp.status_code == 200, rzp.text
        assert (await merchant_client(platform.api_url, other, http).get("/api/v1/wallet")).status_code == 200
        # unsigned or wrongly signed requests are nobody's usage
        assert (await http.get(f"{platform.api_url}/api/v1/wallet")).status_code == 401

        async def report() -> dict | None:
            r = await client.get("/api/v1/merchant/usage")
            assert r.status_code == 200, r.text
            body = r.json()
            return (
                body
                if _counts(body).get((RZP_PAYMENTS, 200)) == 1 and _counts(body).get((TXN, 404)) == 2
                else None
            )

        body = await wait_for(report, timeout=20, what="the usage flush")

    today = datetime.now(UTC).astimezone(IST).date().isoformat()
    assert body["to"] == today and body["merchant_id"] == str(new.client.id)
    counts = _counts(body)
    assert counts[(WALLET, 200)] == 3 and counts[(TXN, 404)] == 2 and counts[(RZP_PAYMENTS, 200)] == 1
    assert {r["day"] for r in body["rows"]} == {today}
    # the report's own earlier calls are counted too, and nothing else is
    assert set(counts) <= {
        (WALLET, 200),
        (TXN, 404),
        (RZP_PAYMENTS, 200),
        ("GET /api/v1/merchant/usage", 200),
    }
    routes = {r["route"]: r for r in body["routes"]}
    assert routes[TXN]["errors"] == 2 and routes[TXN]["error_rate"] == 1.0
    assert routes[WALLET]["errors"] == 0 and routes[WALLET]["error_rate"] == 0.0
    for r in routes.values():
        assert 0 < r["p50_ms"] <= r["p95_ms"] < 60_000
    assert body["errors"] == 2
    assert body["error_rate"] == round(2 / body["requests"], 4)
    assert body["days"][0]["requests"] == body["requests"]

    async with admin_client(platform) as admin:
        seen = await admin.get(
            f"/api/v1/admin/merchants/{new.client.id}/usage", params={"from": today, "to": today}
        )
    assert seen.status_code == 200, seen.text
    assert _counts(seen.json())[(WALLET, 200)] == 3


async def test_usage_date_range_is_checked(platform, session):
    new = await create_merchant(session)
    async with httpx.AsyncClient(timeout=20) as http:
        client = merchant_client(platform.api_url, new, http)
        r = await client.get("/api/v1/merchant/usage?from=2026-03-02&to=2026-03-01")
        assert r.status_code == 422 and r.json()["error"]["field"] == "from"
        r = await client.get("/api/v1/merchant/usage?from=2025-01-01&to=2026-03-01")
        assert r.status_code == 422
        r = await client.get("/api/v1/merchant/usage?from=2020-01-01&to=2020-01-07")
        assert r.status_code == 200 and r.json()["requests"] == 0 and r.json()["p50_ms"] is None


async def test_flushes_add_up_in_the_rollup(platform, session):
    """Two processes' flushes (two recorders here) add to the same rows, bucket by bucket."""
    new = await create_merchant(session)
    at = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)  # 01:30 IST on 2 March: the IST day counts
    first, second = UsageRecorder(), UsageRecorder()
    for ms in (3.0, 3.0, 40.0):
        first.record(new.client.id, WALLET, 200, ms, at=at)
    second.record(new.client.id, WALLET, 200, 40.0, at=at)
    second.record(new.client.id, WALLET, 500, 900.0, at=at)
    # a merchant deleted since its requests were counted does not hold up the others' counts
    second.record(uuid.uuid4(), WALLET, 200, 1.0, at=at)
    assert await first.flush() == 1
    assert await second.flush() == 2
    assert await second.flush() == 0  # nothing left to add
    rows = {
        r.status: r
        for r in await session.scalars(select(ApiUsageDaily).where(ApiUsageDaily.client_id == new.client.id))
    }
    assert str(rows[200].day) == "2026-03-02"
    assert rows[200].count == 4 and rows[200].duration_ms_sum == 86
    assert rows[200].latency_buckets[histogram.bucket(3.0)] == 2
    assert rows[200].latency_buckets[histogram.bucket(40.0)] == 2
    assert sum(rows[200].latency_buckets) == 4 and rows[500].count == 1


@pytest.mark.fast
def test_percentile_estimate_is_within_the_documented_error():
    rng = random.Random(7)
    for _ in range(200):
        durations = [rng.lognormvariate(math.log(20), 1.2) for _ in range(rng.randint(1, 400))]
        buckets = [0] * histogram.SIZE
        for d in durations:
            buckets[histogram.bucket(max(d, 0.6))] += 1
        ordered = sorted(max(d, 0.6) for d in durations)
        for q in (0.5, 0.95):
            exact = ordered[max(1, math.ceil(q * len(ordered))) - 1]
            estimate = histogram.percentile(buckets, q)
            assert estimate is not None
            if exact <= histogram.BOUNDS_MS[-1]:
                assert (
                    exact / math.sqrt(histogram.RATIO)
                    <= estimate
                    <= exact * math.sqrt(histogram.RATIO) + 1e-9
                )
    assert histogram.percentile([0] * histogram.SIZE, 0.5) is None
