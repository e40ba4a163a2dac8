"""An endpoint's signing secret revealed (issue 12): POST /api/v1/merchant/webhooks/{id}/reveal answers the
secrets deliveries are signed with now — during a rotation's grace both, the old one with its end — to whoever
may write webhooks (a person only with a recent login); a second merchant's endpoint is not found; audited by
hint, never the secret."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select, update
from standardwebhooks import Webhook

from lightspeedpay.models import AuditLog, WebhookEndpoint
from tests.factories import create_merchant, merchant_client
from tests.people.support import create_person, log_in
from tests.webhooks.helpers import call, configure, receiver_name, wait_received

BASE = "/api/v1/merchant/webhooks"


async def test_the_secrets_that_sign_are_shown_and_verify_what_the_receiver_gets(platform, session):
    name = receiver_name()
    new = await create_merchant(session, receiver_url=platform.receiver_url, name=name)
    owner = await create_person(session, member_of=new.client.id)
    headers = await log_in(session, owner.id)
    async with (
        httpx.AsyncClient(base_url=platform.api_url, timeout=30, headers=headers) as api,
        httpx.AsyncClient(timeout=30) as http,
    ):
        signed = merchant_client(platform.api_url, new, http)
        [default] = (await api.get(BASE)).json()["items"]
        r = await api.post(f"{BASE}/{default['id']}/reveal")
        assert r.status_code == 200, r.text
        assert r.headers["cache-control"] == "no-store"
        assert r.json() == {
            "endpoint_id": default["id"],
            "secrets": [
                {
                    "secret": new.webhook_secret,
                    "secret_hint": default["secret_hint"],
                    "current": True,
                    "expires_at": None,
                }
            ],
        }

        rotated = (await call(signed, "POST", f"{BASE}/{default['id']}/rotate")).json()
        r = await api.post(f"{BASE}/{default['id']}/reveal")
        current, previous = r.json()["secrets"]
        assert (current["secret"], current["current"], current["expires_at"]) == (
            rotated["secret"],
            True,
            None,
        )
        assert (previous["secret"], previous["current"]) == (new.webhook_secret, False)
        assert previous["expires_at"] == rotated["previous_secret_expires_at"]

        # what the merchant's receiver gets verifies with either secret shown (a receiver on the revealed one)
        await configure(platform.receiver_url, name, secret=current["secret"])
        ping = await call(signed, "POST", f"{BASE}/test", {"endpoint_id": default["id"]})
        assert ping.status_code == 202, ping.text
        [delivered] = await wait_received(platform.receiver_url, name, 1)
        for shown in (current, previous):
            assert Webhook(shown["secret"]).verify(delivered["body"], delivered["headers"])["type"] == "ping"

        # once the grace period is over, only the current one
        await session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id == uuid.UUID(default["id"]))
            .values(previous_secret_expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        await session.commit()
        r = await api.post(f"{BASE}/{default['id']}/reveal")
        assert [s["secret"] for s in r.json()["secrets"]] == [rotated["secret"]]

    await session.rollback()
    rows = list(
        (
            await session.execute(
                select(AuditLog)
                .where(
                    AuditLog.action == "webhook_endpoint.secret_revealed", AuditLog.client_id == new.client.id
                )
                .order_by(AuditLog.created_at)
            )
        ).scalars()
    )
    assert [len(row.after["secret_hints"]) for row in rows] == [1, 2, 1]
    assert all(row.actor == f"user:{owner.email}" and row.target_id == default["id"] for row in rows)
    text = json.dumps([[row.before, row.after, row.details] for row in rows])
    assert new.webhook_secret not in text and rotated["secret"] not in text


async def test_who_may_see_it_and_whose(platform, session):
    new = await create_merchant(session, receiver_url=platform.receiver_url)
    other = await create_merchant(session, receiver_url=platform.receiver_url)
    async with httpx.AsyncClient(base_url=platform.api_url, timeout=30) as api, httpx.AsyncClient() as http:
        signed = merchant_client(platform.api_url, new, http)
        [endpoint] = (await call(signed, "GET", BASE)).json()["items"]
        [theirs] = (await call(merchant_client(platform.api_url, other, http), "GET", BASE)).json()["items"]
        path = f"{BASE}/{endpoint['id']}/reveal"

        async def as_member(role: str, *, minutes_ago: float = 0, target: str = path) -> httpx.Response:
            person = await create_person(session, member_of=new.client.id, role=role)
            return await api.post(target, headers=await log_in(session, person.id, minutes_ago=minutes_ago))

        # a person needs a recent login; the developer (webhooks:write) may; read-only roles may not
        r = await as_member("owner", minutes_ago=30)
        assert r.status_code == 403 and r.json()["error"]["code"] == "REAUTHENTICATION_REQUIRED", r.text
        assert (await as_member("developer")).json()["secrets"][0]["secret"] == new.webhook_secret
        for role in ("viewer", "finance", "support"):
            r = await as_member(role)
            assert r.status_code == 403 and r.json()["error"]["code"] == "FORBIDDEN", (role, r.text)
        # the merchant's API credential may (it can rotate the secret anyway)
        r = await call(signed, "POST", path)
        assert r.status_code == 200 and r.json()["secrets"][0]["secret"] == new.webhook_secret

        # another merchant's endpoint, or no endpoint at all: not found, nothing shown
        for target in (
            f"{BASE}/{theirs['id']}/reveal",
            f"{BASE}/{uuid.uuid4()}/reveal",
            f"{BASE}/nope/reveal",
        ):
            r = await as_member("owner", target=target)
            assert r.status_code == 404 and r.json()["error"]["code"] == "NOT_FOUND", (target, r.text)
            assert other.webhook_secret not in r.text
            r = await call(signed, "POST", target)
            assert r.status_code == 404, r.text
