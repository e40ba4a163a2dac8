"""Rate limits over HTTP (issue 10): the request past a credential's limit gets 429 RATE_LIMITED with Retry-After
and the RateLimit-* fields, the window moves on and the credential is served again; each merchant's own limit
(set by an operator, audited) counts; the Razorpay face is limited under the same credential and answers
Razorpay's error shape; with the counters' Redis silent the API keeps serving and says so once in its log."""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select, update

from lightspeedpay.identity import tokens
from lightspeedpay.models import AuditLog, Client, MerchantMembership, RefreshToken, User
from lightspeedpay.ratelimit.limiter import RateLimiter
from tests.factories import create_merchant, merchant_client
from tests.fixtures import LOG_DIR, Platform
from tests.ledger_support import admin_client
from tests.net import free_port, wait_answering
from tests.redis_proxy import FreezingRedisProxy

WINDOW = 3  # seconds: the short window of the API process these tests start


def _limit_headers(r: httpx.Response) -> tuple[int, int, int]:
    return (
        int(r.headers["RateLimit-Limit"]),
        int(r.headers["RateLimit-Remaining"]),
        int(r.headers["RateLimit-Reset"]),
    )


async def _api(platform: Platform, name: str, **env: str) -> tuple[Platform, str]:
    port = free_port()
    proc = Platform(env={**platform.env, "LSP_API_PORT": str(port), **env})
    proc.start(f"{name}-{port}", "api")
    await wait_answering(f"http://127.0.0.1:{port}/health")
    return proc, f"http://127.0.0.1:{port}"


@pytest.fixture
async def short_window_api(platform) -> AsyncIterator[str]:
    """An API process whose per-minute limits count in a 3-second window."""
    proc, url = await _api(platform, "api-short-window", LSP_RATE_LIMIT_WINDOW_SECONDS=str(WINDOW))
    try:
        yield url
    finally:
        proc.stop_all()


async def test_the_request_past_the_limit_gets_429_and_the_limit_resets(platform, session, short_window_api):
    new = await create_merchant(session)
    # the operator gives this merchant a limit of 5 a minute (its window is 3 s in this process): audited
    async with admin_client(platform) as admin:
        r = await admin.patch(f"/api/v1/admin/merchants/{new.client.id}", json={"rate_limit_per_minute": 5})
    assert r.status_code == 200, r.text
    assert r.json()["rate_limit_per_minute"] == 5
    row = (
        await session.scalars(
            select(AuditLog).where(
                AuditLog.action == "merchant.settings_updated", AuditLog.client_id == new.client.id
            )
        )
    ).one()
    assert row.before == {"rate_limit_per_minute": None} and row.after == {"rate_limit_per_minute": 5}

    async with httpx.AsyncClient(timeout=20) as http:
        client = merchant_client(short_window_api, new, http)
        seen = []
        for _ in range(5):
            r = await client.get("/api/v1/wallet")
            assert r.status_code == 200, r.text
            seen.append(_limit_headers(r))
        assert [(limit, remaining) for limit, remaining, _ in seen] == [
            (5, 4),
            (5, 3),
            (5, 2),
            (5, 1),
            (5, 0),
        ]
        assert all(1 <= reset <= WINDOW for _, _, reset in seen)
        assert "Retry-After" not in r.headers

        refused = await client.get("/api/v1/wallet")
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "RATE_LIMITED"
        retry_after = int(refused.headers["Retry-After"])
        assert 1 <= retry_after <= WINDOW
        assert _limit_headers(refused)[:2] == (5, 0)

        # the Razorpay face counts against the same credential, and refuses in Razorpay's shape
        rzp = await http.get(f"{short_window_api}/v1/payments", auth=(new.client.client_key, new.client_salt))
        assert rzp.status_code == 429, rzp.text
        assert rzp.json()["error"]["code"] == "BAD_REQUEST_ERROR"
        assert rzp.json()["error"]["reason"] == "rate_limited"
        assert "Retry-After" in rzp.headers and rzp.headers["RateLimit-Limit"] == "5"

        await asyncio.sleep(retry_after + 0.2)
        again = await client.get("/api/v1/wallet")
        assert again.status_code == 200, again.text
        assert _limit_headers(again)[:2] == (5, 4)  # the window moved on: all five places are free again

        # back to the platform's default (lifted for the test suite): served past five
        async with admin_client(platform) as admin:
            r = await admin.patch(
                f"/api/v1/admin/merchants/{new.client.id}", json={"rate_limit_per_minute": None}
            )
        assert r.status_code == 200 and r.json()["rate_limit_per_minute"] is None
        for _ in range(6):
            r = await client.get("/api/v1/wallet")
            assert r.status_code == 200, r.text
        assert int(r.headers["RateLimit-Limit"]) == int(platform.env["LSP_RATE_LIMIT_PER_MINUTE"])


async def test_each_merchant_has_its_own_limit(platform, session, short_window_api):
    small = await create_merchant(session)
    larger = await create_merchant(session)
    await session.execute(update(Client).where(Client.id == small.client.id).values(rate_limit_per_minute=2))
    await session.execute(update(Client).where(Client.id == larger.client.id).values(rate_limit_per_minute=3))
    await session.commit()
    async with httpx.AsyncClient(timeout=20) as http:
        a, b = merchant_client(short_window_api, small, http), merchant_client(short_window_api, larger, http)
        assert [(await a.get("/api/v1/wallet")).status_code for _ in range(3)] == [200, 200, 429]
        answers = [await b.get("/api/v1/wallet") for _ in range(4)]
        assert [r.status_code for r in answers] == [200, 200, 200, 429]
        assert answers[0].headers["RateLimit-Limit"] == "3"


