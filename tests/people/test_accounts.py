"""Signup, email verification and password reset over HTTP, with the emails read from the SMTP stand-in: each
link works once; answers never say whether an address has an account; a reset ends every session."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select, update

from lightspeedpay.identity import tokens
from lightspeedpay.identity.passwords import verify_password
from lightspeedpay.models import (
    AuditLog,
    Client,
    MerchantMembership,
    RefreshToken,
    User,
    UserSession,
    UserToken,
)
from tests.factories import create_merchant
from tests.fixtures import LOG_DIR
from tests.people.support import create_person, log_in, mails, new_email, token_of, wait_mail

PASSWORD = "a long and quiet river"
NEW_PASSWORD = "another long quiet river"


@pytest.fixture
async def http(platform) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=platform.api_url, timeout=30) as c:
        yield c


def _signup(address: str, **overrides: object) -> dict[str, object]:
    return {
        "business_name": "Asha Textiles",
        "contact_name": "Asha Rao",
        "email": address,
        "password": PASSWORD,
        "phone": "919876543210",
        **overrides,
    }


async def _user(session, email: str) -> User:
    await session.rollback()
    stmt = select(User).where(User.email == email).execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one()


async def test_signup_then_the_emailed_link_verifies_once(platform, session, http):
    email = new_email("signup")
    r = await http.post("/api/v1/auth/signup", json=_signup(email.upper()))
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "verification_sent" and r.json()["email"] == email
    user = await _user(session, email)
    assert user.email_verified_at is None and user.name == "Asha Rao"
    [membership] = (
        await session.execute(select(MerchantMembership).where(MerchantMembership.user_id == user.id))
    ).scalars()
    client = await session.get(Client, membership.client_id)
    assert client is not None and membership.role == "owner"
    client_id, user_id = client.id, user.id
    assert (client.company_name, client.kyc_status, client.whatsapp_phone) == (
        "Asha Textiles",
        "draft",
        "919876543210",
    )

    message = await wait_mail(platform, email, contains="Confirm")
    token = token_of(message)
    assert message["links"][0].startswith(f"{platform.api_url}/auth/verify-email?token=lspe_")
    # only the token's digest is stored
    stored = (await session.execute(select(UserToken).where(UserToken.user_id == user_id))).scalar_one()
    assert stored.token_hash == tokens.digest(token) and token.encode() not in stored.token_hash

    r = await http.post("/api/v1/auth/verify-email", json={"token": token})
    assert r.status_code == 200, r.text
    assert r.json()["merchant_id"] == str(client_id) and r.json()["email"] == email
    assert (await _user(session, email)).email_verified_at is not None

    again = await http.post("/api/v1/auth/verify-email", json={"token": token})
    assert again.status_code == 400 and again.json()["error"] == {
        "code": "TOKEN_USED",
        "message": "This link has already been used; ask for a new one.",
        "field": "token",
    }
    forged = await http.post("/api/v1/auth/verify-email", json={"token": "lspe_" + "x" * 43})
    assert forged.status_code == 400 and forged.json()["error"]["code"] == "TOKEN_INVALID"

    actions = set(
        (await session.execute(select(AuditLog.action).where(AuditLog.client_id == client_id))).scalars()
    )
    assert {"merchant.created", "merchant.signed_up", "user.email_verified"} <= actions


async def test_signup_with_a_taken_address_answers_alike_and_tells_the_owner(platform, session, http):
    existing = (await create_person(session, email=new_email("taken"))).email
    clients_before = (await session.execute(select(func.count()).select_from(Client))).scalar_one()
    r = await http.post("/api/v1/auth/signup", json=_signup(existing, business_name="Impostor Ltd"))
    assert r.status_code == 201, r.text
    fresh = await http.post("/api/v1/auth/signup", json=_signup(new_email("fresh")))
    assert set(r.json()) == set(fresh.json()) and r.json()["message"] == fresh.json()["message"]

    message = await wait_mail(platform, existing)
    assert message["subject"] == "Someone tried to sign up with your email address"
    assert not any("token=" in link for link in message["links"])
    await session.rollback()
    clients_after = (await session.execute(select(func.count()).select_from(Client))).scalar_one()
    assert clients_after == clients_before + 1  # the fresh signup's only


@pytest.mark.parametrize(
    ("overrides", "status", "code", "field"),
    [
        ({"password": "short"}, 422, "WEAK_PASSWORD", "password"),
        ({"password": "password1234"}, 422, "WEAK_PASSWORD", "password"),
        ({"email": "not-an-email"}, 422, "VALIDATION_ERROR", "email"),
        ({"business_name": ""}, 422, "VALIDATION_ERROR", "business_name"),
        ({"phone": "12ab"}, 422, "VALIDATION_ERROR", "phone"),
        ({"surprise": 1}, 422, "VALIDATION_ERROR", "surprise"),
    ],
)
async def test_signup_refuses_bad_input_and_writes_nothing(session, http, overrides, status, code, field):
    email = new_email("bad")
    r = await http.post("/api/v1/auth/signup", json={**_signup(email), **overrides})
    assert r.status_code == status, r.text
    assert (r.json()["error"]["code"], r.json()["error"]["field"]) == (code, field)
    await session.rollback()
    assert (await session.execute(select(User).where(User.email == email))).first() is None


async def test_resend_answers_alike_and_sends_only_to_an_unverified_account(platform, session, http):
    unverified = (await create_person(session, verified=False)).email
    verified = (await create_person(session)).email
    for address in (unverified, verified, new_email("nobody")):
        r = await http.post("/api/v1/auth/verify-email/resend", json={"email": address})
        assert r.status_code == 202 and r.json()["status"] == "accepted"
    message = await wait_mail(platform, unverified)
    r = await http.post("/api/v1/auth/verify-email", json={"token": token_of(message)})
    assert r.status_code == 200 and r.json()["merchant_id"] is None
    assert await mails(platform, verified) == []


async def test_password_reset_changes_the_password_and_ends_every_session(platform, session, http):
    merchant = await create_merchant(session)
    user = await create_person(session, password=PASSWORD, member_of=merchant.client.id)
    user_id, email = user.id, user.email
    await session.execute(update(User).where(User.id == user_id).values(failed_logins=7))
    session.add(
        RefreshToken(
            id=uuid.uuid4(),
            family_id=uuid.uuid4(),
            user_id=user_id,
            token_hash=tokens.digest(tokens.new_token(tokens.REFRESH_PREFIX)),
            expires_at=datetime.now(UTC) + timedelta(days=1),
        )
    )
    await session.commit()
    cookies = [await log_in(session, user_id), await log_in(session, user_id)]
    assert (await http.get("/api/v1/merchant/team", headers=cookies[0])).status_code == 200

    for address in (email, new_email("nobody")):
        r = await http.post("/api/v1/auth/password-reset", json={"email": address})
        assert r.status_code == 202, r.text
    token = token_of(await wait_mail(platform, email, contains="Reset"))

    weak = await http.post("/api/v1/auth/password-reset/confirm", json={"token": token, "password": "x" * 5})
    assert weak.status_code == 422 and weak.json()["error"]["code"] == "WEAK_PASSWORD"
    r = await http.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD}
    )
    assert r.status_code == 200, r.text  # the refused attempt left the link working
    assert r.json() == {"status": "password_changed", "sessions_revoked": 3}

    stored = await _user(session, email)
    assert (await verify_password(NEW_PASSWORD, stored.password_hash))[0]
    assert not (await verify_password(PASSWORD, stored.password_hash))[0]
    assert stored.failed_logins == 0 and stored.locked_until is None and stored.password_changed_at
    for headers in cookies:
        assert (await http.get("/api/v1/merchant/team", headers=headers)).status_code == 401
    live = await session.execute(
        select(func.count())
        .select_from(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
    )
    assert live.scalar_one() == 0
    assert (
        await session.execute(select(RefreshToken.revoked_at).where(RefreshToken.user_id == user_id))
    ).scalar_one()

    reused = await http.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": PASSWORD}
    )
    assert reused.status_code == 400 and reused.json()["error"]["code"] == "TOKEN_USED"
    await wait_mail(platform, email, contains="was changed")
    # the link's token reached no log
    for log_file in LOG_DIR.glob("*.log"):
        assert token not in log_file.read_text(errors="replace"), log_file.name


async def test_an_expired_reset_link_is_refused(platform, session, http):
    user = await create_person(session, password=PASSWORD)
    user_id, email = user.id, user.email
    r = await http.post("/api/v1/auth/password-reset", json={"email": email})
    assert r.status_code == 202
    token = token_of(await wait_mail(platform, email))
    await session.execute(
        update(UserToken)
        .where(UserToken.user_id == user_id)
        .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    await session.commit()
    r = await http.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD}
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "TOKEN_EXPIRED"
    assert (await verify_password(PASSWORD, (await _user(session, email)).password_hash))[0]
