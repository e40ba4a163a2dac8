"""WhatsApp notices through the running platform and the Cloud API stand-in: the LOW_BALANCE notice at most
once per 24 h, template messages in the Cloud API's format, tokens stored encrypted and refreshed before
expiry and on a 401, retries on 5xx and timeouts (four attempts), and the operator's and merchant's views."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from lightspeedpay.config import get_settings
from lightspeedpay.kit import crypto
from lightspeedpay.models import Wallet, WhatsAppNotification, WhatsAppProviderToken
from tests.factories import wait_for
from tests.ledger_support import admin_client, open_shop, wa_control, wa_get, wa_messages

PHONE_A, PHONE_B, PHONE_C = "919800000001", "919800000002", "919800000003"


@pytest.fixture(autouse=True)
async def clean_standin(platform):
    await wa_control(platform, "faults", {"mode": None})
    await wa_control(platform, "config", {"token_ttl_seconds": 5_183_944})
    yield
    await wa_control(platform, "faults", {"mode": None})
    await wa_control(platform, "config", {"token_ttl_seconds": 5_183_944})


async def _notifications(session, client_id) -> list[WhatsAppNotification]:
    await session.rollback()
    return list(
        (
            await session.execute(
                select(WhatsAppNotification)
                .where(WhatsAppNotification.client_id == client_id)
                .order_by(WhatsAppNotification.created_at)
            )
        ).scalars()
    )


async def _settled(session, client_id, n: int) -> list[WhatsAppNotification]:
    async def done() -> list[WhatsAppNotification] | None:
        rows = await _notifications(session, client_id)
        return rows if len(rows) >= n and all(r.status != "queued" for r in rows) else None

    return await wait_for(done, what=f"{n} WhatsApp message(s) sent or failed", timeout=30)


async def test_low_balance_notice_at_most_once_a_day(platform, session):
    async with open_shop(
        platform, session, fee_percent=Decimal("5.00"), warn_threshold=400, whatsapp_phone=PHONE_A
    ) as shop:
        await shop.pay(6_000)  # 300 due: under the warning
        await shop.pay(4_000)  # 500 due: crossed
        [notice] = await _settled(session, shop.id, 1)
        assert (notice.type, notice.status, notice.attempts) == ("LOW_BALANCE", "sent", 1)
        assert notice.provider_message_id.startswith("wamid.")

        [message] = await wa_messages(platform, PHONE_A)
        s = get_settings()
        assert (
            message["template"] == s.wa_template_low_balance and message["language"] == s.wa_template_language
        )
        assert message["phone_number_id"] == s.wa_phone_number_id and message["version"] == s.wa_api_version
        assert message["parameters"] == [shop.company_name, "₹5.00", "₹10,000.00"]

        await shop.pay(4_000)  # 700 due: still over, but a notice went out less than 24 h ago
        assert len(await _notifications(session, shop.id)) == 1

        # a day later the next increase is noticed again
        await session.execute(
            update(Wallet)
            .where(Wallet.client_id == shop.id)
            .values(wa_last_sent=datetime.now(UTC) - timedelta(hours=25))
        )
        await session.commit()
        await shop.pay(2_000)
        rows = await _settled(session, shop.id, 2)
        assert [r.type for r in rows] == ["LOW_BALANCE", "LOW_BALANCE"]
        assert len(await wa_messages(platform, PHONE_A)) == 2
        assert (await shop.wallet())["last_notice_at"] is not None


async def test_a_merchant_without_a_number_gets_a_failed_row_not_a_message(platform, session):
    async with open_shop(platform, session, fee_percent=Decimal("5.00"), warn_threshold=100) as shop:
        await shop.pay(4_000)
        [row] = await _notifications(session, shop.id)
        assert row.status == "failed" and "WhatsApp number" in row.error


async def test_tokens_are_stored_encrypted_and_refreshed_before_expiry_and_on_a_401(platform, session):
    async with open_shop(
        platform,
        session,
        fee_percent=Decimal("1.00"),
        warn_threshold=10**9,
        whatsapp_phone=PHONE_B,
        whatsapp_txn_updates=True,
    ) as shop:
        await shop.pay(1_000)  # TXN_UPDATE: the first token is obtained with the system user's token
        await _settled(session, shop.id, 1)
        tokens = list(
            (
                await session.execute(
                    select(WhatsAppProviderToken).order_by(WhatsAppProviderToken.created_at)
                )
            ).scalars()
        )
        assert [t.reason for t in tokens] == ["bootstrap"]
        first = crypto.decrypt(tokens[0].token_enc)
        assert first not in tokens[0].token_enc and tokens[0].expires_at > datetime.now(UTC) + timedelta(
            days=50
        )
        [message] = await wa_messages(platform, PHONE_B)
        assert message["token"] == first and message["template"] == get_settings().wa_template_txn_update

        # the provider revokes every token: the send gets a 401, the token is refreshed once, the send retried
        await wa_control(platform, "faults", {"expire_tokens": True})
        await shop.pay(1_100)
        rows = await _settled(session, shop.id, 2)
        assert rows[-1].status == "sent" and rows[-1].attempts == 1
        tokens = list(
            (
                await session.execute(
                    select(WhatsAppProviderToken).order_by(WhatsAppProviderToken.created_at)
                )
            ).scalars()
        )
        assert [t.reason for t in tokens] == ["bootstrap", "unauthorized"]
        second = crypto.decrypt(tokens[1].token_enc)
        assert (await wa_messages(platform, PHONE_B))[-1]["token"] == second
        assert any(r["reason"] == "unauthorized" for r in await wa_get(platform, "rejected"))

        # tokens that live less than LSP_WA_REFRESH_BEFORE_SECONDS are exchanged before they expire
        await wa_control(platform, "config", {"token_ttl_seconds": 3_600})
        await wa_control(platform, "faults", {"expire_tokens": True})
        await shop.pay(1_200)  # 401 -> a new token, valid for an hour only
        await _settled(session, shop.id, 3)
        await shop.pay(1_300)  # that token is inside the refresh window: exchanged for a fresh one first
        await _settled(session, shop.id, 4)
        tokens = list(
            (
                await session.execute(
                    select(WhatsAppProviderToken).order_by(WhatsAppProviderToken.created_at)
                )
            ).scalars()
        )
        assert [t.reason for t in tokens] == ["bootstrap", "unauthorized", "unauthorized", "before_expiry"]
        exchanged = (await wa_get(platform, "token-requests"))[-1]["fb_exchange_token"]
        assert exchanged == crypto.decrypt(
            tokens[2].token_enc
        )  # the live token was exchanged, not the system one

        # a 401 that a fresh token does not cure fails the message, without retrying
        await wa_control(platform, "faults", {"mode": "unauthorized", "count": 2})
        await shop.pay(1_400)
        rows = await _settled(session, shop.id, 5)
        assert rows[-1].status == "failed" and "401" in rows[-1].error and rows[-1].attempts == 1


async def test_5xx_and_timeouts_are_retried_four_times_at_most(platform, session):
    async with open_shop(
        platform,
        session,
        fee_percent=Decimal("1.00"),
        warn_threshold=10**9,
        whatsapp_phone=PHONE_C,
        whatsapp_txn_updates=True,
    ) as shop:
        await wa_control(platform, "faults", {"mode": "http_5xx", "status": 503, "count": 2})
        await shop.pay(1_000)
        [row] = await _settled(session, shop.id, 1)
        assert (row.status, row.attempts, row.error) == ("sent", 3, None)

        await wa_control(platform, "faults", {"mode": "timeout", "seconds": 4, "count": 1})
        await shop.pay(1_000)
        rows = await _settled(session, shop.id, 2)
        assert (rows[-1].status, rows[-1].attempts) == ("sent", 2)

        await wa_control(platform, "faults", {"mode": "http_5xx", "status": 502})  # until cleared
        await shop.pay(1_000)
        rows = await _settled(session, shop.id, 3)
        assert (rows[-1].status, rows[-1].attempts) == ("failed", 4)
        assert "HTTP 502" in rows[-1].error
        assert len(await wa_messages(platform, PHONE_C)) == 2


async def test_the_operators_log_and_the_merchants_usage(platform, session):
    async with (
        open_shop(
            platform,
            session,
            fee_percent=Decimal("5.00"),
            warn_threshold=100,
            whatsapp_phone=PHONE_A,
            whatsapp_txn_updates=True,
        ) as shop,
        open_shop(platform, session, gateway=False, fee_percent=Decimal("5.00")) as other,
        admin_client(platform) as admin,
    ):
        await shop.pay(4_000)  # TXN_UPDATE and LOW_BALANCE
        await shop.pay(1_000)  # TXN_UPDATE
        await _settled(session, shop.id, 3)

        r = await admin.get("/api/v1/admin/whatsapp", params={"merchant": shop.company_name[-8:]})
        assert r.status_code == 200, r.text
        assert len(r.json()["items"]) == 3 and {i["company_name"] for i in r.json()["items"]} == {
            shop.company_name
        }
        r = await admin.get(
            "/api/v1/admin/whatsapp",
            params={"merchant": str(shop.id), "type": "LOW_BALANCE", "status": "sent"},
        )
        [low] = r.json()["items"]
        assert low["to_phone"] == PHONE_A and low["parameters"][0] == shop.company_name
        page = (
            await admin.get("/api/v1/admin/whatsapp", params={"merchant": str(shop.id), "limit": 2})
        ).json()
        assert len(page["items"]) == 2 and page["next_cursor"]
        rest = (
            await admin.get(
                "/api/v1/admin/whatsapp", params={"merchant": str(shop.id), "cursor": page["next_cursor"]}
            )
        ).json()
        assert len(rest["items"]) == 1 and rest["next_cursor"] is None
        r = await admin.get("/api/v1/admin/whatsapp", params={"status": "nope"})
        assert r.status_code == 422
        assert (await shop.client.http.get(platform.api_url + "/api/v1/admin/whatsapp")).status_code == 401

        usage = (await shop.client.get("/api/v1/merchant/whatsapp/usage")).json()
        assert usage["whatsapp_phone"] == PHONE_A and usage["totals"] == {"queued": 0, "sent": 3, "failed": 0}
        assert {u["type"]: u["sent"] for u in usage["by_type"]} == {"LOW_BALANCE": 1, "TXN_UPDATE": 2}
        assert len(usage["recent"]) == 3 and usage["last_sent_at"]
        assert (await other.client.get("/api/v1/merchant/whatsapp/usage")).json()["totals"]["sent"] == 0
