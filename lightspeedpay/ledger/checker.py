"""The ledger's invariants, checked on one consistent snapshot: by the scheduler, by `lightspeedpay ledger
check`, and by the tests after every scenario. While any invariant is broken, one alert (AlertKind.LEDGER_INVARIANT)
stays open, listing the violations; it is resolved by the first check that finds none."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.alerts import conditions
from lightspeedpay.alerts.service import Seen, alert_service
from lightspeedpay.db import sessionmaker
from lightspeedpay.jobs.unit_of_work import unit_of_work
from lightspeedpay.kit.logging import log
from lightspeedpay.ledger.repository import INVARIANT_QUERIES, invariant_repo
from lightspeedpay.models.alert import AlertKind
from lightspeedpay.models.ledger_posting import PostingType

ALERT_KIND = AlertKind.LEDGER_INVARIANT
_LIMIT = 100  # rows reported per check; the count says how many there are

CHECKS: dict[str, str] = {
    "posting_unbalanced": "every posting's legs sum to zero",
    "posting_amount_mismatch": "a posting's amount is the sum of its legs on the dues account",
    "posting_sign": "commissions raise dues, reversals and payouts lower them",
    "balance_mismatch": "balance_due equals the sum of the wallet's entries",
    "duplicate_commission": "at most one COMMISSION per transaction",
    "reversal_exceeds_commission": "the reversals of a payment never exceed the commission it was charged",
    "refunds_exceed_payment": "the refunds behind a payment's reversals never exceed the payment",
    "paid_without_commission": "every paid (or refunded) transaction has its COMMISSION",
    "commission_without_payment": "a COMMISSION belongs to a paid (or refunded) transaction",
    "leg_wrong_merchant": "each leg belongs to its posting's merchant",
    "transaction_reference_missing": "every payment a posting, refund or line item names exists (hot or archived)",
    "transaction_archived_twice": "a payment is in transactions or in archived_transactions, never both",
}


@dataclass(frozen=True)
class Violation:
    check: str
    subject: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)


def _posting_violations(row: dict[str, Any]) -> list[Violation]:
    out = []
    subject, details = row["subject"], {k: v for k, v in row.items() if k != "subject"}
    if row["off"] != 0:
        out.append(
            Violation(
                "posting_unbalanced",
                subject,
                f"{row['type']} posting {row['correlation_key']} is off by {row['off']} paise",
                details,
            )
        )
    if row["amount"] != row["dues"]:
        out.append(
            Violation(
                "posting_amount_mismatch",
                subject,
                f"{row['type']} posting {row['correlation_key']} says {row['amount']} but its dues "
                f"legs sum to {row['dues']}",
                details,
            )
        )
    wrong_sign = (row["type"] == PostingType.COMMISSION and row["amount"] < 0) or (
        row["type"] in (PostingType.COMMISSION_REVERSAL, PostingType.COMMISSION_PAYOUT) and row["amount"] > 0
    )
    if wrong_sign:
        out.append(
            Violation(
                "posting_sign",
                subject,
                f"{row['type']} posting {row['correlation_key']} moves dues by {row['amount']}",
                details,
            )
        )
    return out


def _violations(name: str, row: dict[str, Any]) -> list[Violation]:
    subject, details = row["subject"], {k: v for k, v in row.items() if k != "subject"}
    if name == "postings":
        return _posting_violations(row)
    if name == "balance_mismatch":
        return [
            Violation(
                name,
                subject,
                f"merchant {subject}: balance_due {row['balance_due']} but its entries "
                f"sum to {row['entries']}",
                details,
            )
        ]
    if name == "duplicate_commission":
        return [
            Violation(
                name,
                subject,
                f"transaction {subject} has {row['n']} COMMISSION rows in {row['source']}",
                details,
            )
        ]
    if name == "reversals":
        out = []
        if row["reversed"] > row["charged"]:
            out.append(
                Violation(
                    "reversal_exceeds_commission",
                    subject,
                    f"transaction {subject}: {row['reversed']} reversed of {row['charged']} charged",
                    details,
                )
            )
        if row["refunded"] > row["payment"]:
            out.append(
                Violation(
                    "refunds_exceed_payment",
                    subject,
                    f"transaction {subject}: refunds of {row['refunded']} against a payment of "
                    f"{row['payment']}",
                    details,
                )
            )
        return out
    if name == "paid_without_commission":
        return [
            Violation(
                name, subject, f"transaction {subject} is {row['status']} but has no COMMISSION", details
            )
        ]
    if name == "commission_without_payment":
        return [
            Violation(
                name,
                subject,
                f"COMMISSION {subject} belongs to transaction {row['transaction_id']} which "
                f"is {row['status']}",
                details,
            )
        ]
    if name == "transaction_reference_missing":
        return [
            Violation(
                name, subject, f"{row['source']} names transaction {subject}, which does not exist", details
            )
        ]
    if name == "transaction_archived_twice":
        return [
            Violation(name, subject, f"transaction {subject} is both in the hot table and archived", details)
        ]
    return [
        Violation(
            name, subject, f"{row['source']} row {subject} is on another merchant than its posting", details
        )
    ]


class LedgerChecker:
    async def check(self, session: AsyncSession) -> list[Violation]:
        """Every invariant on one snapshot (REPEATABLE READ): concurrent postings cannot make a consistent
        ledger look inconsistent half-way."""
        await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        return await self._violations(session)

    async def _violations(self, session: AsyncSession) -> list[Violation]:
        violations: list[Violation] = []
        for name in INVARIANT_QUERIES:
            for row in await invariant_repo.violations(session, name, limit=_LIMIT):
                violations.extend(_violations(name, dict(row)))
        return violations

    async def record_alert(
        self, session: AsyncSession, violations: list[Violation], *, seen: list[Seen]
    ) -> bool:
        """The ledger's one alert: raised (or refreshed with the current violations) while any holds, resolved
        once none does. True when it was opened now."""
        found = []
        if violations:
            counts: dict[str, int] = {}
            for v in violations:
                counts[v.check] = counts.get(v.check, 0) + 1
            listed = [
                {"check": v.check, "subject": str(v.subject), "message": f"{CHECKS[v.check]}: {v.message}"}
                for v in violations
            ]
            found.append(conditions.ledger_broken(listed, counts))
        result = await alert_service.sync(
            session, ALERT_KIND, found, seen=seen, note="the ledger check is clean"
        )
        return bool(result.opened)

    async def run(self, *, alert: bool = True) -> list[Violation]:
        async with sessionmaker()() as session:
            await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            # the open alert is read first, on the same snapshot as the checks (see AlertService.sync)
            seen = await alert_service.unresolved(session, ALERT_KIND) if alert else []
            violations = await self._violations(session)
            await session.rollback()
        if alert:
            async with unit_of_work() as session:
                opened = await self.record_alert(session, violations, seen=seen)
            if violations:
                log.error(
                    "ledger_invariants_violated",
                    count=len(violations),
                    alert_opened=opened,
                    checks=sorted({v.check for v in violations}),
                )
        return violations


ledger_checker = LedgerChecker()
