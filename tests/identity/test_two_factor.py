"""Two-factor authentication over real HTTP: setup and enable, codes that work once, recovery codes, the
re-authentication window of sensitive actions, and enforcement (a merchant's `require_2fa`, every operator)."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pyotp
import pytest
from sqlalchemy import select, update
from starlette.requests import Request

from lightspeedpay.config import get_settings
from lightspeedpay.identity import deps, tokens
from lightspeedpay.identity.deps import Person, TwoFactorRequired, require_two_factor
from lightspeedpay.kit import crypto
from lightspeedpay.models import AuditLog, Client, RecoveryCode, User, UserSession
from tests.factories import create_merchant, merchant_client
from tests.identity.people import bearer, create_person, login, next_code, session_cookie, token_login


@pytest.fixture
async def http(platform) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=platform.api_url, timeout=30) as c:
        yield c


async def enable_2fa(http: httpx.AsyncClient, access: str) -> tuple[str, list[str]]:
    r = await http.post("/api/v1/auth/2fa/setup", headers=bearer(access))
    assert r.status_code == 200, r.text
    secret = r.json()["secret"]
    r = await http.post(
        "/api/v1/auth/2fa/enable", json={"code": pyotp.TOTP(secret).now()}, headers=bearer(access)
    )
    assert r.status_code == 200, r.text
    return secret, r.json()["recovery_codes"]


def error(r: httpx.Response) -> str:
    return str(r.json()["error"]["code"])


async def test_totp_setup_enable_and_codes_that_work_once(http, session):
    person = await create_person(session, operator_role="viewer")
    access = (await token_login(http, person))["access_token"]

    r = await http.post("/api/v1/auth/2fa/setup", headers=bearer(access))
    assert r.status_code == 200, r.text
    secret, uri = r.json()["secret"], r.json()["provisioning_uri"]
    assert uri.startswith("otpauth://totp/") and "issuer=LightSpeedPay" in uri and secret in uri
    await session.rollback()
    user = await session.get(User, person.id, populate_existing=True)
    assert user is not None and user.totp_enabled_at is None
    assert user.totp_secret_enc and secret not in user.totp_secret_enc  # stored encrypted
    assert crypto.decrypt(user.totp_secret_enc) == secret
    assert (await login(http, person)).status_code == 200  # nothing changes until it is enabled

    wrong = await http.post("/api/v1/auth/2fa/enable", json={"code": "000000"}, headers=bearer(access))
    if pyotp.TOTP(secret).verify("000000", valid_window=1):  # one chance in a third of a million
        pytest.skip("the wrong code happened to be right")
    assert wrong.status_code == 401 and error(wrong) == "TOTP_INVALID"
    current = pyotp.TOTP(secret).now()
    r = await http.post("/api/v1/auth/2fa/enable", json={"code": current}, headers=bearer(access))
    assert r.status_code == 200, r.text
    codes = r.json()["recovery_codes"]
    assert len(codes) == len(set(codes)) == 10
    await session.rollback()
    stored = (
        (await session.execute(select(RecoveryCode).where(RecoveryCode.user_id == person.id))).scalars().all()
    )
    assert {row.code_hash for row in stored} == {tokens.digest(c.replace("-", "")) for c in codes}
    again = await http.post("/api/v1/auth/2fa/setup", headers=bearer(access))
    assert again.status_code == 409 and error(again) == "TOTP_ALREADY_ENABLED"

    # the password alone no longer logs in; a wrong password says nothing of the second factor
    r = await login(http, person)
    assert r.status_code == 401 and error(r) == "TOTP_REQUIRED"
    r = await login(http, person, password="wrong-password-again", totp_code=current)
    assert r.status_code == 401 and error(r) == "INVALID_CREDENTIALS"
    # the code that enabled it cannot log in (its time step is spent)
    r = await login(http, person, totp_code=current)
    assert r.status_code == 401 and error(r) in ("TOTP_REUSED", "TOTP_INVALID"), r.text
    code = next_code(secret)
    r = await login(http, person, totp_code=code)
    assert r.status_code == 200, r.text
    r = await login(http, person, totp_code=code)
    assert r.status_code == 401 and error(r) == "TOTP_REUSED"
    r = await login(http, person, totp_code="12345")
    assert r.status_code == 401 and error(r) == "TOTP_INVALID"

    # a recovery code works once, typed with or without its dash, in any case
    r = await login(http, person, recovery_code=codes[0].upper().replace("-", " "))
    assert r.status_code == 200, r.text
    r = await login(http, person, recovery_code=codes[0])
    assert r.status_code == 401 and error(r) == "RECOVERY_CODE_INVALID"
    pair = await token_login(http, person, recovery_code=codes[1])
    me = await http.get("/api/v1/auth/me", headers=bearer(pair["access_token"]))
    assert me.json()["two_factor"] == {"enabled": True, "required": False, "recovery_codes_left": 8}

    await session.rollback()
    actions = (
        await session.execute(
            select(AuditLog.action, AuditLog.details).where(AuditLog.target_id == str(person.id))
        )
    ).all()
    assert ("user.2fa_enabled", None) in actions
    logins = [d for a, d in actions if a == "user.logged_in"]
    assert {"mode": "token", "second_factor": "recovery_code", "recovery_codes_left": 9} in logins
    failed = [d["reason"] for a, d in actions if a == "user.login_failed"]
    assert sorted(failed) == ["wrong_password", "wrong_recovery_code", "wrong_totp"]
    assert all(secret not in str(d) and codes[2] not in str(d) for _, d in actions)


async def test_sensitive_two_factor_changes_need_a_recent_login(http, session):
    person = await create_person(session, operator_role="viewer")
    r = await login(http, person, mode="session")
    cookie, csrf = session_cookie(r), r.json()["csrf_token"]
    headers = {"Cookie": f"{get_settings().session_cookie}={cookie}", "X-CSRF-Token": csrf}
    http.cookies.clear()
    r = await http.post("/api/v1/auth/2fa/setup", headers=headers)
    secret = r.json()["secret"]
    r = await http.post("/api/v1/auth/2fa/enable", json={"code": pyotp.TOTP(secret).now()}, headers=headers)
    assert r.status_code == 200, r.text

    # the login was 20 minutes ago: over LSP_REAUTH_SECONDS (10 minutes)
    long_ago = datetime.now(UTC) - timedelta(minutes=20)
    await session.execute(
        update(UserSession).where(UserSession.user_id == person.id).values(authenticated_at=long_ago)
    )
    await session.commit()
    for path in ("/api/v1/auth/2fa/recovery-codes", "/api/v1/auth/2fa/disable"):
        r = await http.post(path, headers=headers)
        assert r.status_code == 403 and error(r) == "REAUTHENTICATION_REQUIRED", (path, r.text)

    r = await http.post("/api/v1/auth/reauthenticate", json={"password": person.password}, headers=headers)
    assert r.status_code == 401 and error(r) == "TOTP_REQUIRED"
    r = await http.post(
        "/api/v1/auth/reauthenticate", json={"password": "wrong-password-again"}, headers=headers
    )
    assert r.status_code == 401 and error(r) == "INVALID_CREDENTIALS"
    await session.rollback()
    user = await session.get(User, person.id, populate_existing=True)
    assert user is not None and user.failed_logins == 1  # guessing through a stolen session counts too
    # and a lockout holds there as well: the right password is refused while the account is locked
    await session.execute(
        update(User).where(User.id == person.id).values(locked_until=datetime.now(UTC) + timedelta(minutes=5))
    )
    await session.commit()
    r = await http.post(
        "/api/v1/auth/reauthenticate",
        json={"password": person.password, "totp_code": next_code(secret)},
        headers=headers,
    )
    assert r.status_code == 401 and error(r) == "INVALID_CREDENTIALS"
    await session.execute(update(User).where(User.id == person.id).values(locked_until=None))
    await session.commit()
    r = await http.post(
        "/api/v1/auth/reauthenticate",
        json={"password": person.password, "totp_code": next_code(secret)},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["access_token"] is None

    r = await http.post("/api/v1/auth/2fa/recovery-codes", headers=headers)
    assert r.status_code == 200 and len(r.json()["recovery_codes"]) == 10
    r = await http.post("/api/v1/auth/2fa/disable", headers=headers)
    assert r.status_code == 204, r.text
    assert (await login(http, person)).status_code == 200  # the password alone again
    await session.rollback()
    assert (
        await session.execute(select(RecoveryCode).where(RecoveryCode.user_id == person.id))
    ).first() is None


async def test_a_token_caller_reauthenticates_for_a_fresh_access_token(http, session):
    person = await create_person(session, operator_role="viewer")
    pair = await token_login(http, person)
    secret, _ = await enable_2fa(http, pair["access_token"])
    family = uuid.UUID(jwt.decode(pair["access_token"], options={"verify_signature": False})["sid"])
    # an access token of the same live family, from a login an hour ago
    stale, _ = tokens.issue_access_token(person.id, family, authenticated_at=time.time() - 3600)
    r = await http.post("/api/v1/auth/2fa/recovery-codes", headers=bearer(stale))
    assert r.status_code == 403 and error(r) == "REAUTHENTICATION_REQUIRED"

    r = await http.post(
        "/api/v1/auth/reauthenticate",
        json={"password": person.password, "totp_code": next_code(secret)},
        headers=bearer(stale),
    )
    assert r.status_code == 200, r.text
    fresh = r.json()["access_token"]
    claims = jwt.decode(fresh, options={"verify_signature": False})
    assert abs(claims["auth_time"] - time.time()) < 30 and claims["sid"] == str(family)
    r = await http.post("/api/v1/auth/2fa/recovery-codes", headers=bearer(fresh))
    assert r.status_code == 200, r.text


async def test_a_merchant_requiring_2fa_lets_its_team_only_set_it_up(http, session):
    new = await create_merchant(session)
    member = await create_person(session, merchant_id=new.client.id, merchant_role="owner")
    await session.execute(update(Client).where(Client.id == new.client.id).values(require_2fa=True))
    await session.commit()

    pair = await token_login(http, member)  # logging in still works
    access = pair["access_token"]
    for method, path in (
        ("GET", "/api/v1/merchant/webhooks"),
        ("GET", "/api/v1/auth/sessions"),
        ("POST", "/api/v1/auth/reauthenticate"),
    ):
        r = await http.request(method, path, headers=bearer(access), json={"password": member.password})
        assert r.status_code == 403 and error(r) == "TWO_FACTOR_REQUIRED", (path, r.text)
    me = await http.get("/api/v1/auth/me", headers=bearer(access))
    assert me.status_code == 200 and me.json()["two_factor"]["required"] is True

    await enable_2fa(http, access)
    r = await http.get("/api/v1/merchant/webhooks", headers=bearer(access))
    assert r.status_code == 200, r.text
    r = await http.post("/api/v1/auth/2fa/disable", headers=bearer(access))
    assert r.status_code == 409 and error(r) == "TWO_FACTOR_MANDATORY"
    # the merchant's API credential is not a person: signed requests are unaffected
    signed = await merchant_client(str(http.base_url).rstrip("/"), new, http).get("/api/v1/merchant/webhooks")
    assert signed.status_code == 200, signed.text


def _request() -> Request:
    return Request({"type": "http", "method": "GET", "path": "/", "headers": [], "query_string": b""})


async def test_operators_must_have_2fa_when_the_setting_says_so(session, monkeypatch):
    """LSP_OPERATORS_REQUIRE_2FA, checked against real rows through identity.deps (the running API keeps the
    test default, off)."""
    operator = await create_person(session, operator_role="support")
    user = await session.get(User, operator.id)
    assert user is not None
    caller = Person(user, "token", uuid.uuid4(), time.time())
    await require_two_factor(_request(), caller)  # off by default

    monkeypatch.setenv("LSP_OPERATORS_REQUIRE_2FA", "true")
    get_settings.cache_clear()
    try:
        with pytest.raises(TwoFactorRequired):
            await require_two_factor(_request(), caller)
        user.totp_enabled_at = datetime.now(UTC)
        await require_two_factor(_request(), Person(user, "token", uuid.uuid4(), time.time()))
        # a merchant-only person is not operator staff: the setting does not reach them
        merchant_only = await create_person(session)
        other = await session.get(User, merchant_only.id)
        assert other is not None
        await require_two_factor(_request(), Person(other, "token", uuid.uuid4(), time.time()))
    finally:
        monkeypatch.delenv("LSP_OPERATORS_REQUIRE_2FA")
        get_settings.cache_clear()


async def test_the_bootstrap_token_is_refused_in_production_once_an_owner_exists(session, monkeypatch):
    monkeypatch.setattr(deps, "_owner_seen", {})
    monkeypatch.setenv("LSP_ENV", "production")
    get_settings.cache_clear()
    try:
        assert await deps._bootstrap_allowed()  # no owner yet: the token makes the first one
        admin = await create_person(session, operator_role="admin")
        assert await deps._bootstrap_allowed()  # an admin is not an owner
        owner = await create_person(session, operator_role="owner")
        await session.execute(update(User).where(User.id == owner.id).values(disabled_at=datetime.now(UTC)))
        await session.commit()
        assert await deps._bootstrap_allowed()  # a disabled owner does not count
        await create_person(session, operator_role="owner")
        assert not await deps._bootstrap_allowed()
        assert admin
    finally:
        monkeypatch.delenv("LSP_ENV")
        get_settings.cache_clear()
    monkeypatch.setattr(deps, "_owner_seen", {})
    assert await deps._bootstrap_allowed()  # outside production it always works (development, the tests)


async def test_bootstrap_token_still_opens_admin_routes_outside_production(http, session):
    await create_person(session, operator_role="owner")
    r = await http.get("/api/v1/admin/gateways", headers=bearer(get_settings().admin_token))
    assert r.status_code == 200, r.text
