"""Every query on clients, their wallets and their API credentials."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.kit.pagination import newest_first
from lightspeedpay.models import (
    ApiCredential,
    ApiCredentialSecret,
    Client,
    KycApplication,
    MerchantMembership,
    User,
    Wallet,
)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _matching(search: str) -> ColumnElement[bool]:
    """A merchant an operator looks for by what they have at hand: its id, its live key id, an email of its team
    or its KYC contact, or a part of its name."""
    try:
        return Client.id == uuid.UUID(search)
    except ValueError:
        pass
    if "@" in search:
        email = search.lower()
        return or_(
            Client.id.in_(
                select(MerchantMembership.client_id)
                .join(User, User.id == MerchantMembership.user_id)
                .where(func.lower(User.email) == email)
            ),
            Client.id.in_(
                select(KycApplication.client_id).where(func.lower(KycApplication.contact_email) == email)
            ),
        )
    return or_(Client.client_key == search, Client.company_name.ilike(_like(search), escape="\\"))


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

    async def page(
        self,
        session: AsyncSession,
        *,
        search: str | None,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> list[tuple[Client, Wallet]]:
        """Merchants with their wallets, newest first (limit rows: the caller asks one more for a next page)."""
        stmt = select(Client, Wallet).join(Wallet, Wallet.client_id == Client.id)
        if search:
            stmt = stmt.where(_matching(search))
        stmt = newest_first(stmt, Client, after=after, limit=limit)
        return [(c, w) for c, w in (await session.execute(stmt)).all()]


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
        self, session: AsyncSession, credential_id: uuid.UUID, *, for_update: bool = False
    ) -> ApiCredentialSecret | None:
        stmt = select(ApiCredentialSecret).where(
            ApiCredentialSecret.credential_id == credential_id, ApiCredentialSecret.expires_at.is_(None)
        )
        if for_update:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
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
