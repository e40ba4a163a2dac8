"""Payment initiation, the forward-only status changes and their consequences, and merchant reads."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from lightspeedpay.auth.principal import MerchantAuth
from lightspeedpay.config import get_settings
from lightspeedpay.db import engine, hot_pool, sessionmaker
from lightspeedpay.errors import (
    AppError,
    DuplicateOrderId,
    IdempotencyKeyInUse,
    MerchantSuspended,
    NoGatewayAvailable,
    NoSandboxGateway,
    NotFound,
    ValidationFailed,
)
from lightspeedpay.gateways.repository import gateway_repo
from lightspeedpay.gateways.service import gateway_service, volume_month
from lightspeedpay.idempotency import service as idempotency
from lightspeedpay.jobs import broadcast, queues
from lightspeedpay.jobs.unit_of_work import unit_of_work
from lightspeedpay.kit import metrics
from lightspeedpay.kit.db_conflicts import retry_on_conflict
from lightspeedpay.kit.ids import new_id
from lightspeedpay.kit.logging import log
from lightspeedpay.kit.pagination import OffsetWindow, encode_cursor, page_cursor, parse_cursor
from lightspeedpay.ledger.service import ledger_service
from lightspeedpay.models import Client, Order, Transaction
from lightspeedpay.models.api_credential import Mode
from lightspeedpay.models.transaction import TransactionStatus
from lightspeedpay.monitoring import audit
from lightspeedpay.payments.errors import (
    CaptureAmountMismatch,
    OrderNotPayable,
    PaymentNotCapturable,
    PspRefused,
    PspUnavailable,
)
from lightspeedpay.payments.repository import (
    StaleClaim,
    StoredAnswer,
    order_repo,
    transaction_repo,
)
from lightspeedpay.payments.schemas import (
    PaymentPage,
    PaymentSearch,
    PayRequest,
    TransactionFilter,
    pay_response_body,
)
from lightspeedpay.payments.state import can_move
from lightspeedpay.webhooks.service import webhook_service

if TYPE_CHECKING:
    from lightspeedpay.gateways.adapters.base import PspStatus

_SELECTION_TRIES = 5


@dataclass(frozen=True)
class PaymentRow:
    """A payment as the operator's list shows it: with its merchant's and gateway's names."""

    txn: Transaction
    merchant: str
    gateway: str
    provider: str


# the most rows one CSV export carries (a person asking for more narrows the filter)
EXPORT_MAX_ROWS = 1_000_000


@dataclass(frozen=True)
class StartedPayment:
    transaction_id: uuid.UUID
    payment_id: str  # pay_…


