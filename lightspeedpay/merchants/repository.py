"""Every query on clients and their wallets."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.models import Client, Wallet


class MerchantRepository:
    async def by_key(self, session: AsyncSession, client_key: str) -> Client | None:
        return (
            await session.execute(select(Client).where(Client.client_key == client_key))
        ).scalar_one_or_none()

    async def get(
        self, session: AsyncSession, client_id: uuid.UUID, *, for_update: bool = False
    ) -> Client | None:
        return await session.get(Client, client_id, with_for_update=for_update, populate_existing=for_update)

    async def by_name(self, session: AsyncSession, company_name: str) -> Client | None:
        return (
            await session.execute(
                select(Client).where(Client.company_name == company_name).order_by(Client.created_at).limit(1)
            )
        ).scalar_one_or_none()

    async def wallet(
        self, session: AsyncSession, client_id: uuid.UUID, *, for_update: bool = False
    ) -> Wallet:
        stmt = select(Wallet).where(Wallet.client_id == client_id)
        if for_update:
            stmt = stmt.with_for_update()
        return (await session.execute(stmt)).scalar_one()


merchant_repo = MerchantRepository()