async def test_default_shape_the_101st_request_in_a_minute_is_refused(platform, session):
    """Seed 003's shape on the platform's own API process: 100 a minute (this merchant's limit is 100, the
    platform default being lifted for the suite), a 60-second window."""
    new = await create_merchant(session)
    await session.execute(update(Client).where(Client.id == new.client.id).values(rate_limit_per_minute=100))
    await session.commit()
    async with httpx.AsyncClient(timeout=20) as http:
        client = merchant_client(platform.api_url, new, http)
        started = time.monotonic()
        for i in range(100):
            r = await client.get("/api/v1/wallet")
            assert r.status_code == 200, (i, r.text)
        assert r.headers["RateLimit-Remaining"] == "0"
        refused = await client.get("/api/v1/wallet")
        elapsed = time.monotonic() - started
    assert refused.status_code == 429
    assert refused.headers["RateLimit-Limit"] == "100"
    # the oldest of the 100 leaves the window 60 s after it was made
    assert 60 - elapsed - 2 <= int(refused.headers["Retry-After"]) <= 60


async def test_api_keeps_serving_when_the_counters_redis_does_not_answer(platform, session):
    """Fail open: a Redis that accepts connections and never answers costs each request the limiter's timeout,
    nothing more; the warning is logged once, not once per request."""
    new = await create_merchant(session)
    await session.execute(update(Client).where(Client.id == new.client.id).values(rate_limit_per_minute=1))
    await session.commit()
    async with FreezingRedisProxy(b"", redis_url=platform.env["LSP_REDIS_URL"]) as proxy:
        name = "api-silent-limiter"
        proc, url = await _api(
            platform,
            name,
            LSP_RATE_LIMIT_REDIS_URL=proxy.url(platform.env["LSP_REDIS_URL"]),
            LSP_RATE_LIMIT_TIMEOUT_SECONDS="0.2",
        )
        log_file = LOG_DIR / f"{name}-{url.rsplit(':', 1)[1]}.log"
        try:
            async with httpx.AsyncClient(timeout=20) as http:
                client = merchant_client(url, new, http)
                assert (await client.get("/api/v1/wallet")).status_code == 200  # opens the DB connections
                for _ in range(3):
                    started = time.monotonic()
                    r = await client.get("/api/v1/wallet")
                    assert r.status_code == 200, r.text  # a limit of 1, yet served: nothing counts
                    assert "RateLimit-Limit" not in r.headers
                    assert time.monotonic() - started < 2
        finally:
            proc.stop_all()
    assert proxy.frozen.is_set()
    logged = log_file.read_text(errors="replace")
    assert logged.count("rate_limit_unavailable") == 1, logged[-2000:]


async def test_an_unreachable_redis_fails_open_at_once():
    limiter = RateLimiter(f"redis://127.0.0.1:{free_port()}/0")
    started = time.monotonic()
    assert await limiter.hit(f"t:{uuid.uuid4()}", 1, 60) is None
    assert await limiter.hit(f"t:{uuid.uuid4()}", 1, 60) is None
    assert time.monotonic() - started < 1
    await limiter.close()


async def test_a_person_acting_for_a_merchant_is_limited_per_person(platform, session, short_window_api):
    """A person (access token) has an allowance of their own, apart from the merchant's API credential."""
    new = await create_merchant(session)
    await session.execute(update(Client).where(Client.id == new.client.id).values(rate_limit_per_minute=2))
    user = User(id=uuid.uuid4(), email=f"{uuid.uuid4().hex[:8]}@example.in")
    session.add(user)
    await session.flush()
    session.add(MerchantMembership(user_id=user.id, client_id=new.client.id, role="owner"))
    family = uuid.uuid4()
    session.add(
        RefreshToken(
            family_id=family,
            user_id=user.id,
            token_hash=secrets.token_bytes(32),
            expires_at=datetime.now(UTC) + timedelta(days=1),
        )
    )
    await session.commit()
    token, _ = tokens.issue_access_token(user.id, family, authenticated_at=time.time())
    async with httpx.AsyncClient(timeout=20) as http:
        as_person = [
            await http.get(f"{short_window_api}/api/v1/wallet", headers={"Authorization": f"Bearer {token}"})
            for _ in range(3)
        ]
        assert [r.status_code for r in as_person] == [200, 200, 429], as_person[-1].text
        # the merchant's API credential still has its own two
        client = merchant_client(short_window_api, new, http)
        assert [(await client.get("/api/v1/wallet")).status_code for _ in range(3)] == [200, 200, 429]


async def test_login_and_signup_routes_are_limited_per_account(platform):
    """The routes call the limiter before any password is checked: the 3rd login attempt for one address gets 429
    whether the account exists or not, and so does the 3rd signup or reset email for one address."""
    proc, url = await _api(
        platform,
        "api-login-limits",
        LSP_LOGIN_LIMIT_PER_ACCOUNT="2",
        LSP_SIGNUP_LIMIT_PER_ACCOUNT="2",
    )
    try:
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            email = f"{uuid.uuid4().hex[:8]}@example.in"
            login = {"email": email, "password": "not-the-password-1"}
            codes = [(await http.post("/api/v1/auth/login", json=login)).status_code for _ in range(3)]
            assert codes == [401, 401, 429], codes
            r = await http.post("/api/v1/auth/login", json=login)
            assert r.status_code == 429 and r.json()["error"]["code"] == "RATE_LIMITED"
            assert int(r.headers["Retry-After"]) > 0 and r.headers["RateLimit-Remaining"] == "0"
            other = f"{uuid.uuid4().hex[:8]}@example.in"
            codes = [
                (await http.post("/api/v1/auth/password-reset", json={"email": other})).status_code
                for _ in range(3)
            ]
            assert codes == [202, 202, 429], codes
    finally:
        proc.stop_all()
