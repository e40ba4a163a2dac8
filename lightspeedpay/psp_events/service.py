"""Storing a verified PSP event exactly once, and applying it to its transaction."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay import jobs
from lightspeedpay.gateways.adapters import get_adapter
from lightspeedpay.gateways.adapters.base import PspEventData
from lightspeedpay.gateways.service import gateway_service
from lightspeedpay.jobs.queues import WEBHOOK_PROCESSING
from lightspeedpay.jobs.registry import RetryLater
from lightspeedpay.models import PaymentGateway, PspEvent
from lightspeedpay.payments.repository import transaction_repo
from lightspeedpay.payments.service import payment_service


class PspEventService:
    async def record(self, session: AsyncSession, gateway: PaymentGateway, event: PspEventData,
                     raw_body: bytes) -> bool:
        """Insert once per (provider, PSP event id); only a new event is queued for processing."""
        parsed = {k: v for k, v in dataclasses.asdict(event).items() if k != "raw"}
        event_id = (await session.execute(
            insert(PspEvent)
            .values(id=uuid.uuid4(), provider=gateway.provider, gateway_id=gateway.id,
                    external_id=event.external_id, event_type=event.event_type,
                    raw_body=raw_body.decode("utf-8", "replace"), parsed=parsed)
            .on_conflict_do_nothing(constraint="uq_psp_events_provider_external")
            .returning(PspEvent.id)
        )).scalar_one_or_none()
        if event_id is None:
            return False
        jobs.enqueue(session, WEBHOOK_PROCESSING, "psp_event.process", psp_event_id=str(event_id))
        return True

    async def process(self, session: AsyncSession, psp_event_id: uuid.UUID) -> str:
        event = await session.get(PspEvent, psp_event_id, with_for_update=True)
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
                session, txn, outcome, gateway_payment_id=data.get("gateway_payment_id"),
                error_code=data.get("error_code"), error_message=data.get("error_message"))
            outcome_label = f"{outcome}" if moved else f"stale:{outcome}"
        event.transaction_id = txn.id if txn else None
        event.outcome = outcome_label
        event.processed_at = datetime.now(UTC)
        return outcome_label


psp_event_service = PspEventService()
