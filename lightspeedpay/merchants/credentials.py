"""A merchant's API credentials, one per mode: made with the merchant, listed masked, regenerated with a grace
period for the old secret, limited to an IP allowlist. Secrets are stored encrypted and shown once."""

from __future__ import annotations

import ipaddress
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.auth.principal import MerchantAuth, principal_service
from lightspeedpay.errors import Conflict, LiveModeNotActivated, NotFound, ValidationFailed
from lightspeedpay.identity.deps import PermissionDenied, require_recent_login, require_verified_email
from lightspeedpay.kit import crypto
from lightspeedpay.merchants.repository import credential_repo, merchant_repo
from lightspeedpay.models import ApiCredential, ApiCredentialSecret, Client
from lightspeedpay.models.api_credential import Mode
from lightspeedpay.models.client import KycStatus
from lightspeedpay.monitoring import audit

MAX_UNEXPIRED_SECRETS = 10  # per credential: the current one and those still in a grace period
MAX_GRACE_SECONDS = 86_400
MAX_ALLOWLIST = 50


class TooManySecrets(Conflict):
    status_code, code = 409, "TOO_MANY_SECRETS"


class SecretAlreadyRevealed(Conflict):
    status_code, code = 409, "SECRET_ALREADY_REVEALED"


class NoSecretYet(NotFound):
    code = "NO_SECRET_YET"


def new_key_id(mode: str) -> str:
    return f"lsp_{mode}_" + secrets.token_hex(12)


def new_secret() -> str:
    return secrets.token_hex(32)


@dataclass(frozen=True)
class Regenerated:
    credential: ApiCredential
    secret: str  # shown this once
    created_at: datetime
    previous_expires_at: datetime | None  # when the replaced secret stops working (None: there was none)


@dataclass(frozen=True)
class Revealed:
    credential: ApiCredential
    secret: str  # the current secret in full: shown this once
    created_at: datetime
    revealed_at: datetime


