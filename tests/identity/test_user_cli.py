"""`lightspeedpay user create | set-role | disable`, run as an operator runs them, against the test database; the
person made logs in over HTTP."""

from __future__ import annotations

import asyncio
import getpass
import sys
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from lightspeedpay.models import AuditLog, User
from tests.fixtures import ROOT, Platform
from tests.identity.people import PASSWORD, Someone, bearer, login, token_login


@pytest.fixture
async def http(platform) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=platform.api_url, timeout=30) as c:
        yield c


async def user_cli(platform: Platform, *args: str, stdin: str = "") -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "lightspeedpay.cli",
        "user",
        *args,
        env=platform.env,
        cwd=ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(stdin.encode()), 120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_user_create_makes_an_operator_who_can_log_in(platform, http, session):
    email = "First.Owner@example.com"
    code, out, err = await user_cli(
        platform, "create", "--email", email, "--role", "owner", "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert code == 0, err
    assert "created owner" in out and PASSWORD not in out

    await session.rollback()
    user = (await session.execute(select(User))).scalars().one()
    assert (
        user.operator_role == "owner" and user.password_hash and user.password_hash.startswith("$argon2id$")
    )
    [row] = (await session.execute(select(AuditLog).where(AuditLog.action == "user.created"))).scalars().all()
    assert row.actor == f"cli:{getpass.getuser()}" and row.target_id == str(user.id)
    assert row.after == {"email": email, "operator_role": "owner"} and PASSWORD not in str(row.details)

    owner = Someone(user.id, "first.owner@EXAMPLE.com")  # the address in any case
    pair = await token_login(http, owner)
    me = await http.get("/api/v1/auth/me", headers=bearer(pair["access_token"]))
    assert me.json()["operator_role"] == "owner"

    # refused, each with its code and nothing written
    for args, stdin, expected in (
        (("--email", "second@example.com", "--role", "owner"), "short\n", "WEAK_PASSWORD"),
        (("--email", "second@example.com", "--role", "owner"), "second@example.com\n", "WEAK_PASSWORD"),
        (("--email", email.upper(), "--role", "admin"), PASSWORD + "\n", "EMAIL_TAKEN"),
        (("--email", "not-an-address", "--role", "admin"), PASSWORD + "\n", "INVALID_EMAIL"),
        (("--email", "third@example.com", "--role", "emperor"), PASSWORD + "\n", "VALIDATION_ERROR"),
    ):
        code, out, err = await user_cli(platform, "create", *args, "--password-stdin", stdin=stdin)
        assert code == 1 and err.startswith(expected), (args, out, err)
    await session.rollback()
    assert len((await session.execute(select(User))).scalars().all()) == 1


async def test_set_role_and_disable_keep_an_owner_and_end_logins(platform, http, session):
    for email, role in (("boss@example.com", "owner"), ("helper@example.com", "support")):
        code, _, err = await user_cli(
            platform, "create", "--email", email, "--role", role, "--password-stdin", stdin=PASSWORD + "\n"
        )
        assert code == 0, err

    code, _, err = await user_cli(platform, "set-role", "--email", "boss@example.com", "--role", "admin")
    assert code == 1 and err.startswith("LAST_OWNER")
    code, _, err = await user_cli(platform, "disable", "--email", "boss@example.com")
    assert code == 1 and err.startswith("LAST_OWNER")

    await session.rollback()
    helper_id = (
        await session.execute(select(User.id).where(User.email == "helper@example.com"))
    ).scalar_one()
    helper = Someone(helper_id, "helper@example.com")
    pair = await token_login(http, helper)
    assert (
        await http.post("/api/v1/admin/gateways", headers=bearer(pair["access_token"]), json={})
    ).status_code == 403

    code, out, err = await user_cli(platform, "set-role", "--email", "helper@example.com", "--role", "owner")
    assert code == 0 and "support -> owner" in out, err
    # the role is read on every request: the same access token now carries the owner's permissions
    r = await http.get("/api/v1/auth/me", headers=bearer(pair["access_token"]))
    assert r.json()["operator_role"] == "owner"

    code, _, err = await user_cli(platform, "disable", "--email", "helper@example.com")
    assert code == 0, err
    assert (await http.get("/api/v1/auth/me", headers=bearer(pair["access_token"]))).status_code == 401
    r = await http.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert r.status_code == 401
    assert (await login(http, helper)).status_code == 401
    code, _, err = await user_cli(platform, "set-role", "--email", "nobody@example.com", "--role", "owner")
    assert code == 1 and err.startswith("USER_NOT_FOUND")

    await session.rollback()
    actions = (
        (await session.execute(select(AuditLog.action).where(AuditLog.actor == f"cli:{getpass.getuser()}")))
        .scalars()
        .all()
    )
    assert sorted(actions) == ["user.created", "user.created", "user.disabled", "user.role_changed"]
