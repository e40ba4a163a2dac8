"""transaction-processing queue: create the PSP order for a new transaction, failing over to the next
gateway when a PSP has a technical problem (never after a decline)."""

from __future__ import annotations

import time
import uuid
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay import jobs
from lightspeedpay.config import get_settings
from lightspeedpay.gateways.adapters import get_adapter
from lightspeedpay.gateways.adapters.base import OrderRequest, PspDeclined, PspTechnicalError
from lightspeedpay.gateways.repository import gateway_repo
from lightspeedpay.gateways.routing import Reservation, routing_service
from lightspeedpay.gateways.service import gateway_service, volume_month
from lightspeedpay.jobs.queues import TRANSACTION_PROCESSING
from lightspeedpay.jobs.registry import task
from lightspeedpay.kit import retry
from lightspeedpay.kit.db_conflicts import retry_on_conflict
from lightspeedpay.kit.logging import log
from lightspeedpay.models import Transaction
from lightspeedpay.models.api_credential import Mode
from lightspeedpay.models.gateway_attempt import GatewayAttemptOutcome
from lightspeedpay.models.transaction import TransactionStatus
from lightspeedpay.payments.repository import transaction_repo
from lightspeedpay.payments.service import payment_service


def psp_webhook_url(provider: str, gateway_id: uuid.UUID) -> str:
    return f"{get_settings().public_base_url}/api/v1/webhooks/psp/{provider}/{gateway_id}"


@task("transaction.process", queue=TRANSACTION_PROCESSING)
async def process_transaction(session: AsyncSession, transaction_id: str) -> None:
    """Ask the reserved gateway's PSP for an order, then record the answer. The transaction row is read without
    a lock and locked only after the PSP answered (no row lock is held across the call); the PSP deduplicates
    on the receipt (the transaction id), so a run that loses the race below created nothing new."""
    txn = await transaction_repo.get(session, uuid.UUID(transaction_id))
    if txn is None or txn.status != TransactionStatus.CREATED:
        return  # already processed
    tried = await gateway_repo.attempted_for(session, txn.id)
    attempt = len(tried) + 1
    gateway = await gateway_repo.get(session, txn.gateway_id)
    assert gateway is not None
    order = OrderRequest(
        transaction_id=txn.id,
        amount=txn.amount,
        currency=txn.currency,
        receipt=str(txn.id),
        notes={**(txn.notes or {}), "lsp_transaction_id": str(txn.id)},
        customer=txn.customer or {},
        webhook_url=psp_webhook_url(gateway.provider, gateway.id),
        return_url=txn.redirect_url or "",
    )
    started = time.perf_counter()
    try:
        psp_order = await get_adapter(gateway.provider).create_order(gateway_service.account(gateway), order)
    except (PspDeclined, PspTechnicalError) as exc:
        latency_ms = _ms(started)
        if await _still_ours(session, txn, gateway.id):
            await _unanswered(session, txn, gateway.id, tried, attempt, exc, latency_ms)
        return
    latency_ms = _ms(started)
    if not await _still_ours(session, txn, gateway.id):
        return
    await routing_service.record_attempt(
        session,
        transaction_id=txn.id,
        gateway_id=gateway.id,
        attempt=attempt,
        outcome=GatewayAttemptOutcome.CREATED,
        latency_ms=latency_ms,
    )
    txn.status = TransactionStatus.PENDING
    await payment_service.count_status(session, gateway.id, TransactionStatus.PENDING)
    txn.gateway_txn_id = psp_order.gateway_txn_id
    txn.checkout_url = psp_order.checkout_url
    txn.gateway_response = psp_order.raw
    payment_service.announce(session, txn)


async def _still_ours(session: AsyncSession, txn: Transaction, gateway_id: uuid.UUID) -> bool:
    """Lock the transaction now that the PSP has answered; False when it moved on meanwhile (expired by the
    janitor, or already given its order by another run)."""
    locked = await transaction_repo.get_for_update(session, txn.id)
    return (
        locked is not None and locked.status == TransactionStatus.CREATED and locked.gateway_id == gateway_id
    )


async def _unanswered(
    session: AsyncSession,
    txn: Transaction,
    gateway_id: uuid.UUID,
    tried: list[uuid.UUID],
    attempt: int,
    exc: PspDeclined | PspTechnicalError,
    latency_ms: int,
) -> None:
    """A decline fails the payment; a technical error fails over (never after a decline)."""
    if isinstance(exc, PspDeclined):
        await routing_service.record_attempt(
            session,
            transaction_id=txn.id,
            gateway_id=gateway_id,
            attempt=attempt,
            outcome=GatewayAttemptOutcome.DECLINED,
            latency_ms=latency_ms,
            error=exc,
        )
        await payment_service.apply_outcome(
            session, txn, TransactionStatus.FAILED, error_code=exc.code, error_message=exc.message
        )
        return
    await routing_service.record_attempt(
        session,
        transaction_id=txn.id,
        gateway_id=gateway_id,
        attempt=attempt,
        outcome=GatewayAttemptOutcome.TECHNICAL_ERROR,
        latency_ms=latency_ms,
        error=exc,
    )
    await _fail_over(session, txn, [*tried, gateway_id], attempt, exc)


async def _fail_over(
    session: AsyncSession, txn: Transaction, tried: list[uuid.UUID], attempt: int, exc: PspTechnicalError
) -> None:
    """Count the failure on the gateway's breaker and move the reservation to the next eligible gateway,
    queueing a fresh attempt there. The gateway rows are touched only after the PSP call (no PSP latency is
    spent holding their locks), all in one unit that takes them in id order and is redone if PostgreSQL
    still picks it as a deadlock victim, so the breaker trip and its alert are never lost with the job."""
    may_move = attempt < get_settings().failover_max_attempts
    move = (
        Reservation(
            amount=txn.amount,
            exclude=tried,
            month=volume_month(),
            reserved_month=volume_month(txn.created_at),
            sandbox_only=txn.mode == Mode.TEST,
        )
        if may_move
        else None
    )
    next_id = await retry_on_conflict(
        partial(routing_service.technical_failure, session, txn.gateway_id, move=move),
        what="payment_failover",
        session=session,
    )
    if next_id is not None:
        log.info(
            "payment_failover",
            transaction_id=str(txn.id),
            to_gateway=str(next_id),
            attempt=attempt,
            error=exc.code,
        )
        txn.gateway_id = next_id
        jobs.enqueue(session, "transaction.process", transaction_id=str(txn.id))
        return
    # the reservation is already on this gateway, so it needs room for nothing more (amount 0)
    if may_move and await gateway_repo.is_eligible(session, txn.gateway_id, 0, volume_month()):
        # no other gateway can take it: try this one again shortly (the attempt stays recorded)
        jobs.enqueue(
            session,
            "transaction.process",
            delay_seconds=retry.psp_order().wait(attempt) or 0,
            transaction_id=str(txn.id),
        )
        return
    await payment_service.apply_outcome(
        session,
        txn,
        TransactionStatus.FAILED,
        error_code="PSP_UNAVAILABLE",
        error_message=f"No payment gateway could create the order after {attempt} attempt(s); last error {exc.code}.",
    )


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
