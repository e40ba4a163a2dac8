"""Who is limited, and how: each API credential and each person acting for a merchant (per minute, the merchant's
own limit or LSP_RATE_LIMIT_PER_MINUTE), and login and signup per caller IP and per account.

A decision is kept on the request (`request.state.rate_limit_headers`): the security-headers middleware puts the
RateLimit-* fields (and Retry-After on a 429) on the response, whatever route or error answered."""

from __future__ import annotations

import hashlib

from fastapi import Request

from lightspeedpay.config import get_settings
from lightspeedpay.errors import AppError
from lightspeedpay.ratelimit.limiter import Decision, rate_limiter


class RateLimited(AppError):
    status_code, code = 429, "RATE_LIMITED"


def _keep(request: Request, decision: Decision) -> None:
    request.state.rate_limit_headers = decision.headers()


def api_limit(caller: str, per_minute: int | None) -> tuple[str, int, int] | None:
    """(window key, limit, window seconds) of an API credential (`caller` = "key:<client key>") or a person acting
    for a merchant ("user:<id>"): `per_minute` (None: LSP_RATE_LIMIT_PER_MINUTE) in LSP_RATE_LIMIT_WINDOW_SECONDS;
    None when rate limiting is off."""
    s = get_settings()
    if not s.rate_limit_enabled:
        return None
    return f"api:{caller}", per_minute or s.rate_limit_per_minute, s.rate_limit_window_seconds


async def limit_api_caller(
    request: Request, caller: str, per_minute: int | None, *, taken: Decision | None = None
) -> None:
    """One request of `caller` (see api_limit); raises RateLimited (429) past its limit in the window. `taken`:
    the decision already taken for this request (with the replay check, in the same round trip)."""
    ask = api_limit(caller, per_minute)
    if ask is None:
        return
    key, limit, window = ask
    decision = taken or await rate_limiter.hit(key, limit, window)
    if decision is None:
        return  # Redis did not answer: served (fail open), logged by the limiter
    _keep(request, decision)
    if not decision.allowed:
        raise RateLimited(
            f"Too many requests: the limit is {limit} per {window} s; try again in {decision.retry_after} s."
        )


def caller_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _account(email: str) -> str:
    # the address is not kept in Redis in clear (the keys are visible to whoever can read Redis)
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


async def _limit_pair(
    request: Request, kind: str, email: str, per_ip: int, per_account: int, window: int
) -> None:
    """Both limits are counted on every attempt; the stricter answer wins. The same message for either, so a
    refusal says nothing about whether the account exists."""
    if not get_settings().rate_limit_enabled:
        return
    by_ip = await rate_limiter.hit(f"{kind}:ip:{caller_ip(request)}", per_ip, window)
    by_account = await rate_limiter.hit(f"{kind}:account:{_account(email)}", per_account, window)
    decisions = [d for d in (by_ip, by_account) if d is not None]
    if not decisions:
        return
    refused = [d for d in decisions if not d.allowed]
    worst = (
        max(refused, key=lambda d: d.retry_after or 0)
        if refused
        else min(decisions, key=lambda d: d.remaining)
    )
    _keep(request, worst)
    if refused:
        raise RateLimited(f"Too many attempts; try again in {worst.retry_after} s.")


async def limit_login(request: Request, email: str) -> None:
    """Call before checking a login's password (and a TOTP code): at most LSP_LOGIN_LIMIT_PER_IP attempts from
    one IP and LSP_LOGIN_LIMIT_PER_ACCOUNT for one email in LSP_LOGIN_LIMIT_WINDOW_SECONDS; 429 past either."""
    s = get_settings()
    await _limit_pair(
        request,
        "login",
        email,
        s.login_limit_per_ip,
        s.login_limit_per_account,
        s.login_limit_window_seconds,
    )


async def limit_signup(request: Request, email: str) -> None:
    """Call before creating a signup: LSP_SIGNUP_LIMIT_PER_IP and LSP_SIGNUP_LIMIT_PER_ACCOUNT per
    LSP_SIGNUP_LIMIT_WINDOW_SECONDS."""
    s = get_settings()
    await _limit_pair(
        request,
        "signup",
        email,
        s.signup_limit_per_ip,
        s.signup_limit_per_account,
        s.signup_limit_window_seconds,
    )
