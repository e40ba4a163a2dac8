"""Storing a verified PSP event exactly once, and applying it to its transaction."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay import jobs
from lightspeedpay.gateways.adapters import get_adapter
from lightspeedpay.gateways.adapters.base import PspEventData
from lightspeedpay.gateways.service import gateway_service
from lightspeedpay.jobs.registry import RetryLater
from lightspeedpay.models import PaymentGateway, PspEvent
from lightspeedpay.payments.repository import transaction_repo
from lightspeedpay.payments.service import payment_service
from lightspeedpay.psp_events.repository import psp_event_repo
from lightspeedpay.refunds.repository import refund_repo
from lightspeedpay.refunds.service import refund_service


class PspEventService:
    async def record(
        self, session: AsyncSession, gateway: PaymentGateway, event: PspEventData, raw_body: bytes
    ) -> bool:
        """Insert once per (provider, PSP event id); only a new event is queued for processing."""
        parsed = {k: v for k, v in dataclasses.asdict(event).items() if k != "raw"}
        event_id = await psp_event_repo.insert_once(
            session,
            provider=gateway.provider,
            gateway_id=gateway.id,
            external_id=event.external_id,
            event_type=event.event_type,
            raw_body=raw_body.decode("utf-8", "replace"),
            parsed=parsed,
        )
        if event_id is None:
            return False
        jobs.enqueue(session, "psp_event.process", psp_event_id=str(event_id))
        return True

    async def process(self, session: AsyncSession, psp_event_id: uuid.UUID) -> str:
        event = await psp_event_repo.lock(session, psp_event_id)
        if event is None or event.processed_at is not None:
            return "already_processed"
        data = event.parsed
        outcome_label = "ignored"
        txn = None
        if data.get("gateway_txn_id") and data.get("payment_outcome"):
            txn = await transaction_repo.by_gateway_txn(session, event.gateway_id, data["gateway_txn_id"])
            if txn is None:
                # the PSP can be faster than our own record of its order id; try again shortly
                raise RetryLater(f"no transaction yet for {event.provider} order {data['gateway_txn_id']}")
            outcome = data["payment_outcome"]
            gateway = await session.get(PaymentGateway, event.gateway_id)
            assert gateway is not None
            adapter = get_adapter(gateway.provider)
            if adapter.webhook_needs_confirmation:
                status = await adapter.fetch_status(gateway_service.account(gateway), data["gateway_txn_id"])
                outcome = status.outcome
            moved = await payment_service.apply_outcome(
                session,
                txn,
                outcome,
                gateway_payment_id=data.get("gateway_payment_id"),
                error_code=data.get("error_code"),
                error_message=data.get("error_message"),
                method=data.get("payment_method"),
            )
            outcome_label = f"{outcome}" if moved else f"stale:{outcome}"
        elif data.get("refund_id") and data.get("refund_outcome"):
            outcome_label, txn_id = await self._apply_refund_event(session, event, data)
            event.transaction_id = txn_id
            event.outcome = outcome_label
            event.processed_at = datetime.now(UTC)
            return outcome_label
        event.transaction_id = txn.id if txn else None
        event.outcome = outcome_label
        event.processed_at = datetime.now(UTC)
        return outcome_label

    async def _apply_refund_event(
        self, session: AsyncSession, event: PspEvent, data: dict[str, Any]
    ) -> tuple[str, uuid.UUID | None]:
        """A PSP's word on a refund we asked for (PSPs that settle refunds later say so by webhook)."""
        refund = await refund_repo.by_gateway_refund(session, event.gateway_id, data["refund_id"])
        if refund is None:
            # our refund job may not have committed the PSP's refund id yet; a refund made elsewhere never matches
            if event.received_at > datetime.now(UTC) - timedelta(minutes=5):
                raise RetryLater(f"no refund yet for {event.provider} refund {data['refund_id']}")
            return "ignored:unknown_refund", None
        result = await refund_service.apply_psp_outcome(
            session,
            refund,
            data["refund_outcome"],
            error_code=data.get("error_code"),
            error_message=data.get("error_message"),
        )
        return f"refund:{result}", refund.transaction_id

    async def of_transaction(self, session: AsyncSession, transaction_id: uuid.UUID) -> list[PspEvent]:
        """A payment's PSP events, as received (its page's timeline)."""
        return await psp_event_repo.of_transaction(session, transaction_id)


psp_event_service = PspEventService()
