"""The merchant's own settings (issue 12): GET/PATCH /api/v1/merchant/settings — business profile, WhatsApp number
(E.164) and which notices go to it, allowed checkout origins — read by every role, changed by owners and admins,
each change audited with its before and after; bad input is a 422 naming the field. Dues reminders turned off
stop the WhatsApp notices, not the suspension at the limit."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import select

from lightspeedpay.models import AuditLog, WhatsAppNotification
from lightspeedpay.schedule import low_balance_reminder
from tests.factories import create_merchant, merchant_client, wait_for
from tests.ledger_support import admin_client, open_shop
from tests.people.support import create_person, log_in

SETTINGS = "/api/v1/merchant/settings"


async def _member(session: Any, client_id: uuid.UUID, role: str = "owner") -> tuple[str, dict[str, str]]:
    person = await create_person(session, member_of=client_id, role=role)
    return person.email, await log_in(session, person.id)


async def _changes(session: Any, client_id: uuid.UUID) -> list[AuditLog]:
    await session.rollback()
    rows = await session.execute(
        select(AuditLog)
        .where(AuditLog.client_id == client_id, AuditLog.action == "merchant.settings_changed")
        .order_by(AuditLog.created_at)
    )
    return list(rows.scalars())


async def test_the_owner_reads_and_changes_them_and_each_change_is_audited(platform, session):
    new = await create_merchant(
        session, whatsapp_phone="919800000051", checkout_origins=["https://old.shop.example"]
    )
    email, owner = await _member(session, new.client.id)
    async with httpx.AsyncClient(base_url=platform.api_url, timeout=30, headers=owner) as api:
        r = await api.get(SETTINGS)
        assert r.status_code == 200, r.text
        got = r.json()
        assert {k: v for k, v in got.items() if k != "updated_at"} == {
            "merchant_id": str(new.client.id),
            "company_name": new.client.company_name,
            "website": None,
            "support_email": None,
            "support_phone": None,
            "whatsapp_phone": "919800000051",
            "whatsapp_txn_updates": False,
            "whatsapp_dues_reminders": True,
            "checkout_origins": ["https://old.shop.example"],
        }

        change = {
            "company_name": "  Asha Handlooms ",
            "website": "https://ashahandlooms.in",
            "support_email": "help@ashahandlooms.in",
            "support_phone": "+91 80 4567 8900",
            "whatsapp_phone": "+91 98000-00052",
            "whatsapp_txn_updates": True,
            "whatsapp_dues_reminders": False,
            "checkout_origins": [
                "https://Shop.Example.in:443",
                "http://localhost:5173",
                "https://shop.example.in",
            ],
        }
        r = await api.patch(SETTINGS, json=change)
        assert r.status_code == 200, r.text
        changed = r.json()
        assert changed["company_name"] == "Asha Handlooms" and changed["whatsapp_phone"] == "+919800000052"
        assert changed["checkout_origins"] == ["https://shop.example.in", "http://localhost:5173"]
        assert (changed["whatsapp_txn_updates"], changed["whatsapp_dues_reminders"]) == (True, False)
        assert (await api.get(SETTINGS)).json() == changed

        # one field at a time; null clears an optional one; the same values again change nothing
        r = await api.patch(SETTINGS, json={"website": None})
        assert r.status_code == 200 and r.json()["website"] is None
        assert r.json()["support_email"] == "help@ashahandlooms.in"
        assert (await api.patch(SETTINGS, json={"whatsapp_txn_updates": True})).status_code == 200

    # the operator sees the same merchant (the same rows, not a copy)
    async with admin_client(platform) as admin:
        seen = (await admin.get(f"/api/v1/admin/merchants/{new.client.id}")).json()
    assert seen["company_name"] == "Asha Handlooms" and seen["whatsapp_phone"] == "+919800000052"
    assert seen["checkout_origins"] == ["https://shop.example.in", "http://localhost:5173"]

    first, second = await _changes(session, new.client.id)  # the unchanged PATCH wrote no row
    assert first.actor == f"user:{email}" and first.target_type == "merchant"
    assert first.before == {
        "company_name": new.client.company_name,
        "website": None,
        "support_email": None,
        "support_phone": None,
        "whatsapp_phone": "919800000051",
        "whatsapp_txn_updates": False,
        "whatsapp_dues_reminders": True,
        "checkout_origins": ["https://old.shop.example"],
    }
    assert (
        first.after["whatsapp_dues_reminders"] is False and first.after["support_phone"] == "+91 80 4567 8900"
    )
    assert (second.before, second.after) == ({"website": "https://ashahandlooms.in"}, {"website": None})


BAD = [
    ({"whatsapp_phone": "9876543210"}, "whatsapp_phone"),  # no country code
    ({"whatsapp_phone": "+91 98765 4321x"}, "whatsapp_phone"),
    ({"whatsapp_phone": "+1234567890123456"}, "whatsapp_phone"),  # 16 digits
    ({"checkout_origins": ["https://shop.example.in/checkout"]}, "checkout_origins.0"),
    ({"checkout_origins": ["https://ok.example", "https://*.example"]}, "checkout_origins.1"),
    ({"checkout_origins": [f"https://s{i}.example" for i in range(21)]}, "checkout_origins"),
    ({"checkout_origins": None}, "checkout_origins"),
    ({"website": "ftp://shop.example.in"}, "website"),
    ({"support_email": "help at shop"}, "support_email"),
    ({"support_phone": "call us"}, "support_phone"),
    ({"company_name": "   "}, "company_name"),
    ({"company_name": None}, "company_name"),
    ({"whatsapp_dues_reminders": "no"}, "whatsapp_dues_reminders"),
    ({"whatsapp_txn_updates": None}, "whatsapp_txn_updates"),
    ({"fee_percent": "0.5"}, "fee_percent"),  # the operator's, not the merchant's
]


async def test_bad_input_is_refused_with_its_field_and_changes_nothing(platform, session):
    new = await create_merchant(session, whatsapp_phone="919800000053")
    _, owner = await _member(session, new.client.id)
    async with httpx.AsyncClient(base_url=platform.api_url, timeout=30, headers=owner) as api:
        before = (await api.get(SETTINGS)).json()
        for body, field in BAD:
            r = await api.patch(SETTINGS, json=body)
            assert r.status_code == 422, (body, r.text)
            error = r.json()["error"]
            assert (error["code"], error["field"]) == ("VALIDATION_ERROR", field), (body, error)
            assert error["message"]
        r = await api.patch(SETTINGS, content=b"[]", headers={"content-type": "application/json"})
        assert r.status_code == 400 and r.json()["error"]["code"] == "BAD_REQUEST"
        assert (await api.get(SETTINGS)).json() == before
    assert await _changes(session, new.client.id) == []


async def test_every_role_reads_only_owners_and_admins_change_and_only_their_own(platform, session):
    new = await create_merchant(session)
    other = await create_merchant(session)
    async with httpx.AsyncClient(base_url=platform.api_url, timeout=30) as api, httpx.AsyncClient() as http:
        for role in ("owner", "admin", "developer", "finance", "support", "viewer"):
            _, headers = await _member(session, new.client.id, role)
            r = await api.get(SETTINGS, headers=headers)
            assert r.status_code == 200 and r.json()["merchant_id"] == str(new.client.id), (role, r.text)
            r = await api.patch(SETTINGS, json={"support_email": f"{role}@shop.example"}, headers=headers)
            allowed = role in ("owner", "admin")
            assert r.status_code == (200 if allowed else 403), (role, r.text)
            if not allowed:
                assert r.json()["error"]["code"] == "FORBIDDEN"
        # the merchant's API credential reads them, and changes nothing
        signed = merchant_client(platform.api_url, new, http)
        assert (await signed.get(SETTINGS)).json()["support_email"] == "admin@shop.example"
        path = SETTINGS
        r = await http.patch(
            platform.api_url + path, content=b"{}", headers=signed.headers("PATCH", path, b"{}")
        )
        assert r.status_code == 403 and r.json()["error"]["code"] == "FORBIDDEN", r.text

        # a person of another merchant sees theirs, and cannot name this one
        _, stranger = await _member(session, other.client.id)
        r = await api.get(SETTINGS, headers=stranger)
        assert r.json()["merchant_id"] == str(other.client.id) and r.json()["support_email"] is None
        r = await api.patch(
            SETTINGS,
            json={"company_name": "Hijacked"},
            headers={**stranger, "X-Merchant-Id": str(new.client.id)},
        )
        assert r.status_code == 403, r.text
    assert [row.after for row in await _changes(session, other.client.id)] == []


PHONE = "+919800000054"


async def _low_balance(session: Any, client_id: uuid.UUID) -> list[WhatsAppNotification]:
    await session.rollback()
    rows = await session.execute(
        select(WhatsAppNotification).where(
            WhatsAppNotification.client_id == client_id, WhatsAppNotification.type == "LOW_BALANCE"
        )
    )
    return list(rows.scalars())


async def test_dues_reminders_off_stop_the_notices_not_the_suspension(platform, session):
    async with open_shop(
        platform,
        session,
        fee_percent=Decimal("5.00"),
        warn_threshold=400,
        suspend_threshold=1_000,
        whatsapp_phone="919800000054",
    ) as shop:
        _, owner = await _member(session, shop.id)
        async with httpx.AsyncClient(base_url=platform.api_url, timeout=30, headers=owner) as api:
            r = await api.patch(SETTINGS, json={"whatsapp_dues_reminders": False, "whatsapp_phone": PHONE})
            assert r.status_code == 200, r.text

            await shop.pay(10_000)  # 500 due: past the warning
            assert await low_balance_reminder() == {}  # the periodic reminder leaves it alone too
            assert await _low_balance(session, shop.id) == []

            await shop.pay(10_000)  # 1,000 due: the limit, whatever the merchant chose about notices
            wallet = await shop.wallet()
            assert (wallet["balance_due"], wallet["status"]) == (1_000, "suspended")
            refused = await shop.client.pay(amount=5_000)
            assert refused.status_code == 402 and refused.json()["error"]["code"] == "MERCHANT_SUSPENDED"
            assert await _low_balance(session, shop.id) == []

            # turned back on: the next reminder run sends it (to the number in E.164)
            assert (await api.patch(SETTINGS, json={"whatsapp_dues_reminders": True})).status_code == 200
            await low_balance_reminder()
            [notice] = await wait_for(lambda: _low_balance(session, shop.id), what="the LOW_BALANCE notice")
            assert notice.to_phone == PHONE and notice.payload_json["balance_due"] == 1_000
