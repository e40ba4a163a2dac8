"""Refunds: created under the payment's row lock (so their sum never passes what was captured, however many
arrive at once), carried out by the `refunds` queue against the PSP that took the payment, and settled here:
the payment's status and amount_refunded, the commission reversal and the merchant events."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay import jobs
from lightspeedpay.auth.principal import MerchantAuth
from lightspeedpay.config import get_settings
from lightspeedpay.errors import NotFound, ValidationFailed
from lightspeedpay.gateways.adapters import get_adapter
from lightspeedpay.gateways.adapters.base import PspDeclined, PspTechnicalError
from lightspeedpay.gateways.repository import gateway_repo
from lightspeedpay.gateways.service import gateway_service
from lightspeedpay.kit import retry
from lightspeedpay.kit.ids import new_id
from lightspeedpay.kit.logging import log
from lightspeedpay.kit.pagination import OffsetWindow, page_cursor, parse_cursor
from lightspeedpay.ledger.service import ledger_service
from lightspeedpay.models import Client, Refund, Transaction
from lightspeedpay.models.refund import RefundKind, RefundSpeed, RefundStatus
from lightspeedpay.models.transaction import TransactionStatus
from lightspeedpay.monitoring import audit
from lightspeedpay.payments.errors import RefundLimitExceeded
from lightspeedpay.payments.repository import transaction_repo
from lightspeedpay.payments.service import payment_service
from lightspeedpay.payments.state import can_move
from lightspeedpay.refunds.repository import refund_repo
from lightspeedpay.refunds.rules import REFUNDABLE_STATUSES, refund_amount
from lightspeedpay.refunds.schemas import RefundCreate
from lightspeedpay.webhooks.service import webhook_service


def _note_reason(body: RefundCreate) -> str | None:
    """The merchant's own words for a refund, when its notes carry a `reason`."""
    note = (body.notes or {}).get("reason")
    return str(note)[:500] if note is not None else None


