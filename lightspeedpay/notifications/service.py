"""WhatsApp notices to merchants and Slack messages to the operator: each written as a `queued` row plus a job
intent in the caller's transaction, sent by its queue; the operator's log and the merchant's usage."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay import jobs
from lightspeedpay.config import get_settings
from lightspeedpay.kit.logging import log
from lightspeedpay.kit.money import format_inr
from lightspeedpay.models import Client, SlackMessage, Transaction, Wallet, WhatsAppNotification
from lightspeedpay.models.slack_message import SlackMessageStatus
from lightspeedpay.models.whatsapp_notification import WhatsAppNotificationStatus, WhatsAppNotificationType
from lightspeedpay.notifications.repository import NotificationFilter, notification_repo, slack_repo
from lightspeedpay.notifications.slack import slack_webhook


class NotificationService:
    async def queue_low_balance(
        self, session: AsyncSession, client: Client, wallet: Wallet
    ) -> WhatsAppNotification:
        s = get_settings()
        params = [client.company_name, format_inr(wallet.balance_due), format_inr(client.suspend_threshold)]
        return self._queue(
            session,
            client,
            WhatsAppNotificationType.LOW_BALANCE,
            s.wa_template_low_balance,
            params,
            {
                "balance_due": wallet.balance_due,
                "warn_threshold": wallet.warn_threshold,
                "suspend_threshold": client.suspend_threshold,
            },
        )

    async def queue_txn_update(
        self, session: AsyncSession, client: Client, txn: Transaction
    ) -> WhatsAppNotification:
        s = get_settings()
        params = [txn.order_id, format_inr(txn.amount), txn.status]
        return self._queue(
            session,
            client,
            WhatsAppNotificationType.TXN_UPDATE,
            s.wa_template_txn_update,
            params,
            {"transaction_id": str(txn.id), "amount": txn.amount, "status": txn.status},
        )

    def _queue(
        self,
        session: AsyncSession,
        client: Client,
        type: str,
        template: str,
        parameters: list[str],
        context: dict[str, Any],
    ) -> WhatsAppNotification:
        row = WhatsAppNotification(
            id=uuid.uuid4(),
            client_id=client.id,
            template=template,
            type=type,
            to_phone=client.whatsapp_phone,
            attempts=0,
            payload_json={
                "parameters": parameters,
                "language": get_settings().wa_template_language,
                **context,
            },
        )
        if client.whatsapp_phone:
            row.status = WhatsAppNotificationStatus.QUEUED
            jobs.enqueue(session, "whatsapp.send", notification_id=str(row.id), attempt=1)
        else:
            row.status = WhatsAppNotificationStatus.FAILED
            row.error = "The merchant has no WhatsApp number (whatsapp_phone)."
        session.add(row)
        return row

    async def queue_slack(
        self,
        session: AsyncSession,
        *,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        alert_id: uuid.UUID | None = None,
        event: str | None = None,
    ) -> SlackMessage | None:
        """A message for the operator's Slack, sent after the caller commits (retried on 5xx, 429, timeouts).
        An alert's message for an event is queued once: None when it already was, or when no webhook is
        configured (LSP_SLACK_WEBHOOK_URL empty)."""
        if not slack_webhook.configured():
            log.info("slack_not_configured", alert_id=str(alert_id) if alert_id else None, event=event)
            return None
        message = await slack_repo.insert_once(
            session,
            {
                "id": uuid.uuid4(),
                "alert_id": alert_id,
                "event": event,
                "text": text,
                "blocks": blocks,
                "status": SlackMessageStatus.QUEUED,
                "attempts": 0,
            },
        )
        if message is not None:
            jobs.enqueue(session, "slack.send", message_id=str(message.id), attempt=1)
        return message

    async def list(
        self,
        session: AsyncSession,
        flt: NotificationFilter,
        *,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None,
    ) -> list[tuple[WhatsAppNotification, str]]:
        return await notification_repo.operator_log(session, flt, limit=limit, after=after)

    async def usage(self, session: AsyncSession, client_id: uuid.UUID, *, days: int) -> dict[str, Any]:
        since = datetime.now(UTC) - timedelta(days=days)
        rows = await notification_repo.counts_by_type_and_status(session, client_id, since=since)
        by_type: dict[str, dict[str, int]] = {}
        last_sent: datetime | None = None
        for type_, status, n, sent_at in rows:
            by_type.setdefault(type_, {"queued": 0, "sent": 0, "failed": 0})[status] = int(n)
            if sent_at and (last_sent is None or sent_at > last_sent):
                last_sent = sent_at
        totals = {k: sum(v[k] for v in by_type.values()) for k in ("queued", "sent", "failed")}
        recent = await notification_repo.recent(session, client_id)
        return {
            "since": since,
            "days": days,
            "totals": totals,
            "by_type": [{"type": t, **counts} for t, counts in sorted(by_type.items())],
            "last_sent_at": last_sent,
            "recent": list(recent),
        }

    async def whatsapp_phone(self, session: AsyncSession, client_id: uuid.UUID) -> str | None:
        client = await session.get(Client, client_id)
        return client.whatsapp_phone if client is not None else None


notification_service = NotificationService()
