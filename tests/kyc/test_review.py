"""The application and its review over real HTTP: fields checked as saved, submission starts a penny drop through
the outbox (the worker calls the PSP simulator's verifyAccount stand-in), and the operator's state machine with
a clarification round-trip, rejection and every wrong move refused with nothing written."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

import httpx
from sqlalchemy import select

from lightspeedpay.models import AuditLog, Client, JobIntent, KycRequirement, KycVerification
from tests.factories import count, wait_for
from tests.kyc.conftest import APPLICATION
from tests.kyc.support import operator

KYC = "/api/v1/merchant/kyc"


async def _verification(kyc: Any, status: str) -> dict[str, Any]:
    async def done() -> dict[str, Any] | None:
        r = await kyc.as_admin("GET", f"/api/v1/admin/kyc/{kyc.merchant_id}")
        latest = r.json()["verifications"][0] if r.json()["verifications"] else None
        return latest if latest and latest["status"] != "pending" else None

    found = await wait_for(done, timeout=30, what="the penny drop to finish")
    assert found["status"] == status, found
    return found


async def _status(kyc: Any) -> str:
    await kyc.session.rollback()
    stmt = select(Client.kyc_status).where(Client.id == uuid.UUID(kyc.merchant_id))
    return str((await kyc.session.execute(stmt)).scalar_one())


async def test_fields_are_checked_as_saved_and_a_refused_save_writes_nothing(kyc):
    r = await kyc.team.request("GET", KYC)
    assert r.status_code == 200, r.text
    empty = r.json()
    assert empty["kyc_status"] == "draft" and empty["legal_name"] is None
    assert "business_pan" in empty["missing"] and "pan_card" in empty["missing"]

    refused = {
        "INVALID_PAN": {"business_pan": "AAPFU0939"},
        "PAN_HOLDER_TYPE_MISMATCH": {"business_type": "private_limited", "business_pan": "AAPFU0939F"},
        "GSTIN_CHECKSUM_MISMATCH": {"business_pan": "AAPFU0939F", "gstin": "27AAPFU0939F1ZW"},
        "GSTIN_PAN_MISMATCH": {"business_pan": "AAPFU0939F", "gstin": "27AAACT2727Q1ZW"},
        "INVALID_IFSC": {"bank_ifsc": "HDFC1234567"},
        "INVALID_BANK_ACCOUNT": {"bank_account_number": "12345"},
        "INVALID_WEBSITE_URL": {"website_url": "javascript:alert(1)"},
    }
    for code, body in refused.items():
        r = await kyc.team.request("PUT", KYC, {"legal_name": "Should Not Stay", **body})
        assert r.status_code == 422, (code, r.text)
        assert r.json()["error"]["code"] == code, r.text
    r = await kyc.team.request("PUT", KYC, {"legal_name": "x", "surprise": 1})
    assert r.status_code == 422
    assert (await kyc.team.request("GET", KYC)).json()["legal_name"] is None
    assert await count(kyc.session, AuditLog, AuditLog.action == "kyc.application_updated") == 0

    r = await kyc.team.request(
        "PUT", KYC, {**APPLICATION, "business_pan": "aapfu0939f", "bank_ifsc": "hdfc0001234"}
    )
    assert r.status_code == 200, r.text
    saved = r.json()
    assert saved["business_pan"] == "AAPFU0939F" and saved["bank_ifsc"] == "HDFC0001234"
    assert saved["bank_account_last4"] == "5678" and APPLICATION["bank_account_number"] not in r.text
    # the business type cannot later change to one its PAN cannot hold
    r = await kyc.team.request("PUT", KYC, {"business_type": "trust"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "PAN_HOLDER_TYPE_MISMATCH"
    [row] = (
        await kyc.session.execute(
            AuditLog.__table__.select().where(AuditLog.action == "kyc.application_updated")
        )
    ).all()
    assert row.after["bank_account_last4"] == "5678"
    assert APPLICATION["bank_account_number"] not in str(row.after) + str(row.before)


async def test_an_incomplete_application_cannot_be_submitted(kyc):
    await kyc.team.request("PUT", KYC, {"legal_name": "Shreeji Furnishers"})
    r = await kyc.team.request("POST", f"{KYC}/submit")
    assert r.status_code == 422 and r.json()["error"]["code"] == "KYC_INCOMPLETE"
    assert {"business_pan", "bank_account_number", "pan_card", "cancelled_cheque"} <= set(
        r.json()["error"]["missing"]
    )
    assert await _status(kyc) == "draft"
    assert await count(kyc.session, JobIntent, JobIntent.name == "kyc.penny_drop") == 0


async def test_submit_review_clarify_resubmit_approve(kyc):
    body = await kyc.submitted()
    assert body["kyc_status"] == "submitted" and body["missing"] == []
    # the penny drop was queued in the submission's transaction and runs on the worker
    assert await count(kyc.session, JobIntent, JobIntent.name == "kyc.penny_drop") == 1
    check = await _verification(kyc, "verified")
    assert check["name_at_bank"] == "SHREEJI FURNISHERS" and float(check["name_match_score"]) == 100
    assert (
        check["bank_account_last4"] == "5678" and check["provider_response"]["data"]["accountExists"] == "YES"
    )

    # the merchant cannot change a submitted application
    r = await kyc.team.request("PUT", KYC, {"legal_name": "Other"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "KYC_NOT_EDITABLE"

    queue = await kyc.admin.get("/api/v1/admin/kyc", params={"status": "submitted"})
    assert [i["merchant_id"] for i in queue.json()["items"]] == [kyc.merchant_id]
    assert (await kyc.admin.get("/api/v1/admin/kyc", params={"status": "activated"})).json()["items"] == []

    base = f"/api/v1/admin/kyc/{kyc.merchant_id}"
    # approving before review is a wrong move
    r = await kyc.as_admin("POST", f"{base}/approve")
    assert r.status_code == 409 and r.json()["error"]["code"] == "KYC_INVALID_TRANSITION"
    r = await kyc.as_admin("POST", f"{base}/start-review", rid="req_kyc_review")
    assert r.status_code == 200 and r.json()["kyc_status"] == "under_review"
    r = await kyc.as_admin("POST", f"{base}/start-review")
    assert r.status_code == 409

    items = [
        {"code": "gst_certificate", "reason": "The certificate shows another trade name."},
        {"code": "website_url", "reason": "The website has no refund policy page."},
    ]
    r = await kyc.as_admin("POST", f"{base}/clarifications", {"items": items})
    assert r.status_code == 200 and r.json()["kyc_status"] == "needs_clarification"
    requirements = r.json()["requirements"]
    assert sorted((q["code"], q["status"]) for q in requirements) == [
        ("gst_certificate", "pending"),
        ("website_url", "pending"),
    ]

    # the merchant sees them, and may not resubmit until each is answered
    mine = (await kyc.team.request("GET", KYC)).json()
    assert mine["kyc_status"] == "needs_clarification" and len(mine["requirements"]) == 2
    r = await kyc.team.request("POST", f"{KYC}/submit")
    assert r.status_code == 409 and r.json()["error"]["code"] == "KYC_CLARIFICATIONS_PENDING"
    r = await kyc.as_admin("POST", f"{base}/approve")
    assert r.status_code == 409
    # editing is open again
    r = await kyc.team.request("PUT", KYC, {"website_url": "https://shreeji.example.in/refunds"})
    assert r.status_code == 200, r.text
    for q in requirements:
        r = await kyc.team.request("POST", f"{KYC}/requirements/{q['id']}/answer", {"response": "Fixed."})
        assert r.status_code == 200 and r.json()["status"] == "resolved", r.text
    r = await kyc.team.request(
        "POST", f"{KYC}/requirements/{requirements[0]['id']}/answer", {"response": "again"}
    )
    assert r.status_code == 409

    r = await kyc.team.request("POST", f"{KYC}/submit")
    assert r.status_code == 200 and r.json()["kyc_status"] == "submitted"
    # the same account and name were verified already: no second penny drop
    assert await count(kyc.session, KycVerification) == 1

    assert (await kyc.as_admin("POST", f"{base}/start-review")).status_code == 200
    r = await kyc.as_admin(
        "POST", f"{base}/approve", {"note": "PAN and GSTIN checked on the GST portal"}, rid="req_kyc_ok"
    )
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["kyc_status"] == "activated" and done["decided_by"] == "admin:admin"
    assert await _status(kyc) == "activated"
    r = await kyc.as_admin("POST", f"{base}/reject", {"reason": "changed my mind"})
    assert r.status_code == 409 and await _status(kyc) == "activated"

    actions = [
        row.action
        for row in (
            await kyc.session.execute(
                AuditLog.__table__.select()
                .where(AuditLog.client_id == uuid.UUID(kyc.merchant_id))
                .order_by(AuditLog.created_at)
            )
        ).all()
    ]
    for action in (
        "kyc.application_updated",
        "kyc.document_uploaded",
        "kyc.submitted",
        "kyc.bank_account_checked",
        "kyc.review_started",
        "kyc.clarification_requested",
        "kyc.requirement_answered",
        "kyc.approved",
    ):
        assert action in actions, action
    assert actions.count("kyc.submitted") == 2


async def test_a_name_mismatch_blocks_approval_until_a_new_account_verifies(kyc, platform):
    # an account starting with 9 is someone else's at the stand-in bank
    await kyc.submitted(bank_account_number="912345678901")
    check = await _verification(kyc, "name_mismatch")
    assert check["name_at_bank"] and float(check["name_match_score"]) < 80
    base = f"/api/v1/admin/kyc/{kyc.merchant_id}"
    assert (await kyc.as_admin("POST", f"{base}/start-review")).status_code == 200
    r = await kyc.as_admin("POST", f"{base}/approve")
    assert r.status_code == 409 and r.json()["error"]["code"] == "BANK_ACCOUNT_NOT_VERIFIED"
    assert await _status(kyc) == "under_review"

    r = await kyc.as_admin(
        "POST",
        f"{base}/clarifications",
        {"items": [{"code": "bank_account", "reason": "The account is not yours."}]},
    )
    assert r.status_code == 200
    # the merchant's new account is held as "M/S SHREEJI FURNISHERS" at the bank: a match once titles go
    async with httpx.AsyncClient() as c:
        await c.put(
            f"{platform.simulator_url}/_sim/bank-accounts/50200087654321",
            json={"name": "M/S SHREEJI FURNISHERS"},
        )
    r = await kyc.team.request(
        "PUT", KYC, {"bank_account_number": "50200087654321", "bank_ifsc": "ICIC0000104"}
    )
    assert r.status_code == 200
    [q] = r.json()["requirements"]
    await kyc.team.request(
        "POST", f"{KYC}/requirements/{q['id']}/answer", {"response": "New current account."}
    )
    assert (await kyc.team.request("POST", f"{KYC}/submit")).status_code == 200
    check = await _verification(kyc, "verified")
    assert check["bank_account_last4"] == "4321" and check["name_at_bank"] == "M/S SHREEJI FURNISHERS"
    assert await count(kyc.session, KycVerification) == 2
    assert (await kyc.as_admin("POST", f"{base}/start-review")).status_code == 200
    assert (await kyc.as_admin("POST", f"{base}/approve")).status_code == 200


async def test_an_account_the_bank_does_not_know(kyc):
    await kyc.submitted(bank_account_number="50100012345000")
    check = await _verification(kyc, "invalid_account")
    assert check["name_at_bank"] is None and "does not exist" in check["error"]


async def test_the_penny_drop_job_is_safe_to_run_twice(kyc):
    from lightspeedpay.kyc.service import kyc_service

    await kyc.submitted()
    first = await _verification(kyc, "verified")
    await kyc.session.rollback()
    await kyc_service.run_penny_drop(kyc.session, uuid.UUID(first["id"]))
    await kyc.session.commit()
    again = (await kyc.as_admin("GET", f"/api/v1/admin/kyc/{kyc.merchant_id}")).json()["verifications"]
    assert len(again) == 1 and again[0]["completed_at"] == first["completed_at"]
    assert await count(kyc.session, AuditLog, AuditLog.action == "kyc.bank_account_checked") == 1


async def test_rejection_is_final_and_closes_open_clarifications(kyc):
    await kyc.submitted()
    base = f"/api/v1/admin/kyc/{kyc.merchant_id}"
    await kyc.as_admin(
        "POST", f"{base}/clarifications", {"items": [{"code": "other", "reason": "Who owns the site?"}]}
    )
    r = await kyc.as_admin("POST", f"{base}/reject", {"reason": ""})
    assert r.status_code == 422 and await _status(kyc) == "needs_clarification"
    r = await kyc.as_admin(
        "POST", f"{base}/reject", {"reason": "The business PAN belongs to another business."}
    )
    assert r.status_code == 200 and r.json()["kyc_status"] == "rejected"
    assert r.json()["rejection_reason"].startswith("The business PAN")
    assert await count(kyc.session, KycRequirement, KycRequirement.status == "pending") == 0
    mine = (await kyc.team.request("GET", KYC)).json()
    assert mine["kyc_status"] == "rejected" and mine["rejection_reason"]
    for method, path, body in (("PUT", KYC, {"legal_name": "x"}), ("POST", f"{KYC}/submit", None)):
        r = await kyc.team.request(method, path, body)
        assert r.status_code == 409, r.text
    for action in ("start-review", "approve"):
        assert (await kyc.as_admin("POST", f"{base}/{action}")).status_code == 409
    r = await kyc.as_admin(
        "POST", f"{base}/clarifications", {"items": [{"code": "gstin", "reason": "again?"}]}
    )
    assert r.status_code == 409
    assert await count(kyc.session, KycRequirement) == 1
    assert await _status(kyc) == "rejected"


async def test_who_may_review(kyc):
    await kyc.submitted()
    base = f"{kyc.platform.api_url}/api/v1/admin/kyc"
    for role, reads, writes in (
        ("finance", 200, 403),
        ("support", 200, 403),
        ("viewer", 200, 403),
        ("operations", 200, 200),
    ):
        token = await operator(kyc.session, role)
        headers = {"Authorization": f"Bearer {token}"}
        assert (await kyc.http.get(f"{base}?status=submitted", headers=headers)).status_code == reads, role
        assert (await kyc.http.get(f"{base}/{kyc.merchant_id}", headers=headers)).status_code == reads, role
        r = await kyc.http.post(f"{base}/{kyc.merchant_id}/start-review", headers=headers)
        assert r.status_code == writes, (role, r.text)
    assert await _status(kyc) == "under_review"
    # a merchant's own person cannot review
    r = await kyc.http.post(
        f"{base}/{kyc.merchant_id}/approve", headers={"Authorization": f"Bearer {kyc.team.token}"}
    )
    assert r.status_code == 403


async def test_the_queue_pages_by_keyset(kyc):
    from tests.factories import create_merchant
    from tests.kyc.conftest import team_of

    for _ in range(3):
        other = await create_merchant(kyc.session, kyc_status="draft")
        team = await team_of(kyc.platform, kyc.session, kyc.http, other.client.id)
        assert (await team.request("PUT", KYC, {"legal_name": "Queue Test"})).status_code == 200
    seen: list[str] = []
    cursor = None
    while True:
        params = {"status": "draft", "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await kyc.admin.get("/api/v1/admin/kyc", params=params)).json()
        seen += [i["merchant_id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 3 == len(set(seen))
    r = await kyc.admin.get("/api/v1/admin/kyc", params={"cursor": "nonsense"})
    assert r.status_code == 422
    r = await kyc.admin.get("/api/v1/admin/kyc", params={"status": "approved"})
    assert r.status_code == 422


async def _activated(kyc: Any) -> str:
    await kyc.submitted()
    await _verification(kyc, "verified")
    base = f"/api/v1/admin/kyc/{kyc.merchant_id}"
    assert (await kyc.as_admin("POST", f"{base}/start-review")).status_code == 200
    assert (await kyc.as_admin("POST", f"{base}/approve")).status_code == 200
    return base


async def test_an_activated_merchant_can_be_suspended_and_reinstated(kyc, platform):
    from tests.factories import create_sandbox_gateway, merchant_client

    base = f"/api/v1/admin/kyc/{kyc.merchant_id}"
    r = await kyc.as_admin("POST", f"{base}/suspend", {"reason": "not yet activated"})
    assert r.status_code == 409  # a draft cannot be suspended through KYC
    await _activated(kyc)
    await create_sandbox_gateway(kyc.session, platform.simulator_url, auto_outcome="success")
    # activated: the owner makes the live key's first secret (a draft merchant has test keys only)
    r = await kyc.team.request(
        "POST", "/api/v1/merchant/credentials/regenerate", {"mode": "live", "grace_period_seconds": 0}
    )
    assert r.status_code == 201, r.text
    signed = merchant_client(platform.api_url, replace(kyc.new, client_salt=r.json()["key_secret"]), kyc.http)
    assert (await signed.pay(amount=10_000)).status_code == 201

    r = await kyc.as_admin("POST", f"{base}/suspend", {"reason": "The website now sells restricted goods."})
    assert r.status_code == 200, r.text
    assert r.json()["merchant_status"] == "suspended" and r.json()["kyc_status"] == "activated"
    assert r.json()["suspension_reason"] == "kyc"
    refused = await signed.pay(amount=10_000)
    assert refused.status_code == 402 and refused.json()["error"]["code"] == "MERCHANT_SUSPENDED"
    assert (await kyc.as_admin("POST", f"{base}/suspend", {"reason": "twice"})).status_code == 409

    r = await kyc.as_admin("POST", f"{base}/reinstate", {"reason": "Listings removed."})
    assert r.status_code == 200 and r.json()["merchant_status"] == "active"
    assert (await signed.pay(amount=10_000)).status_code == 201
    assert (await kyc.as_admin("POST", f"{base}/reinstate", {"reason": "again"})).status_code == 409
    [suspended] = (
        await kyc.session.execute(AuditLog.__table__.select().where(AuditLog.action == "merchant.suspended"))
    ).all()
    assert suspended.after == {"status": "suspended", "suspension_reason": "kyc"} and suspended.reason


async def test_each_step_is_emailed_to_the_owners_and_the_contact(kyc, platform):
    from tests.people.support import mails

    base = await _activated(kyc)
    await kyc.as_admin("POST", f"{base}/suspend", {"reason": "Restricted goods listed."})

    async def subjects(to: str) -> set[str] | None:
        got = {m["subject"] for m in await mails(platform, to)}
        return got if len(got) >= 5 else None

    for to in (kyc.team.email, APPLICATION["contact_email"]):
        got = await wait_for(lambda to=to: subjects(to), timeout=30, what=f"the KYC emails to {to}")
        assert {
            "We have your KYC application",
            "Your settlement bank account is verified",
            "Your KYC application is being reviewed",
            "Your account is activated",
            "Your account is suspended",
        } <= got, got
    [suspended] = await mails(platform, kyc.team.email, contains="Restricted goods listed.")
    assert "payments are refused" in str(suspended)


async def test_a_clarification_email_lists_each_item(kyc, platform):
    from tests.people.support import mails

    await kyc.submitted()
    items = [{"code": "gstin", "reason": "The GSTIN is for another state."}]
    await kyc.as_admin("POST", f"/api/v1/admin/kyc/{kyc.merchant_id}/clarifications", {"items": items})

    async def found() -> list[Any]:
        return await mails(platform, kyc.team.email, contains="gstin: The GSTIN is for another state.")

    [mail] = await wait_for(found, timeout=30, what="the clarification email")
    assert APPLICATION["bank_account_number"] not in str(mail)
