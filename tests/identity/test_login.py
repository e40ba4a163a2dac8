"""Logging in over real HTTP against the running API: both modes, indistinguishable refusals, lockout, session
fixation and CSRF, refresh-token rotation and reuse, logging out (here and everywhere), the session list."""

from __future__ import annotations

import statistics
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import select, update

from lightspeedpay.config import get_settings
from lightspeedpay.identity import tokens
from lightspeedpay.models import AuditLog, RefreshToken, User, UserSession
from tests.identity.people import PASSWORD, bearer, create_person, login, session_cookie, token_login


@pytest.fixture
async def http(platform) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=platform.api_url, timeout=30) as c:
        yield c


async def by_cookie(
    http: httpx.AsyncClient, method: str, path: str, cookie: str, *, csrf: str | None = None, **kw: Any
) -> httpx.Response:
    """A request carrying exactly this session cookie (and the CSRF header when given), nothing the jar kept."""
    http.cookies.clear()
    headers = {"Cookie": f"{get_settings().session_cookie}={cookie}", **kw.pop("headers", {})}
    if csrf is not None:
        headers["X-CSRF-Token"] = csrf
    return await http.request(method, path, headers=headers, **kw)


async def audit_rows(session, action: str) -> list[AuditLog]:
    await session.rollback()
    rows = await session.execute(
        select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.created_at)
    )
    return list(rows.scalars())


