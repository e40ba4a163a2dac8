"""Every query on the emails outbox."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.models import Email


class EmailRepository:
    async def lock(self, session: AsyncSession, email_id: uuid.UUID) -> Email | None:
        return await session.get(Email, email_id, with_for_update=True)


email_repo = EmailRepository()
