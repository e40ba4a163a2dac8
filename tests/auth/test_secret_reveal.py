"""An API key's secret revealed once (issue 12): to a person of the team with credentials:write who confirmed
their password in the last minutes, never to an API credential; the same secret a second time is refused with
SECRET_ALREADY_REVEALED (regenerate instead), a regenerated secret counts as shown, and the listing says which
secret can still be revealed. Audited without the secret."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx
from sqlalchemy import select, update

from lightspeedpay.models import AuditLog, Client
from tests.auth.test_credentials import CREDENTIALS, member, regenerate, sandbox_client
from tests.factories import create_merchant, merchant_client
from tests.people.support import create_person, log_in

PASSWORD = "saffron-monsoon-ledger-81"


def _current(listing: dict[str, Any], mode: str) -> dict[str, Any]:
    [credential] = [c for c in listing["items"] if c["mode"] == mode]
    [current] = [s for s in credential["secrets"] if s["current"]]
    return current


def _error(r: httpx.Response) -> str:
    return str(r.json()["error"]["code"])


async def _rows(session: Any, client_id: uuid.UUID) -> list[AuditLog]:
    await session.rollback()
    found = await session.execute(
        select(AuditLog)
        .where(AuditLog.client_id == client_id, AuditLog.action == "credential.secret_revealed")
        .order_by(AuditLog.created_at)
    )
    return list(found.scalars())


async def test_a_secret_is_shown_once_then_only_a_regeneration_gives_one(platform, session):
    new = await create_merchant(session)
    owner = await member(session, new.client.id)  # logged in just now
    assert new.client_salt is not None
    async with httpx.AsyncClient(base_url=platform.api_url, timeout=30, headers=owner) as api:
        listed = (await api.get(CREDENTIALS)).json()
        for mode in ("test", "live"):
            assert (
                _current(listed, mode)["revealable"] is True and _current(listed, mode)["revealed_at"] is None
            )

        r = await api.post(CREDENTIALS + "/test/reveal")
        assert r.status_code == 200, r.text
        shown = r.json()
        assert (shown["mode"], shown["key_id"], shown["key_secret"]) == (
            "test",
            new.test_key_id,
            new.test_secret,
        )
        assert r.headers["cache-control"] == "no-store" and shown["revealed_at"]

        # the listing now says so, the live key's secret is still to be shown, and nothing is shown in full
        listed = (await api.get(CREDENTIALS)).json()
        assert _current(listed, "test")["revealable"] is False
        assert _current(listed, "test")["revealed_at"] == shown["revealed_at"]
        assert _current(listed, "live")["revealable"] is True
        assert new.test_secret not in json.dumps(listed)

        again = await api.post(CREDENTIALS + "/test/reveal")
        assert again.status_code == 409 and _error(again) == "SECRET_ALREADY_REVEALED", again.text
        assert "regenerate" in again.json()["error"]["message"] and again.json()["error"]["field"] == "mode"
        assert new.test_secret not in again.text

        live = await api.post(CREDENTIALS + "/live/reveal")
        assert live.status_code == 200 and live.json()["key_secret"] == new.client_salt, live.text

        # the revealed secret is the one that signs: a request signed with it is accepted
        async with httpx.AsyncClient(timeout=30) as http:
            signed = sandbox_client(platform, new, http)
            assert (await signed.get("/api/v1/transactions")).status_code == 200

    # a regeneration shows its new secret in its answer: that is its one showing
    fresh = await regenerate(platform, owner, "test", 0)
    assert fresh.status_code == 201, fresh.text
    async with httpx.AsyncClient(base_url=platform.api_url, timeout=30, headers=owner) as api:
        listed = (await api.get(CREDENTIALS)).json()
        assert _current(listed, "test")["revealable"] is False
        assert _current(listed, "test")["masked"] == "…" + fresh.json()["key_secret"][-4:]
        r = await api.post(CREDENTIALS + "/test/reveal")
        assert r.status_code == 409 and _error(r) == "SECRET_ALREADY_REVEALED"

    rows = await _rows(session, new.client.id)
    assert [(row.after["mode"], row.after["last4"]) for row in rows] == [
        ("test", new.test_secret[-4:]),
        ("live", new.client_salt[-4:]),
    ]
    assert all(row.actor.startswith("user:") and row.target_type == "api_credential" for row in rows)
    text = json.dumps([[row.before, row.after, row.details, row.reason] for row in rows])
    assert new.test_secret not in text and new.client_salt not in text


async def test_only_a_person_who_just_confirmed_their_password_may_see_it(platform, session):
    new = await create_merchant(session)
    person = await create_person(session, member_of=new.client.id, role="admin", password=PASSWORD)
    old_login = await log_in(session, person.id, minutes_ago=30)  # past LSP_REAUTH_SECONDS
    async with httpx.AsyncClient(base_url=platform.api_url, timeout=30) as api:
        r = await api.post(CREDENTIALS + "/test/reveal", headers=old_login)
        assert r.status_code == 403 and _error(r) == "REAUTHENTICATION_REQUIRED", r.text
        assert "reauthenticate" in r.json()["error"]["message"]
        listed = (await api.get(CREDENTIALS, headers=old_login)).json()
        assert _current(listed, "test")["revealable"] is True  # a refusal spends nothing

        # confirming the password is enough
        r = await api.post("/api/v1/auth/reauthenticate", json={"password": PASSWORD}, headers=old_login)
        assert r.status_code == 200, r.text
        r = await api.post(CREDENTIALS + "/test/reveal", headers=old_login)
        assert r.status_code == 200 and r.json()["key_secret"] == new.test_secret, r.text

        # roles without credentials:write, an unverified address, an API credential: refused
        for role in ("developer", "finance", "support", "viewer"):
            headers = await member(session, new.client.id, role=role)
            r = await api.post(CREDENTIALS + "/live/reveal", headers=headers)
            assert r.status_code == 403 and _error(r) == "FORBIDDEN", (role, r.text)
        unverified = await create_person(session, member_of=new.client.id, role="owner", verified=False)
        r = await api.post(CREDENTIALS + "/live/reveal", headers=await log_in(session, unverified.id))
        assert r.status_code == 403 and _error(r) == "EMAIL_NOT_VERIFIED", r.text
        async with httpx.AsyncClient(timeout=30) as http:
            signed = merchant_client(platform.api_url, new, http)
            r = await signed.post(CREDENTIALS + "/live/reveal", b"")
            assert r.status_code == 403 and _error(r) == "FORBIDDEN", r.text

        # a person of another merchant cannot name this one
        other = await create_merchant(session)
        stranger = await member(session, other.client.id)
        r = await api.post(
            CREDENTIALS + "/live/reveal", headers={**stranger, "X-Merchant-Id": str(new.client.id)}
        )
        assert r.status_code == 403, r.text
        # and their own reveal shows their own secret, never this merchant's
        r = await api.post(CREDENTIALS + "/live/reveal", headers=stranger)
        assert r.status_code == 200 and r.json()["key_secret"] == other.client_salt

    owner = await member(session, new.client.id)
    async with httpx.AsyncClient(base_url=platform.api_url, timeout=30, headers=owner) as api:
        listed = (await api.get(CREDENTIALS)).json()
        assert _current(listed, "live")["revealable"] is True  # every refusal above left it unshown
        bad = await api.post(CREDENTIALS + "/staging/reveal")
        assert bad.status_code == 422, bad.text


async def test_concurrent_reveals_show_it_once(platform, session):
    new = await create_merchant(session)
    owner = await member(session, new.client.id)
    async with httpx.AsyncClient(base_url=platform.api_url, timeout=30, headers=owner) as api:
        answers = await asyncio.gather(*(api.post(CREDENTIALS + "/live/reveal") for _ in range(6)))
    assert sorted(r.status_code for r in answers) == [200] + [409] * 5
    assert len(await _rows(session, new.client.id)) == 1


async def test_a_new_merchant_sees_its_test_secret_once_and_its_live_key_after_kyc(platform, session):
    """A self-signup never saw its test secret: revealing it is how it first gets it. Its live key has no secret
    until KYC activation."""
    new = await create_merchant(session, kyc_status="draft")
    assert new.client_salt is None
    owner = await member(session, new.client.id)
    async with httpx.AsyncClient(base_url=platform.api_url, timeout=30, headers=owner) as api:
        r = await api.post(CREDENTIALS + "/live/reveal")
        assert r.status_code == 403 and _error(r) == "LIVE_MODE_NOT_ACTIVATED", r.text
        r = await api.post(CREDENTIALS + "/test/reveal")
        assert r.status_code == 200 and r.json()["key_secret"] == new.test_secret
        # activated, but no live secret made yet: say how to get one
        await session.execute(update(Client).where(Client.id == new.client.id).values(kyc_status="activated"))
        await session.commit()
        r = await api.post(CREDENTIALS + "/live/reveal")
        assert r.status_code == 404 and _error(r) == "NO_SECRET_YET", r.text
        assert "regenerate" in r.json()["error"]["message"]
