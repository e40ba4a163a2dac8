"""A merchant with an owner who logs in, and the operator's bootstrap token, for the KYC tests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from lightspeedpay.config import get_settings
from lightspeedpay.merchants.service import NewMerchant
from tests.factories import create_merchant
from tests.fixtures import Platform
from tests.kyc.support import Team, jpeg, member, pdf, png

# a partnership whose PAN and GSTIN are GSTN's documented example (check character and all)
APPLICATION = {
    "business_type": "partnership",
    "legal_name": "Shreeji Furnishers",
    "signatory_name": "Ramesh Kumar",
    "business_pan": "AAPFU0939F",
    "signatory_pan": "ABCPK1234F",
    "gstin": "27AAPFU0939F1ZV",
    "bank_account_number": "50100012345678",
    "bank_ifsc": "HDFC0001234",
    "website_url": "https://shreeji.example.in",
    "contact_name": "Ramesh Kumar",
    "contact_email": "ramesh@shreeji.example.in",
    "contact_phone": "919876543210",
}


@dataclass
class Kyc:
    platform: Platform
    session: Any
    new: NewMerchant
    team: Team
    admin: httpx.AsyncClient
    http: httpx.AsyncClient
    merchant_id: str  # read once: the ORM row expires when the test's session rolls back

    async def as_admin(
        self, method: str, path: str, body: Any = None, *, rid: str | None = None
    ) -> httpx.Response:
        headers = {"X-Request-Id": rid} if rid else {}
        return await self.admin.request(method, path, json=body, headers=headers)

    async def fill(self, **overrides: Any) -> None:
        r = await self.team.request("PUT", "/api/v1/merchant/kyc", {**APPLICATION, **overrides})
        assert r.status_code == 200, r.text
        for kind, content, name, ctype in (
            ("pan_card", pdf(), "pan.pdf", "application/pdf"),
            ("address_proof", jpeg(), "electricity-bill.jpg", "image/jpeg"),
            ("gst_certificate", pdf(), "gst.pdf", "application/pdf"),
            ("cancelled_cheque", png(), "cheque.png", "image/png"),
        ):
            up = await self.team.upload(kind, content, name, ctype)
            assert up.status_code == 201, up.text

    async def submitted(self, **overrides: Any) -> dict[str, Any]:
        await self.fill(**overrides)
        r = await self.team.request("POST", "/api/v1/merchant/kyc/submit")
        assert r.status_code == 200, r.text
        return dict(r.json())


async def team_of(
    platform: Platform, session: Any, http: httpx.AsyncClient, client_id: uuid.UUID | str, role: str = "owner"
) -> Team:
    user, token = await member(session, uuid.UUID(str(client_id)), role)
    return Team(http, platform.api_url, token, user.email)


@pytest.fixture
async def kyc(platform, session) -> AsyncIterator[Kyc]:
    new = await create_merchant(session, kyc_status="draft")  # self-signup state: test keys only
    async with (
        httpx.AsyncClient(
            base_url=platform.api_url,
            timeout=30,
            headers={"Authorization": f"Bearer {get_settings().admin_token}"},
        ) as admin,
        httpx.AsyncClient(timeout=30) as http,
    ):
        merchant_id = str(new.client.id)
        team = await team_of(platform, session, http, merchant_id)
        yield Kyc(platform, session, new, team, admin, http, merchant_id)
