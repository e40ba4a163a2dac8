"""The queries identity needs: people, their memberships, sessions, refresh tokens and one-time tokens."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, delete, exists, func, literal, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.models import (
    Client,
    MerchantMembership,
    RecoveryCode,
    RefreshToken,
    User,
    UserSession,
)


@dataclass(frozen=True)
class MembershipView:
    client_id: uuid.UUID
    company_name: str
    role: str
    require_2fa: bool


@dataclass(frozen=True)
class LiveLogin:
    """A browser session or a refresh-token family that still works."""

    id: uuid.UUID
    kind: str  # "session" or "token"
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    ip: str | None
    user_agent: str | None


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

    # ---- people ------------------------------------------------------------------------------------------

    async def user_by_id(self, session: AsyncSession, user_id: uuid.UUID) -> User | None:
        return await session.get(User, user_id)

    async def user_for_update(self, session: AsyncSession, user_id: uuid.UUID) -> User | None:
        stmt = (
            select(User).where(User.id == user_id).with_for_update().execution_options(populate_existing=True)
        )
        return (await session.execute(stmt)).scalar_one_or_none()

    def add_user(self, session: AsyncSession, user: User) -> None:
        session.add(user)

    async def active_owner_count(self, session: AsyncSession) -> int:
        stmt = select(func.count()).where(User.operator_role == "owner", User.disabled_at.is_(None))
        return int((await session.execute(stmt)).scalar_one())

    async def count_failed_login(
        self,
        session: AsyncSession,
        user_id: uuid.UUID,
        now: datetime,
        *,
        max_failures: int,
        lock_seconds: float,
        max_lock_seconds: float,
    ) -> tuple[int, datetime | None]:
        """One more failure, counted in one statement (parallel guesses each count): from the max_failures-th on,
        each failure locks the account for lock_seconds, doubled per failure past the threshold, capped. Returns
        (failures, locked until)."""
        failures = User.failed_logins + 1
        seconds = func.least(lock_seconds * func.power(2, failures - max_failures), max_lock_seconds)
        stmt = (
            update(User)
            .where(User.id == user_id)
            .values(
                failed_logins=failures,
                locked_until=case(
                    (failures >= max_failures, literal(now) + func.make_interval(0, 0, 0, 0, 0, 0, seconds)),
                    else_=User.locked_until,
                ),
            )
            .returning(User.failed_logins, User.locked_until)
        )
        row = (await session.execute(stmt)).one()
        return int(row[0]), row[1]

    async def login_succeeded(
        self, session: AsyncSession, user_id: uuid.UUID, *, new_hash: str | None, now: datetime
    ) -> None:
        values: dict[str, object] = {"failed_logins": 0, "locked_until": None}
        if new_hash is not None:  # Argon2 parameters changed since the hash was made: store it anew
            values["password_hash"] = new_hash
        await session.execute(update(User).where(User.id == user_id).values(**values))

    async def claim_totp_timecode(self, session: AsyncSession, user_id: uuid.UUID, timecode: int) -> bool:
        """Record the time step of an accepted code; False when this step (or a later one) was used already, so
        a code works once even when two requests race with it."""
        stmt = (
            update(User)
            .where(
                User.id == user_id,
                (User.totp_last_timecode.is_(None)) | (User.totp_last_timecode < timecode),
            )
            .values(totp_last_timecode=timecode)
            .returning(User.id)
        )
        return (await session.execute(stmt)).first() is not None

    async def replace_recovery_codes(
        self, session: AsyncSession, user_id: uuid.UUID, code_hashes: list[bytes]
    ) -> None:
        await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
        if code_hashes:
            await session.execute(
                insert(RecoveryCode),
                [{"id": uuid.uuid4(), "user_id": user_id, "code_hash": h} for h in code_hashes],
            )

    async def use_recovery_code(
        self, session: AsyncSession, user_id: uuid.UUID, code_hash: bytes, now: datetime
    ) -> bool:
        stmt = (
            update(RecoveryCode)
            .where(
                RecoveryCode.user_id == user_id,
                RecoveryCode.code_hash == code_hash,
                RecoveryCode.used_at.is_(None),
            )
            .values(used_at=now)
            .returning(RecoveryCode.id)
        )
        return (await session.execute(stmt)).first() is not None

    async def unused_recovery_codes(self, session: AsyncSession, user_id: uuid.UUID) -> int:
        stmt = select(func.count()).where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
        return int((await session.execute(stmt)).scalar_one())

    async def member_of_2fa_merchant(self, session: AsyncSession, user_id: uuid.UUID) -> bool:
        """Whether a merchant this person belongs to requires two-factor authentication of its team."""
        stmt = select(
            exists().where(
                MerchantMembership.user_id == user_id,
                MerchantMembership.client_id == Client.id,
                Client.require_2fa.is_(True),
            )
        )
        return bool((await session.execute(stmt)).scalar())

    async def membership_views(self, session: AsyncSession, user_id: uuid.UUID) -> list[MembershipView]:
        stmt = (
            select(
                MerchantMembership.client_id, Client.company_name, MerchantMembership.role, Client.require_2fa
            )
            .join(Client, Client.id == MerchantMembership.client_id)
            .where(MerchantMembership.user_id == user_id)
            .order_by(MerchantMembership.created_at)
        )
        return [MembershipView(*row) for row in (await session.execute(stmt)).all()]

    # ---- browser sessions --------------------------------------------------------------------------------

    def add_session(self, session: AsyncSession, row: UserSession) -> None:
        session.add(row)

    async def revoke_session_by_hash(self, session: AsyncSession, token_hash: bytes, now: datetime) -> None:
        await session.execute(
            update(UserSession)
            .where(UserSession.token_hash == token_hash, UserSession.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    async def revoke_session(
        self, session: AsyncSession, user_id: uuid.UUID, session_id: uuid.UUID, now: datetime
    ) -> bool:
        stmt = (
            update(UserSession)
            .where(
                UserSession.id == session_id,
                UserSession.user_id == user_id,
                UserSession.revoked_at.is_(None),
            )
            .values(revoked_at=now)
            .returning(UserSession.id)
        )
        return (await session.execute(stmt)).first() is not None

    async def reauthenticated(self, session: AsyncSession, session_id: uuid.UUID, now: datetime) -> None:
        await session.execute(
            update(UserSession)
            .where(UserSession.id == session_id)
            .values(authenticated_at=now, last_seen_at=now)
        )

    # ---- refresh tokens ----------------------------------------------------------------------------------

    def add_refresh_token(self, session: AsyncSession, row: RefreshToken) -> None:
        session.add(row)

    async def refresh_token_by_hash(self, session: AsyncSession, token_hash: bytes) -> RefreshToken | None:
        stmt = select(RefreshToken).where(RefreshToken.token_hash == token_hash)
        return (await session.execute(stmt)).scalar_one_or_none()

    async def use_refresh_token(self, session: AsyncSession, token_id: uuid.UUID, now: datetime) -> bool:
        """Mark the token used; False when it was used (or revoked) already — by a parallel request too."""
        stmt = (
            update(RefreshToken)
            .where(
                RefreshToken.id == token_id,
                RefreshToken.used_at.is_(None),
                RefreshToken.revoked_at.is_(None),
            )
            .values(used_at=now)
            .returning(RefreshToken.id)
        )
        return (await session.execute(stmt)).first() is not None

    async def family_started_at(self, session: AsyncSession, family_id: uuid.UUID) -> datetime | None:
        stmt = select(func.min(RefreshToken.created_at)).where(RefreshToken.family_id == family_id)
        started: datetime | None = (await session.execute(stmt)).scalar_one()
        return started

    async def revoke_family(
        self, session: AsyncSession, family_id: uuid.UUID, now: datetime, *, user_id: uuid.UUID | None = None
    ) -> int:
        stmt = update(RefreshToken).where(
            RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None)
        )
        if user_id is not None:
            stmt = stmt.where(RefreshToken.user_id == user_id)
        result = await session.execute(stmt.values(revoked_at=now).returning(RefreshToken.id))
        return len(result.all())

    # ---- everything of a person --------------------------------------------------------------------------

    async def revoke_everything(
        self, session: AsyncSession, user_id: uuid.UUID, now: datetime
    ) -> tuple[int, int]:
        """Every browser session and refresh-token family of the person ("log out everywhere"); (sessions,
        refresh tokens) revoked."""
        sessions = await session.execute(
            update(UserSession)
            .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
            .values(revoked_at=now)
            .returning(UserSession.id)
        )
        refresh = await session.execute(
            update(RefreshToken)
            .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
            .returning(RefreshToken.id)
        )
        return len(sessions.all()), len(refresh.all())

    async def live_logins(
        self, session: AsyncSession, user_id: uuid.UUID, now: datetime, *, idle_cutoff: datetime
    ) -> list[LiveLogin]:
        sessions = select(UserSession).where(
            UserSession.user_id == user_id,
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > now,
            UserSession.last_seen_at > idle_cutoff,
        )
        found = [
            LiveLogin(s.id, "session", s.created_at, s.last_seen_at, s.expires_at, s.ip, s.user_agent)
            for s in (await session.execute(sessions)).scalars()
        ]
        families = (
            select(
                RefreshToken.family_id,
                func.min(RefreshToken.created_at),
                func.max(RefreshToken.created_at),
                func.max(RefreshToken.expires_at),
            )
            .where(RefreshToken.user_id == user_id)
            .group_by(RefreshToken.family_id)
            .having(
                func.bool_and(RefreshToken.revoked_at.is_(None)),
                func.bool_or(RefreshToken.used_at.is_(None) & (RefreshToken.expires_at > now)),
            )
        )
        for family_id, first, last, expires in (await session.execute(families)).all():
            found.append(LiveLogin(family_id, "token", first, last, expires, None, None))
        return sorted(found, key=lambda login: login.last_seen_at, reverse=True)


identity_repo = IdentityRepository()
