"""DESIGN §5 invariant 7: no configured secret ever reaches a log. The API, worker and scheduler are run at
LSP_LOG_LEVEL=INFO (the default in production; the suite runs at WARNING) while a payment, a merchant webhook
delivery, a WhatsApp notice with its token exchange, PSP connectivity checks and an alert sent to Slack go
through them; then their logs are searched for every secret the platform holds."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import AsyncIterator
from decimal import Decimal
from urllib.parse import quote, quote_plus

import httpx
import pytest
from sqlalchemy import select

from lightspeedpay.alerts.service import alert_service
from lightspeedpay.config import get_settings
from lightspeedpay.jobs.unit_of_work import unit_of_work
from lightspeedpay.kit import crypto
from lightspeedpay.kit.readiness import wait_http
from lightspeedpay.models import (
    ApiCredentialSecret,
    Client,
    PaymentGateway,
    WebhookEndpoint,
    WhatsAppProviderToken,
)
from tests.alerts.support import slack_messages
from tests.factories import wait_for
from tests.fixtures import LOG_DIR, Platform
from tests.ledger_support import admin_client, open_shop, wa_get, wa_messages
from tests.people.support import create_person, log_in, new_email

PHONE = "919800000077"
PROCESSES = (("api", "api"), ("worker", "worker"), ("scheduler", "scheduler"))


@pytest.fixture
async def info_platform(platform: Platform) -> AsyncIterator[dict[str, int]]:
    """The session's api, worker and scheduler replaced by the same processes at INFO, each logging to a file of
    its own; yields where each log file started. The WARNING processes are back afterwards."""
    for name, _ in PROCESSES:
        platform.kill(name, 15)  # SIGTERM: the scheduler lets go of its leader lock, the worker of its jobs
    at_info = Platform(env={**platform.env, "LSP_LOG_LEVEL": "INFO"})
    starts: dict[str, int] = {}
    try:
        for name, command in PROCESSES:
            log_file = LOG_DIR / f"{name}-info.log"
            starts[log_file.name] = log_file.stat().st_size if log_file.exists() else 0
            at_info.start(f"{name}-info", command)
        wait_http(f"{platform.api_url}/health", 60)
        yield starts
    finally:
        at_info.stop_all()
        for name, command in PROCESSES:
            platform.start(name, command)
        wait_http(f"{platform.api_url}/health", 60)


def _variants(secret: str) -> set[str]:
    """The secret as it would appear in a log line: as is, URL-encoded, or JSON-escaped."""
    return {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]}


async def _held_secrets(session) -> dict[str, str]:
    """Every secret the platform holds, from its settings and (decrypted) from its database."""
    s = get_settings()
    held = {
        "LSP_ADMIN_TOKEN": s.admin_token,
        "LSP_WA_APP_SECRET": s.wa_app_secret,
        "LSP_WA_ACCESS_TOKEN": s.wa_access_token,
        "LSP_SLACK_WEBHOOK_URL": s.slack_webhook_url,
        "LSP_SLACK_WEBHOOK_URL's token": s.slack_webhook_url.rsplit("/", 1)[1],
    }
    for i, entry in enumerate(s.encryption_keys.split(",")):
        held[f"LSP_ENCRYPTION_KEYS[{i}]"] = entry.strip().split(":", 1)[1]
    await session.rollback()
    for client in (await session.execute(select(Client))).scalars():
        held[f"client {client.client_key} webhook secret"] = crypto.decrypt(client.webhook_secret_enc)
    for secret in (await session.execute(select(ApiCredentialSecret))).scalars():
        held[f"API key secret {secret.id}"] = crypto.decrypt(secret.secret_enc)
    for endpoint in (await session.execute(select(WebhookEndpoint))).scalars():
        held[f"endpoint {endpoint.id} secret"] = crypto.decrypt(endpoint.secret_enc)
        if endpoint.previous_secret_enc:
            held[f"endpoint {endpoint.id} previous secret"] = crypto.decrypt(endpoint.previous_secret_enc)
    for gateway in (await session.execute(select(PaymentGateway))).scalars():
        for field, value in json.loads(crypto.decrypt(gateway.credentials_enc)).items():
            if field not in (
                "key_id",
                "key",
                "client_id",
                "client_version",
                "webhook_username",
            ):  # identifiers
                held[f"gateway {gateway.name} {field}"] = str(value)
    for i, token in enumerate((await session.execute(select(WhatsAppProviderToken))).scalars()):
        held[f"WhatsApp access token {i}"] = crypto.decrypt(token.token_enc)
    return held


async def test_a_full_run_at_info_logs_no_secret(info_platform, platform, session):
    async with (
        open_shop(
            platform, session, fee_percent=Decimal("2.00"), whatsapp_phone=PHONE, whatsapp_txn_updates=True
        ) as shop,
        admin_client(platform) as admin,
    ):
        # a payment, paid at the PSP; its merchant webhook delivered; the WhatsApp notice of it sent, with the
        # first access token obtained by a token exchange
        txn_id = await shop.pay(12_345)
        await wait_for(shop.events, what="a merchant webhook delivered", timeout=30)
        await wait_for(lambda: wa_messages(platform, PHONE), what="the WhatsApp notice sent", timeout=30)
        exchanges = await wa_get(platform, "token-requests")
        assert exchanges and all(e["method"] == "POST" for e in exchanges), exchanges  # secrets in the body
        assert (await shop.client.get(f"/api/v1/transactions/{txn_id}")).status_code == 200

        # the operator adds a gateway of each kind and checks it: the PSP calls carry their credentials
        for provider, credentials in (
            (
                "razorpay",
                {
                    "key_id": f"rzp_test_{secrets.token_hex(6)}",
                    "key_secret": secrets.token_hex(12),
                    "webhook_secret": secrets.token_hex(12),
                },
            ),
            ("payu", {"key": f"payu{secrets.token_hex(5)}", "salt": secrets.token_hex(16)}),
            (
                "phonepe",
                {
                    "client_id": f"PP{secrets.token_hex(5)}",
                    "client_secret": secrets.token_hex(16),
                    "client_version": "1",
                    "webhook_username": "lsp_hooks",
                    "webhook_password": secrets.token_hex(10),
                },
            ),
        ):
            r = await admin.post(
                "/api/v1/admin/gateways",
                json={
                    "name": f"{provider}_{secrets.token_hex(3)}",
                    "provider": provider,
                    "base_url": platform.simulator_url,
                    "credentials": credentials,
                    "monthly_limit": 1_000_000,
                    "priority": 9,
                    "is_active": False,
                },
            )
            assert r.status_code == 201, r.text
            r = await admin.post(f"/api/v1/admin/gateways/{r.json()['id']}/test")
            assert r.status_code == 200, r.text

        # an alert goes to Slack: the incoming webhook's URL is its credential
        async with unit_of_work() as s:
            alert = await alert_service.raise_(
                s, "test.logs", "test.logs:1", title="An alert for the logs test", message="to Slack"
            )
        await wait_for(
            lambda: slack_messages(platform, alert.id), what="the alert's Slack message sent", timeout=30
        )

        # a person of the merchant's team makes, rotates and shows secrets in the merchant console: its answers
        # carry them in full, its logs must not
        owner = await create_person(session, member_of=shop.id, role="owner", email=new_email("owner"))
        headers = await log_in(session, owner.id)
        async with httpx.AsyncClient(base_url=platform.api_url, headers=headers, timeout=30) as console:
            keys, hooks = "/dashboard/test/developers/keys", "/dashboard/test/developers/webhooks"
            for path, data in (
                (f"{keys}/reveal", {}),
                (f"{keys}/regenerate", {"grace_period_seconds": "3600"}),
            ):
                r = await console.post(path, data=data)
                assert r.status_code == 200 and 'id="secret-value-1"' in r.text, r.text[-500:]
            r = await console.post(hooks, data={"url": f"{platform.receiver_url}/webhooks/console-logs"})
            assert r.status_code == 200, r.text[-500:]
            endpoint_id = re.search(rf'href="{hooks}/([0-9a-f-]{{36}})"', r.text).group(1)
            for action in ("rotate", "reveal"):
                r = await console.post(f"{hooks}/{endpoint_id}/{action}")
                assert r.status_code == 200 and 'id="secret-value-1"' in r.text, r.text[-500:]

        held = await _held_secrets(session)

    logs = {
        name: (LOG_DIR / name).read_bytes()[start:].decode(errors="replace")
        for name, start in info_platform.items()
    }
    assert any("whatsapp_token_refreshed" in text for text in logs.values()), (
        "the processes did not log at INFO"
    )
    assert all(len(secret) >= 8 for secret in held.values()), held  # a short one could match by chance
    leaks = [
        f"{what} in {name}: …{text[max(0, at - 120) : at + 40]}…"
        for what, secret in held.items()
        for variant in _variants(secret)
        for name, text in logs.items()
        if (at := text.find(variant)) >= 0
    ]
    assert not leaks, "secrets in the logs:\n" + "\n".join(leaks)


async def test_the_whatsapp_stand_in_refuses_secrets_in_a_url(platform):
    """A sender that put the app secret or a token in a query string again would fail the WhatsApp tests."""
    s = get_settings()
    async with httpx.AsyncClient(base_url=platform.whatsapp_url, timeout=10) as wa:
        r = await wa.get(
            f"/{s.wa_api_version}/oauth/access_token",
            params={
                "grant_type": "fb_exchange_token",
                "client_id": s.wa_app_id,
                "client_secret": s.wa_app_secret,
                "fb_exchange_token": s.wa_access_token,
            },
        )
        assert r.status_code == 400 and "client_secret, fb_exchange_token" in r.json()["error"]["message"], (
            r.text
        )
        r = await wa.post(
            f"/{s.wa_api_version}/{s.wa_phone_number_id}/messages",
            params={"access_token": s.wa_access_token},
            json={"messaging_product": "whatsapp"},
        )
        assert r.status_code == 400 and "access_token" in r.json()["error"]["message"], r.text
        r = await wa.post(
            f"/{s.wa_api_version}/oauth/access_token",
            data={
                "grant_type": "fb_exchange_token",
                "client_id": s.wa_app_id,
                "client_secret": s.wa_app_secret,
                "fb_exchange_token": s.wa_access_token,
            },
        )
        assert r.status_code == 200 and r.json()["access_token"], r.text
