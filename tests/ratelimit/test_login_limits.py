"""limit_login and limit_signup (for the login and signup routes): per caller IP and per account, against the
real Redis; the refusal is the same whichever limit was reached."""

from __future__ import annotations

import uuid

import pytest
from starlette.requests import Request

from lightspeedpay.config import get_settings
from lightspeedpay.ratelimit.guards import RateLimited, limit_login, limit_signup


def _request(ip: str) -> Request:
    return Request(
        {"type": "http", "method": "POST", "path": "/api/v1/auth/login", "headers": [], "client": (ip, 1)}
    )


def _ip() -> str:
    n = uuid.uuid4().int
    return f"10.{n % 250}.{(n >> 8) % 250}.{(n >> 16) % 250}"


@pytest.fixture(autouse=True)
def _default_limits(monkeypatch):
    """The platform's defaults (the suite lifts them for its own logins from one IP)."""
    from lightspeedpay.config import Settings

    s, defaults = get_settings(), Settings.model_fields
    for name in (
        "login_limit_per_ip",
        "login_limit_per_account",
        "signup_limit_per_ip",
        "signup_limit_per_account",
    ):
        monkeypatch.setattr(s, name, defaults[name].default)


async def test_login_is_limited_per_account_then_per_ip():
    s = get_settings()
    ip, email = _ip(), f"{uuid.uuid4().hex[:8]}@example.in"
    for _ in range(s.login_limit_per_account):
        await limit_login(_request(ip), email)
    request = _request(ip)
    with pytest.raises(RateLimited) as refused:
        await limit_login(request, email.upper())  # the same account, however it is spelled
    assert refused.value.status_code == 429
    headers = request.state.rate_limit_headers
    assert headers["RateLimit-Remaining"] == "0" and int(headers["Retry-After"]) > 0
    # another account from another IP is not affected
    await limit_login(_request(_ip()), f"{uuid.uuid4().hex[:8]}@example.in")
    # the same IP trying many accounts is stopped by the per-IP limit
    other_ip = _ip()
    with pytest.raises(RateLimited) as by_ip:
        for _ in range(s.login_limit_per_ip + 1):
            await limit_login(_request(other_ip), f"{uuid.uuid4().hex[:8]}@example.in")
    # the same words either way: a refusal does not tell whether the account exists
    assert by_ip.value.message.split(";")[0] == refused.value.message.split(";")[0] == "Too many attempts"


async def test_signup_is_limited_per_account():
    s = get_settings()
    email = f"{uuid.uuid4().hex[:8]}@example.in"
    for _ in range(s.signup_limit_per_account):
        await limit_signup(_request(_ip()), email)
    with pytest.raises(RateLimited):
        await limit_signup(_request(_ip()), email)
