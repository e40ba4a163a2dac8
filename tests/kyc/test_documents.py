"""Documents over real HTTP: uploaded as multipart, judged by their bytes, stored with their SHA-256, and served
only to the merchant's own team and to operators who may read KYC."""

from __future__ import annotations

import gzip
import hashlib
import json

import httpx

from lightspeedpay.models import AuditLog, KycDocument
from tests.factories import MerchantClient, count, create_merchant
from tests.kyc.conftest import team_of
from tests.kyc.support import docx, jpeg, operator, pdf, png, zip_archive

DOCS = "/api/v1/merchant/kyc/documents"


async def test_good_documents_are_stored_and_come_back_as_attachments(kyc):
    for kind, content, name, ctype in (
        ("pan_card", pdf(), "pan.pdf", "application/pdf"),
        ("address_proof", jpeg(), "bill.jpeg", "image/jpeg"),
        ("cancelled_cheque", png(), "cheque.png", "image/png"),
        # a generic declared type and no extension: the content decides
        ("gst_certificate", pdf(), "gst-certificate", "application/octet-stream"),
    ):
        r = await kyc.team.upload(kind, content, name, ctype)
        assert r.status_code == 201, r.text
        doc = r.json()
        assert doc["kind"] == kind and doc["size_bytes"] == len(content)
        assert doc["sha256"] == hashlib.sha256(content).hexdigest()
        assert doc["content_type"] == (ctype if ctype != "application/octet-stream" else "application/pdf")
        got = await kyc.team.request("GET", f"{DOCS}/{doc['id']}")
        assert got.status_code == 200 and got.content == content
        assert got.headers["content-type"] == doc["content_type"]
        assert got.headers["content-disposition"].startswith("attachment; filename=")
        assert name not in got.headers["content-disposition"]  # our name, never the uploader's
        assert got.headers["x-content-type-options"] == "nosniff"
        assert "no-store" in got.headers["cache-control"]
    listed = (await kyc.team.request("GET", DOCS)).json()
    assert len(listed) == 4
    # the operator sees the same bytes
    r = await kyc.as_admin("GET", f"/api/v1/admin/kyc/{kyc.merchant_id}/documents/{listed[0]['id']}")
    assert r.status_code == 200 and r.headers["content-disposition"].startswith("attachment")
    assert await count(kyc.session, AuditLog, AuditLog.action == "kyc.document_uploaded") == 4


async def test_files_that_are_not_what_they_claim_are_refused_and_nothing_is_kept(kyc):
    cases = {
        "a zip named .pdf": (zip_archive(), "pan.pdf", "application/pdf", 422, "UNSUPPORTED_DOCUMENT_TYPE"),
        "a docx": (docx(), "pan.docx", "application/msword", 422, "UNSUPPORTED_DOCUMENT_TYPE"),
        "a PDF with a zip appended": (
            pdf() + zip_archive(),
            "pan.pdf",
            "application/pdf",
            422,
            "UNSUPPORTED_DOCUMENT_TYPE",
        ),
        "a PNG renamed .pdf": (png(), "pan.pdf", "application/octet-stream", 422, "DOCUMENT_TYPE_MISMATCH"),
        "a PNG declared as PDF": (png(), "pan", "application/pdf", 422, "DOCUMENT_TYPE_MISMATCH"),
        "HTML named .png": (
            b"<svg onload=alert(1)>",
            "pan.png",
            "image/png",
            422,
            "UNSUPPORTED_DOCUMENT_TYPE",
        ),
        "a truncated PDF": (pdf()[:-20], "pan.pdf", "application/pdf", 422, "DOCUMENT_DAMAGED"),
        "over 5 MB": (pdf(5 * 1024 * 1024 + 1), "big.pdf", "application/pdf", 413, "DOCUMENT_TOO_LARGE"),
    }
    for name, (content, filename, ctype, status, code) in cases.items():
        r = await kyc.team.upload("pan_card", content, filename, ctype)
        assert r.status_code == status, (name, r.text)
        assert r.json()["error"]["code"] == code, name
    assert await count(kyc.session, KycDocument) == 0
    assert await count(kyc.session, AuditLog, AuditLog.action == "kyc.document_uploaded") == 0