async def test_token_login_answers_a_bearer_pair_that_opens_the_routes_of_the_role(http, session):
    owner = await create_person(session, operator_role="owner")
    r = await login(http, owner)  # mode defaults to "token"
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 15 * 60
    assert body["refresh_token"].startswith("lspr_")
    assert jwt.get_unverified_header(body["access_token"])["kid"] == "dev"
    assert "set-cookie" not in r.headers

    me = await http.get("/api/v1/auth/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200, me.text
    out = me.json()
    assert out["user"]["email"] == owner.email and out["operator_role"] == "owner"
    assert (
        "owners:write" in out["operator_permissions"] and out["via"] == "token" and out["csrf_token"] is None
    )
    assert out["two_factor"] == {"enabled": False, "required": False, "recovery_codes_left": 0}
    assert (await http.get("/api/v1/admin/gateways", headers=bearer(body["access_token"]))).status_code == 200

    # the refresh token is stored only as its hash
    await session.rollback()
    stored = (await session.execute(select(RefreshToken))).scalars().one()
    assert stored.token_hash == tokens.digest(body["refresh_token"]) and stored.user_id == owner.id
    [row] = await audit_rows(session, "user.logged_in")
    assert row.actor == f"user:{owner.email}" and row.details == {"mode": "token"}


async def test_session_login_sets_a_hardened_cookie_and_csrf_guards_unsafe_requests(http, session):
    person = await create_person(session, operator_role="viewer")
    r = await login(http, person, mode="session")
    assert r.status_code == 200, r.text
    cookie = session_cookie(r)
    assert cookie.startswith("lsps_")
    set_cookie = r.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=lax" in set_cookie and "path=/" in set_cookie
    assert "secure" not in set_cookie  # only in production (LSP_ENV=production)
    assert "max-age=43200" in set_cookie  # the absolute expiry, 12 h
    body = r.json()
    assert body["user"]["email"] == person.email and body["csrf_token"] == tokens.csrf_token(cookie)
    await session.rollback()
    stored = (await session.execute(select(UserSession))).scalars().one()
    assert stored.token_hash == tokens.digest(cookie) and stored.revoked_at is None

    me = await by_cookie(http, "GET", "/api/v1/auth/me", cookie)  # reading needs no CSRF token
    assert me.status_code == 200 and me.json()["csrf_token"] == body["csrf_token"]
    assert me.json()["via"] == "session"

    for csrf in (None, "0" * 64, tokens.csrf_token("lsps_another")):
        refused = await by_cookie(http, "POST", "/api/v1/auth/logout", cookie, csrf=csrf)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "CSRF_FAILED", refused.text
    cross_site = await by_cookie(
        http,
        "POST",
        "/api/v1/auth/logout",
        cookie,
        csrf=body["csrf_token"],
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert cross_site.status_code == 403 and cross_site.json()["error"]["code"] == "CSRF_FAILED"
    assert (await by_cookie(http, "GET", "/api/v1/auth/me", cookie)).status_code == 200  # still logged in

    out = await by_cookie(http, "POST", "/api/v1/auth/logout", cookie, csrf=body["csrf_token"])
    assert out.status_code == 204, out.text
    assert f"{get_settings().session_cookie}=" in out.headers["set-cookie"]  # the cookie is cleared
    gone = await by_cookie(http, "GET", "/api/v1/auth/me", cookie)
    assert gone.status_code == 401


async def test_a_session_cookie_presented_at_login_dies_and_a_new_one_is_issued(http, session):
    """Session fixation: a cookie planted in the browser before login (here, one of the attacker's own
    sessions) is revoked by the login, and the victim's session has a new token."""
    attacker = await create_person(session, operator_role="viewer")
    victim = await create_person(session, operator_role="owner")
    planted = session_cookie(await login(http, attacker, mode="session"))

    http.cookies.clear()
    r = await http.post(
        "/api/v1/auth/login",
        json={"email": victim.email, "password": victim.password, "mode": "session"},
        headers={"Cookie": f"{get_settings().session_cookie}={planted}"},
    )
    assert r.status_code == 200, r.text
    fresh = session_cookie(r)
    assert fresh != planted
    assert (await by_cookie(http, "GET", "/api/v1/auth/me", planted)).status_code == 401
    me = await by_cookie(http, "GET", "/api/v1/auth/me", fresh)
    assert me.status_code == 200 and me.json()["user"]["email"] == victim.email
    # a cross-site page cannot open a session (login CSRF)
    http.cookies.clear()
    r = await http.post(
        "/api/v1/auth/login",
        json={"email": victim.email, "password": victim.password, "mode": "session"},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "CSRF_FAILED"


async def _timed(http: httpx.AsyncClient, email: str, password: str) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    r = await http.post("/api/v1/auth/login", json={"email": email, "password": password})
    return time.perf_counter() - started, r


async def test_wrong_password_and_unknown_email_are_indistinguishable(http, session):
    person = await create_person(session, operator_role="viewer")
    wrong, unknown = [], []
    for i in range(4):
        elapsed, r_wrong = await _timed(http, person.email, f"not-the-password-{i}")
        wrong.append(elapsed)
        elapsed, r_unknown = await _timed(http, f"nobody{i}@example.com", f"not-the-password-{i}")
        unknown.append(elapsed)
        assert r_wrong.status_code == r_unknown.status_code == 401
        assert r_wrong.json() == r_unknown.json()
        assert r_wrong.json()["error"]["code"] == "INVALID_CREDENTIALS"
        assert r_wrong.headers.keys() - {"date", "x-request-id"} == r_unknown.headers.keys() - {
            "date",
            "x-request-id",
        }
    # both pay for an Argon2 hash: without it an unknown email answers many times faster
    fast, slow = sorted((statistics.median(wrong), statistics.median(unknown)))
    assert slow < fast * 3, (wrong, unknown)

    rows = await audit_rows(session, "user.login_failed")
    assert len(rows) == 8 and {r.actor for r in rows} == {"anonymous"}
    assert {r.details["reason"] for r in rows} == {"wrong_password", "unknown_email"}
    assert all("not-the-password" not in str([r.details, r.before, r.after]) for r in rows)
    known = [r for r in rows if r.details["reason"] == "wrong_password"]
    assert {r.target_id for r in known} == {str(person.id)}


async def test_repeated_failures_lock_the_account_like_a_wrong_password_then_it_unlocks(http, session):
    person = await create_person(session, operator_role="viewer")
    for _ in range(5):
        r = await login(http, person, password="wrong-password-again")
        assert r.status_code == 401
    wrong_body = r.json()
    await session.rollback()
    user = await session.get(User, person.id, populate_existing=True)
    assert user is not None and user.failed_logins == 5 and user.locked_until is not None
    lock = user.locked_until - datetime.now(UTC)
    assert timedelta(minutes=14) < lock <= timedelta(minutes=15)
    [locked] = await audit_rows(session, "user.locked")
    assert locked.target_id == str(person.id) and locked.after["failed_logins"] == 5

    # the right password while locked: refused with the very answer of a wrong one, and not counted
    r = await login(http, person)
    assert r.status_code == 401 and r.json() == wrong_body and "retry-after" not in r.headers
    await session.rollback()
    user = await session.get(User, person.id, populate_existing=True)
    assert user is not None and user.failed_logins == 5

    # the lock ends: one more failure locks again, twice as long
    await session.execute(update(User).where(User.id == person.id).values(locked_until=datetime.now(UTC)))
    await session.commit()
    assert (await login(http, person, password="wrong-password-again")).status_code == 401
    user = await session.get(User, person.id, populate_existing=True)
    assert user is not None and user.failed_logins == 6 and user.locked_until is not None
    assert timedelta(minutes=29) < user.locked_until - datetime.now(UTC) <= timedelta(minutes=30)

    # it ends again; the right password logs in and resets the count
    await session.execute(update(User).where(User.id == person.id).values(locked_until=datetime.now(UTC)))
    await session.commit()
    assert (await login(http, person)).status_code == 200
    await session.rollback()
    user = await session.get(User, person.id, populate_existing=True)
    assert user is not None and user.failed_logins == 0 and user.locked_until is None


async def test_a_disabled_account_is_refused_like_a_wrong_password(http, session):
    person = await create_person(session, operator_role="viewer")
    wrong = await login(http, person, password="wrong-password-again")
    await session.execute(update(User).where(User.id == person.id).values(disabled_at=datetime.now(UTC)))
    await session.commit()
    r = await login(http, person)
    assert r.status_code == 401 and r.json() == wrong.json()


async def test_refresh_rotates_and_a_reused_token_revokes_the_family(http, session):
    person = await create_person(session, operator_role="viewer")
    first = await token_login(http, person)
    other_login = await token_login(http, person)  # another device: a family of its own

    r = await http.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert r.status_code == 200, r.text
    second = r.json()
    assert second["refresh_token"] != first["refresh_token"] and second["token_type"] == "bearer"
    # the new access token keeps the login's auth_time: a refresh is not a re-authentication
    auth_times = [
        jwt.decode(t["access_token"], options={"verify_signature": False})["auth_time"]
        for t in (first, second)
    ]
    assert auth_times[0] == auth_times[1]
    assert (await http.get("/api/v1/auth/me", headers=bearer(second["access_token"]))).status_code == 200

    # the first refresh token again: someone else holds it; the whole family ends
    r = await http.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert r.status_code == 401 and r.json()["error"]["code"] == "REFRESH_TOKEN_REUSED", r.text
    for access in (first["access_token"], second["access_token"]):
        assert (await http.get("/api/v1/auth/me", headers=bearer(access))).status_code == 401
    r = await http.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert r.status_code == 401 and r.json()["error"]["code"] == "REFRESH_TOKEN_INVALID"
    # the other device is untouched
    assert (await http.get("/api/v1/auth/me", headers=bearer(other_login["access_token"]))).status_code == 200
    [row] = await audit_rows(session, "user.refresh_token_reused")
    assert row.target_id == str(person.id) and row.details["refresh_tokens_revoked"] == 2

    r = await http.post("/api/v1/auth/refresh", json={"refresh_token": "lspr_never-issued"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "REFRESH_TOKEN_INVALID"
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.token_hash == tokens.digest(other_login["refresh_token"]))
        .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    await session.commit()
    r = await http.post("/api/v1/auth/refresh", json={"refresh_token": other_login["refresh_token"]})
    assert r.status_code == 401 and r.json()["error"]["code"] == "REFRESH_TOKEN_INVALID"


async def test_token_logout_ends_its_family_and_logout_all_ends_every_login(http, session):
    person = await create_person(session, operator_role="viewer")
    a = await token_login(http, person)
    b = await token_login(http, person)
    cookie = session_cookie(await login(http, person, mode="session"))

    r = await http.post("/api/v1/auth/logout", headers=bearer(a["access_token"]))
    assert r.status_code == 204
    assert (await http.get("/api/v1/auth/me", headers=bearer(a["access_token"]))).status_code == 401
    r = await http.post("/api/v1/auth/refresh", json={"refresh_token": a["refresh_token"]})
    assert r.status_code == 401
    assert (await http.get("/api/v1/auth/me", headers=bearer(b["access_token"]))).status_code == 200

    r = await http.post("/api/v1/auth/logout-all", headers=bearer(b["access_token"]))
    assert r.status_code == 200, r.text
    assert r.json() == {"sessions_revoked": 1, "refresh_tokens_revoked": 1}
    assert (await http.get("/api/v1/auth/me", headers=bearer(b["access_token"]))).status_code == 401
    assert (await by_cookie(http, "GET", "/api/v1/auth/me", cookie)).status_code == 401
    [row] = await audit_rows(session, "user.logged_out_everywhere")
    assert row.actor == f"user:{person.email}"
    assert (await login(http, person)).status_code == 200  # logging in again works


async def test_the_session_list_shows_each_login_and_one_can_be_ended(http, session):
    person = await create_person(session, operator_role="viewer")
    other = await create_person(session, operator_role="viewer")
    mine = await token_login(http, person)
    r = await http.post(
        "/api/v1/auth/login",
        json={"email": person.email, "password": PASSWORD, "mode": "session"},
        headers={"User-Agent": "Firefox/140"},
    )
    cookie = session_cookie(r)
    theirs = await token_login(http, other)

    r = await http.get("/api/v1/auth/sessions", headers=bearer(mine["access_token"]))
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert sorted(i["kind"] for i in items) == ["session", "token"]
    browser = next(i for i in items if i["kind"] == "session")
    assert browser["user_agent"] == "Firefox/140" and browser["ip"] == "127.0.0.1" and not browser["current"]
    assert next(i for i in items if i["kind"] == "token")["current"]

    # another person's login is not mine to end
    their_family = jwt.decode(theirs["access_token"], options={"verify_signature": False})["sid"]
    r = await http.delete(f"/api/v1/auth/sessions/{their_family}", headers=bearer(mine["access_token"]))
    assert r.status_code == 404 and r.json()["error"]["code"] == "SESSION_NOT_FOUND"
    assert (await http.get("/api/v1/auth/me", headers=bearer(theirs["access_token"]))).status_code == 200

    r = await http.delete(f"/api/v1/auth/sessions/{browser['id']}", headers=bearer(mine["access_token"]))
    assert r.status_code == 204, r.text
    assert (await by_cookie(http, "GET", "/api/v1/auth/me", cookie)).status_code == 401
    r = await http.get("/api/v1/auth/sessions", headers=bearer(mine["access_token"]))
    assert [i["kind"] for i in r.json()["items"]] == ["token"]


async def test_logged_out_callers_get_401(http):
    for method, path in (
        ("GET", "/api/v1/auth/me"),
        ("POST", "/api/v1/auth/logout"),
        ("GET", "/api/v1/auth/sessions"),
    ):
        r = await http.request(method, path)
        assert r.status_code == 401, (path, r.text)
    r = await http.get("/api/v1/auth/me", headers=bearer("not.a.jwt"))
    assert r.status_code == 401
    assert (await by_cookie(http, "GET", "/api/v1/auth/me", "lsps_forged")).status_code == 401


async def test_a_merchant_team_member_acts_for_their_merchant(http, session):
    from tests.factories import create_merchant

    new = await create_merchant(session)
    dev = await create_person(session, merchant_id=new.client.id, merchant_role="developer")
    pair = await token_login(http, dev)
    me = (await http.get("/api/v1/auth/me", headers=bearer(pair["access_token"]))).json()
    [membership] = me["memberships"]
    assert membership["merchant_id"] == str(new.client.id) and membership["role"] == "developer"
    assert "webhooks:write" in membership["permissions"] and me["operator_role"] is None
    r = await http.get("/api/v1/merchant/webhooks", headers=bearer(pair["access_token"]))
    assert r.status_code == 200, r.text
    r = await http.get("/api/v1/admin/gateways", headers=bearer(pair["access_token"]))
    assert r.status_code == 403  # not operator staff


async def test_a_hash_of_older_parameters_is_replaced_at_login(http, session):
    from pwdlib.hashers.argon2 import Argon2Hasher

    person = await create_person(session, operator_role="viewer")
    weak = Argon2Hasher(time_cost=1, memory_cost=8192, parallelism=1).hash(person.password)
    await session.execute(update(User).where(User.id == person.id).values(password_hash=weak))
    await session.commit()
    assert (await login(http, person)).status_code == 200
    await session.rollback()
    user = await session.get(User, person.id, populate_existing=True)
    assert user is not None and user.password_hash != weak and "m=65536" in (user.password_hash or "")
    assert (await login(http, person)).status_code == 200  # and the new hash verifies


def test_the_session_cookie_is_secure_in_production(monkeypatch):
    from fastapi.responses import Response

    from lightspeedpay.people.login_api import clear_session_cookie, set_session_cookie

    monkeypatch.setenv("LSP_ENV", "production")
    get_settings.cache_clear()
    try:
        set_it, clear_it = Response(), Response()
        set_session_cookie(set_it, "lsps_example")
        clear_session_cookie(clear_it)
        for r in (set_it, clear_it):
            header = r.headers["set-cookie"].lower()
            assert "secure" in header and "httponly" in header and "samesite=lax" in header, header
    finally:
        monkeypatch.delenv("LSP_ENV")
        get_settings.cache_clear()


async def test_two_parallel_refreshes_of_one_token_leave_no_live_token(http, session):
    """Two holders racing with the same refresh token: one gets a pair, the other REFRESH_TOKEN_REUSED, and the
    family is revoked, so the winner's new tokens die too (no one is left holding a stolen login)."""
    import asyncio

    person = await create_person(session, operator_role="viewer")
    pair = await token_login(http, person)
    body = {"refresh_token": pair["refresh_token"]}
    first, second = await asyncio.gather(
        http.post("/api/v1/auth/refresh", json=body), http.post("/api/v1/auth/refresh", json=body)
    )
    statuses = sorted([first.status_code, second.status_code])
    assert statuses == [200, 401], (first.text, second.text)
    winner, loser = (first, second) if first.status_code == 200 else (second, first)
    assert loser.json()["error"]["code"] == "REFRESH_TOKEN_REUSED"
    assert (
        await http.get("/api/v1/auth/me", headers=bearer(winner.json()["access_token"]))
    ).status_code == 401
    r = await http.post("/api/v1/auth/refresh", json={"refresh_token": winner.json()["refresh_token"]})
    assert r.status_code == 401
