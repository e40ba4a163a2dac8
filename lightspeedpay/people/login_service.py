"""Logging in and out: passwords, TOTP and recovery codes, lockout, browser sessions, access and refresh tokens,
"log out everywhere", re-authentication; and making operators (the CLI).

A refused login must leave its trace (the failure count that leads to a lockout, the audit row) although the
request fails: the service raises `Refused`, which carries the error to answer and what to record, and the
route records it in a transaction of its own after rolling the request's back (services never commit)."""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pyotp
from pyotp.exceptions import OTPVerificationError
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.auth.permissions import MERCHANT_ROLES, OPERATOR_ROLES
from lightspeedpay.config import get_settings
from lightspeedpay.errors import AppError, Conflict, NotFound, Unauthorized, ValidationFailed
from lightspeedpay.identity import passwords, tokens
from lightspeedpay.identity.deps import Person, require_recent_login
from lightspeedpay.identity.repository import LiveLogin, identity_repo
from lightspeedpay.kit import crypto, request_context
from lightspeedpay.models import RefreshToken, User, UserSession
from lightspeedpay.models.user import OPERATOR_ROLE_NAMES
from lightspeedpay.monitoring import audit
from lightspeedpay.people.login_schemas import (
    LoginIn,
    MembershipOut,
    MeOut,
    PreferencesIn,
    TokenPair,
    TwoFactorState,
    UserOut,
)

RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: codes are typed from paper
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ANONYMOUS = "anonymous"


# ---- errors ----------------------------------------------------------------------------------------------------


class InvalidCredentials(Unauthorized):
    code = "INVALID_CREDENTIALS"

    def __init__(self) -> None:
        # one sentence for a wrong password, an unknown email, a locked or disabled account: none is revealed
        super().__init__(
            "The email or password is wrong, or the account is locked for a while after repeated failures; "
            "try again later or reset your password."
        )


class TotpRequired(Unauthorized):
    code = "TOTP_REQUIRED"


class TotpInvalid(Unauthorized):
    code = "TOTP_INVALID"


class TotpReused(Unauthorized):
    code = "TOTP_REUSED"


class RecoveryCodeInvalid(Unauthorized):
    code = "RECOVERY_CODE_INVALID"


class RefreshTokenInvalid(Unauthorized):
    code = "REFRESH_TOKEN_INVALID"


class RefreshTokenReused(Unauthorized):
    code = "REFRESH_TOKEN_REUSED"


class TotpAlreadyEnabled(Conflict):
    code = "TOTP_ALREADY_ENABLED"


class TotpNotSetUp(Conflict):
    code = "TOTP_NOT_SET_UP"


class TotpNotEnabled(Conflict):
    code = "TOTP_NOT_ENABLED"


class TwoFactorMandatory(Conflict):
    code = "TWO_FACTOR_MANDATORY"


class LoginSessionNotFound(NotFound):
    code = "SESSION_NOT_FOUND"


class EmailTaken(Conflict):
    code = "EMAIL_TAKEN"


class InvalidEmail(ValidationFailed):
    code = "INVALID_EMAIL"


class UserNotFound(NotFound):
    code = "USER_NOT_FOUND"


class LastOwner(Conflict):
    code = "LAST_OWNER"


class Refused(Exception):
    """A refusal whose trace must outlive the request's rollback: `record` writes it, then `error` is answered."""

    def __init__(self, error: AppError, record: Callable[[AsyncSession], Awaitable[None]]) -> None:
        super().__init__(error.message)
        self.error = error
        self.record = record


# ---- results ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoggedIn:
    user: User
    session_token: str | None = None  # mode "session": the cookie's value
    tokens: TokenPair | None = None  # mode "token"


def user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        email=user.email,
        name=user.name,
        operator_role=user.operator_role,
        email_verified=user.email_verified_at is not None,
        two_factor_enabled=user.totp_enabled_at is not None,
        locale=user.locale,
        time_zone=user.time_zone,
    )


def _actor(user: User) -> str:
    return f"user:{user.email}"


def _normalise_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code).lower()


def _recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret)


def _totp_timecode(user: User, code: str) -> int | None:
    """The time step the code belongs to (this one or a neighbour, for clock drift), or None for a wrong code."""
    if user.totp_secret_enc is None:
        return None
    try:
        return _totp(crypto.decrypt(user.totp_secret_enc)).verify_and_get_timecode(
            re.sub(r"\s", "", code), valid_window=1
        )
    except OTPVerificationError:
        return None


