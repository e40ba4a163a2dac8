"""All of a merchant's refunds (issue 12): GET /api/v1/refunds — newest first, keyset pages, filters by status
and dates, in the request's mode only (an API key's own; a person's X-Mode), and never another merchant's."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from lightspeedpay.kit.ids import new_id
from lightspeedpay.models import PaymentGateway, Refund
from tests.factories import add_transaction, create_merchant, merchant_client, wait_for
from tests.paying import open_shop, paid_payment
from tests.people.support import create_person, log_in

REFUNDS = "/api/v1/refunds"


async def _refund(shop: Any, txn_id: str, amount: int) -> str:
    path = f"/api/v1/transactions/{txn_id}/refunds"
    body = json.dumps({"amount": amount}).encode()
    r = await shop.native.http.post(
        shop.native.base_url + path,
        content=body,
        headers={**shop.native.headers("POST", path, body), "Idempotency-Key": uuid.uuid4().hex},
    )
    assert r.status_code == 201, r.text
    refund_id = str(r.json()["id"])

    async def processed() -> bool:
        return (await shop.native.get(f"{REFUNDS}/{refund_id}")).json()["status"] == "processed"

    await wait_for(processed, what=f"refund {refund_id} processed", timeout=30)
    return refund_id


def _declined(client_id: uuid.UUID, transaction_id: uuid.UUID, *, mode: str, days_ago: float) -> Refund:
    """A refund the PSP declined, as the refund service leaves one (no money moved)."""
    return Refund(
        id=uuid.uuid4(),
        public_id=new_id("rfnd"),
        client_id=client_id,
        transaction_id=transaction_id,
        amount=1_000,
        currency="INR",
        status="failed",
        error_code="REFUND_DECLINED",
        error_message="The PSP declined the refund.",
        mode=mode,
        created_at=datetime.now(UTC) - timedelta(days=days_ago),
    )


async def test_newest_first_filtered_paged_and_in_the_requests_mode_only(platform, session):
    async with open_shop(platform, session) as shop:
        txn = await paid_payment(shop.native, amount=30_000)
        first = await _refund(shop, txn["id"], 5_000)
        second = await _refund(shop, txn["id"], 7_000)
        gateway = (await session.execute(select(PaymentGateway))).scalars().first()
        assert gateway is not None
        me = shop.new.client.id
        old = _declined(me, uuid.UUID(txn["id"]), mode="live", days_ago=3)
        test_txn = add_transaction(session, me, gateway, status="failed", mode="test")
        await session.flush()
        in_test = _declined(me, test_txn.id, mode="test", days_ago=1)
        other = await create_merchant(session)
        theirs_txn = add_transaction(session, other.client.id, gateway, status="failed")
        await session.flush()
        theirs = _declined(other.client.id, theirs_txn.id, mode="live", days_ago=0.5)
        session.add_all([old, in_test, theirs])
        await session.commit()
        old_id, test_id, theirs_id = old.public_id, in_test.public_id, theirs.public_id

        async def ids(query: str = "", client: Any = shop.native) -> list[str]:
            r = await client.get(REFUNDS + query)
            assert r.status_code == 200, r.text
            return [item["id"] for item in r.json()["items"]]

        r = await shop.native.get(REFUNDS)
        listed = r.json()
        assert [i["id"] for i in listed["items"]] == [second, first, old_id] and listed["next_cursor"] is None
        assert {i["payment_id"] for i in listed["items"]} == {txn["payment_id"]}
        assert listed["items"][0]["amount"] == 7_000 and listed["items"][0]["status"] == "processed"

        assert await ids("?status=failed") == [old_id]
        assert await ids("?status=processed") == [second, first]
        since = (datetime.now(UTC) - timedelta(days=1)).isoformat().replace("+00:00", "Z")
        assert await ids(f"?from={since}") == [second, first]
        assert await ids(f"?to={since}") == [old_id]

        # keyset pages visit each once
        seen, cursor = [], None
        while True:
            page = (
                await shop.native.get(REFUNDS + "?limit=1" + (f"&cursor={cursor}" if cursor else ""))
            ).json()
            seen += [i["id"] for i in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == [second, first, old_id]

        # a person acts in test mode unless X-Mode says live; the test key sees test refunds only
        person = await create_person(session, member_of=me, role="viewer")
        headers = await log_in(session, person.id)
        async with httpx.AsyncClient(base_url=platform.api_url, timeout=30, headers=headers) as api:
            assert [i["id"] for i in (await api.get(REFUNDS)).json()["items"]] == [test_id]
            live = (await api.get(REFUNDS, headers={"X-Mode": "live"})).json()["items"]
            assert [i["id"] for i in live] == [second, first, old_id]
            # another merchant's refund is not found, by id either
            r = await api.get(f"{REFUNDS}/{theirs_id}", headers={"X-Mode": "live"})
            assert r.status_code == 404 and theirs_id not in r.text
        assert theirs_id not in json.dumps(listed)
        async with httpx.AsyncClient(timeout=30) as http:
            test_key = merchant_client(platform.api_url, shop.new, http)
            test_key.client_key, test_key.salt = shop.new.test_key_id, shop.new.test_secret
            assert await ids("", test_key) == [test_id]
            assert await ids("", merchant_client(platform.api_url, other, http)) == [theirs_id]

        # bad input: a 422 naming the field
        for query, field in (
            ("?status=done", "status"),
            ("?cursor=not-ours", "cursor"),
            ("?limit=0", "limit"),
            (f"?from={since}&to={since}", "to"),
        ):
            r = await shop.native.get(REFUNDS + query)
            assert r.status_code == 422 and r.json()["error"]["field"] == field, (query, r.text)
