"""The seven live streams over the real API process: a snapshot first, then each change published after its
commit; 200 clients at once each get a payment's change within a second; a merchant's stream carries only its
own payments; the admin streams need the admin token in the header."""

from __future__ import annotations

import asyncio
from datetime import datetime

import httpx

from tests.factories import create_merchant, create_sandbox_gateway, merchant_client
from tests.paying import wait_status
from tests.streams.support import Listener, admin_headers, stop_all, until

MERCHANT_PATH = "/api/v1/merchant/streams/transactions"
ADMIN_TXNS = "/api/v1/admin/streams/transactions"


async def _paid(native, amount: int) -> dict:
    r = await native.pay(amount=amount)
    assert r.status_code == 201, r.text
    return await wait_status(native, r.json()["transaction_id"], "paid")


async def test_200_clients_each_get_a_payment_change_within_a_second(platform, session):
    a, b = await create_merchant(session), await create_merchant(session)
    await create_sandbox_gateway(session, platform.simulator_url, auto_outcome="success")
    limits = httpx.Limits(max_connections=260, max_keepalive_connections=260)
    async with httpx.AsyncClient(timeout=httpx.Timeout(30, read=60), limits=limits) as http:
        native_a = merchant_client(platform.api_url, a, http)
        native_b = merchant_client(platform.api_url, b, http)
        before_a, before_b = await _paid(native_a, 1_100), await _paid(native_b, 1_200)

        def merchant_listener(native) -> Listener:
            headers = native.headers("GET", MERCHANT_PATH, b"")
            return Listener(http, platform.api_url + MERCHANT_PATH, headers)

        admins = [Listener(http, platform.api_url + ADMIN_TXNS, admin_headers()) for _ in range(100)]
        of_a = [merchant_listener(native_a) for _ in range(50)]
        of_b = [merchant_listener(native_b) for _ in range(50)]
        everyone = admins + of_a + of_b
        for listener in everyone:
            listener.start()
        try:
            await until(
                lambda: all(lst.events for lst in everyone) or any(lst.ended for lst in everyone),
                timeout=60,
                what="200 snapshots",
            )
            assert not [lst.status for lst in everyone if lst.status != 200]
            # the snapshot comes first: the newest payments, a merchant's own only
            for lst in everyone:
                assert lst.events[0].event == "snapshot"
            ids = {lst: {t["id"] for t in lst.events[0].data} for lst in everyone}
            assert all({before_a["id"], before_b["id"]} <= ids[lst] for lst in admins)
            assert all(ids[lst] == {before_a["id"]} for lst in of_a)
            assert all(ids[lst] == {before_b["id"]} for lst in of_b)

            paid_a, paid_b = await asyncio.gather(_paid(native_a, 2_100), _paid(native_b, 2_200))

            def got_paid(lst: Listener, txn_id: str) -> bool:
                return any(
                    e.data["id"] == txn_id and e.data["status"] == "paid" for e in lst.of("transaction")
                )

            await until(
                lambda: (
                    all(got_paid(lst, paid_a["id"]) and got_paid(lst, paid_b["id"]) for lst in admins)
                    and all(got_paid(lst, paid_a["id"]) for lst in of_a)
                    and all(got_paid(lst, paid_b["id"]) for lst in of_b)
                ),
                timeout=30,
                what="every client to see its payments paid",
            )
            # a second of the change: `updated_at` is taken inside the transaction, before its commit, so the
            # measured delay is the commit-to-client delay plus the commit itself
            delays = []
            for lst in everyone:
                for e in lst.of("transaction"):
                    if e.data["status"] == "paid" and e.data["id"] in (paid_a["id"], paid_b["id"]):
                        delays.append(e.at - datetime.fromisoformat(e.data["updated_at"]).timestamp())
            assert len(delays) == 100 * 2 + 50 + 50
            print(f"delays: max {max(delays):.3f} min {min(delays):.3f}")
            assert max(delays) < 1.0, f"slowest client got the change {max(delays):.3f} s after it"
            # every change of the payment, once per client (its creation shows in snapshots, not as an event)
            for lst in admins:
                seen = [e.data["status"] for e in lst.of("transaction") if e.data["id"] == paid_a["id"]]
                assert sorted(seen) == ["paid", "pending"], seen
                assert {"client_id", "gateway_id"} <= set(lst.of("transaction")[0].data)
            # a merchant's stream never carries another merchant's payment, nor the operator's fields
            for lst, own in [(x, paid_a["id"]) for x in of_a] + [(x, paid_b["id"]) for x in of_b]:
                seen_ids = {e.data["id"] for e in lst.of("transaction")}
                assert seen_ids == {own}, seen_ids
                assert not {"client_id", "gateway_id"} & {k for e in lst.of("transaction") for k in e.data}
        finally:
            await stop_all(everyone)
