"""What a change of balance_due means for a merchant: a WhatsApp notice past warn_threshold (at most one per
24 h; `remind` repeats it daily while the dues stay there; none for a merchant that turned dues reminders off),
suspension at suspend_threshold and resumption below it, whatever the merchant chose about notices. Runs in the
ledger's DB transaction, with the wallet row locked, so each change of state happens exactly once; each is
audited and sent to the merchant as a webhook event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.config import get_settings
from lightspeedpay.kit.logging import log
from lightspeedpay.ledger.repository import ledger_repo
from lightspeedpay.models import Client, LedgerPosting, Wallet
from lightspeedpay.models.client import ClientStatus
from lightspeedpay.monitoring import audit
from lightspeedpay.notifications.service import notification_service
from lightspeedpay.webhooks.service import webhook_service

DUES = "dues"  # the suspension reason that lifts itself


class DuesService:
    async def balance_changed(
        self,
        session: AsyncSession,
        client: Client,
        wallet: Wallet,
        *,
        before: int,
        after: int,
        cause: LedgerPosting | None,
        actor: str,
    ) -> None:
        if after > before and after >= wallet.warn_threshold:
            await self._notice(session, client, wallet)
        if (
            after >= client.suspend_threshold
            or before >= client.suspend_threshold
            or client.status == ClientStatus.SUSPENDED
        ):
            await self.apply_threshold(session, client, wallet, actor=actor, cause=cause)

    async def apply_threshold(
        self,
        session: AsyncSession,
        client: Client,
        wallet: Wallet,
        *,
        actor: str,
        cause: LedgerPosting | None = None,
    ) -> str | None:
        """Suspend or resume on the locked wallet's balance; returns "suspended", "resumed" or None."""
        client = await ledger_repo.lock_client(session, client.id)
        due, threshold = wallet.balance_due, client.suspend_threshold
        if due >= threshold and client.status == ClientStatus.ACTIVE:
            client.status, client.suspension_reason = ClientStatus.SUSPENDED, DUES
            await self._changed(session, client, wallet, "merchant.suspended", actor=actor, cause=cause)
            return "suspended"
        if due < threshold and client.status == ClientStatus.SUSPENDED and client.suspension_reason == DUES:
            client.status, client.suspension_reason = ClientStatus.ACTIVE, None
            await self._changed(session, client, wallet, "merchant.resumed", actor=actor, cause=cause)
            return "resumed"
        return None

    async def _changed(
        self,
        session: AsyncSession,
        client: Client,
        wallet: Wallet,
        event: str,
        *,
        actor: str,
        cause: LedgerPosting | None,
    ) -> None:
        data: dict[str, Any] = {
            "merchant_id": str(client.id),
            "status": client.status,
            "reason": DUES,
            "balance_due": wallet.balance_due,
            "suspend_threshold": client.suspend_threshold,
            "currency": "INR",
            "cause": {"posting_id": str(cause.id), "type": cause.type} if cause is not None else None,
        }
        suspended = event == "merchant.suspended"
        audit.record(
            session,
            actor=actor,
            action=event,
            client_id=client.id,
            target_type="merchant",
            target_id=client.id,
            before={
                "status": ClientStatus.ACTIVE if suspended else ClientStatus.SUSPENDED,
                "suspension_reason": None if suspended else DUES,
            },
            after={"status": client.status, "suspension_reason": client.suspension_reason},
            reason=f"balance_due {wallet.balance_due} vs suspend_threshold {client.suspend_threshold}",
            details=data,
        )
        await webhook_service.emit(session, client, event, data)
        log.info(
            event.replace(".", "_"),
            merchant_id=str(client.id),
            balance_due=wallet.balance_due,
            suspend_threshold=client.suspend_threshold,
        )

    async def remind(self, session: AsyncSession, *, limit: int = 1000) -> dict[str, int]:
        """The low-balance reminder (seed 003, every 15 minutes): a merchant at or over its warn threshold is
        sent LOW_BALANCE again once LSP_DUES_NOTICE_INTERVAL_HOURS have passed since the last notice, whether
        or not a payment moved its balance. The wallet is locked and its `wa_last_sent` moved in the same DB
        transaction as the queued message, so concurrent runs (or a payment's notice) never send twice."""
        now = datetime.now(UTC)
        window = timedelta(hours=get_settings().dues_notice_interval_hours)
        due = await ledger_repo.wallets_to_remind(session, sent_before=now - window, limit=limit)
        for wallet, client in due:
            wallet.wa_last_sent = now
            await notification_service.queue_low_balance(session, client, wallet)
        if due:
            log.info("low_balance_reminders", count=len(due))
        return {"reminded": len(due)} if due else {}

    async def _notice(self, session: AsyncSession, client: Client, wallet: Wallet) -> None:
        if not client.whatsapp_dues_reminders:
            return  # the merchant turned dues reminders off (suspension at the limit still applies)
        now = datetime.now(UTC)
        window = timedelta(hours=get_settings().dues_notice_interval_hours)
        if wallet.wa_last_sent is not None and wallet.wa_last_sent > now - window:
            return
        wallet.wa_last_sent = now
        await notification_service.queue_low_balance(session, client, wallet)


dues_service = DuesService()
