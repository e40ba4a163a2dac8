"""Issue 10's whole onboarding over HTTP, as a new merchant lives it: signup → the email's link → login → test
keys → a test payment (sandbox only) → KYC application and documents → penny drop on the worker → an operator's
review and approval → the live key → a live payment. Nothing is set in the database by hand."""

from __future__ import annotations

import httpx

from lightspeedpay.config import get_settings
from tests.factories import MerchantClient, create_sandbox_gateway, wait_for
from tests.kyc.conftest import APPLICATION, Kyc
from tests.kyc.support import Team
from tests.paying import settle
from tests.people.support import new_email, token_of, wait_mail

PASSWORD = "correct-horse-battery-9"


async def test_signup_to_a_live_payment(platform, session):
    await create_sandbox_gateway(session, platform.simulator_url)
    email = new_email()
    async with (
        httpx.AsyncClient(base_url=platform.api_url, timeout=30) as http,
        httpx.AsyncClient(
            base_url=platform.api_url,
            timeout=30,
            headers={"Authorization": f"Bearer {get_settings().admin_token}"},
        ) as admin,
    ):
        r = await http.post(
            "/api/v1/auth/signup",
            json={
                "business_name": APPLICATION["legal_name"],
                "contact_name": "Ramesh Kumar",
                "email": email,
                "password": PASSWORD,
            },
        )
        assert r.status_code == 201, r.text

        # the address is confirmed by the link in the email the SMTP stand-in received
        r = await http.post(
            "/api/v1/auth/verify-email", json={"token": token_of(await wait_mail(platform, email))}
        )
        assert r.status_code == 200, r.text
        merchant_id = r.json()["merchant_id"]
        r = await http.post(
            "/api/v1/auth/login", json={"email": email, "password": PASSWORD, "mode": "token"}
        )
        assert r.status_code == 200, r.text
        owner = {"Authorization": f"Bearer {r.json()['access_token']}"}

        # test keys at once: the live key has no secret until KYC is activated
        listed = (await http.get("/api/v1/merchant/credentials", headers=owner)).json()
        assert listed["kyc_status"] == "draft"
        r = await http.post(
            "/api/v1/merchant/credentials/regenerate",
            json={"mode": "live", "grace_period_seconds": 0},
            headers=owner,
        )
        assert r.status_code == 403 and r.json()["error"]["code"] == "LIVE_MODE_NOT_ACTIVATED", r.text
        r = await http.post(
            "/api/v1/merchant/credentials/regenerate",
            json={"mode": "test", "grace_period_seconds": 0},
            headers=owner,
        )
        assert r.status_code == 201, r.text
        test_keys = MerchantClient(platform.api_url, r.json()["key_id"], r.json()["key_secret"], http)
        r = await test_keys.pay(amount=10_000)
        assert r.status_code == 201, r.text
        paid = await settle(test_keys, r.json()["transaction_id"], "success")
        assert paid["status"] == "paid" and paid["mode"] == "test"

        # KYC: the application, its four documents, submission (the penny drop runs on the worker)
        team = Team(http, platform.api_url, owner["Authorization"].removeprefix("Bearer "), email)
        kyc = Kyc(platform, session, None, team, admin, http, merchant_id)  # type: ignore[arg-type]
        assert (await kyc.submitted())["kyc_status"] == "submitted"

        async def verified() -> dict | None:
            found = (await admin.get(f"/api/v1/admin/kyc/{merchant_id}")).json()["verifications"]
            return found[0] if found and found[0]["status"] != "pending" else None

        check = await wait_for(verified, timeout=60, what="the penny drop")
        assert check["status"] == "verified", check

        # the operator reviews and approves; the owner is told by email
        for step in ("start-review", "approve"):
            r = await admin.post(f"/api/v1/admin/kyc/{merchant_id}/{step}")
            assert r.status_code == 200, r.text
        assert r.json()["kyc_status"] == "activated"

        # the live key: its secret shown once, then a live payment
        r = await http.post(
            "/api/v1/merchant/credentials/regenerate",
            json={"mode": "live", "grace_period_seconds": 0},
            headers=owner,
        )
        assert r.status_code == 201, r.text
        live = MerchantClient(platform.api_url, r.json()["key_id"], r.json()["key_secret"], http)
        r = await live.pay(amount=25_000)
        assert r.status_code == 201, r.text
        paid = await settle(live, r.json()["transaction_id"], "success")
        assert paid["status"] == "paid" and paid["mode"] == "live"
        # each key sees only its own mode
        r = await test_keys.get(f"/api/v1/transactions/{paid['id']}")
        assert r.status_code == 404, r.text
