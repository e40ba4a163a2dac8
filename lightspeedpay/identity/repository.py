"""The queries identity needs: people, their memberships, sessions, refresh tokens and one-time tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.models import MerchantMembership, RefreshToken, User, UserSession


class IdentityRepository:
    async def user_by_email(self, session: AsyncSession, email: str) -> User | None:
        stmt = select(User).where(func.lower(User.email) == email.strip().lower())
        return (await session.execute(stmt)).scalar_one_or_none()

    async def user_with_live_family(
        self, session: AsyncSession, user_id: uuid.UUID, family_id: uuid.UUID, now: datetime
    ) -> User | None:
        """The user of an access token, if the refresh-token family it was issued with is not revoked (logout
        and reuse detection revoke a family; the access tokens issued with it stop at once)."""
        live = exists().where(
            RefreshToken.family_id == family_id,
            RefreshToken.user_id == user_id,
            RefreshToken.revoked_at.is_(None),
            RefreshToken.expires_at > now,
        )
        stmt = select(User).where(User.id == user_id, User.disabled_at.is_(None), live)
        return (await session.execute(stmt)).scalar_one_or_none()

    async def session_by_hash(
        self, session: AsyncSession, token_hash: bytes
    ) -> tuple[UserSession, User] | None:
        stmt = (
            select(UserSession, User)
            .join(User, User.id == UserSession.user_id)
            .where(UserSession.token_hash == token_hash)
        )
        row = (await session.execute(stmt)).first()
        return (row[0], row[1]) if row else None

    async def touch_session(self, session: AsyncSession, session_id: uuid.UUID, now: datetime) -> None:
        await session.execute(
            update(UserSession).where(UserSession.id == session_id).values(last_seen_at=now)
        )

    async def memberships(self, session: AsyncSession, user_id: uuid.UUID) -> list[MerchantMembership]:
        stmt = (
            select(MerchantMembership)
            .where(MerchantMembership.user_id == user_id)
            .order_by(MerchantMembership.created_at)
        )
        return list((await session.execute(stmt)).scalars())

    async def owner_exists(self, session: AsyncSession) -> bool:
        stmt = select(exists().where(User.operator_role == "owner", User.disabled_at.is_(None)))
        return bool((await session.execute(stmt)).scalar())


identity_repo = IdentityRepository()
