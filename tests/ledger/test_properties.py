"""Property tests: random sequences of payment outcomes, refunds, duplicate and late events, payouts and
adjustments, fed to the real services against PostgreSQL (some of them twice at once), must leave the
ledger consistent and exactly where a simple model of the rules says it should be."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from lightspeedpay.auth.principal import principal_service
from lightspeedpay.db import sessionmaker
from lightspeedpay.kit.money import commission, round_paise
from lightspeedpay.ledger.checker import ledger_checker
from lightspeedpay.ledger.service import PayoutExceedsDues, ledger_service
from lightspeedpay.merchants.service import merchant_service
from lightspeedpay.models import AuditLog, Client, LedgerPosting, Refund, Transaction, Wallet
from lightspeedpay.payments.errors import RefundExceedsPaid, RefundNotAllowed
from lightspeedpay.payments.repository import transaction_repo
from lightspeedpay.payments.schemas import PayRequest
from lightspeedpay.payments.service import payment_service
from lightspeedpay.refunds.schemas import RefundCreate
from lightspeedpay.refunds.service import refund_service
from tests.factories import create_sandbox_gateway

OPEN = "open"  # created or pending: the worker may move created -> pending at any time

outcome = st.tuples(
    st.just("outcome"), st.integers(0, 2), st.sampled_from(["paid", "failed", "expired", "pending"])
)
# the refund's share of the payment, in percent; over 100 (or more than is left) must be refused
refund = st.tuples(
    st.just("refund"),
    st.integers(0, 2),
    st.integers(1, 120),
    st.sampled_from(["processed", "processed", "failed"]),
)
replay = st.tuples(st.just("replay_refund"), st.integers(0, 50), st.sampled_from(["processed", "failed"]))
payout = st.tuples(st.just("payout"), st.integers(1, 200_000), st.booleans())
adjustment = st.tuples(st.just("adjustment"), st.integers(-50_000, 50_000).filter(bool))
operation = st.tuples(
    st.one_of(outcome, refund, replay, payout, adjustment), st.booleans()
)  # (op, twice at once)


@dataclass
class Model:
    fee: Decimal
    threshold: int
    amounts: list[int]
    status: list[str] = field(default_factory=list)
    refunded: list[int] = field(default_factory=list)
    refunds: list[tuple[uuid.UUID, int]] = field(default_factory=list)  # (refund id, transaction index)
    payouts: int = 0
    adjustments: int = 0
    payout_refs: list[tuple[str, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.status = [OPEN] * len(self.amounts)
        self.refunded = [0] * len(self.amounts)

    def was_paid(self, i: int) -> bool:
        return self.status[i] in ("paid", "partially_refunded", "refunded")

    def charged(self, i: int) -> int:
        return commission(self.amounts[i], self.fee) if self.was_paid(i) else 0

    def reversed(self, i: int) -> int:
        return round_paise(Decimal(self.charged(i)) * self.refunded[i] / self.amounts[i])

    @property
    def balance(self) -> int:
        return (
            sum(self.charged(i) - self.reversed(i) for i in range(len(self.amounts)))
            - self.payouts
            + self.adjustments
        )

    def outcome(self, i: int, outcome: str) -> None:
        if self.status[i] == OPEN and outcome in ("paid", "failed", "expired"):
            self.status[i] = outcome

    def refund(self, i: int, amount: int, result: str) -> bool:
        """Whether the refund service accepts it; a processed one moves the payment."""
        if (
            self.status[i] not in ("paid", "partially_refunded")
            or amount > self.amounts[i] - self.refunded[i]
        ):
            return False
        if result == "processed":
            self.refunded[i] += amount
            self.status[i] = "refunded" if self.refunded[i] == self.amounts[i] else "partially_refunded"
        return True


async def _in_tx(work: Any) -> Any:
    async with sessionmaker()() as s:
        result = await work(s)
        await s.commit()
        return result


async def _apply(
    op: tuple[Any, ...],
    model: Model,
    txn_ids: list[uuid.UUID],
    client_id: uuid.UUID,
    merchant: Any,
    refund_ids: list[uuid.UUID],
) -> Any:
    kind = op[0]
    if kind == "outcome":
        _, i, result = op

        async def work(s: Any) -> bool:
            txn = await transaction_repo.get_for_update(s, txn_ids[i])
            return await payment_service.apply_outcome(s, txn, result)

        return await _in_tx(work)
    if kind == "refund":
        _, i, share, result = op
        amount = max(1, model.amounts[i] * share // 100)

        async def create(s: Any) -> Refund:
            created, _ = await refund_service.create_for_transaction(
                s, merchant, txn_ids[i], RefundCreate(amount=amount)
            )
            # the PSP answers at once (its webhook or API reply)
            await refund_service.apply_psp_outcome(s, created, result)
            return created

        try:
            created = await _in_tx(create)
        except Exception as exc:  # noqa: BLE001 - the model says whether a refusal was right
            return exc
        refund_ids.append(created.id)
        return created
    if kind == "replay_refund":
        _, j, result = op
        if not refund_ids:
            return None

        async def again(s: Any) -> str:
            r = await s.get(Refund, refund_ids[j % len(refund_ids)], with_for_update=True)
            return await refund_service.apply_psp_outcome(s, r, result)

        return await _in_tx(again)
    if kind == "payout":
        _, amount, reuse = op
        reference, amount = model.payout_refs[-1] if reuse else (f"UTR-{secrets.token_hex(4)}", amount)
        try:
            return await _in_tx(
                lambda s: ledger_service.record_payout(
                    s, client_id, amount=amount, reference=reference, actor="test"
                )
            )
        except PayoutExceedsDues as exc:
            return exc
    _, amount = op
    return await _in_tx(
        lambda s: ledger_service.record_adjustment(
            s, client_id, amount=amount, reason="property test", actor="test"
        )
    )


@pytest.fixture
async def gateway(platform, session):
    return await create_sandbox_gateway(session, platform.simulator_url)


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    fee=st.decimals(min_value=0, max_value=10, places=2),
    threshold=st.integers(1, 300_000),
    amounts=st.lists(st.integers(1, 2_000_000), min_size=1, max_size=3),
    ops=st.lists(operation, max_size=18),
)
async def test_random_event_orders_keep_the_ledger_exact(
    platform, session, gateway, fee, threshold, amounts, ops
):
    async with sessionmaker()() as s:
        new = await merchant_service.create(
            s,
            company_name=f"prop {secrets.token_hex(3)}",
            webhook_url=None,
            fee_percent=fee,
            suspend_threshold=threshold,
            kyc_status="activated",
        )
        await s.commit()
        merchant = await principal_service.by_key(s, new.client.client_key)
    client_id = new.client.id
    txn_ids = []
    for amount in amounts:
        started = await payment_service.initiate(
            merchant, PayRequest(amount=amount, order_id=uuid.uuid4().hex)
        )
        txn_ids.append(started.transaction_id)

    model = Model(fee=fee, threshold=threshold, amounts=amounts)
    refund_ids: list[uuid.UUID] = []
    for op, twice in ops:
        if op[0] == "payout" and op[2] and not model.payout_refs:
            continue  # nothing to replay yet
        if op[0] in ("outcome", "refund"):
            op = (op[0], op[1] % len(amounts), *op[2:])
        runs = 2 if twice and op[0] != "refund" else 1  # (two refunds at once are two refunds: below)
        results = await asyncio.gather(
            *(_apply(op, model, txn_ids, client_id, merchant, refund_ids) for _ in range(runs))
        )
        if op[0] == "outcome":
            model.outcome(op[1], op[2])
        elif op[0] == "refund":
            _, i, share, result = op
            accepted = model.refund(i, max(1, amounts[i] * share // 100), result)
            if accepted:
                assert isinstance(results[0], Refund), (op, results[0])
            else:
                assert isinstance(results[0], (RefundNotAllowed, RefundExceedsPaid)), (op, results[0])
        elif op[0] == "payout" and not op[2]:
            # new references: each is a payout as long as the dues cover it, in whichever order they ran
            accepted = [r for r in results if not isinstance(r, Exception)]
            assert all(isinstance(r, PayoutExceedsDues) for r in results if isinstance(r, Exception))
            expected = 0
            for _ in results:
                if op[1] <= model.balance:
                    model.payouts += op[1]
                    expected += 1
            assert len(accepted) == expected, (op, results)
            model.payout_refs.extend((r.posting.reference, op[1]) for r in accepted)
        elif op[0] == "payout":
            assert all(not r.created for r in results)  # a replay of a recorded payout changes nothing
        elif op[0] == "adjustment":
            model.adjustments += op[1] * runs

    async with sessionmaker()() as s:
        wallet = (await s.execute(select(Wallet).where(Wallet.client_id == client_id))).scalar_one()
        client = await s.get(Client, client_id)
        txns = {
            t.id: t
            for t in (await s.execute(select(Transaction).where(Transaction.id.in_(txn_ids)))).scalars()
        }
        commissions = (
            await s.execute(
                select(LedgerPosting.transaction_id, func.count())
                .where(LedgerPosting.client_id == client_id, LedgerPosting.type == "COMMISSION")
                .group_by(LedgerPosting.transaction_id)
            )
        ).all()
        audits = list(
            (
                await s.execute(
                    select(AuditLog.action)
                    .where(
                        AuditLog.client_id == client_id,
                        AuditLog.action.in_(("merchant.suspended", "merchant.resumed")),
                    )
                    .order_by(AuditLog.created_at)
                )
            ).scalars()
        )

    assert wallet.balance_due == model.balance
    for i, txn_id in enumerate(txn_ids):
        expected = model.status[i]
        assert (
            (txns[txn_id].status in ("created", "pending"))
            if expected == OPEN
            else txns[txn_id].status == expected
        )
    assert sorted(str(t) for t, n in commissions if n == 1) == sorted(
        str(txn_ids[i]) for i in range(len(amounts)) if model.was_paid(i)
    )
    assert all(n == 1 for _, n in commissions)
    assert client is not None and client.status == ("suspended" if model.balance >= threshold else "active")
    # suspensions and resumptions alternate, starting with a suspension
    assert audits == ["merchant.suspended", "merchant.resumed"] * (len(audits) // 2) + (
        ["merchant.suspended"] if len(audits) % 2 else []
    )
    assert await ledger_checker.run(alert=False) == []
