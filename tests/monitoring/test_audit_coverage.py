"""Issue 9: every state change made through the admin API, the merchant API's settings routes and the CLI leaves
an audit row in its own transaction. The route table and the CLI's command tree are read from the application
itself: a new mutating route or command that is in neither AUDITED nor NOT_A_CHANGE fails the guard, and every
AUDITED entry is exercised over real HTTP (or the real CLI) and must leave its row, named by the request id."""

from __future__ import annotations

import getpass
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pyotp
import pytest
import typer
from fastapi.routing import iter_route_contexts
from sqlalchemy import select, update

from lightspeedpay.alerts.service import alert_service
from lightspeedpay.api import router as api_router
from lightspeedpay.cli import app as cli_app
from lightspeedpay.config import get_settings
from lightspeedpay.gateways.service import gateway_service
from lightspeedpay.identity.deps import authenticate_admin
from lightspeedpay.ledger.service import ledger_service
from lightspeedpay.merchants.service import NewMerchant
from lightspeedpay.models import AuditLog, Client, JobIntent, PaymentGateway
from lightspeedpay.models.job_intent import JobIntentStatus
from tests.factories import (
    MerchantClient,
    create_merchant,
    create_sandbox_gateway,
    merchant_client,
    wait_for,
)
from tests.fixtures import Platform
from tests.identity.people import PASSWORD
from tests.identity.people import create_person as create_login_person
from tests.kyc.conftest import APPLICATION as KYC_APPLICATION
from tests.kyc.support import pdf as kyc_pdf
from tests.kyc.support import png as kyc_png
from tests.ledger_support import cli
from tests.paying import settle
from tests.people.support import create_person, log_in, new_email

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
# besides every route that takes the admin token: the merchant's settings surface
GUARDED_PREFIXES = ("/api/v1/merchant/", "/api/v1/auth/")