class CredentialService:
    async def create_for(
        self, session: AsyncSession, client: Client, *, live_key_id: str, with_live_secret: bool
    ) -> tuple[str | None, str, str]:
        """Both credentials of a new merchant: (live secret or None, test key id, test secret). The live key id
        is the merchant's client_key; a merchant not yet activated gets no live secret (it makes one after
        activation)."""
        live = ApiCredential(id=uuid.uuid4(), client_id=client.id, mode=Mode.LIVE, key_id=live_key_id)
        test = ApiCredential(
            id=uuid.uuid4(), client_id=client.id, mode=Mode.TEST, key_id=new_key_id(Mode.TEST)
        )
        session.add_all([live, test])
        await session.flush()
        live_secret = self._add_secret(session, live) if with_live_secret else None
        test_secret = self._add_secret(session, test)
        await session.flush()
        return live_secret, test.key_id, test_secret

    @staticmethod
    def _add_secret(
        session: AsyncSession, credential: ApiCredential, *, revealed_at: datetime | None = None
    ) -> str:
        """A new current secret; `revealed_at`: it is shown to a person now (a regeneration's answer)."""
        secret = new_secret()
        session.add(
            ApiCredentialSecret(
                credential_id=credential.id,
                secret_enc=crypto.encrypt(secret),
                last4=secret[-4:],
                revealed_at=revealed_at,
            )
        )
        return secret

    async def listing(
        self, session: AsyncSession, client_id: uuid.UUID
    ) -> list[tuple[ApiCredential, list[ApiCredentialSecret]]]:
        """Each credential with its secrets that still work (masked by the caller: last 4 only)."""
        credentials = await credential_repo.of_merchant(session, client_id)
        live = await credential_repo.unexpired_secrets(
            session, [c.id for c in credentials], datetime.now(UTC)
        )
        return [(c, [s for s in live if s.credential_id == c.id]) for c in credentials]

    async def regenerate(
        self,
        session: AsyncSession,
        client_id: uuid.UUID,
        mode: str,
        *,
        grace_seconds: int,
        actor: str,
    ) -> Regenerated:
        """A new current secret for the credential of `mode`, returned once; the one it replaces keeps working
        for `grace_seconds` (0: refused at once, for a leaked secret). At most MAX_UNEXPIRED_SECRETS work at a
        time."""
        if not 0 <= grace_seconds <= MAX_GRACE_SECONDS:
            raise ValidationFailed(
                f"grace_period_seconds must be from 0 to {MAX_GRACE_SECONDS} (24 hours).",
                field="grace_period_seconds",
            )
        client = await merchant_repo.get(session, client_id)
        if client is None:
            raise NotFound("No merchant with this id.", field="merchant_id")
        if mode == Mode.LIVE and client.kyc_status != KycStatus.ACTIVATED:
            raise LiveModeNotActivated(
                f"Live keys are issued once your KYC is activated (it is {client.kyc_status}).", field="mode"
            )
        credential = await credential_repo.lock(session, client_id, mode)
        if credential is None:
            raise NotFound(f"This merchant has no {mode} credential.", field="mode")
        now = datetime.now(UTC)
        current = await credential_repo.current_secret(session, credential.id)
        working = await credential_repo.count_unexpired(session, credential.id, now)
        after = working - (1 if current is not None and grace_seconds == 0 else 0) + 1
        if after > MAX_UNEXPIRED_SECRETS:
            raise TooManySecrets(
                f"This {mode} key already has {working} working secrets (at most {MAX_UNEXPIRED_SECRETS}); "
                "regenerate with grace_period_seconds 0, or wait for an older secret's grace period to end.",
                field="grace_period_seconds",
            )
        previous_end = None
        if current is not None:
            previous_end = now + timedelta(seconds=grace_seconds)
            current.expires_at = previous_end
            await session.flush()  # the current secret's end first: one current secret per credential
        secret = self._add_secret(session, credential, revealed_at=now)  # the answer shows it: once
        await session.flush()
        audit.record(
            session,
            actor=actor,
            action="credentials.regenerated",
            client_id=client_id,
            target_type="api_credential",
            target_id=credential.id,
            # the secrets themselves never go in: only that one replaced the other, and how long the old one lives
            before={"secret": "(previous)" if current else None, "last4": current.last4 if current else None},
            after=audit.plain(
                {
                    "mode": mode,
                    "key_id": credential.key_id,
                    "secret": "(new, shown once)",
                    "last4": secret[-4:],
                    "previous_secret_valid_until": previous_end,
                }
            ),
            details={"grace_period_seconds": grace_seconds},
        )
        principal_service.forget(credential.key_id)
        return Regenerated(credential, secret, now, previous_end)

    async def reveal(self, session: AsyncSession, merchant: MerchantAuth, mode: str) -> Revealed:
        """The current secret of the merchant's key of `mode`, in full, once: to a person of the team (never an
        API credential) who logged in or confirmed their password in the last LSP_REAUTH_SECONDS and whose email
        is verified. A secret already shown (revealed, or made by a regeneration) is refused with
        SECRET_ALREADY_REVEALED: regenerating gives a new one. Audited without the secret."""
        if merchant.user_id is None:
            raise PermissionDenied(
                "Only a person of your team can reveal a key's secret, after confirming their password; an API "
                "credential cannot."
            )
        require_recent_login(merchant.authenticated_at, is_person=True)
        require_verified_email(merchant)
        client = await merchant_repo.get(session, merchant.id)
        if client is None:
            raise NotFound("No merchant with this id.", field="merchant_id")
        if mode == Mode.LIVE and client.kyc_status != KycStatus.ACTIVATED:
            raise LiveModeNotActivated(
                f"Live keys are issued once your KYC is activated (it is {client.kyc_status}).", field="mode"
            )
        # the credential's lock: a reveal and a regeneration (or two reveals) of one key take turns
        credential = await credential_repo.lock(session, merchant.id, mode)
        if credential is None:
            raise NotFound(f"This merchant has no {mode} credential.", field="mode")
        current = await credential_repo.current_secret(session, credential.id, for_update=True)
        if current is None:
            raise NoSecretYet(
                f"Your {mode} key has no secret yet; regenerate it to make one "
                "(POST /api/v1/merchant/credentials/regenerate).",
                field="mode",
            )
        if current.revealed_at is not None:
            raise SecretAlreadyRevealed(
                f"The current {mode} secret (…{current.last4 or ''}) was already shown once, on "
                f"{current.revealed_at:%Y-%m-%d %H:%M} UTC, and is not shown again. If you no longer have it, "
                "regenerate the key: the new secret is shown to you then.",
                field="mode",
            )
        now = datetime.now(UTC)
        current.revealed_at = now
        await session.flush()
        audit.record(
            session,
            actor=merchant.actor,
            action="credential.secret_revealed",
            client_id=merchant.id,
            target_type="api_credential",
            target_id=credential.id,
            before={"revealed_at": None},
            # which secret was shown, never the secret itself
            after=audit.plain(
                {"mode": mode, "key_id": credential.key_id, "last4": current.last4, "revealed_at": now}
            ),
        )
        return Revealed(credential, crypto.decrypt(current.secret_enc), current.created_at, now)

    async def set_ip_allowlist(
        self, session: AsyncSession, client_id: uuid.UUID, mode: str, cidrs: list[str], *, actor: str
    ) -> ApiCredential:
        """Limit the credential of `mode` to requests from `cidrs` (addresses or networks); empty: anywhere."""
        if len(cidrs) > MAX_ALLOWLIST:
            raise ValidationFailed(f"At most {MAX_ALLOWLIST} entries.", field="cidrs")
        networks: list[str] = []
        for i, raw in enumerate(cidrs):
            try:
                network = str(ipaddress.ip_network(raw.strip(), strict=False))
            except ValueError:
                raise ValidationFailed(
                    f"{raw!r} is not an IP address or CIDR network (e.g. 203.0.113.0/24).",
                    field=f"cidrs[{i}]",
                ) from None
            if network not in networks:
                networks.append(network)
        credential = await credential_repo.lock(session, client_id, mode)
        if credential is None:
            raise NotFound(f"This merchant has no {mode} credential.", field="mode")
        before = list(credential.ip_allowlist)
        credential.ip_allowlist = networks
        await session.flush()
        audit.record(
            session,
            actor=actor,
            action="credentials.ip_allowlist_updated",
            client_id=client_id,
            target_type="api_credential",
            target_id=credential.id,
            before={"ip_allowlist": before},
            after={"mode": mode, "key_id": credential.key_id, "ip_allowlist": networks},
        )
        principal_service.forget(credential.key_id)
        return credential

    async def current_secret(self, session: AsyncSession, client_id: uuid.UUID, mode: str) -> str | None:
        """The current secret of the merchant's credential of `mode`, decrypted (None: none made yet)."""
        found = await credential_repo.current_secret_of(session, client_id, mode)
        return crypto.decrypt(found.secret_enc) if found else None


credential_service = CredentialService()
