"""Every query on clients, their wallets and their API credentials."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.models import ApiCredential, ApiCredentialSecret, Client, Wallet


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


class CredentialRepository:
    async def of_merchant(self, session: AsyncSession, client_id: uuid.UUID) -> list[ApiCredential]:
        stmt = select(ApiCredential).where(ApiCredential.client_id == client_id).order_by(ApiCredential.mode)
        return list((await session.execute(stmt)).scalars())

    async def lock(self, session: AsyncSession, client_id: uuid.UUID, mode: str) -> ApiCredential | None:
        """The merchant's credential of `mode`, locked: regenerations of one credential run one at a time."""
        stmt = (
            select(ApiCredential)
            .where(ApiCredential.client_id == client_id, ApiCredential.mode == mode)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return (await session.execute(stmt)).scalar_one_or_none()

    def _unexpired(self, credential_id: uuid.UUID, now: datetime) -> ColumnElement[bool]:
        return (ApiCredentialSecret.credential_id == credential_id) & or_(
            ApiCredentialSecret.expires_at.is_(None), ApiCredentialSecret.expires_at > now
        )

    async def unexpired_secrets(
        self, session: AsyncSession, credential_ids: list[uuid.UUID], now: datetime
    ) -> list[ApiCredentialSecret]:
        """Secrets that still verify requests, the current one (no end) first, then newest first."""
        stmt = (
            select(ApiCredentialSecret)
            .where(
                ApiCredentialSecret.credential_id.in_(credential_ids),
                or_(ApiCredentialSecret.expires_at.is_(None), ApiCredentialSecret.expires_at > now),
            )
            .order_by(
                ApiCredentialSecret.expires_at.desc().nulls_first(), ApiCredentialSecret.created_at.desc()
            )
        )
        return list((await session.execute(stmt)).scalars())

    async def count_unexpired(self, session: AsyncSession, credential_id: uuid.UUID, now: datetime) -> int:
        stmt = (
            select(func.count()).select_from(ApiCredentialSecret).where(self._unexpired(credential_id, now))
        )
        return int((await session.execute(stmt)).scalar_one())

    async def current_secret(
        self, session: AsyncSession, credential_id: uuid.UUID
    ) -> ApiCredentialSecret | None:
        stmt = select(ApiCredentialSecret).where(
            ApiCredentialSecret.credential_id == credential_id, ApiCredentialSecret.expires_at.is_(None)
        )
        return (await session.execute(stmt)).scalar_one_or_none()

    async def current_secret_of(
        self, session: AsyncSession, client_id: uuid.UUID, mode: str
    ) -> ApiCredentialSecret | None:
        """The current secret of the merchant's credential of `mode` (None: none made yet)."""
        stmt = (
            select(ApiCredentialSecret)
            .join(ApiCredential, ApiCredential.id == ApiCredentialSecret.credential_id)
            .where(
                ApiCredential.client_id == client_id,
                ApiCredential.mode == mode,
                ApiCredentialSecret.expires_at.is_(None),
            )
        )
        return (await session.execute(stmt)).scalar_one_or_none()


credential_repo = CredentialRepository()
