"""Merchant API credentials (issue 10): test and live keys, regeneration with a grace period, the live-secret
limit, the IP allowlist, live mode only after KYC activation, and test mode kept apart from live money."""

from __future__ import annotations

import json
import secrets
import uuid
from typing import Any

import httpx
from sqlalchemy import func, select, update

from lightspeedpay.gateways.service import gateway_service
from lightspeedpay.merchants.service import NewMerchant
from lightspeedpay.models import (
    AnalyticsDelta,
    AnalyticsRollup,
    AuditLog,
    Client,
    LedgerPosting,
    Order,
    Transaction,
    Wallet,
    WebhookEvent,
)
from tests.auth.support import replaced_secret_works_until_its_grace_ends
from tests.factories import (
    MerchantClient,
    count,
    create_merchant,
    create_sandbox_gateway,
    merchant_client,
    wait_for,
)
from tests.paying import settle
from tests.people.support import create_person, log_in

CREDENTIALS = "/api/v1/merchant/credentials"


async def member(
    session: Any, client_id: uuid.UUID, *, role: str = "owner", minutes_ago: float = 0
) -> dict[str, str]:
    """The headers of a logged-in person of the merchant's team (browser session with its CSRF token)."""
    person = await create_person(session, member_of=client_id, role=role)
    return await log_in(session, person.id, minutes_ago=minutes_ago)


def sandbox_client(platform: Any, new: NewMerchant, http: httpx.AsyncClient) -> MerchantClient:
    return MerchantClient(platform.api_url, new.test_key_id, new.test_secret, http)


async def regenerate(platform: Any, auth: dict[str, str], mode: str, grace: int) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as http:
        return await http.post(
            platform.api_url + CREDENTIALS + "/regenerate",
            json={"mode": mode, "grace_period_seconds": grace},
            headers=auth,
        )


async def test_both_keys_are_listed_masked_and_a_new_secret_is_shown_once(platform, session):
    new = await create_merchant(session)
    owner = await member(session, new.client.id)
    async with httpx.AsyncClient(base_url=platform.api_url, timeout=30) as http:
        listed = (await http.get(CREDENTIALS, headers=owner)).json()
    assert listed["kyc_status"] == "activated"
    by_mode = {c["mode"]: c for c in listed["items"]}
    assert by_mode["live"]["key_id"] == new.client.client_key and new.client.client_key.startswith(
        "lsp_live_"
    )
    assert by_mode["test"]["key_id"] == new.test_key_id and new.test_key_id.startswith("lsp_test_")
    assert new.client_salt is not None
    assert [s["masked"] for s in by_mode["live"]["secrets"]] == ["…" + new.client_salt[-4:]]
    text = json.dumps(listed)
    assert new.client_salt not in text and new.test_secret not in text

    r = await regenerate(platform, owner, "test", 0)
    assert r.status_code == 201, r.text
    fresh = r.json()["key_secret"]
    async with httpx.AsyncClient(base_url=platform.api_url, timeout=30) as http:
        again = (await http.get(CREDENTIALS, headers=owner)).json()
        assert fresh not in json.dumps(again)
        [test] = [c for c in again["items"] if c["mode"] == "test"]
        assert [s["masked"] for s in test["secrets"]] == ["…" + fresh[-4:]]  # grace 0: the old one is gone
        # a merchant's API credential may read its keys but not manage them
        signed = merchant_client(platform.api_url, new, http)
        assert (await signed.get(CREDENTIALS)).status_code == 200
        body = json.dumps({"mode": "live", "grace_period_seconds": 0}).encode()
        refused = await signed.post(CREDENTIALS + "/regenerate", body)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "FORBIDDEN"


async def test_a_regenerated_secret_keeps_working_for_its_grace_period_then_401(platform, session):
    new = await create_merchant(session)
    await create_sandbox_gateway(session, platform.simulator_url)
    owner = await member(session, new.client.id)
    assert new.client_salt is not None
    key, old = new.client.client_key, new.client_salt
    r = await regenerate(platform, owner, "live", 3600)
    assert r.status_code == 201, r.text
    shown = r.json()
    assert shown["key_id"] == key and shown["previous_secret_expires_at"] is not None
    fresh = shown["key_secret"]
    async with httpx.AsyncClient(timeout=30) as http:
        new_client = await replaced_secret_works_until_its_grace_ends(
            platform, session, http, key, old, fresh
        )

        # grace 0 (a leaked secret): the replaced one is refused at once
        r = await regenerate(platform, owner, "live", 0)
        assert r.status_code == 201, r.text
        refused = await new_client.pay()
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "INVALID_SIGNATURE"
        latest = MerchantClient(platform.api_url, key, r.json()["key_secret"], http)
        assert (await latest.pay()).status_code == 201
    await session.rollback()
    rows = (
        (await session.execute(select(AuditLog).where(AuditLog.action == "credentials.regenerated")))
        .scalars()
        .all()
    )
    assert len(rows) == 2 and all(row.actor.startswith("user:") for row in rows)
    assert fresh not in json.dumps([[x.before, x.after, x.details] for x in rows])


