"""Issue 9: a request id on every request (accepted or made), in the audit rows it writes and carried into the
jobs it causes; audit rows name their caller's address and can be neither updated nor deleted."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DBAPIError

from lightspeedpay.config import get_settings
from lightspeedpay.kit import request_context
from lightspeedpay.models import AuditLog, JobIntent
from tests.factories import create_merchant, create_sandbox_gateway, merchant_client


@pytest.mark.fast
@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("req_abc-123", True),
        ("0f3c9a2e-1d7b-4c55-8a77-1e2f3a4b5c6d", True),
        ("", False),
        ("a b", False),
        ("x" * 65, False),
        ("<script>", False),
        ("-leading", False),
    ],
)
def test_a_callers_request_id_is_kept_only_when_it_is_a_sane_token(given: str, kept: bool) -> None:
    assert (request_context.accepted(given) == given) is kept


async def test_the_request_id_is_answered_audited_and_carried_into_the_job(platform, session):
    new = await create_merchant(session)
    await create_sandbox_gateway(session, platform.simulator_url)
    async with httpx.AsyncClient(timeout=30) as http:
        client = merchant_client(platform.api_url, new, http)
        made = await http.get(f"{platform.api_url}/health")
        assert made.headers["x-request-id"].startswith("req_")
        rid = f"req_test_{uuid.uuid4().hex[:12]}"
        http.headers["X-Request-Id"] = rid
        paid = await client.pay()
        assert paid.status_code == 201, paid.text
        assert paid.headers["x-request-id"] == rid
        # an error answer carries it too
        bad = await http.get(f"{platform.api_url}/api/v1/transactions/nope")
        assert bad.status_code >= 400 and bad.headers["x-request-id"] == rid

        intent = (
            await session.execute(
                select(JobIntent).where(
                    JobIntent.payload["transaction_id"].astext == paid.json()["transaction_id"]
                )
            )
        ).scalar_one()
        assert intent.request_id == rid


async def test_audit_rows_name_the_request_and_are_append_only(platform, session):
    new = await create_merchant(session)
    rid = f"req_rotate_{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(timeout=30) as http:
        r = await http.patch(
            f"{platform.api_url}/api/v1/admin/merchants/{new.client.id}",
            json={"whatsapp_txn_updates": True},
            headers={"Authorization": f"Bearer {get_settings().admin_token}", "X-Request-Id": rid},
        )
    assert r.status_code in (200, 201), r.text
    row = (await session.execute(select(AuditLog).where(AuditLog.request_id == rid))).scalar_one()
    assert row.ip == "127.0.0.1" and row.target_id == str(new.client.id)
    assert row.action == "merchant.settings_updated" and row.actor == "admin:admin"
    assert row.after == {"whatsapp_txn_updates": True} and "whatsapp_txn_updates" in (row.before or {})
    row_id = row.id
    for change in (update(AuditLog).values(reason="edited"), delete(AuditLog)):
        with pytest.raises(DBAPIError, match="never updated or deleted"):
            await session.execute(change.where(AuditLog.id == row_id))
        await session.rollback()
