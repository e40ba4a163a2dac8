"""The merchant's webhook endpoints over the real API: create, read, change, delete, rotate; secrets shown
once and encrypted at rest; the default endpoint behind clients.webhook_url; scoping to the merchant."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import select, text

from lightspeedpay.auth.principal import MerchantAuth
from lightspeedpay.config import get_settings
from lightspeedpay.kit import crypto
from lightspeedpay.models import Client, WebhookEndpoint, WebhookEvent
from lightspeedpay.webhooks.endpoint_service import MAX_ENDPOINTS, WebhookUrlNotAllowed, endpoint_service
from lightspeedpay.webhooks.schemas import EndpointCreate
from tests.factories import create_merchant, merchant_client
from tests.webhooks.helpers import call, endpoint_row, fresh

BASE = "/api/v1/merchant/webhooks"


@pytest.fixture
async def shop(platform, session):
    new = await create_merchant(session, receiver_url=platform.receiver_url)
    async with httpx.AsyncClient(timeout=15) as http:
        yield new, merchant_client(platform.api_url, new, http)


async def test_the_merchants_webhook_url_is_its_default_endpoint(platform, session, shop):
    new, client = shop
    r = await call(client, "GET", BASE)
    assert r.status_code == 200, r.text
    [default] = r.json()["items"]
    assert default["url"] == new.client.webhook_url and default["is_default"] is True
    assert default["enabled"] is True and default["event_types"] == []
    # it signs with the secret the merchant was given at onboarding, and never shows it
    assert "secret" not in default and default["secret_hint"] == f"whsec_…{new.webhook_secret[-4:]}"
    row = await endpoint_row(session, default["id"])
    assert crypto.decrypt(row.secret_enc) == new.webhook_secret
    assert new.webhook_secret not in row.secret_enc

    # a merchant created without a webhook URL has no endpoint
    bare = await create_merchant(session)
    bare_client = merchant_client(platform.api_url, bare, client.http)
    assert (await call(bare_client, "GET", BASE)).json()["items"] == []


async def test_create_shows_the_secret_once_and_stores_it_encrypted(platform, session, shop):
    new, client = shop
    body = {
        "url": "https://orders.shop.example/hooks/lsp",
        "event_types": ["payment.paid", "payment.failed", "payment.paid"],
        "description": "order service",
    }
    r = await call(client, "POST", BASE, body)
    assert r.status_code == 201, r.text
    assert r.headers["cache-control"] == "no-store"
    created = r.json()
    secret = created["secret"]
    assert secret.startswith("whsec_") and len(secret) > 30 and secret != new.webhook_secret
    assert created["event_types"] == ["payment.paid", "payment.failed"]  # duplicates dropped, order kept
    assert created["is_default"] is False and created["enabled"] is True
    assert created["secret_hint"] == f"whsec_…{secret[-4:]}"

    got = await call(client, "GET", f"{BASE}/{created['id']}")
    assert got.status_code == 200 and "secret" not in got.json()
    assert secret not in got.text and secret not in (await call(client, "GET", BASE)).text

    await session.rollback()
    raw = (
        await session.execute(
            text("SELECT secret_enc::text, row_to_json(w)::text FROM webhook_endpoints w WHERE id = :id"),
            {"id": uuid.UUID(created["id"])},
        )
    ).one()
    assert secret not in raw[1] and secret.removeprefix("whsec_") not in raw[1]
    assert crypto.decrypt(raw[0]) == secret


async def test_update_enable_disable_and_delete(platform, session, shop):
    new, client = shop
    created = (await call(client, "POST", BASE, {"url": "https://a.shop.example/h"})).json()
    path = f"{BASE}/{created['id']}"
    r = await call(
        client,
        "PATCH",
        path,
        {"url": "https://b.shop.example/h", "event_types": ["refund.created"], "description": None},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["url"], r.json()["event_types"]) == ("https://b.shop.example/h", ["refund.created"])

    off = (await call(client, "PATCH", path, {"enabled": False})).json()
    assert off["enabled"] is False and off["disabled_reason"] == "disabled by the merchant"
    assert off["disabled_at"] is not None
    on = (await call(client, "PATCH", path, {"enabled": True})).json()
    assert on["enabled"] is True and on["disabled_reason"] is None and on["consecutive_failures"] == 0

    assert (await call(client, "DELETE", path)).status_code == 204
    assert (await call(client, "GET", path)).status_code == 404
    assert created["id"] not in [e["id"] for e in (await call(client, "GET", BASE)).json()["items"]]
    assert (await call(client, "DELETE", path)).status_code == 404


async def test_changing_or_deleting_the_default_endpoint_is_mirrored_on_the_merchant(platform, session, shop):
    new, client = shop
    client_id = new.client.id
    [default] = (await call(client, "GET", BASE)).json()["items"]
    path = f"{BASE}/{default['id']}"
    moved = f"{platform.receiver_url}/webhooks/moved{uuid.uuid4().hex[:6]}"
    assert (await call(client, "PATCH", path, {"url": moved})).status_code == 200
    merchant = await fresh(session, Client, client_id)
    assert merchant.webhook_url == moved

    rotated = (await call(client, "POST", f"{path}/rotate")).json()
    merchant = await fresh(session, Client, client_id)
    assert crypto.decrypt(merchant.webhook_secret_enc) == rotated["secret"]

    assert (await call(client, "DELETE", path)).status_code == 204
    merchant = await fresh(session, Client, client_id)
    assert merchant.webhook_url is None
    # an event now finds no endpoint, and the deleted default is not brought back from a stale Client object
    from tests.webhooks.helpers import emit

    event = await emit(session, new.client)
    await session.rollback()
    assert (await session.get(Client, client_id, populate_existing=True)).webhook_url is None
    stored = await fresh(session, WebhookEvent, event.id)
    assert stored.status == "failed" and stored.last_error == "the merchant has no webhook endpoint"
    live = (
        await session.execute(
            select(WebhookEndpoint).where(
                WebhookEndpoint.client_id == client_id, WebhookEndpoint.deleted_at.is_(None)
            )
        )
    ).all()
    assert live == []


async def test_rotate_issues_a_new_secret_and_keeps_the_old_one_for_the_grace_period(platform, session, shop):
    new, client = shop
    created = (await call(client, "POST", BASE, {"url": "https://a.shop.example/h"})).json()
    r = await call(client, "POST", f"{BASE}/{created['id']}/rotate")
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    rotated = r.json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != created["secret"]
    assert rotated["secret_hint"] == f"whsec_…{rotated['secret'][-4:]}"
    row = await endpoint_row(session, created["id"])
    grace = (row.previous_secret_expires_at - row.updated_at).total_seconds()
    assert abs(grace - get_settings().webhook_secret_grace_seconds) < 5
    assert endpoint_service.signing_secrets(row) == [rotated["secret"], created["secret"]]
    assert rotated["previous_secret_expires_at"] is not None


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"url": "ftp://shop.example/h"}, 422, "VALIDATION_ERROR", "url"),
        ({"url": "/relative/path"}, 422, "VALIDATION_ERROR", "url"),
        ({"url": "https://user:pw@shop.example/h"}, 422, "VALIDATION_ERROR", "url"),
        ({"url": "https://shop.example/" + "x" * 500}, 422, "VALIDATION_ERROR", "url"),
        (
            {"url": "https://shop.example/h", "event_types": ["payment paid"]},
            422,
            "VALIDATION_ERROR",
            "event_types.0",
        ),
        (
            {"url": "https://shop.example/h", "event_types": ["payment..paid"]},
            422,
            "VALIDATION_ERROR",
            "event_types.0",
        ),
        ({"url": "https://shop.example/h", "secret": "mine"}, 422, "VALIDATION_ERROR", "secret"),
        ({"event_types": []}, 422, "VALIDATION_ERROR", "url"),
        ([], 400, "BAD_REQUEST", None),
    ],
)
async def test_bad_input_is_refused_with_a_field(platform, session, shop, body, status, code, field):
    _, client = shop
    r = await call(client, "POST", BASE, body)
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code and r.json()["error"].get("field") == field


async def test_the_number_of_endpoints_is_bounded(platform, session, shop):
    _, client = shop
    for i in range(MAX_ENDPOINTS - 1):  # the default endpoint is one of them
        assert (await call(client, "POST", BASE, {"url": f"https://shop.example/h{i}"})).status_code == 201
    r = await call(client, "POST", BASE, {"url": "https://shop.example/one-too-many"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "TOO_MANY_ENDPOINTS"


async def test_endpoints_are_scoped_to_their_merchant(platform, session, shop):
    new, client = shop
    other = await create_merchant(session, receiver_url=platform.receiver_url)
    theirs = merchant_client(platform.api_url, other, client.http)
    [their_default] = (await call(theirs, "GET", BASE)).json()["items"]
    path = f"{BASE}/{their_default['id']}"
    for method, p, body in (
        ("GET", path, None),
        ("PATCH", path, {"enabled": False}),
        ("DELETE", path, None),
        ("POST", f"{path}/rotate", None),
        ("GET", f"{path}/deliveries", None),
        ("POST", f"{BASE}/test", {"endpoint_id": their_default["id"]}),
    ):
        r = await call(client, method, p, body)
        assert r.status_code == 404, (method, p, r.text)
        assert r.json()["error"]["code"] == "NOT_FOUND"
    assert (await endpoint_row(session, their_default["id"])).enabled is True
    assert [e["id"] for e in (await call(client, "GET", BASE)).json()["items"]] != [their_default["id"]]
    assert (await call(client, "GET", f"{BASE}/not-a-uuid")).status_code == 404
    unsigned = await client.http.get(client.base_url + BASE)
    assert unsigned.status_code == 401


async def test_private_targets_are_refused_when_saved_if_the_setting_is_off(session, monkeypatch):
    """The API refuses IP literals and localhost up front; names are checked at delivery (see test_ssrf)."""
    monkeypatch.setenv("LSP_WEBHOOK_ALLOW_PRIVATE_TARGETS", "false")
    get_settings.cache_clear()
    try:
        merchant = MerchantAuth(id=uuid.uuid4(), client_key="k", status="active", company_name="x")
        for url in (
            "http://127.0.0.1:8000/h",
            "http://localhost/h",
            "http://169.254.169.254/latest",
            "http://[fd00::1]/h",
            "http://10.0.0.1/h",
        ):
            with pytest.raises(WebhookUrlNotAllowed) as err:
                await endpoint_service.create(session, merchant, EndpointCreate(url=url))
            assert err.value.field == "url" and "only delivered to public addresses" in err.value.message
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    await session.rollback()


async def test_key_rotation_re_encrypts_endpoint_secrets_including_the_previous_one(
    platform, session, monkeypatch
):
    from lightspeedpay.auth.keys import rotate_keys
    from lightspeedpay.db import sessionmaker
    from lightspeedpay.kit.crypto import KeyRing, keyring, new_key_spec

    k1, k2 = new_key_spec("k1"), new_key_spec("k2")

    def use(spec: str) -> None:
        monkeypatch.setenv("LSP_ENCRYPTION_KEYS", spec)
        get_settings.cache_clear()
        keyring.cache_clear()

    try:
        use(k1)
        new = await create_merchant(session, receiver_url=platform.receiver_url)
        merchant = MerchantAuth(id=new.client.id, client_key="k", status="active", company_name="x")
        [default] = await endpoint_service.list_for_merchant(session, merchant)
        rotated, current = await endpoint_service.rotate(session, merchant, default.id)
        await session.commit()
        use(f"{k2},{k1}")
        counts = await rotate_keys(sessionmaker())
        assert (
            counts["webhook_endpoints.secret_enc"] == 1
            and counts["webhook_endpoints.previous_secret_enc"] == 1
        )
        row = await endpoint_row(session, default.id)
        only_k2 = KeyRing(k2)
        assert row.secret_enc.startswith("k2:") and row.previous_secret_enc.startswith("k2:")
        assert only_k2.decrypt(row.secret_enc) == current
        assert only_k2.decrypt(row.previous_secret_enc) == new.webhook_secret
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
        keyring.cache_clear()