async def test_at_most_ten_live_secrets_work_at_once(platform, session):
    new = await create_merchant(session)
    owner = await member(session, new.client.id)
    for _ in range(9):  # the current secret and 9 in their grace period: 10
        assert (await regenerate(platform, owner, "live", 600)).status_code == 201
    eleventh = await regenerate(platform, owner, "live", 600)
    assert eleventh.status_code == 409, eleventh.text
    assert eleventh.json()["error"]["code"] == "TOO_MANY_SECRETS"
    # replacing the current one outright keeps the count at 10
    assert (await regenerate(platform, owner, "live", 0)).status_code == 201
    too_long = await regenerate(platform, owner, "live", 86_401)
    assert too_long.status_code == 422


async def test_regenerating_needs_a_recent_login(platform, session):
    new = await create_merchant(session)
    stale = await member(session, new.client.id, minutes_ago=60)
    r = await regenerate(platform, stale, "test", 0)
    assert r.status_code == 403 and r.json()["error"]["code"] == "REAUTHENTICATION_REQUIRED"
    developer = await member(session, new.client.id, role="developer")
    r = await regenerate(platform, developer, "test", 0)
    assert r.status_code == 403 and r.json()["error"]["code"] == "FORBIDDEN"


async def test_the_ip_allowlist_refuses_other_addresses(platform, session):
    new = await create_merchant(session)
    await create_sandbox_gateway(session, platform.simulator_url)
    owner = await member(session, new.client.id)
    allowlist = CREDENTIALS + "/live/ip-allowlist"
    async with httpx.AsyncClient(timeout=30) as http:
        signed = merchant_client(platform.api_url, new, http)
        api = httpx.AsyncClient(base_url=platform.api_url, timeout=30, headers=owner)
        async with api:
            bad = await api.put(allowlist, json={"cidrs": ["10.0.0.0/33"]})
            assert bad.status_code == 422 and bad.json()["error"]["field"] == "cidrs[0]"

            r = await api.put(allowlist, json={"cidrs": ["203.0.113.0/24", "2001:db8::/32"]})
            assert r.status_code == 200 and r.json()["ip_allowlist"] == ["203.0.113.0/24", "2001:db8::/32"]
            outside = await signed.pay()
            assert outside.status_code == 403 and outside.json()["error"]["code"] == "IP_NOT_ALLOWED"
            async with httpx.AsyncClient(
                base_url=platform.api_url, auth=(new.client.client_key, new.client_salt or "")
            ) as basic:
                assert (await basic.get("/v1/payments")).status_code == 403
            # the test key has its own (empty) allowlist
            assert (await sandbox_client(platform, new, http).get("/api/v1/transactions")).status_code == 200

            assert (await api.put(allowlist, json={"cidrs": ["127.0.0.0/8"]})).status_code == 200
            assert (await signed.pay()).status_code == 201
            assert (await api.put(allowlist, json={"cidrs": []})).status_code == 200
            assert (await signed.pay()).status_code == 201


async def test_the_live_key_works_only_once_kyc_is_activated(platform, session):
    new = await create_merchant(session)
    await create_sandbox_gateway(session, platform.simulator_url)
    await session.execute(update(Client).where(Client.id == new.client.id).values(kyc_status="under_review"))
    await session.commit()
    async with httpx.AsyncClient(timeout=30) as http:
        live, test = merchant_client(platform.api_url, new, http), sandbox_client(platform, new, http)
        refused = await live.pay()
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "LIVE_MODE_NOT_ACTIVATED"
        assert "KYC" in refused.json()["error"]["message"]
        async with httpx.AsyncClient(
            base_url=platform.api_url, auth=(new.client.client_key, new.client_salt or "")
        ) as basic:
            r = await basic.get("/v1/payments")
            assert r.status_code == 403 and r.json()["error"]["reason"] == "live_mode_not_activated"
        assert (await test.pay()).status_code == 201  # test mode works before activation
        owner = await member(session, new.client.id)
        r = await regenerate(platform, owner, "live", 0)
        assert r.status_code == 403 and r.json()["error"]["code"] == "LIVE_MODE_NOT_ACTIVATED"
        as_person_live = await http.get(
            platform.api_url + "/api/v1/transactions", headers={**owner, "X-Mode": "live"}
        )
        assert as_person_live.status_code == 403

        await session.execute(update(Client).where(Client.id == new.client.id).values(kyc_status="activated"))
        await session.commit()
        assert (await live.pay()).status_code == 201  # at once, whatever the cache held


