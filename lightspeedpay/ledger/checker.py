"""The ledger's invariants, checked on one consistent snapshot: by the scheduler, by `lightspeedpay ledger
check`, and by the tests after every scenario. A violation raises an alert (once, until it is gone)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.db import sessionmaker
from lightspeedpay.kit.logging import log
from lightspeedpay.ledger.repository import INVARIANT_QUERIES, invariant_repo
from lightspeedpay.models import Alert
from lightspeedpay.models.alert import AlertSeverity
from lightspeedpay.models.ledger_posting import PostingType

ALERT_KIND = "ledger_invariant"
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
        violations: list[Violation] = []
        for name in INVARIANT_QUERIES:
            for row in await invariant_repo.violations(session, name, limit=_LIMIT):
                violations.extend(_violations(name, dict(row)))
        return violations

    async def record_alerts(self, session: AsyncSession, violations: list[Violation]) -> int:
        """One open alert per (check, subject); alerts whose violation is gone are resolved."""
        open_alerts = await invariant_repo.open_alerts(session, ALERT_KIND)
        seen = {((a.details or {}).get("check"), (a.details or {}).get("subject")): a for a in open_alerts}
        current = {(v.check, v.subject) for v in violations}
        raised = 0
        for v in violations:
            if (v.check, v.subject) in seen:
                continue
            session.add(
                Alert(
                    kind=ALERT_KIND,
                    severity=AlertSeverity.CRITICAL,
                    message=f"{CHECKS[v.check]}: {v.message}",
                    details={"check": v.check, "subject": v.subject, **_jsonable(v.details)},
                )
            )
            raised += 1
        now = datetime.now(UTC)
        for key, alert in seen.items():
            if key not in current:
                alert.resolved_at = now
        return raised

    async def run(self, *, alert: bool = True) -> list[Violation]:
        async with sessionmaker()() as session:
            violations = await self.check(session)
            await session.rollback()
        if alert:
            async with sessionmaker()() as session:
                raised = await self.record_alerts(session, violations)
                await session.commit()
            if violations:
                log.error(
                    "ledger_invariants_violated",
                    count=len(violations),
                    new_alerts=raised,
                    checks=sorted({v.check for v in violations}),
                )
        return violations


def _jsonable(details: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v if isinstance(v, (int, str, float, bool, type(None))) else str(v) for k, v in details.items()
    }


ledger_checker = LedgerChecker()