class LoginService:
    # ---- login -------------------------------------------------------------------------------------------------

    async def login(
        self, session: AsyncSession, body: LoginIn, *, presented_cookie: str | None, user_agent: str | None
    ) -> LoggedIn:
        """Check the password (and second factor), then open a browser session or a token family."""
        email = body.email.strip()
        user = await identity_repo.user_by_email(session, email)
        # the hash runs whether or not the account exists, is locked or disabled: every refusal takes as long
        matches, new_hash = await passwords.verify_password(
            body.password, user.password_hash if user is not None else None
        )
        now = datetime.now(UTC)
        if user is None:
            raise Refused(
                InvalidCredentials(), self._failure_recorder(email, None, "unknown_email", count=False)
            )
        if user.disabled_at is not None:
            raise Refused(
                InvalidCredentials(), self._failure_recorder(email, user.id, "disabled", count=False)
            )
        if user.locked_until is not None and user.locked_until > now:
            # locked: answered exactly like a wrong password (no Retry-After, which would tell the account
            # exists); attempts while locked neither count nor extend the lock
            raise Refused(InvalidCredentials(), self._failure_recorder(email, user.id, "locked", count=False))
        if not matches:
            raise Refused(InvalidCredentials(), self._failure_recorder(email, user.id, "wrong_password"))
        second_factor = await self._second_factor(session, user, body.totp_code, body.recovery_code, now)
        await identity_repo.login_succeeded(session, user.id, new_hash=new_hash, now=now)
        details: dict[str, object] = {"mode": body.mode}
        if second_factor:
            details["second_factor"] = second_factor
        if second_factor == "recovery_code":
            details["recovery_codes_left"] = await identity_repo.unused_recovery_codes(session, user.id)
        audit.record(
            session,
            actor=_actor(user),
            action="user.logged_in",
            target_type="user",
            target_id=user.id,
            details=details,
        )
        if body.mode == "session":
            return LoggedIn(
                user, session_token=await self._open_session(session, user, presented_cookie, user_agent)
            )
        return LoggedIn(user, tokens=await self._open_family(session, user, now))

    async def _second_factor(
        self,
        session: AsyncSession,
        user: User,
        totp_code: str | None,
        recovery_code: str | None,
        now: datetime,
    ) -> str | None:
        """Only asked once the password matched, so TOTP_REQUIRED tells nothing to someone without it."""
        if user.totp_enabled_at is None:
            return None
        email = user.email
        if recovery_code:
            if not await identity_repo.use_recovery_code(
                session, user.id, tokens.digest(_normalise_code(recovery_code)), now
            ):
                raise Refused(
                    RecoveryCodeInvalid(
                        "The recovery code is wrong or was used already.", field="recovery_code"
                    ),
                    self._failure_recorder(email, user.id, "wrong_recovery_code"),
                )
            return "recovery_code"
        if not totp_code:
            raise TotpRequired(
                "This account uses two-factor authentication: send totp_code (or a recovery_code).",
                field="totp_code",
            )
        timecode = _totp_timecode(user, totp_code)
        if timecode is None:
            raise Refused(
                TotpInvalid("The two-factor code is wrong or has expired.", field="totp_code"),
                self._failure_recorder(email, user.id, "wrong_totp"),
            )
        if not await identity_repo.claim_totp_timecode(session, user.id, timecode):
            raise TotpReused(
                "This two-factor code was used already; wait for the next one.", field="totp_code"
            )
        return "totp"

    def _failure_recorder(
        self, email: str, user_id: uuid.UUID | None, reason: str, *, count: bool = True
    ) -> Callable[[AsyncSession], Awaitable[None]]:
        async def record(session: AsyncSession) -> None:
            await self.record_failure(session, email=email, user_id=user_id, reason=reason, count=count)

        return record

    async def record_failure(
        self,
        session: AsyncSession,
        *,
        email: str,
        user_id: uuid.UUID | None,
        reason: str,
        count: bool = True,
    ) -> None:
        """Count the failure against the account (a lockout when it reaches the limit) and audit it: the actor is
        anonymous (nobody proved who they are), the email typed is kept, the password never."""
        settings = get_settings()
        details: dict[str, object] = {"email": email[:254], "reason": reason}
        if user_id is not None and count:
            failures, locked_until = await identity_repo.count_failed_login(
                session,
                user_id,
                datetime.now(UTC),
                max_failures=settings.login_max_failures,
                lock_seconds=settings.login_lockout_minutes * 60,
                max_lock_seconds=settings.login_lockout_max_hours * 3600,
            )
            details["failed_logins"] = failures
            if failures >= settings.login_max_failures and locked_until is not None:
                audit.record(
                    session,
                    actor=ANONYMOUS,
                    action="user.locked",
                    target_type="user",
                    target_id=user_id,
                    after={"locked_until": locked_until.isoformat(), "failed_logins": failures},
                    reason=f"{failures} failed logins in a row",
                )
        audit.record(
            session,
            actor=ANONYMOUS,
            action="user.login_failed",
            target_type="user" if user_id else None,
            target_id=user_id,
            details=details,
        )

    async def _open_session(
        self, session: AsyncSession, user: User, presented_cookie: str | None, user_agent: str | None
    ) -> str:
        """A new browser session; the one whose cookie came with the login is ended (no session fixation: a
        token planted before login is worthless after it)."""
        settings = get_settings()
        now = datetime.now(UTC)
        if presented_cookie:
            await identity_repo.revoke_session_by_hash(session, tokens.digest(presented_cookie), now)
        token = tokens.new_token(tokens.SESSION_PREFIX)
        identity_repo.add_session(
            session,
            UserSession(
                id=uuid.uuid4(),
                user_id=user.id,
                token_hash=tokens.digest(token),
                created_at=now,
                last_seen_at=now,
                authenticated_at=now,
                expires_at=now + timedelta(hours=settings.session_absolute_hours),
                ip=request_context.client_ip(),
                user_agent=(user_agent or "")[:300] or None,
            ),
        )
        return token

    async def _open_family(self, session: AsyncSession, user: User, now: datetime) -> TokenPair:
        family_id = uuid.uuid4()
        refresh = self._add_refresh_token(session, user.id, family_id, now)
        access, expires_in = tokens.issue_access_token(user.id, family_id, authenticated_at=now.timestamp())
        return TokenPair(access_token=access, expires_in=expires_in, refresh_token=refresh)

    def _add_refresh_token(
        self, session: AsyncSession, user_id: uuid.UUID, family_id: uuid.UUID, now: datetime
    ) -> str:
        token = tokens.new_token(tokens.REFRESH_PREFIX)
        identity_repo.add_refresh_token(
            session,
            RefreshToken(
                id=uuid.uuid4(),
                family_id=family_id,
                user_id=user_id,
                token_hash=tokens.digest(token),
                created_at=now,
                expires_at=now + timedelta(days=get_settings().refresh_token_days),
            ),
        )
        return token

    # ---- refresh -----------------------------------------------------------------------------------------------

    async def refresh(self, session: AsyncSession, refresh_token: str) -> TokenPair:
        """Spend a refresh token for a new pair of the same family. A token presented a second time means two
        parties hold it: the whole family is revoked (its access tokens stop at once) and 401 answered."""
        now = datetime.now(UTC)
        row = await identity_repo.refresh_token_by_hash(session, tokens.digest(refresh_token))
        invalid = RefreshTokenInvalid(
            "The refresh token is not valid or has expired; log in again.", field="refresh_token"
        )
        if row is None or row.revoked_at is not None or row.expires_at <= now:
            raise invalid
        if row.used_at is not None or not await identity_repo.use_refresh_token(session, row.id, now):
            raise Refused(
                RefreshTokenReused(
                    "This refresh token was used already: every token of this login is now revoked; log in again.",
                    field="refresh_token",
                ),
                self._reuse_recorder(row.family_id, row.user_id),
            )
        user = await identity_repo.user_by_id(session, row.user_id)
        if user is None or user.disabled_at is not None:
            raise invalid
        started = await identity_repo.family_started_at(session, row.family_id) or now
        new_refresh = self._add_refresh_token(session, user.id, row.family_id, now)
        # auth_time stays the login's: refreshing is not proving who you are again
        access, expires_in = tokens.issue_access_token(
            user.id, row.family_id, authenticated_at=started.timestamp()
        )
        return TokenPair(access_token=access, expires_in=expires_in, refresh_token=new_refresh)

    def _reuse_recorder(
        self, family_id: uuid.UUID, user_id: uuid.UUID
    ) -> Callable[[AsyncSession], Awaitable[None]]:
        async def record(session: AsyncSession) -> None:
            revoked = await identity_repo.revoke_family(session, family_id, datetime.now(UTC))
            audit.record(
                session,
                actor=ANONYMOUS,
                action="user.refresh_token_reused",
                target_type="user",
                target_id=user_id,
                details={"family_id": str(family_id), "refresh_tokens_revoked": revoked},
                reason="a refresh token was presented twice: the login's family is revoked",
            )

        return record

    # ---- logout, sessions --------------------------------------------------------------------------------------

    async def logout(self, session: AsyncSession, caller: Person) -> None:
        now = datetime.now(UTC)
        if caller.via == "session":
            await identity_repo.revoke_session(session, caller.user.id, caller.session_id, now)
        else:
            await identity_repo.revoke_family(session, caller.session_id, now, user_id=caller.user.id)

    async def logout_everywhere(self, session: AsyncSession, caller: Person) -> tuple[int, int]:
        sessions, refresh = await identity_repo.revoke_everything(session, caller.user.id, datetime.now(UTC))
        audit.record(
            session,
            actor=_actor(caller.user),
            action="user.logged_out_everywhere",
            target_type="user",
            target_id=caller.user.id,
            details={"sessions_revoked": sessions, "refresh_tokens_revoked": refresh},
        )
        return sessions, refresh

    async def live_logins(self, session: AsyncSession, caller: Person) -> list[LiveLogin]:
        now = datetime.now(UTC)
        idle = timedelta(minutes=get_settings().session_idle_minutes)
        return await identity_repo.live_logins(session, caller.user.id, now, idle_cutoff=now - idle)

    async def end_login(self, session: AsyncSession, caller: Person, login_id: uuid.UUID) -> None:
        """End one of the caller's own browser sessions or token families (another device's, or this one)."""
        now = datetime.now(UTC)
        ended = await identity_repo.revoke_session(session, caller.user.id, login_id, now)
        if not ended:
            ended = await identity_repo.revoke_family(session, login_id, now, user_id=caller.user.id) > 0
        if not ended:
            raise LoginSessionNotFound("You have no live session with this id.", field="id")
        audit.record(
            session,
            actor=_actor(caller.user),
            action="user.session_revoked",
            target_type="user",
            target_id=caller.user.id,
            details={"session_id": str(login_id)},
        )

    # ---- re-authentication -------------------------------------------------------------------------------------

    async def reauthenticate(
        self, session: AsyncSession, caller: Person, password: str, totp_code: str | None
    ) -> tuple[datetime, tuple[str, int] | None]:
        """Confirm the password (and a fresh TOTP code when 2FA is on) for sensitive actions. A session counts as
        freshly authenticated from now; a token caller gets a new access token whose auth_time is now (its
        refresh tokens keep the login's time)."""
        user = caller.user
        matches, new_hash = await passwords.verify_password(password, user.password_hash)
        now = datetime.now(UTC)
        if user.locked_until is not None and user.locked_until > now:
            # the lockout holds here too, or a stolen session could go on guessing the password
            raise Refused(
                InvalidCredentials(),
                self._failure_recorder(user.email, user.id, "reauth_locked", count=False),
            )
        if not matches:
            raise Refused(
                InvalidCredentials(), self._failure_recorder(user.email, user.id, "reauth_wrong_password")
            )
        await self._second_factor(session, user, totp_code, None, now)
        await identity_repo.login_succeeded(session, user.id, new_hash=new_hash, now=now)
        if caller.via == "session":
            await identity_repo.reauthenticated(session, caller.session_id, now)
            return now, None
        return now, tokens.issue_access_token(user.id, caller.session_id, authenticated_at=now.timestamp())

    # ---- who am I ----------------------------------------------------------------------------------------------

    async def me(self, session: AsyncSession, caller: Person, *, csrf_token: str | None) -> MeOut:
        user = caller.user
        memberships = await identity_repo.membership_views(session, user.id)
        required = any(m.require_2fa for m in memberships) or (
            user.operator_role is not None and get_settings().operators_require_2fa
        )
        left = await identity_repo.unused_recovery_codes(session, user.id) if user.totp_enabled_at else 0
        return MeOut(
            user=user_out(user),
            operator_role=user.operator_role,
            operator_permissions=sorted(OPERATOR_ROLES[user.operator_role]) if user.operator_role else [],
            memberships=[
                MembershipOut(
                    merchant_id=m.client_id,
                    company_name=m.company_name,
                    role=m.role,
                    permissions=sorted(MERCHANT_ROLES[m.role]),
                    require_2fa=m.require_2fa,
                )
                for m in memberships
            ],
            two_factor=TwoFactorState(
                enabled=user.totp_enabled_at is not None, required=required, recovery_codes_left=left
            ),
            via="session" if caller.via == "session" else "token",
            authenticated_at=datetime.fromtimestamp(caller.authenticated_at, UTC),
            csrf_token=csrf_token,
        )

    async def set_preferences(self, session: AsyncSession, caller: Person, body: PreferencesIn) -> User:
        """A person's own language and time zone (the consoles draw pages in them); audited like any change."""
        if body.time_zone is not None:
            try:
                ZoneInfo(body.time_zone)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValidationFailed(
                    f"{body.time_zone!r} is not a time zone; use an IANA name such as Asia/Kolkata.",
                    field="time_zone",
                ) from None
        user = await self._locked_user(session, caller)
        before = {"locale": user.locale, "time_zone": user.time_zone}
        if body.locale is not None:
            user.locale = body.locale
        if body.time_zone is not None:
            user.time_zone = body.time_zone
        after = {"locale": user.locale, "time_zone": user.time_zone}
        if after != before:
            audit.record(
                session,
                actor=_actor(user),
                action="user.preferences_changed",
                target_type="user",
                target_id=user.id,
                before=before,
                after=after,
            )
        return user

    # ---- two-factor authentication -----------------------------------------------------------------------------

    async def totp_setup(self, session: AsyncSession, caller: Person) -> tuple[str, str]:
        """A new secret, stored encrypted and pending until a code from it is confirmed (setup again replaces
        it). Nothing changes for logins until `totp_enable`."""
        user = await self._locked_user(session, caller)
        if user.totp_enabled_at is not None:
            raise TotpAlreadyEnabled(
                "Two-factor authentication is on already; turn it off first to use another device."
            )
        secret = pyotp.random_base32()
        user.totp_secret_enc = crypto.encrypt(secret)
        uri = _totp(secret).provisioning_uri(name=user.email, issuer_name=get_settings().totp_issuer)
        return secret, uri

    async def totp_enable(self, session: AsyncSession, caller: Person, code: str) -> list[str]:
        user = await self._locked_user(session, caller)
        if user.totp_enabled_at is not None:
            raise TotpAlreadyEnabled("Two-factor authentication is on already.")
        if user.totp_secret_enc is None:
            raise TotpNotSetUp("Start with POST /api/v1/auth/2fa/setup.")
        timecode = _totp_timecode(user, code)
        if timecode is None:
            raise TotpInvalid(
                "The code does not match the new secret; check the device's clock.", field="code"
            )
        user.totp_enabled_at = datetime.now(UTC)
        user.totp_last_timecode = timecode  # the code that turned it on cannot log in
        codes = await self._new_recovery_codes(session, user)
        audit.record(
            session,
            actor=_actor(user),
            action="user.2fa_enabled",
            target_type="user",
            target_id=user.id,
            before={"two_factor": False},
            after={"two_factor": True},
        )
        return codes

    async def totp_disable(self, session: AsyncSession, caller: Person) -> None:
        require_recent_login(caller.authenticated_at, is_person=True)
        user = await self._locked_user(session, caller)
        if user.totp_enabled_at is None:
            raise TotpNotEnabled("Two-factor authentication is not on.")
        if await self._two_factor_required(session, user):
            raise TwoFactorMandatory(
                "Your account must use two-factor authentication; set up a new device instead of turning it off."
            )
        user.totp_secret_enc = None
        user.totp_enabled_at = None
        user.totp_last_timecode = None
        await identity_repo.replace_recovery_codes(session, user.id, [])
        audit.record(
            session,
            actor=_actor(user),
            action="user.2fa_disabled",
            target_type="user",
            target_id=user.id,
            before={"two_factor": True},
            after={"two_factor": False},
        )

    async def regenerate_recovery_codes(self, session: AsyncSession, caller: Person) -> list[str]:
        require_recent_login(caller.authenticated_at, is_person=True)
        user = await self._locked_user(session, caller)
        if user.totp_enabled_at is None:
            raise TotpNotEnabled("Two-factor authentication is not on; recovery codes come with it.")
        codes = await self._new_recovery_codes(session, user)
        audit.record(
            session,
            actor=_actor(user),
            action="user.recovery_codes_regenerated",
            target_type="user",
            target_id=user.id,
            details={"recovery_codes": len(codes)},
        )
        return codes

    async def _locked_user(self, session: AsyncSession, caller: Person) -> User:
        user = await identity_repo.user_for_update(session, caller.user.id)
        if user is None:
            raise Unauthorized("The account no longer exists.")
        return user

    async def _two_factor_required(self, session: AsyncSession, user: User) -> bool:
        if user.operator_role is not None and get_settings().operators_require_2fa:
            return True
        return await identity_repo.member_of_2fa_merchant(session, user.id)

    async def _new_recovery_codes(self, session: AsyncSession, user: User) -> list[str]:
        codes = [_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
        await identity_repo.replace_recovery_codes(
            session, user.id, [tokens.digest(_normalise_code(c)) for c in codes]
        )
        return codes

    # ---- operators (the CLI) -----------------------------------------------------------------------------------

    async def create_operator(
        self, session: AsyncSession, *, email: str, password: str, role: str, name: str | None, actor: str
    ) -> User:
        email = email.strip()
        if not _EMAIL.match(email) or len(email) > 254:
            raise InvalidEmail("Give a valid email address.", field="email")
        _check_role(role)
        passwords.check_policy(password, email=email)
        if await identity_repo.user_by_email(session, email) is not None:
            raise EmailTaken("A person with this email exists already.", field="email")
        now = datetime.now(UTC)
        user = User(
            id=uuid.uuid4(),
            email=email,
            name=name,
            password_hash=await passwords.hash_password(password),
            operator_role=role,
            # the operator who runs the CLI vouches for the address
            email_verified_at=now,
            password_changed_at=now,
        )
        identity_repo.add_user(session, user)
        await session.flush()
        audit.record(
            session,
            actor=actor,
            action="user.created",
            target_type="user",
            target_id=user.id,
            after={"email": email, "operator_role": role},
        )
        return user

    async def set_operator_role(
        self, session: AsyncSession, *, email: str, role: str | None, actor: str
    ) -> tuple[str | None, str | None]:
        """Change (or with None remove) a person's operator role; never leaves the platform without an owner."""
        if role is not None:
            _check_role(role)
        user = await self._by_email_for_update(session, email)
        before = user.operator_role
        if before == "owner" and role != "owner" and await identity_repo.active_owner_count(session) <= 1:
            raise LastOwner("This is the last owner; make another owner first.", field="role")
        user.operator_role = role
        if before != role:  # the role is read with the person on every request: it counts at once
            audit.record(
                session,
                actor=actor,
                action="user.role_changed",
                target_type="user",
                target_id=user.id,
                before={"operator_role": before},
                after={"operator_role": role},
            )
        return before, role

    async def disable(self, session: AsyncSession, *, email: str, actor: str) -> User:
        user = await self._by_email_for_update(session, email)
        if user.disabled_at is not None:
            return user
        if user.operator_role == "owner" and await identity_repo.active_owner_count(session) <= 1:
            raise LastOwner("This is the last owner; make another owner first.", field="email")
        user.disabled_at = datetime.now(UTC)
        sessions, refresh = await identity_repo.revoke_everything(session, user.id, user.disabled_at)
        audit.record(
            session,
            actor=actor,
            action="user.disabled",
            target_type="user",
            target_id=user.id,
            before={"disabled": False},
            after={"disabled": True},
            details={"sessions_revoked": sessions, "refresh_tokens_revoked": refresh},
        )
        return user

    async def _by_email_for_update(self, session: AsyncSession, email: str) -> User:
        found = await identity_repo.user_by_email(session, email)
        user = await identity_repo.user_for_update(session, found.id) if found else None
        if user is None:
            raise UserNotFound("No person has this email.", field="email")
        return user


def _check_role(role: str) -> None:
    if role not in OPERATOR_ROLE_NAMES:
        raise ValidationFailed(f"role must be one of {', '.join(OPERATOR_ROLE_NAMES)}", field="role")


login_service = LoginService()