async def _live_gateway(session, simulator_url: str) -> tuple[uuid.UUID, str]:
    """A razorpay gateway account (on the simulator) with the highest priority: every live payment goes there."""
    creds = {
        "key_id": f"rzp_live_{secrets.token_hex(5)}",
        "key_secret": secrets.token_hex(12),
        "webhook_secret": secrets.token_hex(12),
    }
    gw = await gateway_service.add(
        session,
        name=f"razorpay_{secrets.token_hex(3)}",
        provider="razorpay",
        base_url=simulator_url,
        credentials=creds,
        monthly_limit=10_000_000_00,
        priority=9,
    )
    await session.commit()
    async with httpx.AsyncClient() as c:
        r = await c.put(
            f"{simulator_url}/_sim/accounts/{creds['key_id']}", json={**creds, "provider": "razorpay"}
        )
        r.raise_for_status()
    return gw.id, creds["key_id"]


async def _sim_orders_of(simulator_url: str, key_id: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient() as c:
        return [o for o in (await c.get(f"{simulator_url}/_sim/orders")).json() if o["key_id"] == key_id]


async def test_test_mode_never_touches_a_live_gateway_nor_live_figures(platform, session):
    new = await create_merchant(session, receiver_url=platform.receiver_url)
    live_gw, live_account = await _live_gateway(session, platform.simulator_url)
    async with httpx.AsyncClient(timeout=30) as http:
        test = sandbox_client(platform, new, http)
        live = merchant_client(platform.api_url, new, http)

        # no sandbox gateway in the pool: a test payment is refused, not sent to the live one
        r = await test.pay()
        assert r.status_code == 503 and r.json()["error"]["code"] == "NO_SANDBOX_GATEWAY"

        sandbox = await create_sandbox_gateway(session, platform.simulator_url, priority=1)
        r = await test.pay(amount=25_000)
        assert r.status_code == 201, r.text
        test_txn = await settle(test, r.json()["transaction_id"], "success")
        assert test_txn["status"] == "paid" and test_txn["mode"] == "test"

        # a live payment of the same merchant does reach the live gateway (so the check below can fail)
        r = await live.pay(amount=30_000)
        assert r.status_code == 201, r.text
        live_txn_id = r.json()["transaction_id"]
        await wait_for(
            lambda: _sim_orders_of(platform.simulator_url, live_account), what="the live gateway's order"
        )
        assert len(await _sim_orders_of(platform.simulator_url, live_account)) == 1

        # each key sees its own mode only, on both faces
        live_list = (await live.get("/api/v1/transactions")).json()["items"]
        test_list = (await test.get("/api/v1/transactions")).json()["items"]
        assert [t["id"] for t in live_list] == [live_txn_id]
        assert [t["id"] for t in test_list] == [test_txn["id"]]
        assert (await live.get(f"/api/v1/transactions/{test_txn['id']}")).status_code == 404
        async with (
            httpx.AsyncClient(
                base_url=platform.api_url, auth=(new.client.client_key, new.client_salt or "")
            ) as rl,
            httpx.AsyncClient(base_url=platform.api_url, auth=(new.test_key_id, new.test_secret)) as rt,
        ):
            live_ids = [p["id"] for p in (await rl.get("/v1/payments")).json()["items"]]
            test_ids = [p["id"] for p in (await rt.get("/v1/payments")).json()["items"]]
            assert test_txn["payment_id"] in test_ids and test_txn["payment_id"] not in live_ids
            order = await rt.post("/v1/orders", json={"amount": 5_000, "currency": "INR"})
            assert order.status_code == 200, order.text
            hidden = await rl.get(f"/v1/orders/{order.json()['id']}")
            assert hidden.status_code == 400 and hidden.json()["error"]["reason"] == "not_found"
            refund = await rt.post(f"/v1/payments/{test_txn['payment_id']}/refund", json={"amount": 1_000})
            assert refund.status_code == 200, refund.text
            other_mode = await rl.post(f"/v1/payments/{test_txn['payment_id']}/refund", json={})
            assert other_mode.status_code == 400 and other_mode.json()["error"]["reason"] == "not_found"
        # a person picks the mode with X-Mode (test by default)
        owner = await member(session, new.client.id)
        as_person = await http.get(platform.api_url + "/api/v1/transactions", headers=owner)
        assert [t["id"] for t in as_person.json()["items"]] == [test_txn["id"]]
        as_person_live = await http.get(
            platform.api_url + "/api/v1/transactions", headers={**owner, "X-Mode": "live"}
        )
        assert [t["id"] for t in as_person_live.json()["items"]] == [live_txn_id]
        wallet = (await live.get("/api/v1/wallet")).json()
        test_settlements = (await test.get("/api/v1/settlements")).json()["items"]

    await session.rollback()
    client_id, sandbox_id, test_id = new.client.id, sandbox.id, uuid.UUID(test_txn["id"])
    stored = await session.get(Transaction, test_id)
    assert stored is not None and stored.mode == "test" and stored.gateway_id == sandbox_id
    assert (await session.get(Transaction, uuid.UUID(live_txn_id))).mode == "live"  # type: ignore[union-attr]
    test_order = (await session.execute(select(Order).where(Order.mode == "test"))).scalars().all()
    assert len(test_order) == 1
    # no commission, no dues, nothing to settle
    assert await count(session, LedgerPosting, LedgerPosting.transaction_id == test_id) == 0
    assert wallet["balance_due"] == 0
    assert (
        await session.execute(select(Wallet.balance_due).where(Wallet.client_id == client_id))
    ).scalar() == 0
    assert test_settlements == []
    # analytics count the live payment only
    for model in (AnalyticsDelta, AnalyticsRollup):
        assert await count(session, model, model.gateway_id == sandbox_id) == 0
    live_counted = await count(session, AnalyticsDelta, AnalyticsDelta.gateway_id == live_gw) + await count(
        session, AnalyticsRollup, AnalyticsRollup.gateway_id == live_gw
    )
    assert live_counted > 0
    # the test payment's webhook events are test events
    events = (
        await session.execute(
            select(WebhookEvent.mode, func.count())
            .where(WebhookEvent.transaction_id == test_id)
            .group_by(WebhookEvent.mode)
        )
    ).all()
    assert [mode for mode, _ in events] == ["test"]
    payload = (
        await session.execute(
            select(WebhookEvent.payload).where(WebhookEvent.transaction_id == test_id).limit(1)
        )
    ).scalar_one()
    assert payload["livemode"] is False


async def test_the_demo_merchant_works_in_test_mode_out_of_the_box(platform, session):
    from lightspeedpay.devtools import demo

    creds = await demo.seed()
    assert creds["test_key_id"].startswith("lsp_test_") and creds["test_key_secret"]
    banner = demo.banner(platform.api_url, creds)
    assert creds["test_key_id"] in banner and creds["client_key"] in banner
    async with httpx.AsyncClient(timeout=30) as http:
        test = MerchantClient(platform.api_url, creds["test_key_id"], creds["test_key_secret"], http)
        r = await test.pay()
        assert r.status_code == 201, r.text
        txn = (await test.get(f"/api/v1/transactions/{r.json()['transaction_id']}")).json()
        assert txn["mode"] == "test"
    assert (await demo.seed())["test_key_secret"] == creds["test_key_secret"]  # `up` again: the same keys


async def test_a_merchant_in_draft_gets_test_keys_only_until_activated(platform, session):
    new = await create_merchant(session, kyc_status="draft")  # as a self-signup would be made
    await create_sandbox_gateway(session, platform.simulator_url)
    assert new.client_salt is None and new.test_secret
    owner = await member(session, new.client.id)
    async with httpx.AsyncClient(timeout=30) as http:
        listed = (await http.get(platform.api_url + CREDENTIALS, headers=owner)).json()
        usable = {c["mode"]: (c["usable"], len(c["secrets"])) for c in listed["items"]}
        assert listed["kyc_status"] == "draft" and usable == {"live": (False, 0), "test": (True, 1)}
        assert (await sandbox_client(platform, new, http).pay()).status_code == 201
        r = await regenerate(platform, owner, "live", 0)
        assert r.status_code == 403 and r.json()["error"]["code"] == "LIVE_MODE_NOT_ACTIVATED"

        await session.execute(update(Client).where(Client.id == new.client.id).values(kyc_status="activated"))
        await session.commit()
        r = await regenerate(platform, owner, "live", 0)
        assert r.status_code == 201 and r.json()["previous_secret_expires_at"] is None
        live = MerchantClient(platform.api_url, new.client.client_key, r.json()["key_secret"], http)
        assert (await live.pay()).status_code == 201
