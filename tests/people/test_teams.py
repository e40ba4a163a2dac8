"""Invitations and teams over HTTP: a new person and an existing one accept an invitation (to a merchant's team
and to operator staff); only an owner makes an owner; no change may leave no owner (409, nothing written); role
changes need a recent login; every change is audited and emailed."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import func, select

from lightspeedpay.config import get_settings
from lightspeedpay.models import AuditLog, MerchantMembership, User
from tests.factories import create_merchant
from tests.people.support import add_member, create_person, log_in, new_email, token_of, wait_mail

PASSWORD = "a long and quiet river"


@pytest.fixture
async def http(platform) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=platform.api_url, timeout=30) as c:
        yield c


def _bootstrap() -> dict[str, str]:
    return {"Authorization": f"Bearer {get_settings().admin_token}"}


async def _role(session, client_id: uuid.UUID, user_id: uuid.UUID) -> str | None:
    await session.rollback()
    stmt = select(MerchantMembership.role).where(
        MerchantMembership.client_id == client_id, MerchantMembership.user_id == user_id
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def _audit_count(session, action: str) -> int:
    await session.rollback()
    stmt = select(func.count()).select_from(AuditLog).where(AuditLog.action == action)
    return int((await session.execute(stmt)).scalar_one())


async def test_a_new_person_accepts_a_merchant_invitation(platform, session, http):
    merchant = await create_merchant(session)
    mid = merchant.client.id
    owner = await create_person(session, member_of=mid)
    as_owner = await log_in(session, owner.id)
    invitee = new_email("invitee")

    r = await http.post(
        "/api/v1/merchant/team/invitations", json={"email": invitee, "role": "admin"}, headers=as_owner
    )
    assert r.status_code == 201, r.text
    assert (r.json()["email"], r.json()["role"], r.json()["merchant_id"]) == (invitee, "admin", str(mid))
    message = await wait_mail(platform, invitee)
    assert merchant.client.company_name in message["subject"]
    token = token_of(message)

    no_password = await http.post("/api/v1/auth/invitations/accept", json={"token": token})
    assert no_password.status_code == 422 and no_password.json()["error"]["code"] == "PASSWORD_REQUIRED"
    r = await http.post(
        "/api/v1/auth/invitations/accept", json={"token": token, "password": PASSWORD, "name": "Meera"}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["account"], body["role"], body["merchant_id"]) == ("created", "admin", str(mid))
    again = await http.post("/api/v1/auth/invitations/accept", json={"token": token, "password": PASSWORD})
    assert again.status_code == 400 and again.json()["error"]["code"] == "TOKEN_USED"

    new_user = uuid.UUID(body["user_id"])
    team = await http.get("/api/v1/merchant/team", headers=await log_in(session, new_user))
    assert team.status_code == 200, team.text
    assert {(m["email"], m["role"]) for m in team.json()["items"]} == {
        (owner.email, "owner"),
        (invitee, "admin"),
    }
    assert team.json()["invitations"] == []  # accepted: no longer pending
    assert await _audit_count(session, "team.member_invited") == 1
    assert await _audit_count(session, "user.invitation_accepted") == 1


async def test_an_existing_person_joins_a_second_merchant(platform, session, http):
    first, second = await create_merchant(session), await create_merchant(session)
    first_id, second_id = first.client.id, second.client.id
    person = await create_person(session, member_of=first_id, role="developer", password=PASSWORD)
    person_id, person_email = person.id, person.email
    owner = await create_person(session, member_of=second_id)
    as_owner = await log_in(session, owner.id)

    r = await http.post(
        "/api/v1/merchant/team/invitations",
        json={"email": person_email.upper(), "role": "finance"},
        headers=as_owner,
    )
    assert r.status_code == 201, r.text
    token = token_of(await wait_mail(platform, person_email))
    r = await http.post("/api/v1/auth/invitations/accept", json={"token": token})
    assert r.status_code == 200, r.text
    assert (r.json()["account"], r.json()["user_id"]) == ("existing", str(person_id))
    assert await _role(session, first_id, person_id) == "developer"
    assert await _role(session, second_id, person_id) == "finance"

    # the person belongs to two merchants now: X-Merchant-Id picks one
    as_person = await log_in(session, person_id)
    r = await http.get("/api/v1/merchant/team", headers=as_person)
    assert r.status_code == 403 and r.json()["error"]["field"] == "X-Merchant-Id"
    r = await http.post(
        "/api/v1/merchant/team/invitations",
        json={"email": person_email, "role": "viewer"},
        headers=as_owner,
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "ALREADY_MEMBER"


async def test_an_operator_invitation_makes_operator_staff(platform, session, http):
    invitee = new_email("staff")
    r = await http.post(
        "/api/v1/admin/users/invitations", json={"email": invitee, "role": "support"}, headers=_bootstrap()
    )
    assert r.status_code == 201, r.text
    listed = await http.get("/api/v1/admin/users", headers=_bootstrap())
    assert [i["email"] for i in listed.json()["invitations"]] == [invitee]
    token = token_of(await wait_mail(platform, invitee))
    r = await http.post("/api/v1/auth/invitations/accept", json={"token": token, "password": PASSWORD})
    assert r.status_code == 200 and r.json()["merchant_id"] is None
    listed = await http.get("/api/v1/admin/users", headers=_bootstrap())
    assert [(u["email"], u["role"]) for u in listed.json()["items"]] == [(invitee, "support")]
    assert listed.json()["invitations"] == []
    # operator staff of role support can read payments but not manage users
    as_staff = await log_in(session, uuid.UUID(r.json()["user_id"]))
    assert (await http.get("/api/v1/admin/users", headers=as_staff)).status_code == 403


async def test_only_an_owner_makes_an_owner(platform, session, http):
    merchant = await create_merchant(session)
    mid = merchant.client.id
    owner = await create_person(session, member_of=mid)
    admin = await create_person(session, member_of=mid, role="admin")
    dev = await create_person(session, member_of=mid, role="developer")
    owner_id, dev_id = owner.id, dev.id
    as_admin = await log_in(session, admin.id)

    r = await http.post(
        "/api/v1/merchant/team/invitations", json={"email": new_email(), "role": "owner"}, headers=as_admin
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "OWNER_REQUIRED"
    r = await http.patch(f"/api/v1/merchant/team/{dev_id}", json={"role": "owner"}, headers=as_admin)
    assert r.status_code == 403 and r.json()["error"]["code"] == "OWNER_REQUIRED"
    r = await http.delete(f"/api/v1/merchant/team/{owner_id}", headers=as_admin)
    assert r.status_code == 403 and r.json()["error"]["code"] == "OWNER_REQUIRED"
    assert await _role(session, mid, dev_id) == "developer" and await _role(session, mid, owner_id) == "owner"
    # an admin manages the other roles
    r = await http.patch(f"/api/v1/merchant/team/{dev_id}", json={"role": "finance"}, headers=as_admin)
    assert r.status_code == 200 and r.json()["role"] == "finance"
    # a developer manages no one
    as_dev = await log_in(session, dev_id)
    r = await http.patch(f"/api/v1/merchant/team/{owner_id}", json={"role": "viewer"}, headers=as_dev)
    assert r.status_code == 403

    # operators: an admin cannot make an owner either
    op_admin = await create_person(session, operator_role="admin")
    op_viewer = await create_person(session, operator_role="viewer")
    viewer_id = op_viewer.id
    as_op_admin = await log_in(session, op_admin.id)
    r = await http.patch(f"/api/v1/admin/users/{viewer_id}", json={"role": "owner"}, headers=as_op_admin)
    assert r.status_code == 403 and r.json()["error"]["code"] == "OWNER_REQUIRED"
    r = await http.post(
        "/api/v1/admin/users/invitations", json={"email": new_email(), "role": "owner"}, headers=as_op_admin
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "OWNER_REQUIRED"
    r = await http.patch(f"/api/v1/admin/users/{viewer_id}", json={"role": "finance"}, headers=as_op_admin)
    assert r.status_code == 200 and r.json()["role"] == "finance"


async def test_the_last_owner_stays(platform, session, http):
    merchant = await create_merchant(session)
    mid = merchant.client.id
    owner = await create_person(session, member_of=mid)
    owner_id, owner_email = owner.id, owner.email
    as_owner = await log_in(session, owner_id)
    before = await _audit_count(session, "team.role_changed")

    r = await http.patch(f"/api/v1/merchant/team/{owner_id}", json={"role": "admin"}, headers=as_owner)
    assert r.status_code == 409 and r.json()["error"]["code"] == "LAST_OWNER", r.text
    r = await http.delete(f"/api/v1/merchant/team/{owner_id}", headers=as_owner)
    assert r.status_code == 409 and r.json()["error"]["code"] == "LAST_OWNER"
    assert await _role(session, mid, owner_id) == "owner"
    assert await _audit_count(session, "team.role_changed") == before
    assert await _audit_count(session, "team.member_removed") == 0

    # with a second owner, the first may step down, and is told by email
    second = await create_person(session)
    await add_member(session, second.id, mid, "owner")
    r = await http.patch(f"/api/v1/merchant/team/{owner_id}", json={"role": "admin"}, headers=as_owner)
    assert r.status_code == 200 and r.json()["role"] == "admin"
    message = await wait_mail(platform, owner_email, contains="role")
    assert "from owner to admin" in message["text"]
    assert await _audit_count(session, "team.role_changed") == before + 1

    # operators: the only owner can be neither demoted nor removed, even by the bootstrap token
    op_owner = await create_person(session, operator_role="owner")
    op_owner_id = op_owner.id
    r = await http.patch(f"/api/v1/admin/users/{op_owner_id}", json={"role": "admin"}, headers=_bootstrap())
    assert r.status_code == 409 and r.json()["error"]["code"] == "LAST_OWNER"
    r = await http.delete(f"/api/v1/admin/users/{op_owner_id}", headers=_bootstrap())
    assert r.status_code == 409 and r.json()["error"]["code"] == "LAST_OWNER"
    await session.rollback()
    assert (await session.get(User, op_owner_id, populate_existing=True)).operator_role == "owner"  # type: ignore[union-attr]


async def test_role_changes_need_a_recent_login(platform, session, http):
    merchant = await create_merchant(session)
    mid = merchant.client.id
    owner = await create_person(session, member_of=mid)
    dev = await create_person(session, member_of=mid, role="developer")
    stale = await log_in(session, owner.id, minutes_ago=30)
    dev_id = dev.id
    r = await http.patch(f"/api/v1/merchant/team/{dev_id}", json={"role": "admin"}, headers=stale)
    assert r.status_code == 403 and r.json()["error"]["code"] == "REAUTHENTICATION_REQUIRED"
    r = await http.delete(f"/api/v1/merchant/team/{dev_id}", headers=stale)
    assert r.status_code == 403 and r.json()["error"]["code"] == "REAUTHENTICATION_REQUIRED"
    assert (await http.get("/api/v1/merchant/team", headers=stale)).status_code == 200  # reading needs none

    fresh = await log_in(session, owner.id)
    r = await http.delete(f"/api/v1/merchant/team/{dev_id}", headers=fresh)
    assert r.status_code == 204
    assert await _role(session, mid, dev_id) is None
    # requiring 2FA of the team needs it of oneself first (nobody locks themselves out)
    r = await http.patch("/api/v1/merchant/team/settings", json={"require_2fa": True}, headers=fresh)
    assert r.status_code == 409 and r.json()["error"]["code"] == "TWO_FACTOR_NOT_ENABLED", r.text
    owner_row = await session.get(User, owner.id)
    owner_row.totp_enabled_at = datetime.now(UTC)
    await session.commit()
    r = await http.patch("/api/v1/merchant/team/settings", json={"require_2fa": True}, headers=fresh)
    assert r.status_code == 200 and r.json() == {"require_2fa": True}
    assert (await http.get("/api/v1/merchant/team", headers=fresh)).json()["require_2fa"] is True


async def test_an_api_credential_cannot_manage_the_team(platform, session, http):
    from tests.factories import merchant_client

    merchant = await create_merchant(session)
    client = merchant_client(platform.api_url, merchant, http)
    r = await client.get("/api/v1/merchant/team")
    assert r.status_code == 403, r.text


async def test_an_operator_hands_a_merchant_its_first_owner_and_invitations_can_be_revoked(
    platform, session, http
):
    merchant = await create_merchant(session)  # onboarded by the operator: no people yet
    mid = merchant.client.id
    owner_email = new_email("first-owner")
    r = await http.post(
        f"/api/v1/admin/merchants/{mid}/invitations",
        json={"email": owner_email, "role": "owner"},
        headers=_bootstrap(),
    )
    assert r.status_code == 201, r.text
    missing = await http.post(
        f"/api/v1/admin/merchants/{uuid.uuid4()}/invitations",
        json={"email": owner_email, "role": "owner"},
        headers=_bootstrap(),
    )
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "MERCHANT_NOT_FOUND"
    token = token_of(await wait_mail(platform, owner_email))
    r = await http.post("/api/v1/auth/invitations/accept", json={"token": token, "password": PASSWORD})
    assert r.status_code == 200 and r.json()["role"] == "owner"
    as_owner = await log_in(session, uuid.UUID(r.json()["user_id"]))

    # the owner invites someone, then thinks better of it: the link stops working
    invitee = new_email("revoked")
    r = await http.post(
        "/api/v1/merchant/team/invitations", json={"email": invitee, "role": "viewer"}, headers=as_owner
    )
    invitation_id = r.json()["id"]
    token = token_of(await wait_mail(platform, invitee))
    r = await http.delete(f"/api/v1/merchant/team/invitations/{invitation_id}", headers=as_owner)
    assert r.status_code == 204
    again = await http.delete(f"/api/v1/merchant/team/invitations/{invitation_id}", headers=as_owner)
    assert again.status_code == 404 and again.json()["error"]["code"] == "INVITATION_NOT_FOUND"
    r = await http.post("/api/v1/auth/invitations/accept", json={"token": token, "password": PASSWORD})
    assert r.status_code == 400 and r.json()["error"]["code"] == "TOKEN_INVALID"
    assert (await http.get("/api/v1/merchant/team", headers=as_owner)).json()["invitations"] == []

    # another merchant's invitation cannot be revoked from here
    other = await create_merchant(session)
    r = await http.post(
        f"/api/v1/admin/merchants/{other.client.id}/invitations",
        json={"email": new_email(), "role": "admin"},
        headers=_bootstrap(),
    )
    r = await http.delete(f"/api/v1/merchant/team/invitations/{r.json()['id']}", headers=as_owner)
    assert r.status_code == 404
    assert await _audit_count(session, "team.invitation_revoked") == 1


async def test_two_owners_demoting_each_other_at_once_leave_one(platform, session, http):
    merchant = await create_merchant(session)
    mid = merchant.client.id
    a = await create_person(session, member_of=mid)
    b = await create_person(session, member_of=mid)
    a_id, b_id = a.id, b.id
    as_a, as_b = await log_in(session, a_id), await log_in(session, b_id)
    answers = await asyncio.gather(
        http.patch(f"/api/v1/merchant/team/{b_id}", json={"role": "admin"}, headers=as_a),
        http.patch(f"/api/v1/merchant/team/{a_id}", json={"role": "admin"}, headers=as_b),
    )
    # the one that comes second is refused: as the last owner's demotion (both saw two owners and waited on the
    # lock), or because its author is no longer an owner (it was authenticated after the first committed)
    assert sorted(r.status_code for r in answers) in ([200, 403], [200, 409]), [r.text for r in answers]
    refused = next(r for r in answers if r.status_code != 200)
    assert refused.json()["error"]["code"] in ("LAST_OWNER", "OWNER_REQUIRED")
    roles = sorted([await _role(session, mid, a_id), await _role(session, mid, b_id)])
    assert roles == ["admin", "owner"]


async def test_two_signups_of_one_address_at_once_make_one_account(platform, session, http):
    email = new_email("twice")
    body = {"business_name": "Twice Ltd", "contact_name": "T", "email": email, "password": PASSWORD}
    answers = await asyncio.gather(*(http.post("/api/v1/auth/signup", json=body) for _ in range(2)))
    assert [r.status_code for r in answers] == [201, 201], [r.text for r in answers]
    await session.rollback()
    users = (
        await session.execute(select(func.count()).select_from(User).where(User.email == email))
    ).scalar_one()
    assert users == 1
    await wait_mail(platform, email, contains="Someone tried")