async def test_oversized_compressed_and_non_multipart_bodies(kyc):
    r = await kyc.team.upload("pan_card", pdf(6 * 1024 * 1024), "huge.pdf")
    assert r.status_code == 413 and r.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    # a gzip-encoded upload is never inflated
    body = gzip.compress(b'--b\r\nContent-Disposition: form-data; name="kind"\r\n\r\npan_card\r\n--b--\r\n')
    r = await kyc.http.post(
        kyc.platform.api_url + DOCS,
        content=body,
        headers={
            "Authorization": f"Bearer {kyc.team.token}",
            "Content-Type": "multipart/form-data; boundary=b",
            "Content-Encoding": "gzip",
        },
    )
    assert r.status_code == 415 and r.json()["error"]["field"] == "Content-Encoding"
    r = await kyc.http.post(
        kyc.platform.api_url + DOCS,
        content=json.dumps({"kind": "pan_card", "file": "JVBERi0="}),
        headers={"Authorization": f"Bearer {kyc.team.token}", "Content-Type": "application/json"},
    )
    assert r.status_code == 415
    r = await kyc.team.upload("selfie", pdf(), "pan.pdf")
    assert r.status_code == 422 and r.json()["error"]["field"] == "kind"
    assert await count(kyc.session, KycDocument) == 0


async def test_no_one_else_sees_a_merchants_documents(kyc):
    r = await kyc.team.upload("pan_card", pdf(), "pan.pdf")
    doc_id = r.json()["id"]
    path = f"{DOCS}/{doc_id}"

    other = await create_merchant(kyc.session, kyc_status="draft")
    other_id = other.client.id
    stranger = await team_of(kyc.platform, kyc.session, kyc.http, other_id)
    r = await stranger.request("GET", path)
    assert r.status_code == 404  # another merchant's document does not exist for them
    assert doc_id not in (await stranger.request("GET", DOCS)).text
    r = await kyc.as_admin("GET", f"/api/v1/admin/kyc/{other_id}/documents/{doc_id}")
    assert r.status_code == 404  # nor under another merchant's id for the operator

    # the merchant's API credential acts for its server, not for KYC
    signed = MerchantClient(kyc.platform.api_url, kyc.new.test_key_id, kyc.new.test_secret, kyc.http)
    assert (await signed.get(path)).status_code == 403
    # nobody at all
    assert (await kyc.http.get(kyc.platform.api_url + path)).status_code == 401

    # a developer of the team may read KYC (kyc:read) but not change it
    developer = await team_of(kyc.platform, kyc.session, kyc.http, kyc.merchant_id, role="developer")
    assert (await developer.request("GET", path)).status_code == 200
    r = await developer.upload("pan_card", pdf(), "pan.pdf")
    assert r.status_code == 403
    # finance at the merchant has no kyc permission at all
    finance = await team_of(kyc.platform, kyc.session, kyc.http, kyc.merchant_id, role="finance")
    assert (await finance.request("GET", path)).status_code == 403

    # operators: finance and support read KYC; a person without operator role cannot
    for role, expected in (("finance", 200), ("support", 200), ("viewer", 200)):
        token = await operator(kyc.session, role)
        r = await kyc.http.get(
            f"{kyc.platform.api_url}/api/v1/admin/kyc/{kyc.merchant_id}/documents/{doc_id}",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert r.status_code == expected, role
    r = await kyc.http.get(
        f"{kyc.platform.api_url}/api/v1/admin/kyc/{kyc.merchant_id}/documents/{doc_id}",
        headers={"Authorization": f"Bearer {kyc.team.token}"},
    )
    assert r.status_code == 403


async def test_documents_cannot_change_once_submitted(kyc):
    await kyc.submitted()
    r = await kyc.team.upload("pan_card", pdf(), "pan.pdf")
    assert r.status_code == 409 and r.json()["error"]["code"] == "KYC_NOT_EDITABLE"


async def test_a_stored_file_altered_behind_our_back_is_not_served(kyc, platform):
    r = await kyc.team.upload("pan_card", pdf(), "pan.pdf")
    doc_id = r.json()["id"]
    await kyc.session.rollback()
    doc = await kyc.session.get(KycDocument, __import__("uuid").UUID(doc_id))
    from pathlib import Path

    Path(platform.env["LSP_KYC_STORAGE_DIR"], doc.storage_key).write_bytes(png())
    async with httpx.AsyncClient() as c:
        r = await c.get(
            f"{platform.api_url}{DOCS}/{doc_id}", headers={"Authorization": f"Bearer {kyc.team.token}"}
        )
    assert r.status_code == 500 and r.content != png()
