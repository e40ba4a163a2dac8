"""transaction-processing queue: create the PSP order for a new transaction."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.config import get_settings
from lightspeedpay.gateways.adapters import get_adapter
from lightspeedpay.gateways.adapters.base import OrderRequest, PspDeclined
from lightspeedpay.gateways.repository import gateway_repo
from lightspeedpay.gateways.service import gateway_service
from lightspeedpay.jobs.registry import task
from lightspeedpay.payments.repository import transaction_repo
from lightspeedpay.payments.service import payment_service


def psp_webhook_url(provider: str, gateway_id: uuid.UUID) -> str:
    return f"{get_settings().public_base_url}/api/v1/webhooks/psp/{provider}/{gateway_id}"


@task("transaction.process")
async def process_transaction(session: AsyncSession, transaction_id: str) -> None:
    txn = await transaction_repo.get_for_update(session, uuid.UUID(transaction_id))
    if txn is None or txn.status != "created":
        return  # already processed
    gateway = await gateway_repo.get(session, txn.gateway_id)
    assert gateway is not None
    adapter = get_adapter(gateway.provider)
    order = OrderRequest(
        transaction_id=txn.id, amount=txn.amount, currency=txn.currency, receipt=str(txn.id),
        notes={**(txn.notes or {}), "lsp_transaction_id": str(txn.id)}, customer=txn.customer or {},
        webhook_url=psp_webhook_url(gateway.provider, gateway.id), return_url=txn.redirect_url or "",
    )
    try:
        psp_order = await adapter.create_order(gateway_service.account(gateway), order)
    except PspDeclined as exc:
        await payment_service.apply_outcome(session, txn, "failed", error_code=exc.code, error_message=exc.message)
        return
    # a technical error propagates: the job is retried with backoff
    txn.status = "pending"
    txn.gateway_txn_id = psp_order.gateway_txn_id
    txn.checkout_url = psp_order.checkout_url
    txn.gateway_response = psp_order.raw
