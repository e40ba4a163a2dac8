"""The low-balance reminder (every 15 minutes: a merchant over its warn threshold is reminded once a day even with no
new payment, never twice, even by runs racing each other) and the daily commission payout (the day settled and
the dues deducted; failed settlements retried; once a day)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial

from sqlalchemy import select, update

from lightspeedpay.models import AuditLog, Settlement, Wallet, WhatsAppNotification
from lightspeedpay.retention.service import daily_runs
from lightspeedpay.schedule import low_balance_reminder
from lightspeedpay.settlements.service import period_of, settlement_service, today
from tests.factories import wait_for
from tests.ledger_support import open_shop, wa_messages

PHONE = "919800000042"


async def _notices(session, client_id: uuid.UUID) -> list[WhatsAppNotification]:
    await session.rollback()
    rows = await session.execute(
        select(WhatsAppNotification)
        .where(WhatsAppNotification.client_id == client_id, WhatsAppNotification.type == "LOW_BALANCE")
        .order_by(WhatsAppNotification.created_at)
    )
    return list(rows.scalars())


async def _last_sent(session, client_id: uuid.UUID, hours_ago: float) -> None:
    await session.execute(
        update(Wallet)
        .where(Wallet.client_id == client_id)
        .values(wa_last_sent=datetime.now(UTC) - timedelta(hours=hours_ago))
    )
    await session.commit()


async def test_a_merchant_over_its_warning_is_reminded_once_a_day_without_a_payment(platform, session):
    async with (
        open_shop(
            platform, session, fee_percent=Decimal("5.00"), warn_threshold=400, whatsapp_phone=PHONE
        ) as over,
        open_shop(
            platform,
            session,
            fee_percent=Decimal("5.00"),
            warn_threshold=10**6,
            whatsapp_phone="919800000043",
        ) as under,
        open_shop(platform, session, fee_percent=Decimal("5.00"), warn_threshold=100) as no_phone,
    ):
        await over.pay(10_000)  # 500 due: over the warning, noticed at once
        await under.pay(10_000)
        await no_phone.pay(10_000)
        assert len(await _notices(session, over.id)) == 1

        # within the day nothing more is sent, however often the reminder runs
        assert await low_balance_reminder() == {}
        assert len(await _notices(session, over.id)) == 1

        # a day later, with no new payment: reminded once, even by two runs at the same time
        for shop in (over, under, no_phone):
            await _last_sent(session, shop.id, 25)
        results = await asyncio.gather(*(low_balance_reminder() for _ in range(4)))
        # (the platform's own scheduler may have been the one to send it)
        assert sum(r.get("reminded", 0) for r in results) <= 1
        notices = await _notices(session, over.id)
        assert len(notices) == 2 and notices[1].payload_json["balance_due"] == 500
        await wait_for(lambda: _count_messages(platform, PHONE, 2), what="the reminder delivered to WhatsApp")
        assert await low_balance_reminder() == {}
        # under its threshold, or without a number: nothing
        assert len(await _notices(session, under.id)) == 0
        assert len(await _notices(session, no_phone.id)) == 1  # the failed row of the payment's notice only


async def _count_messages(platform, phone: str, n: int) -> bool:
    return len(await wa_messages(platform, phone)) >= n


async def _settlement_status(session, settlement_id: uuid.UUID, status: str) -> Settlement | None:
    await session.rollback()
    s = await session.get(Settlement, settlement_id, populate_existing=True)
    return s if s is not None and s.status == status else None


async def test_the_daily_commission_payout_settles_deducts_and_retries_once_a_day(platform, session):
    async with open_shop(
        platform, session, fee_percent=Decimal("2.00"), settle_dues_from_settlement=True
    ) as shop:
        await shop.pay(50_000)
        await shop.pay(25_000)
        # a settlement of an earlier day whose job gave up
        day = today() - timedelta(days=3)
        start, end = period_of(day)
        failed = Settlement(
            id=uuid.uuid4(),
            client_id=shop.id,
            period_date=day,
            period_start=start,
            period_end=end,
            status="failed",
            failure_reason="the settlement job failed: boom",
        )
        session.add(failed)
        await session.commit()
        failed_id = failed.id

        payout = partial(settlement_service.daily_commission_payout, day=today())
        result = await daily_runs.once("commission_payout", payout)
        assert result is not None and (result["created"], result["retried"]) == (1, 1)
        assert await daily_runs.once("commission_payout", payout) is None  # once a day

        await session.rollback()
        [settled] = (
            await session.execute(
                select(Settlement).where(Settlement.client_id == shop.id, Settlement.period_date == today())
            )
        ).scalars()
        settled_id = settled.id
        done = await wait_for(
            lambda: _settlement_status(session, settled_id, "completed"), what="today settled"
        )
        assert done.gross_amount == 75_000 and done.dues_deducted == 1_500
        assert done.payable_amount == 75_000 - 1_500
        assert (await shop.wallet())["balance_due"] == 0
        await wait_for(
            lambda: _settlement_status(session, failed_id, "completed"), what="the failed one retried"
        )
        retried = (
            await session.execute(
                select(AuditLog).where(
                    AuditLog.action == "settlement.retried", AuditLog.actor == "commission_payout"
                )
            )
        ).scalar_one()
        assert retried.before == {"status": "failed", "failure_reason": "the settlement job failed: boom"}
