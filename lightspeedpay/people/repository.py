"""The queries of teams, invitations and the one-time email tokens: operator staff, merchants' teams, the owners
a change must leave, and ending every session of a person."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import exists, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.models import Client, MerchantMembership, RefreshToken, User, UserSession, UserToken


class TeamRepository:
    # ---- people -----------------------------------------------------------------------------------------------

    async def lock_email(self, session: AsyncSession, email: str) -> None:
        """Serialise the creation of one address's account (two signups or acceptances at once): a transaction
        lock on the address's hash, released at commit."""
        await session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext('lsp.user:' || :email))"), {"email": email.lower()}
        )

    async def user_by_email(self, session: AsyncSession, email: str) -> User | None:
        stmt = select(User).where(func.lower(User.email) == email.strip().lower())
        return (await session.execute(stmt)).scalar_one_or_none()

    async def lock_user(self, session: AsyncSession, user_id: uuid.UUID) -> User | None:
        return await session.get(User, user_id, with_for_update=True)

    async def operators(self, session: AsyncSession) -> list[User]:
        stmt = select(User).where(User.operator_role.is_not(None)).order_by(User.created_at, User.id)
        return list((await session.execute(stmt)).scalars())

    async def lock_operator_owners(self, session: AsyncSession) -> list[User]:
        """Every active operator owner, locked: a demotion and a removal at once cannot both leave none."""
        stmt = (
            select(User)
            .where(User.operator_role == "owner", User.disabled_at.is_(None))
            .order_by(User.id)
            .with_for_update()
        )
        return list((await session.execute(stmt)).scalars())

    async def last_logins(
        self, session: AsyncSession, user_ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, datetime]:
        if not user_ids:
            return {}
        stmt = (
            select(UserSession.user_id, func.max(UserSession.created_at))
            .where(UserSession.user_id.in_(user_ids))
            .group_by(UserSession.user_id)
        )
        return {user_id: at for user_id, at in (await session.execute(stmt)).all()}

    # ---- merchants' teams -------------------------------------------------------------------------------------

    async def members(
        self, session: AsyncSession, client_id: uuid.UUID
    ) -> list[tuple[MerchantMembership, User]]:
        stmt = (
            select(MerchantMembership, User)
            .join(User, User.id == MerchantMembership.user_id)
            .where(MerchantMembership.client_id == client_id)
            .order_by(MerchantMembership.created_at, MerchantMembership.id)
        )
        return [(m, u) for m, u in (await session.execute(stmt)).all()]

    async def lock_membership(
        self, session: AsyncSession, client_id: uuid.UUID, user_id: uuid.UUID
    ) -> tuple[MerchantMembership, User] | None:
        stmt = (
            select(MerchantMembership, User)
            .join(User, User.id == MerchantMembership.user_id)
            .where(MerchantMembership.client_id == client_id, MerchantMembership.user_id == user_id)
            .with_for_update(of=MerchantMembership)
        )
        row = (await session.execute(stmt)).first()
        return (row[0], row[1]) if row else None

    async def membership(
        self, session: AsyncSession, client_id: uuid.UUID, user_id: uuid.UUID
    ) -> MerchantMembership | None:
        stmt = select(MerchantMembership).where(
            MerchantMembership.client_id == client_id, MerchantMembership.user_id == user_id
        )
        return (await session.execute(stmt)).scalar_one_or_none()

    async def lock_merchant_owners(
        self, session: AsyncSession, client_id: uuid.UUID
    ) -> list[MerchantMembership]:
        """The merchant's owners whose account is active, locked (see lock_operator_owners)."""
        active = exists().where(User.id == MerchantMembership.user_id, User.disabled_at.is_(None))
        stmt = (
            select(MerchantMembership)
            .where(MerchantMembership.client_id == client_id, MerchantMembership.role == "owner", active)
            .order_by(MerchantMembership.id)
            .with_for_update()
        )
        return list((await session.execute(stmt)).scalars())

    async def lock_client(self, session: AsyncSession, client_id: uuid.UUID) -> Client | None:
        return await session.get(Client, client_id, with_for_update=True)

    async def client(self, session: AsyncSession, client_id: uuid.UUID) -> Client | None:
        return await session.get(Client, client_id)

    async def delete_membership(self, session: AsyncSession, membership: MerchantMembership) -> None:
        await session.delete(membership)
        await session.flush()

    # ---- one-time tokens --------------------------------------------------------------------------------------

    async def token_by_hash(self, session: AsyncSession, token_hash: bytes, purpose: str) -> UserToken | None:
        stmt = (
            select(UserToken)
            .where(UserToken.token_hash == token_hash, UserToken.purpose == purpose)
            .with_for_update()
        )
        return (await session.execute(stmt)).scalar_one_or_none()

    async def lock_pending_invitation(
        self, session: AsyncSession, invitation_id: uuid.UUID, *, client_id: uuid.UUID | None, now: datetime
    ) -> UserToken | None:
        """An unused, unexpired invitation to this merchant's team (client_id) or to operator staff (None)."""
        place = UserToken.client_id == client_id if client_id else UserToken.client_id.is_(None)
        stmt = (
            select(UserToken)
            .where(
                UserToken.id == invitation_id,
                UserToken.purpose == "invitation",
                place,
                UserToken.used_at.is_(None),
                UserToken.expires_at > now,
            )
            .with_for_update()
        )
        return (await session.execute(stmt)).scalar_one_or_none()

    async def delete_token(self, session: AsyncSession, row: UserToken) -> None:
        await session.delete(row)
        await session.flush()

    async def recent_token_exists(
        self, session: AsyncSession, email: str, purpose: str, since: datetime
    ) -> bool:
        stmt = select(
            exists().where(
                UserToken.email == email, UserToken.purpose == purpose, UserToken.created_at > since
            )
        )
        return bool((await session.execute(stmt)).scalar())

    async def retire_tokens(
        self, session: AsyncSession, *, user_id: uuid.UUID, purpose: str, now: datetime
    ) -> None:
        """A password once reset, the other reset links sent to the person stop working."""
        await session.execute(
            update(UserToken)
            .where(UserToken.user_id == user_id, UserToken.purpose == purpose, UserToken.used_at.is_(None))
            .values(used_at=now)
        )

    async def pending_invitations(
        self, session: AsyncSession, *, client_id: uuid.UUID | None, now: datetime
    ) -> list[UserToken]:
        """Unused, unexpired invitations to a merchant's team (client_id) or to operator staff (None)."""
        place = UserToken.client_id == client_id if client_id else UserToken.client_id.is_(None)
        stmt = (
            select(UserToken)
            .where(
                UserToken.purpose == "invitation",
                place,
                UserToken.used_at.is_(None),
                UserToken.expires_at > now,
            )
            .order_by(UserToken.created_at, UserToken.id)
        )
        return list((await session.execute(stmt)).scalars())

    # ---- sessions ---------------------------------------------------------------------------------------------

    async def revoke_everything(
        self, session: AsyncSession, user_id: uuid.UUID, now: datetime
    ) -> tuple[int, int]:
        """End every browser session and refresh-token family of the person: (sessions, refresh tokens)."""
        sessions = await session.execute(
            update(UserSession)
            .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        refresh = await session.execute(
            update(RefreshToken)
            .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return sessions.rowcount, refresh.rowcount  # type: ignore[attr-defined]


team_repo = TeamRepository()