class RefundService:
    # --- creating (request transaction) -------------------------------------------------------------------

    async def create_for_payment(
        self, session: AsyncSession, merchant: MerchantAuth, payment_id: str, body: RefundCreate
    ) -> tuple[Refund, Transaction]:
        txn = await transaction_repo.by_payment_id(
            session, merchant.id, payment_id, for_update=True, mode=merchant.mode
        )
        if txn is None:
            raise NotFound("The id provided does not exist", field="payment_id")
        return await self._create_for_merchant(session, merchant, txn, body), txn

    async def create_for_transaction(
        self, session: AsyncSession, merchant: MerchantAuth, transaction_id: uuid.UUID, body: RefundCreate
    ) -> tuple[Refund, Transaction]:
        txn = await transaction_repo.get_for_merchant(
            session, merchant.id, transaction_id, for_update=True, mode=merchant.mode
        )
        if txn is None:
            raise NotFound("No transaction with this id belongs to your account.", field="transaction_id")
        return await self._create_for_merchant(session, merchant, txn, body), txn

    async def create_for_operator(
        self,
        session: AsyncSession,
        payment_id: str,
        body: RefundCreate,
        *,
        actor: str,
        role: str,
        reason: str | None = None,
    ) -> tuple[Refund, Transaction]:
        """An operator refunds any merchant's payment on its behalf (payments:write): the same checks, cap and
        audit row as a merchant's own refund, in the operator's name. The operator's support role refunds up to
        LSP_SUPPORT_REFUND_LIMIT at a time (a merchant's own limit governs its own team only)."""
        txn = await transaction_repo.any_by_payment_id(session, payment_id, for_update=True)
        if txn is None:
            raise NotFound("No payment with this id.", field="payment_id")
        limit = get_settings().support_refund_limit if role == "support" else None
        refund = await self._create(
            session, txn, body, actor=actor, role=role, support_limit=limit, reason=reason
        )
        return refund, txn

    async def refundable(self, session: AsyncSession, txn: Transaction) -> int:
        """What is left to refund of a payment (its captured amount less refunds processed or pending); 0 when
        it cannot be refunded."""
        if txn.status not in REFUNDABLE_STATUSES:
            return 0
        return max(txn.amount - await refund_repo.committed_total(session, txn.id), 0)

    async def of_payment(self, session: AsyncSession, txn: Transaction) -> list[Refund]:
        """Every refund of a payment, oldest first (its page's timeline)."""
        return await refund_repo.all_of_transaction(session, txn.client_id, txn.id)

    @staticmethod
    def limit_for(merchant: MerchantAuth) -> int | None:
        """The most one refund may be for whoever acts for the merchant: its support role's cap (the merchant's
        own, else LSP_SUPPORT_REFUND_LIMIT), None for every other role and the API credential."""
        if merchant.role != "support":
            return None
        return merchant.support_refund_limit or get_settings().support_refund_limit

    async def _create_for_merchant(
        self, session: AsyncSession, merchant: MerchantAuth, txn: Transaction, body: RefundCreate
    ) -> Refund:
        return await self._create(
            session,
            txn,
            body,
            actor=merchant.actor,
            role=merchant.role,
            support_limit=self.limit_for(merchant),
            reason=_note_reason(body),
        )

    async def _create(
        self,
        session: AsyncSession,
        txn: Transaction,
        body: RefundCreate,
        *,
        actor: str,
        role: str | None,
        support_limit: int | None,
        reason: str | None,
    ) -> Refund:
        """`txn` is locked: concurrent refunds of one payment queue up here, each seeing the ones before it.
        The request is audited with the refund, in its transaction. `support_limit`: the cap of whoever asks
        (a support role's), None for none."""
        committed = (
            await refund_repo.committed_total(session, txn.id) if txn.status in REFUNDABLE_STATUSES else 0
        )
        amount = refund_amount(
            status=txn.status, amount=txn.amount, committed=committed, requested=body.amount
        )
        if support_limit is not None and amount > support_limit:
            raise RefundLimitExceeded(
                f"Your role ({role}) may refund up to {support_limit} paise at a time; ask an owner, admin or "
                "finance teammate for a larger refund.",
                field="amount",
            )
        refund = await self._add(
            session,
            txn,
            amount=amount,
            kind=RefundKind.REFUND,
            speed=body.speed,
            notes=body.notes,
            receipt=body.receipt,
        )
        audit.record(
            session,
            actor=actor,
            action="refund.created",
            client_id=txn.client_id,
            target_type="refund",
            target_id=refund.public_id,
            after={"status": refund.status, "amount": refund.amount, "currency": refund.currency},
            reason=reason,
            details={
                "refund_id": str(refund.id),
                "transaction_id": str(txn.id),
                "payment_id": txn.payment_id,
                "speed": refund.speed,
                "receipt": refund.receipt,
                "refunded_before": committed,
            },
        )
        return refund

    async def _add(
        self,
        session: AsyncSession,
        txn: Transaction,
        *,
        amount: int,
        kind: str,
        speed: str,
        notes: dict[str, Any] | None,
        receipt: str | None,
    ) -> Refund:
        refund = Refund(
            id=uuid.uuid4(),
            public_id=new_id("rfnd"),
            client_id=txn.client_id,
            transaction_id=txn.id,
            amount=amount,
            currency=txn.currency,
            status=RefundStatus.PENDING,
            kind=kind,
            speed=speed,
            notes=notes,
            receipt=receipt,
            attempts=0,
            mode=txn.mode,  # a test payment's refunds are test refunds
        )
        session.add(refund)
        await session.flush()
        await session.refresh(refund)
        await self._emit(session, "refund.created", refund, txn)
        jobs.enqueue(session, "refund.process", refund_id=str(refund.id))
        return refund

    async def release_uncaptured_authorizations(self, session: AsyncSession) -> dict[str, int]:
        """Authorizations not captured within LSP_CAPTURE_WINDOW_SECONDS go back to the payer, as Razorpay
        does: an auto_refund of the whole amount through the same queue; the payment ends `refunded`."""
        window = get_settings().capture_window_seconds
        before = datetime.now(UTC) - timedelta(seconds=window)
        released = 0
        for txn in await transaction_repo.authorizations_to_release(
            session, authorized_before=before, limit=200
        ):
            if await refund_repo.has_open(session, txn.id):
                continue
            await self._add(
                session,
                txn,
                amount=txn.amount,
                kind=RefundKind.AUTO_REFUND,
                speed=RefundSpeed.NORMAL,
                notes=None,
                receipt=None,
            )
            released += 1
        return {"released": released} if released else {}

    # --- reads ---------------------------------------------------------------------------------------------

    async def get(self, session: AsyncSession, merchant: MerchantAuth, public_id: str) -> Refund:
        refund = await refund_repo.by_public_id(session, merchant.id, public_id, mode=merchant.mode)
        if refund is None:
            raise NotFound("The id provided does not exist", field="refund_id")
        return refund

    async def page(
        self,
        session: AsyncSession,
        merchant: MerchantAuth,
        window: OffsetWindow,
        *,
        payment_id: str | None = None,
    ) -> list[Refund]:
        transaction_id = None
        if payment_id is not None:
            txn = await transaction_repo.by_payment_id(session, merchant.id, payment_id, mode=merchant.mode)
            if txn is None:
                raise NotFound("The id provided does not exist", field="payment_id")
            transaction_id = txn.id
        return await refund_repo.page(
            session, merchant.id, window, transaction_id=transaction_id, mode=merchant.mode
        )

    async def list_for_merchant(
        self,
        session: AsyncSession,
        merchant: MerchantAuth,
        *,
        status: str | None = None,
        created_from: datetime | None = None,
        created_to: datetime | None = None,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[Refund], str | None]:
        """The merchant's refunds in the mode it acts in, newest first, keyset-paginated; `created_from`
        inclusive, `created_to` exclusive."""
        if created_from and created_to and created_from >= created_to:
            raise ValidationFailed("to must be later than from.", field="to")
        rows = await refund_repo.list_for_merchant(
            session,
            merchant.id,
            mode=merchant.mode,
            status=status,
            created_from=created_from,
            created_to=created_to,
            limit=limit + 1,
            after=parse_cursor(cursor),
        )
        return rows[:limit], page_cursor(rows, limit)

    async def list_for_transaction(
        self,
        session: AsyncSession,
        merchant: MerchantAuth,
        transaction_id: uuid.UUID,
        *,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[Refund], str | None]:
        await payment_service.get(session, merchant, transaction_id)  # 404 unless it is the merchant's
        after = parse_cursor(cursor)
        rows = await refund_repo.list_for_transaction(
            session, merchant.id, transaction_id, limit=limit + 1, after=after
        )
        next_cursor = page_cursor(rows, limit)
        return rows[:limit], next_cursor

    # --- carrying out (refunds queue) ----------------------------------------------------------------------

    async def process(self, session: AsyncSession, refund_id: uuid.UUID) -> str:
        """One call to the PSP for a pending refund. Safe to run twice: the refund's id is the PSP's
        idempotency reference, and a refund the PSP already answered for is not sent again."""
        refund = await refund_repo.get_for_update(session, refund_id)
        if refund is None or refund.status != RefundStatus.PENDING or refund.gateway_refund_id:
            return "already_done"
        txn = await transaction_repo.get(session, refund.transaction_id)  # archived or not
        assert txn is not None
        if not txn.gateway_payment_id:
            await self._fail(
                session,
                refund,
                "NO_GATEWAY_PAYMENT",
                "The PSP never reported a payment id for this payment, so it cannot be refunded there.",
            )
            return RefundStatus.FAILED
        gateway = await gateway_repo.get(session, txn.gateway_id)
        assert gateway is not None
        try:
            psp = await get_adapter(gateway.provider).refund(
                gateway_service.account(gateway),
                txn.gateway_payment_id,
                refund.amount,
                refund_ref=refund.public_id,
                notes={**(refund.notes or {}), "lsp_refund_id": refund.public_id},
            )
        except PspDeclined as exc:
            await self._fail(session, refund, exc.code, exc.message)
            return RefundStatus.FAILED
        except PspTechnicalError as exc:
            refund.attempts += 1
            refund.error_code, refund.error_message = exc.code, exc.message
            wait = retry.refund().wait(refund.attempts)
            if wait is None:
                await self._fail(
                    session,
                    refund,
                    exc.code,
                    f"The PSP did not answer after {refund.attempts} attempts: {exc.message}",
                )
                return RefundStatus.FAILED
            # a fresh intent after a back-off; this one completes, so nothing is retried twice
            jobs.enqueue(session, "refund.process", delay_seconds=wait, refund_id=str(refund.id))
            log.info("refund_retry", refund_id=refund.public_id, attempt=refund.attempts, error=exc.code)
            return "retry"
        refund.gateway_refund_id = psp.refund_id
        return await self.apply_psp_outcome(session, refund, psp.outcome)

    async def apply_psp_outcome(
        self,
        session: AsyncSession,
        refund: Refund,
        outcome: str,
        *,
        error_code: str | None = None,
        error_message: str | None = None,
    ) -> str:
        """What the PSP said about a (locked) refund, from its API answer or its webhook; only pending moves."""
        if refund.status != RefundStatus.PENDING or outcome == RefundStatus.PENDING:
            return "unchanged"
        if outcome == RefundStatus.FAILED:
            await self._fail(
                session,
                refund,
                error_code or "REFUND_FAILED",
                error_message or "The PSP could not carry out the refund.",
            )
            return RefundStatus.FAILED
        await self._processed(session, refund)
        return RefundStatus.PROCESSED

    async def _processed(self, session: AsyncSession, refund: Refund) -> None:
        txn = await transaction_repo.get_for_update(session, refund.transaction_id)
        assert txn is not None
        refund.status, refund.processed_at = RefundStatus.PROCESSED, datetime.now(UTC)
        refund.error_code = refund.error_message = None
        txn.amount_refunded = min(txn.amount_refunded + refund.amount, txn.amount)
        status = (
            TransactionStatus.REFUNDED
            if txn.amount_refunded >= txn.amount
            else TransactionStatus.PARTIALLY_REFUNDED
        )
        if can_move(txn.status, status):
            txn.status = status
            await payment_service.count_status(session, txn.gateway_id, status)
        payment_service.announce(session, txn)  # its status, or at least its amount refunded, changed
        client = await session.get(Client, txn.client_id)
        assert client is not None
        if refund.kind == RefundKind.AUTO_REFUND:
            # never captured: no commission was charged; the reserved volume goes back to the gateway
            await payment_service.release_volume(session, txn)
        else:
            await ledger_service.reverse_commission(session, client, txn, refund)
        await self._emit(session, "refund.processed", refund, txn, client=client)

    async def _fail(self, session: AsyncSession, refund: Refund, code: str, message: str) -> None:
        refund.status, refund.error_code, refund.error_message = RefundStatus.FAILED, code[:100], message
        txn = await transaction_repo.get(session, refund.transaction_id)  # archived or not
        assert txn is not None
        await self._emit(session, "refund.failed", refund, txn)

    async def _emit(
        self,
        session: AsyncSession,
        event_type: str,
        refund: Refund,
        txn: Transaction,
        *,
        client: Client | None = None,
    ) -> None:
        client = client or await session.get(Client, txn.client_id)
        assert client is not None
        await webhook_service.emit(
            session, client, event_type, self.event_data(refund, txn), transaction_id=txn.id, mode=txn.mode
        )

    @staticmethod
    def event_data(refund: Refund, txn: Transaction) -> dict[str, Any]:
        return {
            "refund_id": refund.public_id,
            "payment_id": txn.payment_id,
            "transaction_id": str(txn.id),
            "order_id": txn.order_id,
            "amount": refund.amount,
            "currency": refund.currency,
            "status": refund.status,
            "kind": refund.kind,
            "speed": refund.speed,
            "notes": refund.notes,
            "receipt": refund.receipt,
            "error_code": refund.error_code,
            "error_message": refund.error_message,
            "payment_status": txn.status,
            "payment_amount_refunded": txn.amount_refunded,
        }

    async def payment_ids(self, session: AsyncSession, refunds: list[Refund]) -> dict[uuid.UUID, str]:
        """transaction uuid -> pay_… for the payments these refunds are of (one query)."""
        return await transaction_repo.payment_ids(session, {r.transaction_id for r in refunds})


refund_service = RefundService()
