"""Every query on WhatsApp notices and the provider's stored access tokens."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, func, or_, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.kit.pagination import newest_first
from lightspeedpay.models import Client, SlackMessage, WhatsAppNotification, WhatsAppProviderToken
from lightspeedpay.models.slack_message import SlackMessageEvent, SlackMessageStatus

_TOKEN_LOCK = 0x4C535057  # "LSPW": one process refreshes at a time


@dataclass(frozen=True)
class NotificationFilter:
    merchant: str | None = None  # a merchant id, or part of its company name
    type: str | None = None
    status: str | None = None
    created_from: datetime | None = None  # inclusive
    created_to: datetime | None = None  # exclusive


class NotificationRepository:
    async def lock(self, session: AsyncSession, notification_id: uuid.UUID) -> WhatsAppNotification | None:
        return await session.get(WhatsAppNotification, notification_id, with_for_update=True)

    async def operator_log(
        self,
        session: AsyncSession,
        flt: NotificationFilter,
        *,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None,
    ) -> list[tuple[WhatsAppNotification, str]]:
        stmt = select(WhatsAppNotification, Client.company_name).join(
            Client, Client.id == WhatsAppNotification.client_id
        )
        if flt.merchant:
            try:
                stmt = stmt.where(WhatsAppNotification.client_id == uuid.UUID(flt.merchant))
            except ValueError:
                stmt = stmt.where(
                    or_(
                        Client.company_name.ilike(f"%{_like(flt.merchant)}%"),
                        cast(Client.id, String).startswith(flt.merchant),
                    )
                )
        if flt.type:
            stmt = stmt.where(WhatsAppNotification.type == flt.type)
        if flt.status:
            stmt = stmt.where(WhatsAppNotification.status == flt.status)
        if flt.created_from:
            stmt = stmt.where(WhatsAppNotification.created_at >= flt.created_from)
        if flt.created_to:
            stmt = stmt.where(WhatsAppNotification.created_at < flt.created_to)
        stmt = newest_first(stmt, WhatsAppNotification, after=after, limit=limit)
        return [(n, name) for n, name in (await session.execute(stmt)).all()]

    async def counts_by_type_and_status(
        self, session: AsyncSession, client_id: uuid.UUID, *, since: datetime
    ) -> list[Any]:
        """Rows of (type, status, count, last sent_at) of a merchant's notices since a time."""
        return list(
            (
                await session.execute(
                    select(
                        WhatsAppNotification.type,
                        WhatsAppNotification.status,
                        func.count(),
                        func.max(WhatsAppNotification.sent_at),
                    )
                    .where(
                        WhatsAppNotification.client_id == client_id, WhatsAppNotification.created_at >= since
                    )
                    .group_by(WhatsAppNotification.type, WhatsAppNotification.status)
                )
            ).all()
        )

    async def recent(
        self, session: AsyncSession, client_id: uuid.UUID, *, limit: int = 10
    ) -> list[WhatsAppNotification]:
        return list(
            (
                await session.execute(
                    select(WhatsAppNotification)
                    .where(WhatsAppNotification.client_id == client_id)
                    .order_by(WhatsAppNotification.created_at.desc(), WhatsAppNotification.id.desc())
                    .limit(limit)
                )
            ).scalars()
        )


class ProviderTokenRepository:
    async def lock_refresh(self, session: AsyncSession) -> None:
        """The token refresh's advisory lock, held to the end of the transaction."""
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _TOKEN_LOCK})

    async def latest(self, session: AsyncSession) -> WhatsAppProviderToken | None:
        return (
            await session.execute(
                select(WhatsAppProviderToken).order_by(WhatsAppProviderToken.created_at.desc()).limit(1)
            )
        ).scalar_one_or_none()


class SlackMessageRepository:
    async def insert_once(self, session: AsyncSession, values: dict[str, Any]) -> SlackMessage | None:
        """The message, or None when its alert already has one for this event (sent once, however often the
        event is raised)."""
        stmt = (
            insert(SlackMessage)
            .values(**values)
            .on_conflict_do_nothing(
                index_elements=[SlackMessage.alert_id, SlackMessage.event],
                index_where=SlackMessage.alert_id.is_not(None),
            )
            .returning(SlackMessage)
        )
        return (await session.scalars(stmt)).one_or_none()

    async def get(self, session: AsyncSession, message_id: uuid.UUID) -> SlackMessage | None:
        return await session.get(SlackMessage, message_id, populate_existing=True)

    async def lock(self, session: AsyncSession, message_id: uuid.UUID) -> SlackMessage | None:
        return await session.get(SlackMessage, message_id, with_for_update=True, populate_existing=True)

    async def opened_still_queued(self, session: AsyncSession, alert_id: uuid.UUID) -> SlackMessage | None:
        """The alert's "opened" message while it is still waiting to be sent (its "resolved" one goes after it)."""
        return await session.scalar(
            select(SlackMessage).where(
                SlackMessage.alert_id == alert_id,
                SlackMessage.event == SlackMessageEvent.OPENED,
                SlackMessage.status == SlackMessageStatus.QUEUED,
            )
        )

    async def for_alert(self, session: AsyncSession, alert_id: uuid.UUID) -> list[SlackMessage]:
        return list(
            (
                await session.execute(
                    select(SlackMessage)
                    .where(SlackMessage.alert_id == alert_id)
                    .order_by(SlackMessage.created_at)
                )
            ).scalars()
        )


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


notification_repo = NotificationRepository()
provider_token_repo = ProviderTokenRepository()
slack_repo = SlackMessageRepository()