class PaymentService:
    async def initiate(
        self, merchant: MerchantAuth, body: PayRequest, *, claim: idempotency.Claim | None = None
    ) -> StartedPayment:
        """`claim`: the request's Idempotency-Key claim; the answer is then stored in the initiation statement
        itself, so the payment and the answer a retry gets commit together."""
        customer = body.customer.model_dump(exclude_none=True) if body.customer else None
        return await self._initiate(
            merchant.id,
            order_id=body.order_id,
            amount=body.amount,
            currency=body.currency,
            customer=customer,
            notes=body.notes,
            redirect_url=body.redirect_url,
            claim=claim,
            mode=merchant.mode,
        )

    async def start_for_order(
        self, order_id: str, *, customer: dict[str, Any] | None = None, redirect_url: str | None = None
    ) -> StartedPayment:
        """A payment attempt for an order (`order_…`), for the payer's side (the hosted checkout), through the
        same one-statement initiation: it also locks the order, checks that it can still be paid (not paid, no
        payment authorized or captured) and counts the attempt (created → attempted). The payment takes the
        order's amount and notes; a worker creates its PSP order as for any payment."""
        async with sessionmaker()() as session:
            order = await order_repo.any_by_public_id(session, order_id)
        if order is None:
            raise NotFound("No order with this id.", field="order_id")
        return await self._initiate(
            order.client_id,
            order_id=None,
            amount=order.amount,
            currency=order.currency,
            customer=customer,
            notes=order.notes,
            redirect_url=redirect_url,
            parent_order_id=order.id,
            mode=order.mode,
        )

    async def _initiate(
        self,
        client_id: uuid.UUID,
        *,
        order_id: str | None,
        amount: int,
        currency: str,
        customer: dict[str, Any] | None,
        notes: dict[str, Any] | None,
        redirect_url: str | None,
        parent_order_id: uuid.UUID | None = None,
        claim: idempotency.Claim | None = None,
        mode: str = Mode.LIVE,
    ) -> StartedPayment:
        """The initiation, timed by outcome (lsp_payment_initiation_seconds)."""
        started = time.perf_counter()
        outcome = "error"
        try:
            payment = await self._initiate_once(
                client_id,
                order_id=order_id,
                amount=amount,
                currency=currency,
                customer=customer,
                notes=notes,
                redirect_url=redirect_url,
                parent_order_id=parent_order_id,
                claim=claim,
                mode=mode,
            )
            outcome = "created"
            return payment
        except AppError as exc:
            outcome = exc.code
            raise
        finally:
            metrics.INITIATION_SECONDS.labels(outcome).observe(time.perf_counter() - started)

    async def _initiate_once(
        self,
        client_id: uuid.UUID,
        *,
        order_id: str | None,
        amount: int,
        currency: str,
        customer: dict[str, Any] | None,
        notes: dict[str, Any] | None,
        redirect_url: str | None,
        parent_order_id: uuid.UUID | None,
        claim: idempotency.Claim | None,
        mode: str,
    ) -> StartedPayment:
        """One atomic statement on an autocommit connection: the gateway row stays locked only for the
        statement, not across round trips (DESIGN.md §6). The job is pushed once the row is durable."""
        month = volume_month()
        explore = random.random() < get_settings().routing_exploration
        txn_id, payment_id = uuid.uuid4(), new_id("pay")
        answer = (
            StoredAnswer(claim.key_id, claim.token, pay_response_body(txn_id, payment_id))
            if claim is not None
            else None
        )
        pool = await hot_pool()
        async with pool.acquire() as conn:  # autocommit: each statement is its own transaction
            for attempt in range(_SELECTION_TRIES):
                try:
                    # a deadlock victim (the statement alone, on this autocommit connection) runs again
                    result = await retry_on_conflict(
                        partial(
                            transaction_repo.initiate,
                            conn,
                            client_id=client_id,
                            order_id=order_id,
                            amount=amount,
                            currency=currency,
                            customer=customer,
                            notes=notes,
                            redirect_url=redirect_url,
                            month=month,
                            wait_for_lock=attempt > 0,
                            explore=explore,
                            parent_order_id=parent_order_id,
                            txn_id=txn_id,
                            payment_id=payment_id,
                            answer=answer,
                            mode=mode,
                        ),
                        what="payment_initiation",
                    )
                except asyncpg.UniqueViolationError as exc:
                    if exc.constraint_name == "uq_transactions_client_order" and order_id is not None:
                        raise await self._duplicate(client_id, order_id) from None
                    raise
                if not result.claim_held:
                    raise IdempotencyKeyInUse(
                        "A later request with this Idempotency-Key took it over; retry "
                        "with the key to get that request's answer.",
                        field=idempotency.HEADER,
                    )
                if not result.merchant_ok:
                    raise MerchantSuspended(
                        result.balance_due, result.suspend_threshold, result.merchant_status
                    )
                if parent_order_id is not None and not result.order_open:
                    raise OrderNotPayable(
                        "This order is paid, or has a payment authorized or captured; it takes "
                        "no further payments.",
                        field="order_id",
                    )
                if result.transaction_id is not None:
                    break
                # every eligible row was locked by a concurrent request (the next try waits for a lock), or
                # none is eligible at all; only a waiting try that found nothing needs the extra question
                if attempt > 0 and not await self._any_eligible(amount, month, mode):
                    raise NoSandboxGateway() if mode == Mode.TEST else NoGatewayAvailable()
            else:
                raise NoSandboxGateway() if mode == Mode.TEST else NoGatewayAvailable()
        assert result.gateway_id is not None
        await self.count_status(None, result.gateway_id, TransactionStatus.CREATED, committed=True)
        assert result.intent_id is not None and result.transaction_id is not None and result.payment_id
        if claim is not None:
            claim.stored = True
        # the intent is durable: its push goes out with the others in flight, and the answer does not wait for it
        queues.push_soon(queues.TRANSACTION_PROCESSING, "transaction.process", str(result.intent_id))
        return StartedPayment(result.transaction_id, result.payment_id)

    @staticmethod
    async def _any_eligible(amount: int, month: date, mode: str) -> bool:
        async with engine().connect() as conn:
            return await gateway_repo.any_eligible(conn, amount, month, sandbox_only=mode == Mode.TEST)

    @staticmethod
    async def _duplicate(client_id: uuid.UUID, order_id: str) -> DuplicateOrderId:
        """Name the payment that has the order_id: a client retrying after a lost answer must find the first
        payment, not be told to charge again under a new order_id."""
        async with engine().connect() as conn:
            existing = await transaction_repo.payment_id_for_order(conn, client_id, order_id)
        return DuplicateOrderId(
            f"order_id {order_id!r} already belongs to payment {existing}. If this is a retry of that request, "
            f"send it with the same Idempotency-Key to get its answer, or read it with GET "
            f"/api/v1/transactions/{existing}; use a new order_id only for a new payment.",
            field="order_id",
        )

    async def latest(
        self,
        session: AsyncSession,
        *,
        limit: int,
        client_id: uuid.UUID | None = None,
        mode: str | None = None,
    ) -> list[dict[str, Any]]:
        """The newest payments (of one merchant, given `client_id`) in the live streams' shape, newest first."""
        rows = await transaction_repo.latest(session, limit=limit, client_id=client_id, mode=mode)
        return [self.stream_data(txn, admin=client_id is None) for txn in rows]

    @staticmethod
    def stream_data(txn: Transaction, *, admin: bool, at: datetime | None = None) -> dict[str, Any]:
        """A transaction as the live streams show it: a merchant's own stream gets what its API shows; the
        operator's also gets the merchant and the gateway. `at`: the time of the change being announced."""
        data: dict[str, Any] = {
            "id": txn.id,
            "payment_id": txn.payment_id,
            "order_id": txn.order_id,
            "amount": txn.amount,
            "amount_refunded": txn.amount_refunded or 0,
            "currency": txn.currency,
            "status": txn.status,
            "error_code": txn.error_code,
            "error_message": txn.error_message,
            "created_at": txn.created_at,
            "updated_at": at or txn.updated_at,
        }
        if admin:
            data["client_id"] = txn.client_id
            data["gateway_id"] = txn.gateway_id
        return data

    def announce(self, session: AsyncSession, txn: Transaction) -> None:
        """Send the transaction's state to the operator's transactions stream and to its merchant's own, once the
        session commits (the last state noted for it in this unit of work wins). A new payment is not announced
        by the initiation itself: that would cost every POST /api/v1/pay a Redis round trip (about a tenth of
        its CPU); it appears with its first change, `pending` (or `failed`), as the worker takes it up."""
        at = datetime.now(UTC)
        key = str(txn.id)
        admin, own = self.stream_data(txn, admin=True, at=at), self.stream_data(txn, admin=False, at=at)
        broadcast.publish(session, broadcast.TRANSACTIONS, "transaction", admin, key=key)
        broadcast.publish(
            session, broadcast.merchant_transactions(txn.client_id, txn.mode), "transaction", own, key=key
        )

    async def get(
        self, session: AsyncSession, merchant: MerchantAuth, transaction_id: uuid.UUID
    ) -> Transaction:
        txn = await transaction_repo.get_for_merchant(
            session, merchant.id, transaction_id, mode=merchant.mode
        )
        if txn is None:
            raise NotFound("No transaction with this id belongs to your account.", field="transaction_id")
        return txn

    async def by_id(self, session: AsyncSession, transaction_id: uuid.UUID) -> Transaction:
        """Not scoped: a payment something of the merchant's already names (a refund's), archived or not."""
        txn = await transaction_repo.get(session, transaction_id)
        if txn is None:
            raise NotFound("No transaction with this id.", field="transaction_id")
        return txn

    async def find(
        self, session: AsyncSession, merchant: MerchantAuth, transaction_or_payment_id: str
    ) -> Transaction:
        """By transaction id (a UUID) or payment id (pay_…), the merchant's own only."""
        if transaction_or_payment_id.startswith("pay_"):
            txn = await transaction_repo.by_payment_id(
                session, merchant.id, transaction_or_payment_id, mode=merchant.mode
            )
            if txn is None:
                raise NotFound("No transaction with this id belongs to your account.", field="transaction_id")
            return txn
        try:
            tid = uuid.UUID(transaction_or_payment_id)
        except ValueError:
            raise NotFound(
                "No transaction with this id belongs to your account.", field="transaction_id"
            ) from None
        return await self.get(session, merchant, tid)

    async def by_payment_id(
        self, session: AsyncSession, merchant: MerchantAuth, payment_id: str
    ) -> Transaction:
        """The merchant's payment `pay_…` (Razorpay's wording when there is none)."""
        txn = await transaction_repo.by_payment_id(session, merchant.id, payment_id, mode=merchant.mode)
        if txn is None:
            raise NotFound("The id provided does not exist", field="payment_id")
        return txn

    async def page(
        self, session: AsyncSession, merchant: MerchantAuth, window: OffsetWindow
    ) -> list[Transaction]:
        """Razorpay-style pages (count, skip, from, to), newest first."""
        return await transaction_repo.page(session, merchant.id, window, mode=merchant.mode)

    @staticmethod
    def merchant_search(merchant: MerchantAuth, flt: TransactionFilter) -> PaymentSearch:
        """The operator's search, narrowed to the merchant's own payments in the mode it acts in; an amount range
        that cannot hold anything is refused (422 naming the field)."""
        for name in ("amount_min", "amount_max"):
            value = getattr(flt, name)
            if value is not None and value < 0:
                raise ValidationFailed(f"{name} must be a whole number of paise, 0 or more.", field=name)
        if flt.amount_min is not None and flt.amount_max is not None and flt.amount_min > flt.amount_max:
            raise ValidationFailed("amount_max must not be less than amount_min.", field="amount_max")
        text = (flt.text or "").strip()
        if len(text) > 200:
            raise ValidationFailed("q must be at most 200 characters.", field="q")
        return PaymentSearch(
            client_id=merchant.id,
            mode=merchant.mode,
            text=text or None,
            statuses=(flt.status,) if flt.status else (),
            created_from=flt.created_from,
            created_to=flt.created_to,
            amount_min=flt.amount_min,
            amount_max=flt.amount_max,
        )

    async def list(
        self,
        session: AsyncSession,
        merchant: MerchantAuth,
        flt: TransactionFilter,
        *,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[Transaction], str | None]:
        """The merchant's payments matching `flt`, newest first, keyset-paginated (the operator's search, scoped:
        `merchant_search`)."""
        search = self.merchant_search(merchant, flt)
        rows = await transaction_repo.search(session, search, limit=limit + 1, after=parse_cursor(cursor))
        return rows[:limit], page_cursor(rows, limit)

    def export_for_merchant(
        self, merchant: MerchantAuth, flt: TransactionFilter, *, max_rows: int = EXPORT_MAX_ROWS
    ) -> AsyncIterator[Sequence[PaymentRow]]:
        """Every payment of the merchant matching `flt` (in its mode), newest first, in batches: `export` of the
        scoped search. The filter is checked now, before the first batch is asked for."""
        return self.export(self.merchant_search(merchant, flt), max_rows=max_rows)

    async def apply_outcome(
        self,
        session: AsyncSession,
        txn: Transaction,
        outcome: str,
        *,
        gateway_payment_id: str | None = None,
        error_code: str | None = None,
        error_message: str | None = None,
        method: str | None = None,
    ) -> bool:
        """Move the (locked) transaction forward; a late or duplicate outcome changes nothing."""
        if not can_move(txn.status, outcome):
            return False
        client = await session.get(Client, txn.client_id)
        assert client is not None
        txn.status = outcome
        await self.count_status(session, txn.gateway_id, outcome)
        if gateway_payment_id:
            txn.gateway_payment_id = gateway_payment_id
        if method:
            txn.method = method
        if outcome == TransactionStatus.AUTHORIZED:
            txn.authorized_at = datetime.now(UTC)
        if outcome == TransactionStatus.PAID:
            txn.paid_at = datetime.now(UTC)
            await ledger_service.record_commission(session, client, txn)
        elif outcome in (TransactionStatus.FAILED, TransactionStatus.EXPIRED):
            txn.error_code = error_code or (
                "PAYMENT_FAILED" if outcome == TransactionStatus.FAILED else "PAYMENT_EXPIRED"
            )
            txn.error_message = error_message
            await self.release_volume(session, txn)
        self.announce(session, txn)
        await webhook_service.emit(
            session, client, f"payment.{outcome}", self.event_data(txn), transaction_id=txn.id, mode=txn.mode
        )
        if (
            outcome == TransactionStatus.PAID
            and txn.parent_order_id
            and await order_repo.mark_paid(session, txn.parent_order_id)
        ):
            order = await session.get(Order, txn.parent_order_id)
            assert order is not None
            await webhook_service.emit(
                session,
                client,
                "order.paid",
                {
                    "order_id": order.public_id,
                    "payment_id": txn.payment_id,
                    "amount": order.amount,
                    "currency": order.currency,
                    "receipt": order.receipt,
                    "notes": order.notes,
                },
                transaction_id=txn.id,
                mode=txn.mode,
            )
        return True

    async def capture_transaction(
        self,
        session: AsyncSession,
        merchant: MerchantAuth,
        transaction_or_payment_id: str,
        *,
        amount: int | None = None,
        currency: str | None = None,
    ) -> Transaction:
        """The native API's capture (POST /api/v1/transactions/{id}/capture): the payment by its transaction id or
        payment id, captured by `capture`; no amount captures the authorized amount."""
        txn = await self.find(session, merchant, transaction_or_payment_id)
        return await self.capture(
            session,
            merchant,
            txn.payment_id,
            amount=txn.amount if amount is None else amount,
            currency=currency,
        )

    async def capture(
        self,
        session: AsyncSession,
        merchant: MerchantAuth,
        payment_id: str,
        *,
        amount: int,
        currency: str | None = None,
    ) -> Transaction:
        """Capture an authorized payment for exactly its amount: the PSP captures it, then it is paid here
        (commission, payment.paid), audited as `payment.captured` in whoever's name asked. A PSP that reports
        `paid` directly has captured it already (auto-capture)."""
        txn = await transaction_repo.by_payment_id(
            session, merchant.id, payment_id, for_update=True, mode=merchant.mode
        )
        if txn is None:
            raise NotFound("The id provided does not exist", field="payment_id")
        if txn.paid_at is not None:
            raise PaymentNotCapturable("This payment has already been captured")
        if txn.status != TransactionStatus.AUTHORIZED:
            raise PaymentNotCapturable(
                "Only payments which have been authorized and not yet captured can be "
                f"captured; this payment is {txn.status}."
            )
        if amount != txn.amount:
            raise CaptureAmountMismatch(
                f"Capture amount must be equal to the amount authorized ({txn.amount} paise).", field="amount"
            )
        if currency is not None and currency != txn.currency:
            raise CaptureAmountMismatch(
                f"The currency must be the payment's currency, {txn.currency}.", field="currency"
            )
        window = get_settings().capture_window_seconds
        assert txn.authorized_at is not None
        if txn.authorized_at < datetime.now(UTC) - timedelta(seconds=window):
            raise PaymentNotCapturable(
                "The authorization was not captured in time and is being refunded to the payer."
            )
        from lightspeedpay.gateways.adapters import get_adapter
        from lightspeedpay.gateways.adapters.base import PspDeclined, PspTechnicalError
        from lightspeedpay.gateways.service import gateway_service

        gateway = await gateway_repo.get(session, txn.gateway_id)
        assert gateway is not None and txn.gateway_payment_id is not None
        try:
            await get_adapter(gateway.provider).capture(
                gateway_service.account(gateway), txn.gateway_payment_id, txn.amount, txn.currency
            )
        except PspDeclined as exc:
            raise PspRefused(f"The payment gateway refused the capture: {exc.message}") from None
        except PspTechnicalError as exc:
            raise PspUnavailable(
                f"The payment gateway did not answer the capture ({exc.code}); try again with a "
                "new Idempotency-Key."
            ) from None
        await self.apply_outcome(session, txn, TransactionStatus.PAID)
        audit.record(
            session,
            actor=merchant.actor,
            action="payment.captured",
            client_id=txn.client_id,
            target_type="transaction",
            target_id=txn.id,
            before={"status": TransactionStatus.AUTHORIZED},
            after={"status": txn.status, "amount": txn.amount, "currency": txn.currency},
            details={"payment_id": txn.payment_id, "mode": txn.mode},
        )
        await session.flush()
        await session.refresh(txn)  # updated_at is the database's: the caller shows the row as stored
        return txn

    async def reconcile_stale(self) -> dict[str, int]:
        """The janitor: ask the PSP about payments pending too long and apply what it says; past the TTL they
        expire. No row lock is held across a PSP call: the batch is claimed and committed first, the PSP is
        asked with no transaction open (at most LSP_JANITOR_CONCURRENCY calls at a time, so one hanging PSP
        does not serialize the batch), and each answer is applied in its own short unit of work."""
        s = get_settings()
        now = datetime.now(UTC)
        async with unit_of_work() as session:
            claims = await transaction_repo.claim_stale(
                session,
                older_than=now - timedelta(seconds=s.janitor_pending_after_seconds),
                now=now,
                limit=200,
            )
        counts = {"checked": len(claims), "moved": 0, "expired": 0}
        if not claims:
            return counts
        accounts = await self._stale_accounts({c.gateway_id for c in claims if c.gateway_txn_id})
        expire_before = now - timedelta(seconds=s.transaction_ttl_seconds)
        calls = asyncio.Semaphore(max(1, s.janitor_concurrency))
        # the applies are short and take one database connection between them, whatever the PSP concurrency
        applying = asyncio.Lock()

        async def one(claim: StaleClaim) -> str | None:
            async with calls:
                status = await self._stale_status(claim, accounts.get(claim.gateway_id))
            async with applying:
                return await self._apply_stale(claim, status, expire_before)

        for claim, result in zip(
            claims, await asyncio.gather(*(one(c) for c in claims), return_exceptions=True), strict=True
        ):
            if isinstance(result, BaseException):
                if isinstance(result, asyncio.CancelledError):
                    raise result
                log.warning(
                    "janitor_apply_failed",
                    transaction_id=str(claim.transaction_id),
                    error=f"{type(result).__name__}: {result}",
                )
            elif result:
                counts[result] += 1
        return counts

    @staticmethod
    async def _stale_accounts(gateway_ids: set[uuid.UUID]) -> dict[uuid.UUID, tuple[str, Any]]:
        """(provider, account) per gateway, read without locks in a session closed before any PSP call."""
        from lightspeedpay.gateways.service import gateway_service

        accounts = {}
        async with sessionmaker()() as session:
            for gateway_id in gateway_ids:
                gateway = await gateway_repo.get(session, gateway_id)
                assert gateway is not None
                accounts[gateway_id] = (gateway.provider, gateway_service.account(gateway))
        return accounts

    @staticmethod
    async def _stale_status(claim: StaleClaim, account: tuple[str, Any] | None) -> PspStatus | None:
        """The PSP's word on a claimed payment (bounded by the adapter's LSP_PSP_TIMEOUT_SECONDS), or None."""
        from lightspeedpay.gateways.adapters import get_adapter
        from lightspeedpay.gateways.adapters.base import PspError

        if not claim.gateway_txn_id or account is None:
            return None
        provider, credentials = account
        try:
            return await get_adapter(provider).fetch_status(credentials, claim.gateway_txn_id)
        except PspError as exc:
            log.info("janitor_status_failed", transaction_id=str(claim.transaction_id), error=exc.code)
            return None

    async def _apply_stale(
        self, claim: StaleClaim, status: PspStatus | None, expire_before: datetime
    ) -> str | None:
        """Apply one PSP answer under a short lock of that one row; "moved", "expired" or None. The row is read
        again: a webhook may have moved it while the PSP was asked, and a late answer never moves it back."""
        async with unit_of_work() as session:
            txn = await transaction_repo.get_for_update(session, claim.transaction_id)
            if txn is None:
                return None
            if (
                status is not None
                and status.outcome != TransactionStatus.PENDING
                and await self.apply_outcome(
                    session, txn, status.outcome, gateway_payment_id=status.gateway_payment_id
                )
            ):
                return "moved"
            if (
                txn.created_at < expire_before
                and txn.status != TransactionStatus.AUTHORIZED
                and await self.apply_outcome(
                    session,
                    txn,
                    TransactionStatus.EXPIRED,
                    error_message="No outcome from the payer or the PSP before the payment expired.",
                )
            ):
                return "expired"
        return None

    async def count_status(
        self,
        conn: AsyncSession | AsyncConnection | None,
        gateway_id: uuid.UUID,
        status: str,
        *,
        committed: bool = False,
    ) -> None:
        """Count a payment reaching `status` (lsp_payments_total): once `conn`'s transaction commits, or now when
        the change is `committed` already (the autocommit initiation, which passes no connection)."""
        name, provider = await gateway_service.metric_labels(conn, gateway_id)
        count = metrics.PAYMENTS.labels(status, name, provider).inc
        if committed or conn is None:
            count()
        else:
            metrics.on_commit(conn, count)

    async def release_volume(self, session: AsyncSession, txn: Transaction) -> None:
        if not txn.volume_released:
            await gateway_repo.release(session, txn.gateway_id, txn.amount, volume_month(txn.created_at))
            txn.volume_released = True

    @staticmethod
    def event_data(txn: Transaction) -> dict[str, Any]:
        return {
            "transaction_id": str(txn.id),
            "payment_id": txn.payment_id,
            "order_id": txn.order_id,
            "amount": txn.amount,
            "currency": txn.currency,
            "status": txn.status,
            "notes": txn.notes,
            "error_code": txn.error_code,
            "error_message": txn.error_message,
            "paid_at": txn.paid_at.isoformat() if txn.paid_at else None,
        }

    # --- the operator's reads, across merchants ---------------------------------------------------------------

    async def find_for_operator(self, session: AsyncSession, key: str) -> Transaction:
        """Any merchant's payment, by its payment id (pay_…) or transaction id, archived or not."""
        txn = None
        if key.startswith("pay_"):
            txn = await transaction_repo.any_by_payment_id(session, key)
        else:
            try:
                txn = await transaction_repo.get(session, uuid.UUID(key))
            except ValueError:
                txn = None
        if txn is None:
            raise NotFound("No payment with this id.", field="payment_id")
        return txn

    async def merchant_names(self, session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
        """client id -> company name (the operator's pages name a payment's merchant)."""
        return await transaction_repo.merchant_names(session, ids)

    async def _rows(self, session: AsyncSession, txns: Sequence[Transaction]) -> Sequence[PaymentRow]:
        gateways = await gateway_repo.labels(session)
        merchants = await transaction_repo.merchant_names(session, {t.client_id for t in txns})
        return [
            PaymentRow(t, merchants.get(t.client_id, ""), *gateways.get(t.gateway_id, ("", ""))) for t in txns
        ]

    async def search(
        self,
        session: AsyncSession,
        flt: PaymentSearch,
        *,
        limit: int,
        after: str | None = None,
        before: str | None = None,
    ) -> PaymentPage:
        """One page of the payments matching `flt`, newest first; `after` (the next page) or `before` (the
        previous one) is a cursor an earlier page handed out."""
        older, newer = parse_cursor(after), parse_cursor(before)
        rows = await transaction_repo.search(session, flt, limit=limit + 1, after=older, before=newer)
        next_cursor = previous_cursor = None
        if newer is not None:
            if len(rows) > limit:  # even newer payments exist beyond this page
                rows = rows[1:]
                previous_cursor = encode_cursor(rows[0].created_at, rows[0].id)
            if rows:
                next_cursor = encode_cursor(rows[-1].created_at, rows[-1].id)
        else:
            if len(rows) > limit:
                rows = rows[:limit]
                next_cursor = encode_cursor(rows[-1].created_at, rows[-1].id)
            if older is not None and rows:
                previous_cursor = encode_cursor(rows[0].created_at, rows[0].id)
        return PaymentPage(await self._rows(session, rows), next_cursor, previous_cursor)

    async def export(
        self, flt: PaymentSearch, *, batch_size: int = 2_000, max_rows: int = EXPORT_MAX_ROWS
    ) -> AsyncIterator[Sequence[PaymentRow]]:
        """Every payment matching `flt`, newest first, in keyset batches, each read in a short session of its own
        (a long export holds no transaction open and no more than one batch in memory)."""
        after: tuple[datetime, uuid.UUID] | None = None
        sent = 0
        while sent < max_rows:
            want = min(batch_size, max_rows - sent)
            async with sessionmaker()() as session:
                txns = await transaction_repo.search(session, flt, limit=want, after=after)
                rows = await self._rows(session, txns)
            if not rows:
                return
            yield rows
            sent += len(rows)
            after = (txns[-1].created_at, txns[-1].id)
            if len(rows) < want:
                return


payment_service = PaymentService()