@dataclass
class Ctx:
    platform: Platform
    session: Any
    new: NewMerchant
    merchant_id: uuid.UUID
    client_key: str
    gateway_id: uuid.UUID
    gateway_limit: int
    admin: httpx.AsyncClient
    http: httpx.AsyncClient
    merchant: MerchantClient
    member_email: str | None = None  # an owner of the merchant's team, logged in (as_member)
    member_headers: dict[str, str] | None = None

    async def as_member(
        self, method: str, path: str, body: Any = None, *, rid: str, files: Any = None, data: Any = None
    ) -> httpx.Response:
        """As a person of the merchant's team (its owner, logged in just now): the team routes take no API
        credential."""
        if self.member_headers is None:
            owner = await create_person(self.session, member_of=self.merchant_id)
            owner.totp_enabled_at = datetime.now(UTC)  # requiring 2FA of a team needs it of oneself first
            await self.session.commit()
            self.member_email = owner.email
            self.member_headers = await log_in(self.session, owner.id)
        headers = {**self.member_headers, "X-Request-Id": rid}
        if files is not None:  # a multipart upload (KYC documents)
            return await self.http.post(self.platform.api_url + path, files=files, data=data, headers=headers)
        return await self.http.request(method, self.platform.api_url + path, json=body, headers=headers)

    async def signed(self, method: str, path: str, body: Any = None, *, rid: str) -> httpx.Response:
        raw = b"" if body is None else json.dumps(body).encode()
        headers = {**self.merchant.headers(method, path, raw), "X-Request-Id": rid}
        return await self.http.request(method, self.platform.api_url + path, content=raw, headers=headers)

    async def as_admin(self, method: str, path: str, body: Any = None, *, rid: str) -> httpx.Response:
        return await self.admin.request(method, path, json=body, headers={"X-Request-Id": rid})

    async def as_person(
        self, method: str, path: str, access_token: str, body: Any = None, *, rid: str
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {access_token}", "X-Request-Id": rid}
        return await self.http.request(method, self.platform.api_url + path, json=body, headers=headers)

    async def endpoint(self, url_name: str = "audit") -> str:
        r = await self.signed(
            "POST",
            "/api/v1/merchant/webhooks",
            {"url": f"{self.platform.receiver_url}/webhooks/{url_name}"},
            rid=f"req_setup_{uuid.uuid4().hex[:8]}",
        )
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    async def paid_payment(self) -> dict[str, Any]:
        client = self.merchant
        r = await client.pay(amount=20_000)
        assert r.status_code == 201, r.text
        txn_id = r.json()["transaction_id"]

        async def paid() -> dict[str, Any] | None:
            t = (await client.get(f"/api/v1/transactions/{txn_id}")).json()
            return t if t["status"] == "paid" else None

        return await wait_for(paid, timeout=30, what="the payment to be paid")

    async def authorized_payment(self) -> dict[str, Any]:
        """A payment the payer authorized and nobody captured yet: the gateway stops completing payments by
        itself for the while."""
        gateway = await self.session.get(PaymentGateway, self.gateway_id)
        key_id = gateway_service.account(gateway).credentials["key_id"]
        mode = f"{self.platform.simulator_url}/_sim/accounts/{key_id}/mode"
        await self.http.put(mode, json={"auto_outcome": None})
        try:
            r = await self.merchant.pay(amount=20_000)
            assert r.status_code == 201, r.text
            return await settle(self.merchant, r.json()["transaction_id"], "authorize")
        finally:
            await self.http.put(mode, json={"auto_outcome": "success"})


Scenario = Callable[[Ctx, str], Awaitable[httpx.Response]]


@dataclass(frozen=True)
class Audited:
    action: str
    # "admin", "merchant" (its API credential), "member" (a person of its team) or "person" (PERSON_EMAIL)
    actor: str
    run: Scenario


# ---- the scenarios: each makes one change through the route, under the given request id ------------------------

PERSON_EMAIL = "audited.person@example.com"


async def _person_token(ctx: Ctx, *, two_factor: bool = False) -> str:
    """A person's access token (their account made for the scenario), with TOTP turned on if asked."""
    await create_login_person(ctx.session, operator_role="viewer", email=PERSON_EMAIL)
    r = await ctx.http.post(
        ctx.platform.api_url + "/api/v1/auth/login", json={"email": PERSON_EMAIL, "password": PASSWORD}
    )
    assert r.status_code == 200, r.text
    access = str(r.json()["access_token"])
    if two_factor:
        r = await ctx.as_person("POST", "/api/v1/auth/2fa/setup", access, rid="req_setup_2fa")
        code = pyotp.TOTP(r.json()["secret"]).now()
        r = await ctx.as_person(
            "POST", "/api/v1/auth/2fa/enable", access, {"code": code}, rid="req_setup_2fa"
        )
        assert r.status_code == 200, r.text
    return access


async def _login(ctx: Ctx, rid: str) -> httpx.Response:
    await create_login_person(ctx.session, operator_role="viewer", email=PERSON_EMAIL)
    return await ctx.http.post(
        ctx.platform.api_url + "/api/v1/auth/login",
        json={"email": PERSON_EMAIL, "password": PASSWORD},
        headers={"X-Request-Id": rid},
    )


async def _logout_all(ctx: Ctx, rid: str) -> httpx.Response:
    return await ctx.as_person("POST", "/api/v1/auth/logout-all", await _person_token(ctx), rid=rid)


async def _session_end(ctx: Ctx, rid: str) -> httpx.Response:
    access = await _person_token(ctx)
    r = await ctx.http.post(
        ctx.platform.api_url + "/api/v1/auth/login",
        json={"email": PERSON_EMAIL, "password": PASSWORD, "mode": "session"},
    )
    assert r.status_code == 200, r.text
    ctx.http.cookies.clear()  # the session is ended by id, from the token login
    listed = await ctx.as_person("GET", "/api/v1/auth/sessions", access, rid="req_setup_list")
    browser = next(i for i in listed.json()["items"] if i["kind"] == "session")
    return await ctx.as_person("DELETE", f"/api/v1/auth/sessions/{browser['id']}", access, rid=rid)


async def _2fa_enable(ctx: Ctx, rid: str) -> httpx.Response:
    access = await _person_token(ctx)
    r = await ctx.as_person("POST", "/api/v1/auth/2fa/setup", access, rid="req_setup_2fa")
    code = pyotp.TOTP(r.json()["secret"]).now()
    return await ctx.as_person("POST", "/api/v1/auth/2fa/enable", access, {"code": code}, rid=rid)


async def _2fa_disable(ctx: Ctx, rid: str) -> httpx.Response:
    access = await _person_token(ctx, two_factor=True)
    return await ctx.as_person("POST", "/api/v1/auth/2fa/disable", access, rid=rid)


async def _recovery_codes(ctx: Ctx, rid: str) -> httpx.Response:
    access = await _person_token(ctx, two_factor=True)
    return await ctx.as_person("POST", "/api/v1/auth/2fa/recovery-codes", access, rid=rid)


async def _preferences(ctx: Ctx, rid: str) -> httpx.Response:
    access = await _person_token(ctx)
    return await ctx.as_person(
        "PATCH", "/api/v1/auth/me", access, {"locale": "hi", "time_zone": "UTC"}, rid=rid
    )


async def _gateway_create(ctx: Ctx, rid: str) -> httpx.Response:
    body = {
        "name": f"audit_{uuid.uuid4().hex[:6]}",
        "provider": "sandbox",
        "base_url": ctx.platform.simulator_url,
        "credentials": {
            "key_id": "sbx_audit_key",
            "key_secret": "s3cret-create",
            "webhook_secret": "wh-create",
        },
        "monthly_limit": 1_000_000,
    }
    return await ctx.as_admin("POST", "/api/v1/admin/gateways", body, rid=rid)


async def _gateway_priority(ctx: Ctx, rid: str) -> httpx.Response:
    body = [{"id": str(ctx.gateway_id), "priority": 7}]
    return await ctx.as_admin("PUT", "/api/v1/admin/gateways/priority", body, rid=rid)


async def _gateway_update(ctx: Ctx, rid: str) -> httpx.Response:
    body = {
        "monthly_limit": 2_000_000,
        "credentials": {
            "key_id": "sbx_rotated",
            "key_secret": "s3cret-update",
            "webhook_secret": "wh-update",
        },
    }
    return await ctx.as_admin("PATCH", f"/api/v1/admin/gateways/{ctx.gateway_id}", body, rid=rid)


async def _gateway_delete(ctx: Ctx, rid: str) -> httpx.Response:
    return await ctx.as_admin("DELETE", f"/api/v1/admin/gateways/{ctx.gateway_id}", rid=rid)


async def _payout(ctx: Ctx, rid: str) -> httpx.Response:
    await ledger_service.record_adjustment(
        ctx.session, ctx.merchant_id, amount=50_000, reason="dues to pay", actor="test"
    )
    await ctx.session.commit()
    body = {"amount": 10_000, "reference": f"UTR-{uuid.uuid4().hex[:8]}"}
    return await ctx.as_admin("POST", f"/api/v1/admin/merchants/{ctx.merchant_id}/payouts", body, rid=rid)


async def _adjustment(ctx: Ctx, rid: str) -> httpx.Response:
    body = {"amount": -500, "reason": "goodwill for the outage"}
    return await ctx.as_admin("POST", f"/api/v1/admin/merchants/{ctx.merchant_id}/adjustments", body, rid=rid)


async def _merchant_settings(ctx: Ctx, rid: str) -> httpx.Response:
    body = {"warn_threshold": 123_456, "whatsapp_txn_updates": True}
    return await ctx.as_admin("PATCH", f"/api/v1/admin/merchants/{ctx.merchant_id}", body, rid=rid)


async def _settlement_run(ctx: Ctx, rid: str) -> httpx.Response:
    body = {"merchant_id": str(ctx.merchant_id)}
    return await ctx.as_admin("POST", "/api/v1/admin/settlements/run", body, rid=rid)


async def _endpoint_create(ctx: Ctx, rid: str) -> httpx.Response:
    body = {"url": f"{ctx.platform.receiver_url}/webhooks/new", "event_types": ["payment.paid"]}
    return await ctx.signed("POST", "/api/v1/merchant/webhooks", body, rid=rid)


async def _endpoint_ping(ctx: Ctx, rid: str) -> httpx.Response:
    return await ctx.signed("POST", "/api/v1/merchant/webhooks/test", rid=rid)


async def _endpoint_update(ctx: Ctx, rid: str) -> httpx.Response:
    eid = await ctx.endpoint()
    body = {"description": "orders", "event_types": ["payment.failed"]}
    return await ctx.signed("PATCH", f"/api/v1/merchant/webhooks/{eid}", body, rid=rid)


async def _endpoint_delete(ctx: Ctx, rid: str) -> httpx.Response:
    eid = await ctx.endpoint()
    return await ctx.signed("DELETE", f"/api/v1/merchant/webhooks/{eid}", rid=rid)


async def _endpoint_rotate(ctx: Ctx, rid: str) -> httpx.Response:
    eid = await ctx.endpoint()
    return await ctx.signed("POST", f"/api/v1/merchant/webhooks/{eid}/rotate", rid=rid)


async def _credentials_regenerate(ctx: Ctx, rid: str) -> httpx.Response:
    body = {"mode": "test", "grace_period_seconds": 60}
    return await ctx.as_member("POST", "/api/v1/merchant/credentials/regenerate", body, rid=rid)


async def _credentials_ip_allowlist(ctx: Ctx, rid: str) -> httpx.Response:
    body = {"cidrs": ["203.0.113.0/24"]}
    return await ctx.as_member("PUT", "/api/v1/merchant/credentials/test/ip-allowlist", body, rid=rid)


async def _credentials_reveal(ctx: Ctx, rid: str) -> httpx.Response:
    return await ctx.as_member("POST", "/api/v1/merchant/credentials/test/reveal", rid=rid)


async def _endpoint_reveal(ctx: Ctx, rid: str) -> httpx.Response:
    eid = await ctx.endpoint()
    return await ctx.signed("POST", f"/api/v1/merchant/webhooks/{eid}/reveal", rid=rid)


async def _account_settings(ctx: Ctx, rid: str) -> httpx.Response:
    body = {"support_email": "help@audited.example", "whatsapp_dues_reminders": False}
    return await ctx.as_member("PATCH", "/api/v1/merchant/settings", body, rid=rid)


async def _native_capture(ctx: Ctx, rid: str) -> httpx.Response:
    txn = await ctx.authorized_payment()
    return await ctx.signed("POST", f"/api/v1/transactions/{txn['id']}/capture", rid=rid)


async def _razorpay_capture(ctx: Ctx, rid: str) -> httpx.Response:
    txn = await ctx.authorized_payment()
    return await ctx.http.post(
        f"{ctx.platform.api_url}/v1/payments/{txn['payment_id']}/capture",
        json={"amount": txn["amount"], "currency": "INR"},
        auth=(ctx.client_key, ctx.new.client_salt),
        headers={"X-Request-Id": rid},
    )


async def _delivery_retry(ctx: Ctx, rid: str) -> httpx.Response:
    eid = await ctx.endpoint()
    ping = await ctx.signed(
        "POST", "/api/v1/merchant/webhooks/test", {"endpoint_id": eid}, rid="req_setup_ping"
    )
    assert ping.status_code == 202, ping.text

    async def logged() -> str | None:
        r = await ctx.signed("GET", f"/api/v1/merchant/webhooks/{eid}/deliveries", rid="req_setup_list")
        items = r.json()["items"]
        return str(items[0]["id"]) if items else None

    attempt_id = await wait_for(logged, timeout=30, what="the ping's delivery attempt")
    path = f"/api/v1/merchant/webhooks/{eid}/deliveries/{attempt_id}/retry"
    return await ctx.signed("POST", path, rid=rid)


async def _native_refund(ctx: Ctx, rid: str) -> httpx.Response:
    txn = await ctx.paid_payment()
    return await ctx.signed("POST", f"/api/v1/transactions/{txn['id']}/refunds", {"amount": 1_000}, rid=rid)


async def _razorpay_refund(ctx: Ctx, rid: str) -> httpx.Response:
    txn = await ctx.paid_payment()
    return await ctx.http.post(
        f"{ctx.platform.api_url}/v1/payments/{txn['payment_id']}/refund",
        json={"amount": 1_000, "notes": {"reason": "damaged"}},
        auth=(ctx.client_key, ctx.new.client_salt),
        headers={"X-Request-Id": rid},
    )


async def _admin_refund(ctx: Ctx, rid: str) -> httpx.Response:
    txn = await ctx.paid_payment()
    body = {"amount": 1_000, "notes": {"reason": "refunded for the merchant"}}
    return await ctx.as_admin("POST", f"/api/v1/admin/payments/{txn['payment_id']}/refunds", body, rid=rid)


# the queue the queue-admin scenarios act on: one the other scenarios leave alone
QUIET = "settlements"


async def _then_resume(ctx: Ctx, r: httpx.Response) -> httpx.Response:
    back = await ctx.as_admin("POST", f"/api/v1/admin/queues/{QUIET}/resume", rid="req_setup_resume")
    assert back.status_code == 200, back.text
    return r


async def _queues_pause(ctx: Ctx, rid: str) -> httpx.Response:
    body = {"queue": QUIET, "reason": "audit test"}
    return await _then_resume(ctx, await ctx.as_admin("POST", "/api/v1/admin/queues/pause", body, rid=rid))


async def _queue_pause(ctx: Ctx, rid: str) -> httpx.Response:
    r = await ctx.as_admin("POST", f"/api/v1/admin/queues/{QUIET}/pause", {"reason": "audit"}, rid=rid)
    return await _then_resume(ctx, r)


async def _queues_resume(ctx: Ctx, rid: str) -> httpx.Response:
    return await ctx.as_admin("POST", "/api/v1/admin/queues/resume", {"queue": QUIET}, rid=rid)


async def _queue_resume(ctx: Ctx, rid: str) -> httpx.Response:
    return await ctx.as_admin("POST", f"/api/v1/admin/queues/{QUIET}/resume", rid=rid)


async def _queues_retry(ctx: Ctx, rid: str) -> httpx.Response:
    return await ctx.as_admin("POST", "/api/v1/admin/queues/retry", {"queue": QUIET}, rid=rid)


async def _queue_retry(ctx: Ctx, rid: str) -> httpx.Response:
    return await ctx.as_admin("POST", f"/api/v1/admin/queues/{QUIET}/retry", {"count": 5}, rid=rid)


_CLEAN = {"status": "completed", "grace_seconds": 3600, "limit": 10}


async def _queues_clean(ctx: Ctx, rid: str) -> httpx.Response:
    return await ctx.as_admin("POST", "/api/v1/admin/queues/clean", {"queue": QUIET, **_CLEAN}, rid=rid)


async def _queues_clean_delete(ctx: Ctx, rid: str) -> httpx.Response:
    return await ctx.admin.delete(
        "/api/v1/admin/queues/clean", params={"queue": QUIET, **_CLEAN}, headers={"X-Request-Id": rid}
    )


async def _queue_clean(ctx: Ctx, rid: str) -> httpx.Response:
    return await ctx.as_admin("POST", f"/api/v1/admin/queues/{QUIET}/clean", _CLEAN, rid=rid)


async def _queue_drain(ctx: Ctx, rid: str) -> httpx.Response:
    return await ctx.as_admin("POST", f"/api/v1/admin/queues/{QUIET}/drain", {"reason": "audit"}, rid=rid)


async def _queue_unpark(ctx: Ctx, rid: str) -> httpx.Response:
    return await ctx.as_admin("POST", f"/api/v1/admin/queues/{QUIET}/unpark", {"reason": "audit"}, rid=rid)


async def _failed_intent(ctx: Ctx) -> uuid.UUID:
    intent = JobIntent(
        id=uuid.uuid4(),
        queue=QUIET,
        name="settlement.process",
        payload={"settlement_id": str(uuid.uuid4())},  # no such settlement: a rerun does nothing
        status=JobIntentStatus.FAILED,
        attempts=8,
        last_error="RuntimeError: for the audit test",
    )
    ctx.session.add(intent)
    await ctx.session.commit()
    return intent.id


async def _job_retry(ctx: Ctx, rid: str) -> httpx.Response:
    job = await _failed_intent(ctx)
    return await ctx.as_admin("POST", f"/api/v1/admin/queues/jobs/{job}/retry", {"reason": "fixed"}, rid=rid)


async def _job_discard(ctx: Ctx, rid: str) -> httpx.Response:
    job = await _failed_intent(ctx)
    body = {"reason": "obsolete"}
    return await ctx.as_admin("POST", f"/api/v1/admin/queues/jobs/{job}/discard", body, rid=rid)


async def _open_alert(ctx: Ctx) -> uuid.UUID:
    # a kind no rule evaluates, so no rule resolves it under the test
    alert = await alert_service.raise_(
        ctx.session, "audit.test", f"audit.test:{uuid.uuid4().hex}", title="audit test", message="audit test"
    )
    await ctx.session.commit()
    return alert.id


async def _alert_ack(ctx: Ctx, rid: str) -> httpx.Response:
    alert_id = await _open_alert(ctx)
    return await ctx.as_admin("POST", f"/api/v1/admin/alerts/{alert_id}/ack", {"note": "on it"}, rid=rid)


async def _alert_resolve(ctx: Ctx, rid: str) -> httpx.Response:
    alert_id = await _open_alert(ctx)
    return await ctx.as_admin("POST", f"/api/v1/admin/alerts/{alert_id}/resolve", {"note": "fixed"}, rid=rid)


async def _kyc_draft(ctx: Ctx) -> None:
    """The context's merchant is onboarded (activated, for its live key); KYC starts from a self-signup's draft."""
    await ctx.session.execute(update(Client).where(Client.id == ctx.merchant_id).values(kyc_status="draft"))
    await ctx.session.commit()


async def _kyc_fill(ctx: Ctx) -> None:
    await _kyc_draft(ctx)
    r = await ctx.as_member("PUT", "/api/v1/merchant/kyc", KYC_APPLICATION, rid="req_setup_kyc")
    assert r.status_code == 200, r.text
    for kind, content, name in (
        ("pan_card", kyc_pdf(), "pan.pdf"),
        ("address_proof", kyc_pdf(), "bill.pdf"),
        ("gst_certificate", kyc_pdf(), "gst.pdf"),
        ("cancelled_cheque", kyc_png(), "cheque.png"),
    ):
        up = await ctx.as_member(
            "POST",
            "/api/v1/merchant/kyc/documents",
            rid="req_setup_doc",
            files={"file": (name, content)},
            data={"kind": kind},
        )
        assert up.status_code == 201, up.text


async def _kyc_submitted(ctx: Ctx) -> str:
    await _kyc_fill(ctx)
    r = await ctx.as_member("POST", "/api/v1/merchant/kyc/submit", rid="req_setup_submit")
    assert r.status_code == 200, r.text
    return f"/api/v1/admin/kyc/{ctx.merchant_id}"


async def _kyc_in_review(ctx: Ctx) -> str:
    base = await _kyc_submitted(ctx)
    r = await ctx.as_admin("POST", f"{base}/start-review", rid="req_setup_review")
    assert r.status_code == 200, r.text
    return base


async def _kyc_update(ctx: Ctx, rid: str) -> httpx.Response:
    await _kyc_draft(ctx)
    return await ctx.as_member("PUT", "/api/v1/merchant/kyc", {"legal_name": "Audited Traders"}, rid=rid)


async def _kyc_upload(ctx: Ctx, rid: str) -> httpx.Response:
    await _kyc_draft(ctx)
    files = {"file": ("pan.pdf", kyc_pdf(), "application/pdf")}
    return await ctx.as_member(
        "POST", "/api/v1/merchant/kyc/documents", rid=rid, files=files, data={"kind": "pan_card"}
    )


async def _kyc_submit(ctx: Ctx, rid: str) -> httpx.Response:
    await _kyc_fill(ctx)
    return await ctx.as_member("POST", "/api/v1/merchant/kyc/submit", rid=rid)


async def _kyc_answer(ctx: Ctx, rid: str) -> httpx.Response:
    base = await _kyc_submitted(ctx)
    body = {"items": [{"code": "website_url", "reason": "No refund policy page."}]}
    r = await ctx.as_admin("POST", f"{base}/clarifications", body, rid="req_setup_clarify")
    assert r.status_code == 200, r.text
    requirement = r.json()["requirements"][0]["id"]
    path = f"/api/v1/merchant/kyc/requirements/{requirement}/answer"
    return await ctx.as_member("POST", path, {"response": "Added."}, rid=rid)


async def _kyc_start_review(ctx: Ctx, rid: str) -> httpx.Response:
    base = await _kyc_submitted(ctx)
    return await ctx.as_admin("POST", f"{base}/start-review", rid=rid)


async def _kyc_approve(ctx: Ctx, rid: str) -> httpx.Response:
    base = await _kyc_in_review(ctx)

    async def verified() -> bool:
        r = await ctx.as_admin("GET", base, rid="req_setup_poll")
        return bool(r.json()["verifications"]) and r.json()["verifications"][0]["status"] == "verified"

    await wait_for(verified, timeout=30, what="the penny drop")
    return await ctx.as_admin("POST", f"{base}/approve", rid=rid)


async def _kyc_reject(ctx: Ctx, rid: str) -> httpx.Response:
    base = await _kyc_in_review(ctx)
    return await ctx.as_admin("POST", f"{base}/reject", {"reason": "Not our kind of business."}, rid=rid)


async def _kyc_activated(ctx: Ctx) -> str:
    rid = f"req_setup_{uuid.uuid4().hex[:8]}"
    r = await _kyc_approve(ctx, rid)
    assert r.status_code == 200, r.text
    return f"/api/v1/admin/kyc/{ctx.merchant_id}"


async def _kyc_suspend(ctx: Ctx, rid: str) -> httpx.Response:
    base = await _kyc_activated(ctx)
    return await ctx.as_admin("POST", f"{base}/suspend", {"reason": "Restricted goods."}, rid=rid)


async def _kyc_reinstate(ctx: Ctx, rid: str) -> httpx.Response:
    base = await _kyc_activated(ctx)
    r = await ctx.as_admin(
        "POST", f"{base}/suspend", {"reason": "Restricted goods."}, rid="req_setup_suspend"
    )
    assert r.status_code == 200, r.text
    return await ctx.as_admin("POST", f"{base}/reinstate", {"reason": "Removed."}, rid=rid)


async def _kyc_clarify(ctx: Ctx, rid: str) -> httpx.Response:
    base = await _kyc_in_review(ctx)
    body = {"items": [{"code": "gstin", "reason": "The GSTIN is another state's."}]}
    return await ctx.as_admin("POST", f"{base}/clarifications", body, rid=rid)


async def _operator_invite(ctx: Ctx, rid: str) -> httpx.Response:
    body = {"email": new_email("audit"), "role": "viewer"}
    return await ctx.as_admin("POST", "/api/v1/admin/users/invitations", body, rid=rid)


async def _operator_role(ctx: Ctx, rid: str) -> httpx.Response:
    staff = await create_person(ctx.session, operator_role="viewer")
    return await ctx.as_admin("PATCH", f"/api/v1/admin/users/{staff.id}", {"role": "finance"}, rid=rid)


async def _operator_remove(ctx: Ctx, rid: str) -> httpx.Response:
    staff = await create_person(ctx.session, operator_role="viewer")
    return await ctx.as_admin("DELETE", f"/api/v1/admin/users/{staff.id}", rid=rid)


async def _operator_disable(ctx: Ctx, rid: str) -> httpx.Response:
    staff = await create_person(ctx.session, operator_role="viewer")
    return await ctx.as_admin("POST", f"/api/v1/admin/users/{staff.id}/disable", rid=rid)


async def _member_invite(ctx: Ctx, rid: str) -> httpx.Response:
    body = {"email": new_email("audit"), "role": "developer"}
    return await ctx.as_member("POST", "/api/v1/merchant/team/invitations", body, rid=rid)


async def _member_role(ctx: Ctx, rid: str) -> httpx.Response:
    dev = await create_person(ctx.session, member_of=ctx.merchant_id, role="developer")
    return await ctx.as_member("PATCH", f"/api/v1/merchant/team/{dev.id}", {"role": "finance"}, rid=rid)


async def _member_remove(ctx: Ctx, rid: str) -> httpx.Response:
    dev = await create_person(ctx.session, member_of=ctx.merchant_id, role="developer")
    return await ctx.as_member("DELETE", f"/api/v1/merchant/team/{dev.id}", rid=rid)


async def _operator_revoke(ctx: Ctx, rid: str) -> httpx.Response:
    r = await _operator_invite(ctx, f"req_setup_{uuid.uuid4().hex[:8]}")
    return await ctx.as_admin("DELETE", f"/api/v1/admin/users/invitations/{r.json()['id']}", rid=rid)


async def _merchant_invite(ctx: Ctx, rid: str) -> httpx.Response:
    body = {"email": new_email("audit"), "role": "owner"}
    return await ctx.as_admin("POST", f"/api/v1/admin/merchants/{ctx.merchant_id}/invitations", body, rid=rid)


async def _member_revoke(ctx: Ctx, rid: str) -> httpx.Response:
    r = await _member_invite(ctx, f"req_setup_{uuid.uuid4().hex[:8]}")
    return await ctx.as_member("DELETE", f"/api/v1/merchant/team/invitations/{r.json()['id']}", rid=rid)


async def _team_settings(ctx: Ctx, rid: str) -> httpx.Response:
    return await ctx.as_member("PATCH", "/api/v1/merchant/team/settings", {"require_2fa": True}, rid=rid)


# a person's own account, proved by a one-time token from an email (the token made here as the email's would be)
async def _email_token(ctx: Ctx, purpose: str, **fields: Any) -> str:
    from lightspeedpay.people.accounts import issue_token

    _, raw = issue_token(ctx.session, purpose, email=PERSON_EMAIL, **fields)
    await ctx.session.commit()
    return raw


async def _signup(ctx: Ctx, rid: str) -> httpx.Response:
    body = {
        "business_name": "Audited Shop",
        "contact_name": "Asha",
        "email": PERSON_EMAIL,
        "password": PASSWORD,
    }
    return await ctx.http.post(
        ctx.platform.api_url + "/api/v1/auth/signup", json=body, headers={"X-Request-Id": rid}
    )


async def _verify_email(ctx: Ctx, rid: str) -> httpx.Response:
    user = await create_login_person(ctx.session, email=PERSON_EMAIL, merchant_id=ctx.merchant_id)
    token = await _email_token(ctx, "verify_email", user_id=user.id, client_id=ctx.merchant_id)
    return await ctx.http.post(
        ctx.platform.api_url + "/api/v1/auth/verify-email",
        json={"token": token},
        headers={"X-Request-Id": rid},
    )


async def _password_reset(ctx: Ctx, rid: str) -> httpx.Response:
    user = await create_login_person(ctx.session, email=PERSON_EMAIL, operator_role="viewer")
    token = await _email_token(ctx, "reset_password", user_id=user.id)
    body = {"token": token, "password": "another-long-password-7"}
    return await ctx.http.post(
        ctx.platform.api_url + "/api/v1/auth/password-reset/confirm", json=body, headers={"X-Request-Id": rid}
    )


async def _invitation_accept(ctx: Ctx, rid: str) -> httpx.Response:
    token = await _email_token(
        ctx, "invitation", client_id=ctx.merchant_id, role="developer", invited_by="test"
    )
    body = {"token": token, "password": PASSWORD, "name": "Asha"}
    return await ctx.http.post(
        ctx.platform.api_url + "/api/v1/auth/invitations/accept", json=body, headers={"X-Request-Id": rid}
    )


# (method, path template) -> the audit action the change writes, who it names, and how the test makes it
AUDITED: dict[tuple[str, str], Audited] = {
    ("POST", "/api/v1/admin/gateways"): Audited("gateway.created", "admin", _gateway_create),
    ("PUT", "/api/v1/admin/gateways/priority"): Audited("gateway.priority_set", "admin", _gateway_priority),
    ("PATCH", "/api/v1/admin/gateways/{gateway_id}"): Audited("gateway.updated", "admin", _gateway_update),
    ("DELETE", "/api/v1/admin/gateways/{gateway_id}"): Audited("gateway.deleted", "admin", _gateway_delete),
    ("POST", "/api/v1/admin/merchants/{merchant_id}/payouts"): Audited(
        "ledger.payout_recorded", "admin", _payout
    ),
    ("POST", "/api/v1/admin/merchants/{merchant_id}/adjustments"): Audited(
        "ledger.adjustment_recorded", "admin", _adjustment
    ),
    ("PATCH", "/api/v1/admin/merchants/{merchant_id}"): Audited(
        "merchant.settings_updated", "admin", _merchant_settings
    ),
    ("POST", "/api/v1/admin/settlements/run"): Audited("settlement.created", "admin", _settlement_run),
    ("POST", "/api/v1/merchant/webhooks"): Audited("webhook_endpoint.created", "merchant", _endpoint_create),
    ("POST", "/api/v1/merchant/webhooks/test"): Audited(
        "webhook_event.ping_sent", "merchant", _endpoint_ping
    ),
    ("PATCH", "/api/v1/merchant/webhooks/{endpoint_id}"): Audited(
        "webhook_endpoint.updated", "merchant", _endpoint_update
    ),
    ("DELETE", "/api/v1/merchant/webhooks/{endpoint_id}"): Audited(
        "webhook_endpoint.deleted", "merchant", _endpoint_delete
    ),
    ("POST", "/api/v1/merchant/webhooks/{endpoint_id}/rotate"): Audited(
        "webhook_endpoint.secret_rotated", "merchant", _endpoint_rotate
    ),
    ("POST", "/api/v1/merchant/webhooks/{endpoint_id}/deliveries/{delivery_id}/retry"): Audited(
        "webhook_delivery.retried", "merchant", _delivery_retry
    ),
    ("POST", "/api/v1/merchant/credentials/regenerate"): Audited(
        "credentials.regenerated", "member", _credentials_regenerate
    ),
    ("PUT", "/api/v1/merchant/credentials/{mode}/ip-allowlist"): Audited(
        "credentials.ip_allowlist_updated", "member", _credentials_ip_allowlist
    ),
    # the merchant console's API (issue 12): a secret shown is a change (once for an API key's), settings
    ("POST", "/api/v1/merchant/credentials/{mode}/reveal"): Audited(
        "credential.secret_revealed", "member", _credentials_reveal
    ),
    ("POST", "/api/v1/merchant/webhooks/{endpoint_id}/reveal"): Audited(
        "webhook_endpoint.secret_revealed", "merchant", _endpoint_reveal
    ),
    ("PATCH", "/api/v1/merchant/settings"): Audited("merchant.settings_changed", "member", _account_settings),
    ("POST", "/api/v1/admin/queues/pause"): Audited("queue.paused", "admin", _queues_pause),
    ("POST", "/api/v1/admin/queues/{queue}/pause"): Audited("queue.paused", "admin", _queue_pause),
    ("POST", "/api/v1/admin/queues/resume"): Audited("queue.resumed", "admin", _queues_resume),
    ("POST", "/api/v1/admin/queues/{queue}/resume"): Audited("queue.resumed", "admin", _queue_resume),
    ("POST", "/api/v1/admin/queues/retry"): Audited("queue.retried", "admin", _queues_retry),
    ("POST", "/api/v1/admin/queues/{queue}/retry"): Audited("queue.retried", "admin", _queue_retry),
    ("POST", "/api/v1/admin/queues/clean"): Audited("queue.cleaned", "admin", _queues_clean),
    ("DELETE", "/api/v1/admin/queues/clean"): Audited("queue.cleaned", "admin", _queues_clean_delete),
    ("POST", "/api/v1/admin/queues/{queue}/clean"): Audited("queue.cleaned", "admin", _queue_clean),
    ("POST", "/api/v1/admin/queues/{queue}/drain"): Audited("queue.drained", "admin", _queue_drain),
    ("POST", "/api/v1/admin/queues/{queue}/unpark"): Audited("queue.unparked", "admin", _queue_unpark),
    ("POST", "/api/v1/admin/queues/jobs/{job_id}/retry"): Audited("job_intent.retried", "admin", _job_retry),
    ("POST", "/api/v1/admin/queues/jobs/{job_id}/discard"): Audited(
        "job_intent.discarded", "admin", _job_discard
    ),
    ("POST", "/api/v1/admin/alerts/{alert_id}/ack"): Audited("alert.acknowledged", "admin", _alert_ack),
    ("POST", "/api/v1/admin/alerts/{alert_id}/resolve"): Audited("alert.resolved", "admin", _alert_resolve),
    # outside the guarded prefixes, audited all the same: refunds a merchant creates, on both API faces
    ("POST", "/api/v1/transactions/{transaction_id}/refunds"): Audited(
        "refund.created", "merchant", _native_refund
    ),
    ("POST", "/v1/payments/{payment_id}/refund"): Audited("refund.created", "merchant", _razorpay_refund),
    # captures, on both faces: one service, one row in the name of whoever asked
    ("POST", "/api/v1/transactions/{transaction_id}/capture"): Audited(
        "payment.captured", "merchant", _native_capture
    ),
    ("POST", "/v1/payments/{payment_id}/capture"): Audited("payment.captured", "merchant", _razorpay_capture),
    # an operator refunds on the merchant's behalf: the same service and row, in the operator's name
    ("POST", "/api/v1/admin/payments/{payment_id}/refunds"): Audited(
        "refund.created", "admin", _admin_refund
    ),
    # KYC: the merchant's team, and the operator's review
    ("PUT", "/api/v1/merchant/kyc"): Audited("kyc.application_updated", "member", _kyc_update),
    ("POST", "/api/v1/merchant/kyc/documents"): Audited("kyc.document_uploaded", "member", _kyc_upload),
    ("POST", "/api/v1/merchant/kyc/submit"): Audited("kyc.submitted", "member", _kyc_submit),
    ("POST", "/api/v1/merchant/kyc/requirements/{requirement_id}/answer"): Audited(
        "kyc.requirement_answered", "member", _kyc_answer
    ),
    ("POST", "/api/v1/admin/kyc/{merchant_id}/start-review"): Audited(
        "kyc.review_started", "admin", _kyc_start_review
    ),
    ("POST", "/api/v1/admin/kyc/{merchant_id}/approve"): Audited("kyc.approved", "admin", _kyc_approve),
    ("POST", "/api/v1/admin/kyc/{merchant_id}/reject"): Audited("kyc.rejected", "admin", _kyc_reject),
    ("POST", "/api/v1/admin/kyc/{merchant_id}/clarifications"): Audited(
        "kyc.clarification_requested", "admin", _kyc_clarify
    ),
    ("POST", "/api/v1/admin/kyc/{merchant_id}/suspend"): Audited("merchant.suspended", "admin", _kyc_suspend),
    ("POST", "/api/v1/admin/kyc/{merchant_id}/reinstate"): Audited(
        "merchant.resumed", "admin", _kyc_reinstate
    ),
    # people (issue 10): operator staff, and merchants' teams (managed by people, never by an API credential)
    ("POST", "/api/v1/admin/users/invitations"): Audited("user.invited", "admin", _operator_invite),
    ("PATCH", "/api/v1/admin/users/{user_id}"): Audited("user.role_changed", "admin", _operator_role),
    ("DELETE", "/api/v1/admin/users/{user_id}"): Audited("user.removed", "admin", _operator_remove),
    ("POST", "/api/v1/admin/users/{user_id}/disable"): Audited("user.disabled", "admin", _operator_disable),
    ("POST", "/api/v1/merchant/team/invitations"): Audited("team.member_invited", "member", _member_invite),
    ("PATCH", "/api/v1/merchant/team/{user_id}"): Audited("team.role_changed", "member", _member_role),
    ("DELETE", "/api/v1/merchant/team/{user_id}"): Audited("team.member_removed", "member", _member_remove),
    ("PATCH", "/api/v1/merchant/team/settings"): Audited("team.settings_updated", "member", _team_settings),
    ("DELETE", "/api/v1/admin/users/invitations/{invitation_id}"): Audited(
        "user.invitation_revoked", "admin", _operator_revoke
    ),
    ("POST", "/api/v1/admin/merchants/{merchant_id}/invitations"): Audited(
        "team.member_invited", "admin", _merchant_invite
    ),
    ("DELETE", "/api/v1/merchant/team/invitations/{invitation_id}"): Audited(
        "team.invitation_revoked", "member", _member_revoke
    ),
    # a person's own account by the one-time token of an email (/api/v1/auth)
    ("POST", "/api/v1/auth/signup"): Audited("merchant.signed_up", "person", _signup),
    ("POST", "/api/v1/auth/verify-email"): Audited("user.email_verified", "person", _verify_email),
    ("POST", "/api/v1/auth/password-reset/confirm"): Audited(
        "user.password_reset", "person", _password_reset
    ),
    ("POST", "/api/v1/auth/invitations/accept"): Audited(
        "user.invitation_accepted", "person", _invitation_accept
    ),
    # a person's own login (/api/v1/auth): logins, "log out everywhere", ending a session, 2FA changes
    ("POST", "/api/v1/auth/login"): Audited("user.logged_in", "person", _login),
    ("POST", "/api/v1/auth/logout-all"): Audited("user.logged_out_everywhere", "person", _logout_all),
    ("DELETE", "/api/v1/auth/sessions/{session_id}"): Audited("user.session_revoked", "person", _session_end),
    ("POST", "/api/v1/auth/2fa/enable"): Audited("user.2fa_enabled", "person", _2fa_enable),
    ("PATCH", "/api/v1/auth/me"): Audited("user.preferences_changed", "person", _preferences),
    ("POST", "/api/v1/auth/2fa/disable"): Audited("user.2fa_disabled", "person", _2fa_disable),
    ("POST", "/api/v1/auth/2fa/recovery-codes"): Audited(
        "user.recovery_codes_regenerated", "person", _recovery_codes
    ),
}

# mutating routes under the guarded prefixes that change no state a person owns, and why
_GATEWAY_TEST = ("POST", "/api/v1/admin/gateways/{gateway_id}/test")
_STATUS_CHECK = ("POST", "/api/v1/system/status/check")
NOT_A_CHANGE: dict[tuple[str, str], str] = {
    (
        "POST",
        "/api/v1/auth/password-reset",
    ): "asks for a reset email: a one-time token and the email, no change to "
    "the account until the link is used (password-reset/confirm is audited)",
    (
        "POST",
        "/api/v1/auth/verify-email/resend",
    ): "sends the verification email again: a new one-time token, no "
    "change to the account until the link is used (verify-email is audited)",
    _GATEWAY_TEST: "a connectivity check: calls the PSP, writes nothing",
    ("POST", "/admin/gateways/{gateway_id}/test"): "the console's test connection: the same check as "
    "POST /api/v1/admin/gateways/{gateway_id}/test, writes nothing",
    _STATUS_CHECK: "runs the status check now: a row of status history, as the scheduler's runs write; no "
    "setting, queue or money changes",
    (
        "POST",
        "/admin/status/check",
    ): "the console's button for POST /api/v1/system/status/check (the same reason)",
    ("POST", "/api/v1/auth/refresh"): "continues a login, a token for a token (a reused one is refused and "
    "audited as user.refresh_token_reused)",
    ("POST", "/api/v1/auth/logout"): "ends the caller's own session or token; nothing of the account changes "
    "(logging out everywhere is audited)",
    (
        "POST",
        "/api/v1/auth/reauthenticate",
    ): "confirms the password for the next minutes (a wrong one is audited "
    "as user.login_failed and counts toward the lockout)",
    (
        "POST",
        "/api/v1/auth/2fa/setup",
    ): "a pending secret only: logins change at /2fa/enable, which is audited",
}

# CLI commands (space-joined path) -> the action they audit; and those that change no state of the platform
CLI_AUDITED = {
    "merchant create": "merchant.created",
    "merchant rotate-salt": "credentials.regenerated",
    "gateway add": "gateway.created",
    "keys rotate": "encryption_keys.rotated",
    "settlements run": "settlement.created",
    "user create": "user.created",
    "user set-role": "user.role_changed",
    "user disable": "user.disabled",
}
CLI_NOT_A_CHANGE = {
    "api": "runs a process",
    "worker": "runs a process",
    "scheduler": "runs a process",
    "metrics-server": "serves this host's metrics",
    "simulator": "runs the PSP simulator (a stand-in, not the platform)",
    "receiver": "runs a demo webhook receiver",
    "whatsapp-standin": "runs the WhatsApp stand-in",
    "slack-standin": "runs the Slack stand-in",
    "smtp-standin": "runs the SMTP stand-in",
    "shop": "runs the demo shop",
    "up": "runs everything; its demo seed is audited as actor `demo`",
    "db upgrade": "applies migrations (schema, not data)",
    "keys new": "prints a new key; stores nothing",
    "ledger check": "reads the ledger (an alert it raises is the platform's own)",
    "simulate pay": "acts as the payer on the simulator",
    "simulate fault": "switches the simulator's faults",
    "simulate mode": "switches the simulator's test modes",
}


def _calls(dependant: Any) -> Iterator[Any]:
    yield dependant.call
    for sub in dependant.dependencies:
        yield from _calls(sub)


def mutating_routes() -> dict[tuple[str, str], bool]:
    """(method, path) of every mutating route -> whether it takes the admin token; from the one router app.py
    mounts (create_app itself would configure this test process's logging and error surfaces)."""
    found = {}
    for route in iter_route_contexts(api_router.routes):
        admin = authenticate_admin in set(_calls(route.dependant))
        for method in (route.methods or set()) & MUTATING:
            found[(method, str(route.path))] = admin
    return found


def cli_commands() -> set[str]:
    def walk(command: Any, prefix: str) -> set[str]:
        subcommands = getattr(command, "commands", None)
        if not subcommands:
            return {prefix}
        out: set[str] = set()
        for name, sub in subcommands.items():
            out |= walk(sub, f"{prefix} {name}".strip())
        return out

    return walk(typer.main.get_command(cli_app), "")


# The operator console's actions (/admin/...) call the same services as the API routes they name here, so they
# write the same audit rows; the API route's scenario above proves the row.
_GW = "/api/v1/admin/gateways"
_GW_ONE = ("PATCH", f"{_GW}/{{gateway_id}}")
_Q = "/api/v1/admin/queues"
_WH, _TEAM = "/api/v1/merchant/webhooks", "/api/v1/merchant/team"
_CRED_ALLOWLIST = "/api/v1/merchant/credentials/{mode}/ip-allowlist"
CONSOLE_ACTIONS: dict[tuple[str, str], tuple[str, str]] = {
    # payments (lightspeedpay/dashboard/admin/payments.py)
    ("POST", "/admin/payments/{payment_id}/refund"): ("POST", "/api/v1/admin/payments/{payment_id}/refunds"),
    # the merchant's payments (lightspeedpay/dashboard/merchant/payments.py)
    ("POST", "/dashboard/{mode}/payments/{payment_id}/refund"): (
        "POST",
        "/api/v1/transactions/{transaction_id}/refunds",
    ),
    ("POST", "/dashboard/{mode}/payments/{payment_id}/capture"): (
        "POST",
        "/api/v1/transactions/{transaction_id}/capture",
    ),
    # gateways (lightspeedpay/dashboard/admin/gateways.py)
    ("POST", "/admin/gateways"): ("POST", _GW),
    ("POST", "/admin/gateways/{gateway_id}"): _GW_ONE,
    ("POST", "/admin/gateways/{gateway_id}/active"): _GW_ONE,
    ("POST", "/admin/gateways/{gateway_id}/priority"): _GW_ONE,
    ("POST", "/admin/gateways/{gateway_id}/breaker"): _GW_ONE,
    ("POST", "/admin/gateways/{gateway_id}/move"): ("PUT", f"{_GW}/priority"),
    ("POST", "/admin/gateways/{gateway_id}/retire"): ("DELETE", f"{_GW}/{{gateway_id}}"),
    # queues (lightspeedpay/dashboard/admin/queues.py)
    ("POST", "/admin/queues/{name}/pause"): ("POST", f"{_Q}/{{queue}}/pause"),
    ("POST", "/admin/queues/{name}/resume"): ("POST", f"{_Q}/{{queue}}/resume"),
    ("POST", "/admin/queues/{name}/retry"): ("POST", f"{_Q}/{{queue}}/retry"),
    ("POST", "/admin/queues/{name}/clean"): ("POST", f"{_Q}/{{queue}}/clean"),
    ("POST", "/admin/queues/{name}/drain"): ("POST", f"{_Q}/{{queue}}/drain"),
    ("POST", "/admin/queues/{name}/unpark"): ("POST", f"{_Q}/{{queue}}/unpark"),
    ("POST", "/admin/queues/jobs/{job_id}/retry"): ("POST", f"{_Q}/jobs/{{job_id}}/retry"),
    ("POST", "/admin/queues/jobs/{job_id}/discard"): ("POST", f"{_Q}/jobs/{{job_id}}/discard"),
    # merchants (lightspeedpay/dashboard/admin/merchants.py)
    ("POST", "/admin/merchants/{merchant_id}/settings"): ("PATCH", "/api/v1/admin/merchants/{merchant_id}"),
    ("POST", "/admin/merchants/{merchant_id}/suspend"): ("POST", "/api/v1/admin/kyc/{merchant_id}/suspend"),
    ("POST", "/admin/merchants/{merchant_id}/reinstate"): (
        "POST",
        "/api/v1/admin/kyc/{merchant_id}/reinstate",
    ),
    # KYC review (lightspeedpay/dashboard/admin/kyc.py)
    ("POST", "/admin/kyc/{merchant_id}/start-review"): (
        "POST",
        "/api/v1/admin/kyc/{merchant_id}/start-review",
    ),
    ("POST", "/admin/kyc/{merchant_id}/approve"): ("POST", "/api/v1/admin/kyc/{merchant_id}/approve"),
    ("POST", "/admin/kyc/{merchant_id}/reject"): ("POST", "/api/v1/admin/kyc/{merchant_id}/reject"),
    ("POST", "/admin/kyc/{merchant_id}/clarifications"): (
        "POST",
        "/api/v1/admin/kyc/{merchant_id}/clarifications",
    ),
    # money (lightspeedpay/dashboard/admin/commission.py, settlements.py)
    ("POST", "/admin/commission/adjustments"): ("POST", "/api/v1/admin/merchants/{merchant_id}/adjustments"),
    ("POST", "/admin/commission/payouts"): ("POST", "/api/v1/admin/merchants/{merchant_id}/payouts"),
    ("POST", "/admin/settlements/run"): ("POST", "/api/v1/admin/settlements/run"),
    # users and roles (lightspeedpay/dashboard/admin/users.py)
    ("POST", "/admin/users/invitations"): ("POST", "/api/v1/admin/users/invitations"),
    ("POST", "/admin/users/{user_id}/role"): ("PATCH", "/api/v1/admin/users/{user_id}"),
    ("POST", "/admin/users/{user_id}/disable"): ("POST", "/api/v1/admin/users/{user_id}/disable"),
    ("POST", "/admin/users/{user_id}/remove"): ("DELETE", "/api/v1/admin/users/{user_id}"),
    ("POST", "/admin/users/invitations/{invitation_id}/revoke"): (
        "DELETE",
        "/api/v1/admin/users/invitations/{invitation_id}",
    ),
    # alerts (lightspeedpay/dashboard/admin/alerts.py)
    ("POST", "/admin/alerts/{alert_id}/ack"): ("POST", "/api/v1/admin/alerts/{alert_id}/ack"),
    ("POST", "/admin/alerts/{alert_id}/resolve"): ("POST", "/api/v1/admin/alerts/{alert_id}/resolve"),
    # merchant: developers, team, settings (lightspeedpay/dashboard/merchant/developers.py, webhooks.py, team.py)
    ("POST", "/dashboard/{mode}/developers/keys/regenerate"): (
        "POST",
        "/api/v1/merchant/credentials/regenerate",
    ),
    ("POST", "/dashboard/{mode}/developers/keys/ip-allowlist"): ("PUT", _CRED_ALLOWLIST),
    ("POST", "/dashboard/{mode}/developers/webhooks"): ("POST", _WH),
    ("POST", "/dashboard/{mode}/developers/webhooks/{endpoint_id}"): ("PATCH", f"{_WH}/{{endpoint_id}}"),
    ("POST", "/dashboard/{mode}/developers/webhooks/{endpoint_id}/enabled"): (
        "PATCH",
        f"{_WH}/{{endpoint_id}}",
    ),
    ("POST", "/dashboard/{mode}/developers/webhooks/{endpoint_id}/delete"): (
        "DELETE",
        f"{_WH}/{{endpoint_id}}",
    ),
    ("POST", "/dashboard/{mode}/developers/webhooks/{endpoint_id}/rotate"): (
        "POST",
        f"{_WH}/{{endpoint_id}}/rotate",
    ),
    ("POST", "/dashboard/{mode}/developers/webhooks/{endpoint_id}/test"): ("POST", f"{_WH}/test"),
    ("POST", "/dashboard/{mode}/developers/webhooks/{endpoint_id}/deliveries/{delivery_id}/retry"): (
        "POST",
        f"{_WH}/{{endpoint_id}}/deliveries/{{delivery_id}}/retry",
    ),
    ("POST", "/dashboard/{mode}/team/invitations"): ("POST", f"{_TEAM}/invitations"),
    ("POST", "/dashboard/{mode}/team/{user_id}/role"): ("PATCH", f"{_TEAM}/{{user_id}}"),
    ("POST", "/dashboard/{mode}/team/{user_id}/remove"): ("DELETE", f"{_TEAM}/{{user_id}}"),
    ("POST", "/dashboard/{mode}/team/invitations/{invitation_id}/revoke"): (
        "DELETE",
        f"{_TEAM}/invitations/{{invitation_id}}",
    ),
    ("POST", "/dashboard/{mode}/team/settings"): ("PATCH", f"{_TEAM}/settings"),
    ("POST", "/dashboard/{mode}/developers/keys/reveal"): (
        "POST",
        "/api/v1/merchant/credentials/{mode}/reveal",
    ),
    ("POST", "/dashboard/{mode}/developers/webhooks/{endpoint_id}/reveal"): (
        "POST",
        f"{_WH}/{{endpoint_id}}/reveal",
    ),
    ("POST", "/dashboard/{mode}/developers/checkout"): ("PATCH", "/api/v1/merchant/settings"),
    ("POST", "/dashboard/{mode}/settings/profile"): ("PATCH", "/api/v1/merchant/settings"),
    ("POST", "/dashboard/{mode}/settings/notices"): ("PATCH", "/api/v1/merchant/settings"),
    # the merchant's onboarding page (lightspeedpay/dashboard/merchant/onboarding.py); its test payment is a
    # payment, as POST /api/v1/pay makes one, not a change of the merchant's account
    ("POST", "/dashboard/{mode}/onboarding/kyc"): ("PUT", "/api/v1/merchant/kyc"),
    ("POST", "/dashboard/{mode}/onboarding/kyc/documents"): ("POST", "/api/v1/merchant/kyc/documents"),
    ("POST", "/dashboard/{mode}/onboarding/kyc/submit"): ("POST", "/api/v1/merchant/kyc/submit"),
    ("POST", "/dashboard/{mode}/onboarding/kyc/requirements/{requirement_id}/answer"): (
        "POST",
        "/api/v1/merchant/kyc/requirements/{requirement_id}/answer",
    ),
}

# ---- the guard ------------------------------------------------------------------------------------------------


@pytest.mark.fast
def test_every_mutating_admin_and_merchant_settings_route_is_audited_or_explained():
    routes = mutating_routes()
    # an admin route is one that takes the admin token, wherever it lives (/api/v1/system/… too)
    guarded = {r for r, admin in routes.items() if admin or r[1].startswith(GUARDED_PREFIXES)}
    assert all(admin for r, admin in routes.items() if r[1].startswith("/api/v1/admin/"))
    unlisted = sorted(guarded - AUDITED.keys() - NOT_A_CHANGE.keys() - CONSOLE_ACTIONS.keys())
    assert not unlisted, (
        "mutating routes with no audit entry: add each to AUDITED in tests/monitoring/test_audit_coverage.py "
        "with a scenario that makes the change (and write the audit row in the service), or to NOT_A_CHANGE "
        f"with the reason it changes nothing: {unlisted}"
    )
    stale = sorted((AUDITED.keys() | NOT_A_CHANGE.keys() | CONSOLE_ACTIONS.keys()) - routes.keys())
    assert not stale, f"listed routes the application no longer has: {stale}"
    assert not AUDITED.keys() & NOT_A_CHANGE.keys()
    unaudited = {c: api for c, api in CONSOLE_ACTIONS.items() if api not in AUDITED}
    assert not unaudited, f"console actions naming an API route with no audit scenario: {unaudited}"


@pytest.mark.fast
def test_every_cli_command_is_audited_or_explained():
    commands = cli_commands()
    unlisted = sorted(commands - CLI_AUDITED.keys() - CLI_NOT_A_CHANGE.keys())
    assert not unlisted, f"CLI commands with no audit entry (CLI_AUDITED or CLI_NOT_A_CHANGE): {unlisted}"
    stale = sorted((CLI_AUDITED.keys() | CLI_NOT_A_CHANGE.keys()) - commands)
    assert not stale, f"listed CLI commands that no longer exist: {stale}"


@pytest.fixture
async def ctx(platform, session) -> AsyncIterator[Ctx]:
    new = await create_merchant(session, receiver_url=platform.receiver_url)
    gateway = await create_sandbox_gateway(session, platform.simulator_url, auto_outcome="success")
    async with (
        httpx.AsyncClient(
            base_url=platform.api_url,
            timeout=30,
            headers={"Authorization": f"Bearer {get_settings().admin_token}"},
        ) as admin,
        httpx.AsyncClient(timeout=30) as http,
    ):
        yield Ctx(
            platform,
            session,
            new,
            new.client.id,
            new.client.client_key,
            gateway.id,
            gateway.monthly_limit,
            admin,
            http,
            merchant_client(platform.api_url, new, http),
        )


async def rows_of(session: Any, rid: str) -> list[AuditLog]:
    await session.rollback()
    return list(
        (await session.execute(select(AuditLog).where(AuditLog.request_id == rid).order_by(AuditLog.action)))
        .scalars()
        .all()
    )


_SECRETS = ("s3cret-create", "s3cret-update", "wh-create", "wh-update")


@pytest.mark.parametrize("route", sorted(AUDITED), ids=lambda r: f"{r[0]} {r[1]}")
async def test_each_audited_route_leaves_its_row(ctx, route):
    entry = AUDITED[route]
    rid = f"req_audit_{uuid.uuid4().hex[:12]}"
    r = await entry.run(ctx, rid)
    assert 200 <= r.status_code < 300, r.text
    rows = await rows_of(ctx.session, rid)
    mine = [row for row in rows if row.action == entry.action]
    assert mine, f"{route}: no {entry.action} row for request {rid}; rows: {[x.action for x in rows]}"
    expected_actor = {
        "admin": "admin:admin",
        "merchant": f"merchant:{ctx.client_key}",
        "member": f"user:{ctx.member_email}",
        "person": f"user:{PERSON_EMAIL}",
    }[entry.actor]
    for row in mine:
        assert row.actor == expected_actor, row.actor
        assert row.ip == "127.0.0.1"
        assert row.target_type and row.target_id
        if entry.actor in ("merchant", "member"):
            assert row.client_id == ctx.merchant_id
        text = json.dumps([row.before, row.after, row.details, row.reason])
        for secret in (*_SECRETS, ctx.new.client_salt, ctx.new.webhook_secret):
            assert secret not in text, f"{entry.action} holds a secret"
        shown = r.json() if r.content else None
        if isinstance(shown, dict):  # a new signing secret shown once: not in the trail
            for name in ("secret", "key_secret"):
                if name in shown:
                    assert shown[name] not in text


async def test_what_the_rows_say(ctx):
    """The rows carry what changed, masked: a gateway's new credentials only as their hint, the toggle as its own
    action, a priority's before and after, the ledger's balance before and after with the reason."""
    rid = f"req_{uuid.uuid4().hex[:10]}"
    assert (await _gateway_update(ctx, rid)).status_code == 200
    [row] = await rows_of(ctx.session, rid)
    assert row.before["monthly_limit"] == ctx.gateway_limit and row.after["monthly_limit"] == 2_000_000
    assert row.after["credentials"] == "(replaced)" and row.after["credentials_hint"].endswith("ated")
    assert "sbx_rotated" not in json.dumps(row.after)  # the key id is masked too

    rid = f"req_{uuid.uuid4().hex[:10]}"
    r = await ctx.as_admin("PATCH", f"/api/v1/admin/gateways/{ctx.gateway_id}", {"is_active": False}, rid=rid)
    assert r.status_code == 200, r.text
    [row] = await rows_of(ctx.session, rid)
    assert (row.action, row.before, row.after) == (
        "gateway.disabled",
        {"is_active": True},
        {"is_active": False},
    )

    rid = f"req_{uuid.uuid4().hex[:10]}"
    assert (await _gateway_priority(ctx, rid)).status_code == 200
    [row] = await rows_of(ctx.session, rid)
    assert (row.before, row.after, row.target_id) == ({"priority": 1}, {"priority": 7}, str(ctx.gateway_id))

    rid = f"req_{uuid.uuid4().hex[:10]}"
    r = await ctx.as_admin(
        "POST",
        f"/api/v1/admin/merchants/{ctx.merchant_id}/adjustments",
        {"amount": 2_500, "reason": "missed commission"},
        rid=rid,
    )
    assert r.status_code == 201, r.text
    [row] = await rows_of(ctx.session, rid)
    assert (row.before, row.after) == ({"balance_due": 0}, {"balance_due": 2_500})
    assert row.reason == "missed commission" and row.client_id == ctx.merchant_id

    rid = f"req_{uuid.uuid4().hex[:10]}"
    eid = await ctx.endpoint()
    r = await ctx.signed("PATCH", f"/api/v1/merchant/webhooks/{eid}", {"enabled": False}, rid=rid)
    assert r.status_code == 200, r.text
    [row] = await rows_of(ctx.session, rid)
    assert row.action == "webhook_endpoint.disabled" and row.after["enabled"] is False

    rid = f"req_{uuid.uuid4().hex[:10]}"
    r = await _endpoint_rotate(ctx, rid)
    [row] = await rows_of(ctx.session, rid)
    assert row.after == {"secret_hint": r.json()["secret_hint"]} and row.before["secret_hint"].startswith(
        "whsec_…"
    )


async def test_a_refused_change_leaves_no_row(ctx):
    """The row is written in the change's transaction: a change refused half-way leaves neither."""
    other = await create_sandbox_gateway(ctx.session, ctx.platform.simulator_url)
    rid = f"req_{uuid.uuid4().hex[:10]}"
    r = await ctx.as_admin(
        "PATCH", f"/api/v1/admin/gateways/{ctx.gateway_id}", {"name": other.name, "priority": 9}, rid=rid
    )
    assert r.status_code == 409, r.text
    rid2 = f"req_{uuid.uuid4().hex[:10]}"
    r = await ctx.as_admin(
        "POST",
        f"/api/v1/admin/merchants/{ctx.merchant_id}/payouts",
        {"amount": 10**9, "reference": "x"},
        rid=rid2,
    )
    assert r.status_code == 422, r.text
    rid3 = f"req_{uuid.uuid4().hex[:10]}"
    r = await ctx.as_admin(
        "PUT", "/api/v1/admin/gateways/priority", [{"id": str(uuid.uuid4()), "priority": 1}], rid=rid3
    )
    assert r.status_code == 404, r.text
    for refused in (rid, rid2, rid3):
        assert await rows_of(ctx.session, refused) == []


async def test_each_audited_cli_command_leaves_its_row(ctx):
    actor = f"cli:{getpass.getuser()}"
    name = f"cli_gw_{uuid.uuid4().hex[:6]}"
    runs = {
        "merchant create": ("merchant", "create", "--name", "Audited CLI Shop", "--json"),
        "merchant rotate-salt": ("merchant", "rotate-salt", ctx.client_key, "--grace-seconds", "0", "--json"),
        "gateway add": ("gateway", "add", "--name", name, "--base-url", ctx.platform.simulator_url),
        "keys rotate": ("keys", "rotate"),
        "settlements run": ("settlements", "run", "--merchant", str(ctx.merchant_id)),
        "user create": (
            "user",
            "create",
            "--email",
            "cli.op@example.com",
            "--role",
            "support",
            "--password-stdin",
        ),
        "user set-role": ("user", "set-role", "--email", "cli.op@example.com", "--role", "viewer"),
        "user disable": ("user", "disable", "--email", "cli.op@example.com"),
    }
    assert runs.keys() == CLI_AUDITED.keys()
    for command, args in runs.items():
        done = await cli(ctx.platform, *args, stdin=PASSWORD + "\n" if "--password-stdin" in args else None)
        assert done.returncode == 0, (command, done.stderr)
        await ctx.session.rollback()
        rows = (
            (
                await ctx.session.execute(
                    select(AuditLog).where(AuditLog.action == CLI_AUDITED[command], AuditLog.actor == actor)
                )
            )
            .scalars()
            .all()
        )
        assert len(rows) == 1, (command, [(r.action, r.actor) for r in rows])
        row = rows[0]
        assert row.ip is None and row.request_id is None  # no HTTP request behind it
        text = json.dumps([row.before, row.after, row.details])
        if command == "merchant create":
            created = json.loads(done.stdout)
            assert row.after["client_key"] == created["client_key"]
            assert created["client_salt"] not in text and created["webhook_secret"] not in text
        if command == "merchant rotate-salt":
            salt = json.loads(done.stdout)["client_salt"]
            assert salt not in text and row.client_id == ctx.merchant_id
            assert row.target_type == "api_credential" and row.after["mode"] == "live"
        if command == "gateway add":
            assert row.after["name"] == name and "key_secret" not in text
        if command.startswith("user "):
            assert row.target_type == "user" and PASSWORD not in text


async def test_an_endpoint_the_platform_disables_is_audited_as_the_platforms_doing(ctx):
    """Not every row is a person's: the worker disabling an endpoint that answered 410 names itself."""
    name = f"gone{uuid.uuid4().hex[:6]}"
    eid = await ctx.endpoint(name)
    async with httpx.AsyncClient() as c:
        r = await c.put(
            f"{ctx.platform.receiver_url}/_receiver/endpoints/{name}", json={"responses": [{"status": 410}]}
        )
        r.raise_for_status()
    ping = await ctx.signed(
        "POST", "/api/v1/merchant/webhooks/test", {"endpoint_id": eid}, rid="req_ping_gone"
    )
    assert ping.status_code == 202, ping.text

    async def disabled() -> list[AuditLog]:
        await ctx.session.rollback()
        rows = await ctx.session.execute(
            select(AuditLog).where(AuditLog.action == "webhook_endpoint.disabled", AuditLog.target_id == eid)
        )
        return list(rows.scalars())

    [row] = await wait_for(disabled, timeout=30, what="the endpoint to be disabled")
    assert row.actor == "webhooks" and "410" in (row.reason or "")
    # the job runs under the request that caused it: the ping
    assert row.request_id == "req_ping_gone"
