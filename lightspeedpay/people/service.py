"""Teams: operator staff and each merchant's team — invitations, roles, removals and the merchant's team
settings.

Two rules hold for both: only an owner (`owners:write`) makes or unmakes an owner, and no change may leave no
owner (409 `LAST_OWNER`, nothing written; the owners are locked first, so two changes at once cannot each leave
the other's owner the last and then remove it). Role changes and removals made by a person need a recent login.
Every change is audited and the person concerned gets an email."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.auth.principal import MerchantAuth
from lightspeedpay.config import get_settings
from lightspeedpay.errors import AppError, Forbidden, NotFound
from lightspeedpay.identity.deps import Operator, require_recent_login
from lightspeedpay.models import MerchantMembership, User, UserToken
from lightspeedpay.monitoring import audit
from lightspeedpay.people import emails
from lightspeedpay.people.accounts import AlreadyMember, issue_token, send
from lightspeedpay.people.repository import team_repo
from lightspeedpay.people.schemas import (
    InvitationOut,
    MemberOut,
    OperatorUserOut,
    OperatorUsersOut,
    TeamOut,
    TeamSettingsOut,
)

OPERATOR_PLACE = "the LightSpeedPay operations team"


class OwnerRequired(Forbidden):
    code = "OWNER_REQUIRED"


class LastOwner(AppError):
    status_code, code = 409, "LAST_OWNER"


class UserNotFound(NotFound):
    code = "USER_NOT_FOUND"


class InvitationNotFound(NotFound):
    code = "INVITATION_NOT_FOUND"


class MerchantNotFound(NotFound):
    code = "MERCHANT_NOT_FOUND"


def invitation_out(row: UserToken) -> InvitationOut:
    return InvitationOut(
        id=row.id,
        email=row.email,
        role=str(row.role),
        merchant_id=row.client_id,
        invited_by=row.invited_by,
        created_at=row.created_at,
        expires_at=row.expires_at,
    )


def operator_out(user: User) -> OperatorUserOut:
    return OperatorUserOut(
        id=user.id,
        email=user.email,
        name=user.name,
        role=str(user.operator_role),
        email_verified=user.email_verified_at is not None,
        two_factor=user.totp_enabled_at is not None,
        disabled=user.disabled_at is not None,
        created_at=user.created_at,
    )


def member_out(membership: MerchantMembership, user: User) -> MemberOut:
    return MemberOut(
        user_id=user.id,
        email=user.email,
        name=user.name,
        role=membership.role,
        email_verified=user.email_verified_at is not None,
        two_factor=user.totp_enabled_at is not None,
        joined_at=membership.created_at,
    )


def _touches_owner(before: str | None, after: str | None) -> bool:
    return before != after and "owner" in (before, after)


class TwoFactorNotEnabled(AppError):
    status_code, code = 409, "TWO_FACTOR_NOT_ENABLED"


class CannotDisableYourself(AppError):
    status_code, code = 409, "CANNOT_DISABLE_YOURSELF"


class TeamService:
    # ---- operator staff ---------------------------------------------------------------------------------------

    async def operators(self, session: AsyncSession) -> OperatorUsersOut:
        now = datetime.now(UTC)
        return OperatorUsersOut(
            items=[operator_out(u) for u in await team_repo.operators(session)],
            invitations=[
                invitation_out(t)
                for t in await team_repo.pending_invitations(session, client_id=None, now=now)
            ],
        )

    async def invite_operator(
        self, session: AsyncSession, operator: Operator, *, email: str, role: str
    ) -> UserToken:
        if role == "owner" and "owners:write" not in operator.permissions:
            raise OwnerRequired("Only an owner can invite an owner.", field="role")
        existing = await team_repo.user_by_email(session, email)
        if existing is not None and existing.operator_role is not None:
            raise AlreadyMember(
                f"{email} is already operator staff ({existing.operator_role}).", field="email"
            )
        row, raw = issue_token(
            session,
            "invitation",
            email=email,
            user_id=existing.id if existing else None,
            role=role,
            invited_by=operator.actor,
        )
        days = get_settings().invitation_token_days
        mail = emails.invitation(raw, place=OPERATOR_PLACE, role=role, invited_by=operator.name, days=days)
        send(session, email, mail, kind="invitation")
        audit.record(
            session,
            actor=operator.actor,
            action="user.invited",
            target_type="invitation",
            target_id=row.id,
            after={"email": email, "role": role, "existing_account": existing is not None},
        )
        await session.flush()
        return row

    async def change_operator_role(
        self, session: AsyncSession, operator: Operator, user_id: uuid.UUID, role: str
    ) -> User:
        require_recent_login(operator.authenticated_at, is_person=operator.user_id is not None)
        owners = await team_repo.lock_operator_owners(session)
        user = await team_repo.lock_user(session, user_id)
        if user is None or user.operator_role is None:
            raise UserNotFound("No operator staff has this id.", field="user_id")
        before = user.operator_role
        if before == role:
            return user
        if _touches_owner(before, role) and "owners:write" not in operator.permissions:
            raise OwnerRequired("Only an owner can make or unmake an owner.", field="role")
        if before == "owner" and not [o for o in owners if o.id != user.id]:
            raise LastOwner("This is the last owner; make someone else an owner first.", field="role")
        user.operator_role = role
        audit.record(
            session,
            actor=operator.actor,
            action="user.role_changed",
            target_type="user",
            target_id=user.id,
            before={"role": before},
            after={"role": role},
        )
        mail = emails.role_changed(place=OPERATOR_PLACE, before=before, after=role, by=operator.name)
        send(session, user.email, mail, kind="role_changed")
        await session.flush()
        return user

    async def remove_operator(self, session: AsyncSession, operator: Operator, user_id: uuid.UUID) -> None:
        """The person stays (they may belong to merchants' teams); they are no longer operator staff."""
        require_recent_login(operator.authenticated_at, is_person=operator.user_id is not None)
        owners = await team_repo.lock_operator_owners(session)
        user = await team_repo.lock_user(session, user_id)
        if user is None or user.operator_role is None:
            raise UserNotFound("No operator staff has this id.", field="user_id")
        before = user.operator_role
        if before == "owner":
            if "owners:write" not in operator.permissions:
                raise OwnerRequired("Only an owner can remove an owner.")
            if not [o for o in owners if o.id != user.id]:
                raise LastOwner("This is the last owner; make someone else an owner first.")
        user.operator_role = None
        audit.record(
            session,
            actor=operator.actor,
            action="user.removed",
            target_type="user",
            target_id=user.id,
            before={"role": before},
            after={"role": None},
        )
        send(session, user.email, emails.removed(place=OPERATOR_PLACE, by=operator.name), kind="removed")
        await session.flush()

    async def last_logins(
        self, session: AsyncSession, user_ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, datetime]:
        """When each person last opened a browser session (logged in to a console)."""
        return await team_repo.last_logins(session, user_ids)

    async def disable_operator(self, session: AsyncSession, operator: Operator, user_id: uuid.UUID) -> User:
        """The person can no longer log in anywhere (every session and refresh token ends at once); their role
        stays, to be seen in the staff list. Owners: only an owner, and never the last one."""
        require_recent_login(operator.authenticated_at, is_person=operator.user_id is not None)
        owners = await team_repo.lock_operator_owners(session)
        user = await team_repo.lock_user(session, user_id)
        if user is None or user.operator_role is None:
            raise UserNotFound("No operator staff has this id.", field="user_id")
        if user.disabled_at is not None:
            return user
        if user.id == operator.user_id:
            raise CannotDisableYourself("You cannot disable your own account; ask another owner or admin.")
        if user.operator_role == "owner":
            if "owners:write" not in operator.permissions:
                raise OwnerRequired("Only an owner can disable an owner.")
            if not [o for o in owners if o.id != user.id]:
                raise LastOwner("This is the last owner; make someone else an owner first.")
        user.disabled_at = datetime.now(UTC)
        sessions, refresh = await team_repo.revoke_everything(session, user.id, user.disabled_at)
        audit.record(
            session,
            actor=operator.actor,
            action="user.disabled",
            target_type="user",
            target_id=user.id,
            before={"disabled": False},
            after={"disabled": True},
            details={"sessions_revoked": sessions, "refresh_tokens_revoked": refresh},
        )
        await session.flush()
        return user

    # ---- a merchant's team ------------------------------------------------------------------------------------

    async def merchant_team(self, session: AsyncSession, client_id: uuid.UUID) -> TeamOut:
        """A merchant's team as the operator sees it (the same answer its owners get)."""
        client = await team_repo.client(session, client_id)
        if client is None:
            raise MerchantNotFound("No merchant has this id.", field="merchant_id")
        now = datetime.now(UTC)
        return TeamOut(
            items=[member_out(m, u) for m, u in await team_repo.members(session, client_id)],
            invitations=[
                invitation_out(t)
                for t in await team_repo.pending_invitations(session, client_id=client_id, now=now)
            ],
            require_2fa=client.require_2fa,
        )

    async def team(self, session: AsyncSession, merchant: MerchantAuth) -> TeamOut:
        client = await team_repo.client(session, merchant.id)
        now = datetime.now(UTC)
        return TeamOut(
            items=[member_out(m, u) for m, u in await team_repo.members(session, merchant.id)],
            invitations=[
                invitation_out(t)
                for t in await team_repo.pending_invitations(session, client_id=merchant.id, now=now)
            ],
            require_2fa=bool(client and client.require_2fa),
        )

    async def invite_member(
        self, session: AsyncSession, merchant: MerchantAuth, *, email: str, role: str
    ) -> UserToken:
        if role == "owner" and "owners:write" not in merchant.permissions:
            raise OwnerRequired("Only an owner can invite an owner.", field="role")
        return await self._invite_to_team(
            session,
            client_id=merchant.id,
            place=merchant.company_name,
            email=email,
            role=role,
            actor=merchant.actor,
            by=merchant.user_email or merchant.company_name,
        )

    async def invite_to_merchant(
        self, session: AsyncSession, operator: Operator, merchant_id: uuid.UUID, *, email: str, role: str
    ) -> UserToken:
        """An operator hands a merchant's team its first people (a merchant onboarded by the operator has none),
        an owner included."""
        client = await team_repo.client(session, merchant_id)
        if client is None:
            raise MerchantNotFound("No merchant has this id.", field="merchant_id")
        return await self._invite_to_team(
            session,
            client_id=client.id,
            place=client.company_name,
            email=email,
            role=role,
            actor=operator.actor,
            by=f"{operator.name} (LightSpeedPay operations)",
        )

    async def _invite_to_team(
        self,
        session: AsyncSession,
        *,
        client_id: uuid.UUID,
        place: str,
        email: str,
        role: str,
        actor: str,
        by: str,
    ) -> UserToken:
        existing = await team_repo.user_by_email(session, email)
        if existing is not None and await team_repo.membership(session, client_id, existing.id) is not None:
            raise AlreadyMember(f"{email} is already a member of this team.", field="email")
        row, raw = issue_token(
            session,
            "invitation",
            email=email,
            user_id=existing.id if existing else None,
            client_id=client_id,
            role=role,
            invited_by=actor,
        )
        days = get_settings().invitation_token_days
        mail = emails.invitation(raw, place=place, role=role, invited_by=by, days=days)
        send(session, email, mail, kind="invitation", client_id=client_id)
        audit.record(
            session,
            actor=actor,
            action="team.member_invited",
            target_type="invitation",
            target_id=row.id,
            client_id=client_id,
            after={"email": email, "role": role, "existing_account": existing is not None},
        )
        await session.flush()
        return row

    async def revoke_invitation(
        self, session: AsyncSession, invitation_id: uuid.UUID, *, actor: str, client_id: uuid.UUID | None
    ) -> None:
        """The invitation's link stops working: it is deleted, so it reads as not valid (an invitation to operator
        staff: client_id None)."""
        row = await team_repo.lock_pending_invitation(
            session, invitation_id, client_id=client_id, now=datetime.now(UTC)
        )
        if row is None:
            raise InvitationNotFound("No pending invitation has this id.", field="invitation_id")
        audit.record(
            session,
            actor=actor,
            action="team.invitation_revoked" if client_id else "user.invitation_revoked",
            target_type="invitation",
            target_id=row.id,
            client_id=client_id,
            before={"email": row.email, "role": row.role},
        )
        await team_repo.delete_token(session, row)

    async def change_member_role(
        self, session: AsyncSession, merchant: MerchantAuth, user_id: uuid.UUID, role: str
    ) -> MemberOut:
        require_recent_login(merchant.authenticated_at, is_person=merchant.user_id is not None)
        owners = await team_repo.lock_merchant_owners(session, merchant.id)
        found = await team_repo.lock_membership(session, merchant.id, user_id)
        if found is None:
            raise UserNotFound("No member of this team has this id.", field="user_id")
        membership, user = found
        before = membership.role
        if before != role:
            if _touches_owner(before, role) and "owners:write" not in merchant.permissions:
                raise OwnerRequired("Only an owner can make or unmake an owner.", field="role")
            if before == "owner" and not [o for o in owners if o.user_id != user.id]:
                raise LastOwner(
                    "This is the team's last owner; make someone else an owner first.", field="role"
                )
            membership.role = role
            audit.record(
                session,
                actor=merchant.actor,
                action="team.role_changed",
                target_type="user",
                target_id=user.id,
                client_id=merchant.id,
                before={"role": before},
                after={"role": role},
            )
            by = merchant.user_email or merchant.company_name
            mail = emails.role_changed(place=merchant.company_name, before=before, after=role, by=by)
            send(session, user.email, mail, kind="role_changed", client_id=merchant.id)
            await session.flush()
        return member_out(membership, user)

    async def remove_member(self, session: AsyncSession, merchant: MerchantAuth, user_id: uuid.UUID) -> None:
        require_recent_login(merchant.authenticated_at, is_person=merchant.user_id is not None)
        owners = await team_repo.lock_merchant_owners(session, merchant.id)
        found = await team_repo.lock_membership(session, merchant.id, user_id)
        if found is None:
            raise UserNotFound("No member of this team has this id.", field="user_id")
        membership, user = found
        if membership.role == "owner":
            if "owners:write" not in merchant.permissions:
                raise OwnerRequired("Only an owner can remove an owner.")
            if not [o for o in owners if o.user_id != user.id]:
                raise LastOwner("This is the team's last owner; make someone else an owner first.")
        before = membership.role
        await team_repo.delete_membership(session, membership)
        audit.record(
            session,
            actor=merchant.actor,
            action="team.member_removed",
            target_type="user",
            target_id=user.id,
            client_id=merchant.id,
            before={"role": before},
        )
        by = merchant.user_email or merchant.company_name
        send(
            session,
            user.email,
            emails.removed(place=merchant.company_name, by=by),
            kind="removed",
            client_id=merchant.id,
        )

    async def update_settings(
        self, session: AsyncSession, merchant: MerchantAuth, *, require_2fa: bool
    ) -> TeamSettingsOut:
        require_recent_login(merchant.authenticated_at, is_person=merchant.user_id is not None)
        client = await team_repo.lock_client(session, merchant.id)
        if client is None:
            raise NotFound("The merchant no longer exists.")
        before = client.require_2fa
        if require_2fa and not before and merchant.user_id is not None:
            me = await session.get(User, merchant.user_id)
            if me is None or me.totp_enabled_at is None:
                # as GitHub does for an organization: whoever requires it has it, so nobody locks themselves out
                raise TwoFactorNotEnabled(
                    "Turn on two-factor authentication for yourself first (POST /api/v1/auth/2fa/setup, then "
                    "/enable); then require it of your team.",
                    field="require_2fa",
                )
        if before != require_2fa:
            client.require_2fa = require_2fa
            audit.record(
                session,
                actor=merchant.actor,
                action="team.settings_updated",
                target_type="merchant",
                target_id=merchant.id,
                client_id=merchant.id,
                before={"require_2fa": before},
                after={"require_2fa": require_2fa},
            )
            await session.flush()
        return TeamSettingsOut(require_2fa=client.require_2fa)


team_service = TeamService()
