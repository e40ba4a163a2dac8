"""The double-entry commission ledger.

Every money event is one posting, recorded at most once (its correlation key is unique), made of
immutable legs that balance: the merchant's dues account (wallet_entries; balance_due is their sum,
moved in the same DB transaction) against a platform account (platform_entries). Positive is a debit:
a COMMISSION debits the merchant's dues and credits commission revenue; a COMMISSION_REVERSAL does the
opposite; a COMMISSION_PAYOUT credits dues against cash (or the settlement it was deducted from); an
ADJUSTMENT moves dues either way against the adjustments account.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.config import get_settings
from lightspeedpay.db import sessionmaker
from lightspeedpay.errors import AppError, NotFound, ValidationFailed
from lightspeedpay.identity.deps import Operator, require_recent_login
from lightspeedpay.kit.money import commission, format_inr
from lightspeedpay.kit.pagination import page_cursor, parse_cursor
from lightspeedpay.ledger.dues import dues_service
from lightspeedpay.ledger.repository import ledger_repo
from lightspeedpay.ledger.rules import commission_reversal
from lightspeedpay.ledger.schemas import LedgerFilter
from lightspeedpay.models import Client, LedgerPosting, Transaction, Wallet, WalletEntry
from lightspeedpay.models.api_credential import Mode
from lightspeedpay.models.ledger_posting import PostingType
from lightspeedpay.models.platform_entry import PlatformAccount
from lightspeedpay.monitoring import audit
from lightspeedpay.monitoring.audit import csv_cell
from lightspeedpay.notifications.service import notification_service


class RefundLike(Protocol):
    id: uuid.UUID
    amount: int


class PayoutExceedsDues(AppError):
    status_code, code = 422, "PAYOUT_EXCEEDS_DUES"


class LedgerReferenceConflict(AppError):
    status_code, code = 409, "REFERENCE_CONFLICT"


class MerchantNotFound(NotFound):
    pass


@dataclass(frozen=True)
class Recorded:
    posting: LedgerPosting
    created: bool  # False: the same correlation key was recorded before (an idempotent replay)
    balance_due: int


_COUNTER_ACCOUNT: dict[str, str] = {
    PostingType.COMMISSION: PlatformAccount.COMMISSION_REVENUE,
    PostingType.COMMISSION_REVERSAL: PlatformAccount.COMMISSION_REVENUE,
    PostingType.ADJUSTMENT: PlatformAccount.ADJUSTMENTS,
}


class LedgerService:
    async def post(
        self,
        session: AsyncSession,
        client: Client,
        wallet: Wallet,
        *,
        type: str,
        correlation_key: str,
        dues: int,
        counter_account: str | None = None,
        actor: str = "system",
        transaction_id: uuid.UUID | None = None,
        refund_id: uuid.UUID | None = None,
        settlement_id: uuid.UUID | None = None,
        subject_amount: int | None = None,
        reference: str | None = None,
        reason: str | None = None,
    ) -> Recorded:
        """Record one posting on a wallet the caller has locked (`ledger_repo.lock_wallet`). A posting whose
        dues change is zero (a commission that rounds to nothing) is kept without legs, so "charged nothing"
        stays distinguishable from "never charged"."""
        counter = counter_account or _COUNTER_ACCOUNT[type]
        posting = await ledger_repo.insert_posting(
            session,
            {
                "id": uuid.uuid4(),
                "correlation_key": correlation_key,
                "type": type,
                "client_id": client.id,
                "wallet_id": wallet.id,
                "amount": dues,
                "subject_amount": subject_amount,
                "transaction_id": transaction_id,
                "refund_id": refund_id,
                "settlement_id": settlement_id,
                "reference": reference,
                "reason": reason,
                "actor": actor,
            },
        )
        if posting is None:
            existing = await ledger_repo.by_key(session, correlation_key)
            if existing is None:
                raise LedgerReferenceConflict(
                    f"A {type} for this subject is already recorded under another key."
                )
            return Recorded(existing, False, wallet.balance_due)
        before = wallet.balance_due
        if dues:
            ledger_repo.add_legs(
                session,
                posting_id=posting.id,
                client_id=client.id,
                wallet_id=wallet.id,
                type=type,
                dues=dues,
                counter_account=counter,
                transaction_id=transaction_id if type == PostingType.COMMISSION else None,
                refund_id=refund_id,
                reference=reference or correlation_key,
            )
            wallet.balance_due = before + dues
            await session.flush()
            await dues_service.balance_changed(
                session, client, wallet, before=before, after=wallet.balance_due, cause=posting, actor=actor
            )
        return Recorded(posting, True, wallet.balance_due)

    async def record_commission(self, session: AsyncSession, client: Client, txn: Transaction) -> int | None:
        """The COMMISSION of a paid transaction, once. Returns it in paise, or None when this transaction's
        commission was already recorded, or it is a test payment (test mode moves no money: no commission, no
        dues, nothing to settle)."""
        if txn.mode == Mode.TEST:
            return None
        wallet = await ledger_repo.lock_wallet(session, client.id)
        amount = commission(txn.amount, client.fee_percent)
        recorded = await self.post(
            session,
            client,
            wallet,
            type=PostingType.COMMISSION,
            correlation_key=f"commission:{txn.id}",
            dues=amount,
            transaction_id=txn.id,
            subject_amount=txn.amount,
            reference=f"commission:{txn.id}",
        )
        if not recorded.created:
            return None
        if client.whatsapp_txn_updates:
            await notification_service.queue_txn_update(session, client, txn)
        return amount

    async def reverse_commission(
        self, session: AsyncSession, client: Client, txn: Transaction, refund: RefundLike
    ) -> int | None:
        """Give back the commission share of a processed refund (rules.commission_reversal), once per refund.
        Returns the reversal in paise (0 when the share rounds to nothing), or None when this refund was
        already recorded, or it is a test payment's (which was charged none)."""
        if txn.mode == Mode.TEST:
            return None
        wallet = await ledger_repo.lock_wallet(session, client.id)
        key = f"commission_reversal:{refund.id}"
        if await ledger_repo.by_key(session, key) is not None:
            return None
        charged = await ledger_repo.commission_of(session, txn.id)
        charged_amount = charged.amount if charged is not None else 0
        refunded_before, reversed_before = await ledger_repo.reversal_totals(session, txn.id)
        reversal = commission_reversal(
            charged=charged_amount,
            amount=txn.amount,
            refunded_before=refunded_before,
            refund=refund.amount,
            reversed_before=reversed_before,
        )
        recorded = await self.post(
            session,
            client,
            wallet,
            type=PostingType.COMMISSION_REVERSAL,
            correlation_key=key,
            dues=-reversal,
            transaction_id=txn.id,
            refund_id=refund.id,
            subject_amount=refund.amount,
            reference=key,
        )
        return reversal if recorded.created else None

    async def entries_page(
        self, session: AsyncSession, client_id: uuid.UUID, *, type: str | None, limit: int, cursor: str | None
    ) -> tuple[list[tuple[WalletEntry, LedgerPosting]], str | None]:
        """A merchant's wallet entries with their postings, newest first, keyset-paginated."""
        rows = await ledger_repo.entries_for_merchant(
            session, client_id, type=type, limit=limit + 1, after=parse_cursor(cursor)
        )
        return rows[:limit], page_cursor(rows, limit, key=lambda r: r[0])

    async def postings_page(
        self, session: AsyncSession, flt: LedgerFilter, *, limit: int, cursor: str | None
    ) -> tuple[list[tuple[LedgerPosting, str]], dict[uuid.UUID, list[dict[str, Any]]], str | None]:
        """Postings (with the merchant's name) newest first, their legs, and the next cursor."""
        rows = await ledger_repo.postings(session, flt, limit=limit + 1, after=parse_cursor(cursor))
        next_cursor = page_cursor(rows, limit, key=lambda r: r[0])
        rows = rows[:limit]
        return rows, await ledger_repo.legs(session, [p.id for p, _ in rows]), next_cursor

    async def legs(
        self, session: AsyncSession, posting_ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, list[dict[str, Any]]]:
        return await ledger_repo.legs(session, posting_ids)

    async def totals(self, session: AsyncSession, flt: LedgerFilter, *, period: str) -> list[dict[str, Any]]:
        return await ledger_repo.totals(
            session, flt, period=period, timezone=get_settings().settlement_timezone
        )

    async def daily_commission(
        self, session: AsyncSession, *, days: int, client_id: uuid.UUID | None = None
    ) -> list[dict[str, Any]]:
        """The last `days` days (settlement time zone, today included), oldest first, every day present: the
        commission charged and reversed that day (paise, reversals negative)."""
        tz = ZoneInfo(get_settings().settlement_timezone)
        today = datetime.now(tz).date()
        first = today - timedelta(days=days - 1)
        since = datetime.combine(first, time(0), tzinfo=tz)
        found = {
            row["day"]: row
            for row in await ledger_repo.daily_commission(
                session, since=since, timezone=tz.key, client_id=client_id
            )
        }
        out = []
        for offset in range(days):
            day = first + timedelta(days=offset)
            row = found.get(day, {})
            out.append(
                {
                    "day": day,
                    "start": datetime.combine(day, time(0), tzinfo=tz),
                    "commission": int(row.get("commission", 0)),
                    "reversals": int(row.get("reversals", 0)),
                }
            )
        return out

    async def dues_by_day(
        self, session: AsyncSession, client_id: uuid.UUID, *, balance_due: int, days: int
    ) -> list[dict[str, Any]]:
        """A merchant's balance_due at the end of each of the last `days` days (settlement time zone, today's
        is `balance_due`, the wallet's now), oldest first: worked back from now through each day's postings."""
        tz = ZoneInfo(get_settings().settlement_timezone)
        today = datetime.now(tz).date()
        first = today - timedelta(days=days - 1)
        since = datetime.combine(first + timedelta(days=1), time(0), tzinfo=tz)
        changes = await ledger_repo.daily_dues_change(session, client_id, since=since, timezone=tz.key)
        out, balance = [], balance_due
        for offset in range(days - 1, -1, -1):
            day = first + timedelta(days=offset)
            out.append({"day": day, "start": datetime.combine(day, time(0), tzinfo=tz), "balance": balance})
            balance -= changes.get(day, 0)  # the day before ended without this day's postings
        return out[::-1]

    async def export_csv(self, flt: LedgerFilter, *, max_rows: int) -> AsyncIterator[bytes]:
        """The filtered postings with their legs as CSV, newest first, a header row first; read in short
        transactions of a few hundred rows (a slow download holds no transaction open)."""
        tz = ZoneInfo(get_settings().settlement_timezone)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        yield _drain(out)
        left, after = max_rows, None
        while left > 0:
            async with sessionmaker()() as session:
                rows = await ledger_repo.postings(session, flt, limit=min(_EXPORT_BATCH, left), after=after)
                legs = await ledger_repo.legs(session, [p.id for p, _ in rows])
            for posting, company_name in rows:
                writer.writerow(_csv_row(posting, company_name, legs[posting.id], tz))
            if rows:
                yield _drain(out)
            if len(rows) < _EXPORT_BATCH:
                return
            left -= len(rows)
            after = (rows[-1][0].created_at, rows[-1][0].id)

    async def record_payout(
        self,
        session: AsyncSession,
        client_id: uuid.UUID,
        *,
        amount: int,
        reference: str,
        actor: str,
        operator: Operator | None = None,
    ) -> Recorded:
        """Dues paid by the merchant. The reference (a bank UTR, a receipt number) makes it idempotent: the same
        reference and amount again is the same payout; the same reference with another amount is refused.
        A person recording it (`operator`) needs a recent login: it moves money on the merchant's account."""
        _recently_authenticated(operator)
        client = await self._client(session, client_id)
        wallet = await ledger_repo.lock_wallet(session, client_id)
        key = f"payout:{client_id}:{reference}"
        existing = await ledger_repo.by_key(session, key)
        if existing is not None:
            if existing.amount != -amount:
                raise LedgerReferenceConflict(
                    f"Payout reference {reference!r} was already recorded for {format_inr(-existing.amount)}; "
                    "use a new reference for a different payout.",
                    field="reference",
                )
            return Recorded(existing, False, wallet.balance_due)
        due_before = wallet.balance_due
        if amount > wallet.balance_due:
            raise PayoutExceedsDues(
                f"The payout {format_inr(amount)} is more than the dues "
                f"{format_inr(max(wallet.balance_due, 0))}.",
                field="amount",
            )
        recorded = await self.post(
            session,
            client,
            wallet,
            type=PostingType.COMMISSION_PAYOUT,
            correlation_key=key,
            dues=-amount,
            counter_account=PlatformAccount.CASH,
            reference=reference,
            actor=actor,
        )
        audit.record(
            session,
            actor=actor,
            action="ledger.payout_recorded",
            client_id=client.id,
            target_type="ledger_posting",
            target_id=recorded.posting.id,
            before={"balance_due": due_before},
            after={"balance_due": recorded.balance_due},
            details={"amount": amount, "reference": reference},
        )
        return recorded

    async def record_adjustment(
        self,
        session: AsyncSession,
        client_id: uuid.UUID,
        *,
        amount: int,
        reason: str,
        actor: str,
        reference: str | None = None,
        operator: Operator | None = None,
    ) -> Recorded:
        """An operator's correction of a merchant's dues, either way, with a reason that is kept. A person making
        it (`operator`) needs a recent login."""
        _recently_authenticated(operator)
        reason = reason.strip()
        if not reason:
            raise ValidationFailed("An adjustment needs a reason.", field="reason")
        client = await self._client(session, client_id)
        wallet = await ledger_repo.lock_wallet(session, client_id)
        key = f"adjustment:{client_id}:{reference}" if reference else f"adjustment:{uuid.uuid4()}"
        existing = await ledger_repo.by_key(session, key)
        if existing is not None:
            if existing.amount != amount:
                raise LedgerReferenceConflict(
                    f"Adjustment reference {reference!r} was already used for another amount.",
                    field="reference",
                )
            return Recorded(existing, False, wallet.balance_due)
        due_before = wallet.balance_due
        recorded = await self.post(
            session,
            client,
            wallet,
            type=PostingType.ADJUSTMENT,
            correlation_key=key,
            dues=amount,
            reason=reason,
            reference=reference,
            actor=actor,
        )
        audit.record(
            session,
            actor=actor,
            action="ledger.adjustment_recorded",
            client_id=client.id,
            target_type="ledger_posting",
            target_id=recorded.posting.id,
            before={"balance_due": due_before},
            after={"balance_due": recorded.balance_due},
            reason=reason,
            details={"amount": amount, "reference": reference},
        )
        return recorded

    async def deduct_from_settlement(
        self, session: AsyncSession, client: Client, *, settlement_id: uuid.UUID, available: int, label: str
    ) -> int:
        """Settle dues out of a settlement's proceeds: a COMMISSION_PAYOUT of min(balance_due, available),
        at most once per settlement. Returns the amount deducted."""
        wallet = await ledger_repo.lock_wallet(session, client.id)
        key = f"settlement_dues:{settlement_id}"
        existing = await ledger_repo.by_key(session, key)
        if existing is not None:
            return -existing.amount
        deduct = min(max(wallet.balance_due, 0), max(available, 0))
        if deduct <= 0:
            return 0
        await self.post(
            session,
            client,
            wallet,
            type=PostingType.COMMISSION_PAYOUT,
            correlation_key=key,
            dues=-deduct,
            counter_account=PlatformAccount.SETTLEMENT_CLEARING,
            settlement_id=settlement_id,
            reference=label,
            actor="settlement",
        )
        return deduct

    @staticmethod
    async def _client(session: AsyncSession, client_id: uuid.UUID) -> Client:
        client = await session.get(Client, client_id)
        if client is None:
            raise MerchantNotFound("No merchant with this id.", field="merchant_id")
        return client

    async def postings_of_transaction(
        self, session: AsyncSession, transaction_id: uuid.UUID
    ) -> list[LedgerPosting]:
        """A payment's ledger postings, oldest first (its page's timeline)."""
        return await ledger_repo.of_transaction(session, transaction_id)


