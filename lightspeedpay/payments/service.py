"""Payment initiation, the forward-only status changes and their consequences, and merchant reads."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.config import get_settings
from lightspeedpay.db import engine
from lightspeedpay.errors import DuplicateOrderId, MerchantSuspended, NoGatewayAvailable, NotFound
from lightspeedpay.gateways.repository import gateway_repo
from lightspeedpay.gateways.service import volume_month
from lightspeedpay.jobs import queues
from lightspeedpay.kit.logging import log
from lightspeedpay.kit.pagination import decode_cursor, encode_cursor
from lightspeedpay.ledger.service import ledger_service
from lightspeedpay.merchants.service import MerchantAuth
from lightspeedpay.models import Client, Transaction
from lightspeedpay.payments.repository import TransactionFilter, transaction_repo
from lightspeedpay.payments.schemas import PayRequest
from lightspeedpay.payments.state import can_move
from lightspeedpay.webhooks.service import webhook_service

_SELECTION_TRIES = 5


class PaymentService:
    async def initiate(self, merchant: MerchantAuth, body: PayRequest) -> uuid.UUID:
        """One atomic statement on an autocommit connection: the gateway row stays locked only for the
        statement, not across round trips (DESIGN.md §6). The job is pushed once the row is durable."""
        month = volume_month()
        explore = random.random() < get_settings().routing_exploration
        customer = body.customer.model_dump(exclude_none=True) if body.customer else None
        async with engine().connect() as raw:
            conn = await raw.execution_options(isolation_level="AUTOCOMMIT")
            for attempt in range(_SELECTION_TRIES):
                try:
                    result = await transaction_repo.initiate(
                        conn, client_id=merchant.id, order_id=body.order_id, amount=body.amount,
                        currency=body.currency, customer=customer, notes=body.notes,
                        redirect_url=body.redirect_url, month=month, wait_for_lock=attempt > 0,
                        explore=explore)
                except IntegrityError as exc:
                    if "uq_transactions_client_order" in str(exc.orig):
                        raise DuplicateOrderId(f"order_id {body.order_id!r} was already used for another "
                                               "payment; use a new order_id.", field="order_id") from None
                    raise
                if not result.merchant_ok:
                    raise MerchantSuspended(result.balance_due, result.suspend_threshold, result.merchant_status)
                if result.transaction_id is not None:
                    break
                # every eligible row was locked by a concurrent request, or none is eligible at all
                if not await gateway_repo.any_eligible(conn, body.amount, month):
                    raise NoGatewayAvailable()
            else:
                raise NoGatewayAvailable()
        assert result.intent_id is not None and result.transaction_id is not None
        try:
            await queues.push(queues.TRANSACTION_PROCESSING, "transaction.process", str(result.intent_id))
        except Exception as exc:  # noqa: BLE001 - the intent is durable; the sweeper will push it
            log.warning("job_push_failed", intent_id=str(result.intent_id), error=str(exc))
        return result.transaction_id

    async def get(self, session: AsyncSession, merchant: MerchantAuth, transaction_id: uuid.UUID) -> Transaction:
        txn = await transaction_repo.get_for_merchant(session, merchant.id, transaction_id)
        if txn is None:
            raise NotFound("No transaction with this id belongs to your account.", field="transaction_id")
        return txn

    async def list(self, session: AsyncSession, merchant: MerchantAuth, flt: TransactionFilter, *, limit: int,
                   cursor: str | None) -> tuple[list[Transaction], str | None]:
        after = decode_cursor(cursor) if cursor else None
        rows = await transaction_repo.list_for_merchant(session, merchant.id, flt, limit=limit + 1, after=after)
        next_cursor = encode_cursor(rows[limit - 1].created_at, rows[limit - 1].id) if len(rows) > limit else None
        return rows[:limit], next_cursor

    async def apply_outcome(self, session: AsyncSession, txn: Transaction, outcome: str, *,
                            gateway_payment_id: str | None = None, error_code: str | None = None,
                            error_message: str | None = None) -> bool:
        """Move the (locked) transaction forward; a late or duplicate outcome changes nothing."""
        if not can_move(txn.status, outcome):
            return False
        client = await session.get(Client, txn.client_id)
        assert client is not None
        txn.status = outcome
        if gateway_payment_id:
            txn.gateway_payment_id = gateway_payment_id
        if outcome == "paid":
            txn.paid_at = datetime.now(UTC)
            await ledger_service.record_commission(session, client, txn)
        elif outcome in ("failed", "expired"):
            txn.error_code = error_code or ("PAYMENT_FAILED" if outcome == "failed" else "PAYMENT_EXPIRED")
            txn.error_message = error_message
            await self.release_volume(session, txn)
        await webhook_service.emit(session, client, f"payment.{outcome}", self.event_data(txn),
                                   transaction_id=txn.id)
        return True

    async def reconcile_stale(self, session: AsyncSession) -> dict[str, int]:
        """The janitor: ask the PSP about payments pending too long and apply what it says; past the TTL
        they expire. Each payment is locked, so concurrent janitors skip each other's rows."""
        from lightspeedpay.gateways.adapters import get_adapter
        from lightspeedpay.gateways.adapters.base import PspError
        from lightspeedpay.gateways.service import gateway_service

        s = get_settings()
        now = datetime.now(UTC)
        counts = {"checked": 0, "moved": 0, "expired": 0}
        stale = await transaction_repo.stale(session, older_than=now - timedelta(seconds=s.janitor_pending_after_seconds),
                                             limit=200)
        for txn in stale:
            counts["checked"] += 1
            if txn.gateway_txn_id:
                gateway = await gateway_repo.get(session, txn.gateway_id)
                assert gateway is not None
                try:
                    status = await get_adapter(gateway.provider).fetch_status(gateway_service.account(gateway),
                                                                               txn.gateway_txn_id)
                except PspError as exc:
                    log.info("janitor_status_failed", transaction_id=str(txn.id), error=exc.code)
                else:
                    if status.outcome != "pending" and await self.apply_outcome(
                            session, txn, status.outcome, gateway_payment_id=status.gateway_payment_id):
                        counts["moved"] += 1
                        continue
            if txn.created_at < now - timedelta(seconds=s.transaction_ttl_seconds) and txn.status != "authorized":
                await self.apply_outcome(session, txn, "expired",
                                         error_message="No outcome from the payer or the PSP before the payment expired.")
                counts["expired"] += 1
            else:
                txn.updated_at = now  # checked: come back after another interval, not on every tick
        return counts

    async def release_volume(self, session: AsyncSession, txn: Transaction) -> None:
        if not txn.volume_released:
            await gateway_repo.release(session, txn.gateway_id, txn.amount, volume_month(txn.created_at))
            txn.volume_released = True

    @staticmethod
    def event_data(txn: Transaction) -> dict[str, Any]:
        return {"transaction_id": str(txn.id), "order_id": txn.order_id, "amount": txn.amount,
                "currency": txn.currency, "status": txn.status, "notes": txn.notes,
                "error_code": txn.error_code, "error_message": txn.error_message,
                "paid_at": txn.paid_at.isoformat() if txn.paid_at else None}


payment_service = PaymentService()
