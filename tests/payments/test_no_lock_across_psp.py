"""No row lock is held across a network call: while the worker waits for a PSP to create the order, the
transaction's row is free (issue 8's rule; the janitor, refunds and PSP events must not queue behind a slow
PSP)."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import text

from lightspeedpay.gateways.service import gateway_service
from lightspeedpay.models import Transaction
from lightspeedpay.models.transaction import TransactionStatus
from tests.factories import create_merchant, create_sandbox_gateway, merchant_client, wait_for


async def test_the_transaction_row_is_not_locked_while_the_psp_creates_the_order(platform, session):
    new = await create_merchant(session)
    gateway = await create_sandbox_gateway(session, platform.simulator_url)
    key_id = gateway_service.account(gateway).credentials["key_id"]
    faults = f"{platform.simulator_url}/_sim/accounts/{key_id}/faults"
    async with httpx.AsyncClient(timeout=30) as http:
        # the PSP holds its answer for 2 s (below LSP_PSP_TIMEOUT_SECONDS): the order is created, late
        assert (await http.put(faults, json={"timeout": True, "timeout_seconds": 2})).status_code == 200
        try:
            txn_id = uuid.UUID(
                (await merchant_client(platform.api_url, new, http).pay()).json()["transaction_id"]
            )

            async def psp_is_holding() -> bool:
                return (await http.get(faults)).json()["calls_held"] >= 1

            await wait_for(psp_is_holding, timeout=30, every=0.05, what="the worker to ask the slow PSP")
            await session.rollback()
            # NOWAIT: an error at once if the worker held the row during its PSP call
            locked = await session.execute(
                text("SELECT id FROM transactions WHERE id = :id FOR UPDATE NOWAIT"), {"id": txn_id}
            )
            assert locked.scalar_one() == txn_id
            await session.rollback()
        finally:
            await http.put(faults, json={})

    async def pending() -> bool:
        await session.rollback()
        txn = await session.get(Transaction, txn_id, populate_existing=True)
        return txn is not None and txn.status == TransactionStatus.PENDING and bool(txn.checkout_url)

    await wait_for(pending, timeout=30, what="the PSP order to be recorded")