def _recently_authenticated(operator: Operator | None) -> None:
    if operator is not None:
        require_recent_login(operator.authenticated_at, is_person=operator.user_id is not None)


CSV_COLUMNS = (
    "created_at_utc",
    "created_at_local",
    "posting_id",
    "type",
    "merchant_id",
    "company_name",
    "amount_paise",
    "amount_inr",
    "legs",
    "subject_amount_paise",
    "transaction_id",
    "refund_id",
    "settlement_id",
    "reference",
    "reason",
    "actor",
    "correlation_key",
)
_EXPORT_BATCH = 500


def _drain(out: io.StringIO) -> bytes:
    text = out.getvalue()
    out.seek(0)
    out.truncate()
    return text.encode()


def _csv_row(
    posting: LedgerPosting, company_name: str, legs: list[dict[str, Any]], tz: ZoneInfo
) -> list[Any]:
    return [
        posting.created_at.astimezone(UTC).isoformat(),
        posting.created_at.astimezone(tz).isoformat(),
        posting.id,
        posting.type,
        posting.client_id,
        csv_cell(company_name),
        posting.amount,
        f"{Decimal(posting.amount) / 100:.2f}",
        " ".join(f"{leg['account']}:{leg['amount']}" for leg in legs),
        "" if posting.subject_amount is None else posting.subject_amount,
        posting.transaction_id or "",
        posting.refund_id or "",
        posting.settlement_id or "",
        csv_cell(posting.reference),
        csv_cell(posting.reason),
        csv_cell(posting.actor),
        csv_cell(posting.correlation_key),
    ]


ledger_service = LedgerService()
