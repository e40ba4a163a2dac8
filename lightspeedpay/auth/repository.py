"""The one query authentication needs: the merchant behind a client key (read here rather than through the
merchants package, so that auth, which every domain's routes use, depends on no domain)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.models import Client


class PrincipalRepository:
    async def client_by_key(self, session: AsyncSession, client_key: str) -> Client | None:
        return (await session.execute(select(Client).where(Client.client_key == client_key))).scalar_one_or_none()


principal_repo = PrincipalRepository()
