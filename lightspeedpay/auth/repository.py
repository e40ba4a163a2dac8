"""The queries authentication needs: the merchant behind a client key and its still-valid previous salts (read
here rather than through the merchants package, so that auth, which every domain's routes use, depends on no
domain)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.models import Client, ClientPreviousSalt


class PrincipalRepository:
    async def client_by_key(self, session: AsyncSession, client_key: str) -> Client | None:
        return (await session.execute(select(Client).where(Client.client_key == client_key))).scalar_one_or_none()

    async def previous_salts(self, session: AsyncSession, client_id: uuid.UUID,
                             now: datetime) -> list[ClientPreviousSalt]:
        """Salts rotated away from that still verify requests (newest first)."""
        stmt = (select(ClientPreviousSalt)
                .where(ClientPreviousSalt.client_id == client_id, ClientPreviousSalt.expires_at > now)
                .order_by(ClientPreviousSalt.retired_at.desc()))
        return list((await session.execute(stmt)).scalars())


principal_repo = PrincipalRepository()
