"""What a person does through a link in an email: sign up and verify the address, reset a forgotten password,
accept an invitation. Each link carries a one-time token (`identity.tokens`, only its SHA-256 stored) that
expires and works once.

Answers never tell whether an address has an account: asking for a reset or a new verification link always
answers 202, and signing up with an address that has an account answers as a new signup does, while the
address's owner gets an email saying someone tried."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.config import get_settings
from lightspeedpay.errors import AppError, Forbidden, ValidationFailed
from lightspeedpay.identity import tokens
from lightspeedpay.identity.passwords import check_policy, hash_password
from lightspeedpay.identity.repository import identity_repo
from lightspeedpay.mail.service import email_service
from lightspeedpay.merchants.service import merchant_service
from lightspeedpay.models import MerchantMembership, User, UserToken
from lightspeedpay.models.client import KycStatus
from lightspeedpay.monitoring import audit
from lightspeedpay.people import emails
from lightspeedpay.people.emails import Mail
from lightspeedpay.people.repository import team_repo
from lightspeedpay.people.schemas import InvitationAccept, InvitationAccepted, SignupIn, VerifiedOut


class TokenInvalid(AppError):
    status_code, code = 400, "TOKEN_INVALID"


class TokenExpired(AppError):
    status_code, code = 400, "TOKEN_EXPIRED"


class TokenUsed(AppError):
    status_code, code = 400, "TOKEN_USED"


class PasswordRequired(ValidationFailed):
    code = "PASSWORD_REQUIRED"


class AccountDisabled(Forbidden):
    code = "ACCOUNT_DISABLED"


class AlreadyMember(AppError):
    status_code, code = 409, "ALREADY_MEMBER"


def ttl(purpose: str) -> timedelta:
    """How long each kind of link stays valid."""
    s = get_settings()
    return {
        "verify_email": timedelta(hours=s.verify_email_token_hours),
        "reset_password": timedelta(minutes=s.reset_password_token_minutes),
        "invitation": timedelta(days=s.invitation_token_days),
    }[purpose]


def issue_token(
    session: AsyncSession,
    purpose: str,
    *,
    email: str,
    user_id: uuid.UUID | None = None,
    client_id: uuid.UUID | None = None,
    role: str | None = None,
    invited_by: str | None = None,
) -> tuple[UserToken, str]:
    """A new one-time token (stored as its digest) and the token itself, which only the email carries."""
    raw = tokens.new_token(tokens.EMAIL_PREFIX)
    row = UserToken(
        id=uuid.uuid4(),
        purpose=purpose,
        token_hash=tokens.digest(raw),
        email=email.strip().lower(),
        user_id=user_id,
        client_id=client_id,
        role=role,
        invited_by=invited_by,
        created_at=datetime.now(UTC),
        expires_at=datetime.now(UTC) + ttl(purpose),
    )
    session.add(row)
    return row, raw


def send(
    session: AsyncSession, to: str, mail: Mail, *, kind: str, client_id: uuid.UUID | None = None
) -> None:
    email_service.queue(
        session, to=to, subject=mail.subject, text=mail.text, html=mail.html, kind=kind, client_id=client_id
    )


async def redeem(session: AsyncSession, raw: str, purpose: str) -> UserToken:
    """The token, locked, if it is valid now: 400 TOKEN_INVALID / TOKEN_EXPIRED / TOKEN_USED otherwise. The
    caller marks it used (`used_at`) in the same transaction once the rest of the change is known to hold, so a
    refused change (a weak password) leaves the link working."""
    row = await team_repo.token_by_hash(session, tokens.digest(raw.strip()), purpose)
    if row is None:
        raise TokenInvalid("This link is not valid; ask for a new one.", field="token")
    if row.used_at is not None:
        raise TokenUsed("This link has already been used; ask for a new one.", field="token")
    if row.expires_at <= datetime.now(UTC):
        raise TokenExpired("This link has expired; ask for a new one.", field="token")
    return row


class AccountService:
    # ---- verification -----------------------------------------------------------------------------------------

    def send_verification(
        self, session: AsyncSession, user: User, *, client_id: uuid.UUID | None = None
    ) -> None:
        _, raw = issue_token(session, "verify_email", email=user.email, user_id=user.id)
        hours = get_settings().verify_email_token_hours
        send(
            session,
            user.email,
            emails.verify_email(raw, hours=hours),
            kind="verify_email",
            client_id=client_id,
        )

    async def verify_email(self, session: AsyncSession, raw: str) -> VerifiedOut:
        row = await redeem(session, raw, "verify_email")
        user = await team_repo.lock_user(session, row.user_id) if row.user_id else None
        if user is None or user.email.lower() != row.email:
            raise TokenInvalid("This link is not valid; ask for a new one.", field="token")
        now = datetime.now(UTC)
        row.used_at = now
        first = user.email_verified_at is None
        user.email_verified_at = user.email_verified_at or now
        owned = [m for m in await identity_repo.memberships(session, user.id) if m.role == "owner"]
        merchant_id = owned[0].client_id if owned else None
        if first:
            audit.record(
                session,
                actor=f"user:{user.email}",
                action="user.email_verified",
                target_type="user",
                target_id=user.id,
                client_id=merchant_id,
            )
        # issue 10's "verified email -> test keys at once": the test credentials of `merchant_id` are issued here
        # (wired at merge with the credentials work)
        return VerifiedOut(
            email=user.email,
            verified_at=user.email_verified_at,
            merchant_id=merchant_id,
            next="Log in (POST /api/v1/auth/login)."
            if merchant_id is None
            else "Log in (POST /api/v1/auth/login); your merchant account works in test mode.",
        )

    async def resend_verification(self, session: AsyncSession, email: str) -> None:
        user = await team_repo.user_by_email(session, email)
        if user is None or user.email_verified_at is not None or user.disabled_at is not None:
            return
        if await self._sent_recently(session, user.email, "verify_email"):
            return
        memberships = await identity_repo.memberships(session, user.id)
        self.send_verification(session, user, client_id=memberships[0].client_id if memberships else None)

    async def _sent_recently(self, session: AsyncSession, email: str, purpose: str) -> bool:
        seconds = get_settings().email_token_resend_seconds
        if seconds <= 0:
            return False
        since = datetime.now(UTC) - timedelta(seconds=seconds)
        return await team_repo.recent_token_exists(session, email.lower(), purpose, since)

    # ---- password reset ---------------------------------------------------------------------------------------

    async def request_password_reset(self, session: AsyncSession, email: str) -> None:
        user = await team_repo.user_by_email(session, email)
        if user is None or user.disabled_at is not None:
            return
        if await self._sent_recently(session, user.email, "reset_password"):
            return
        _, raw = issue_token(session, "reset_password", email=user.email, user_id=user.id)
        minutes = get_settings().reset_password_token_minutes
        send(session, user.email, emails.reset_password(raw, minutes=minutes), kind="reset_password")

    async def reset_password(self, session: AsyncSession, raw: str, password: str) -> int:
        """Set the new password, end every session and refresh-token family of the person, and lift a lockout;
        the number of sessions and refresh tokens revoked."""
        row = await redeem(session, raw, "reset_password")
        user = await team_repo.lock_user(session, row.user_id) if row.user_id else None
        if user is None or user.email.lower() != row.email:
            raise TokenInvalid("This link is not valid; ask for a new one.", field="token")
        if user.disabled_at is not None:
            raise AccountDisabled("This account is disabled; ask your administrator.")
        check_policy(password, email=user.email)
        now = datetime.now(UTC)
        user.password_hash = await hash_password(password)
        user.password_changed_at = now
        user.failed_logins, user.locked_until = 0, None
        user.email_verified_at = user.email_verified_at or now  # the link proved the address
        row.used_at = now
        await team_repo.retire_tokens(session, user_id=user.id, purpose="reset_password", now=now)
        sessions, refresh = await team_repo.revoke_everything(session, user.id, now)
        send(session, user.email, emails.password_changed(), kind="password_changed")
        audit.record(
            session,
            actor=f"user:{user.email}",
            action="user.password_reset",
            target_type="user",
            target_id=user.id,
            details={"sessions_revoked": sessions, "refresh_tokens_revoked": refresh},
        )
        return sessions + refresh

    # ---- invitations ------------------------------------------------------------------------------------------

    async def accept_invitation(self, session: AsyncSession, body: InvitationAccept) -> InvitationAccepted:
        """Join operator staff or a merchant's team: a new account (a password is then required), or an existing
        one that gains the membership (its password is left as it is)."""
        row = await redeem(session, body.token, "invitation")
        await team_repo.lock_email(session, row.email)
        user = await team_repo.user_by_email(session, row.email)
        now = datetime.now(UTC)
        role = str(row.role)
        if user is None:
            if not body.password:
                raise PasswordRequired("Choose a password for your new account.", field="password")
            check_policy(body.password, email=row.email)
            user = User(
                id=uuid.uuid4(),
                email=row.email,
                name=body.name,
                password_hash=await hash_password(body.password),
                password_changed_at=now,
                email_verified_at=now,  # the invitation reached this address
            )
            session.add(user)
            await session.flush()
            account = "created"
        else:
            if user.disabled_at is not None:
                raise AccountDisabled("This account is disabled; ask your administrator.")
            user.email_verified_at = user.email_verified_at or now
            account = "existing"
        if row.client_id is None:
            if user.operator_role is not None:
                raise AlreadyMember(f"You are already operator staff ({user.operator_role}).")
            user.operator_role = role
        else:
            if await team_repo.membership(session, row.client_id, user.id) is not None:
                raise AlreadyMember("You are already a member of this merchant's team.")
            session.add(
                MerchantMembership(id=uuid.uuid4(), user_id=user.id, client_id=row.client_id, role=role)
            )
        row.used_at = now
        audit.record(
            session,
            actor=f"user:{user.email}",
            action="user.invitation_accepted",
            target_type="user",
            target_id=user.id,
            client_id=row.client_id,
            after={"role": role, "operator": row.client_id is None, "account": account},
            details={"invitation_id": str(row.id), "invited_by": row.invited_by},
        )
        await session.flush()
        return InvitationAccepted(
            user_id=user.id,
            email=user.email,
            account=account,  # type: ignore[arg-type]
            role=role,
            merchant_id=row.client_id,
            message="Your account is ready; log in (POST /api/v1/auth/login)."
            if account == "created"
            else "Log in with your existing password (POST /api/v1/auth/login).",
        )

    # ---- self-service signup ----------------------------------------------------------------------------------

    async def signup(self, session: AsyncSession, body: SignupIn) -> None:
        """A merchant (KYC draft), its owner and a verification email; for an address that has an account,
        nothing but an email to that account. The password is hashed either way, so both answer as slowly."""
        check_policy(body.password, email=body.email)
        password_hash = await hash_password(body.password)
        await team_repo.lock_email(session, body.email)
        existing = await team_repo.user_by_email(session, body.email)
        if existing is not None:
            send(session, existing.email, emails.signup_attempt(), kind="signup_attempt")
            return
        actor = f"user:{body.email}"
        new = await merchant_service.create(
            session,
            company_name=body.business_name.strip(),
            webhook_url=None,
            whatsapp_phone=body.phone,
            kyc_status=KycStatus.DRAFT,  # test keys at once; the live key's secret after KYC activation
            actor=actor,
        )
        now = datetime.now(UTC)
        user = User(
            id=uuid.uuid4(),
            email=body.email,
            name=body.contact_name.strip(),
            password_hash=password_hash,
            password_changed_at=now,
        )
        session.add(user)
        await session.flush()
        session.add(
            MerchantMembership(id=uuid.uuid4(), user_id=user.id, client_id=new.client.id, role="owner")
        )
        self.send_verification(session, user, client_id=new.client.id)
        audit.record(
            session,
            actor=actor,
            action="merchant.signed_up",
            target_type="merchant",
            target_id=new.client.id,
            client_id=new.client.id,
            after={"company_name": new.client.company_name, "owner": user.email, "kyc_status": "draft"},
        )
        await session.flush()


account_service = AccountService()
