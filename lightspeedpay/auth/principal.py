"""The authenticated merchant a request acts for, and in which mode: what authentication yields and the services
receive. A merchant has an API credential per mode (test, live); a request is in the mode of the credential it
was authenticated with (a person's request: the mode the `X-Mode` header picks)."""

from __future__ import annotations

import ipaddress
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.auth.permissions import API_CREDENTIAL_PERMISSIONS
from lightspeedpay.auth.repository import principal_repo
from lightspeedpay.config import get_settings
from lightspeedpay.errors import IpNotAllowed, LiveModeNotActivated, Unauthorized
from lightspeedpay.kit import crypto
from lightspeedpay.models.api_credential import Mode
from lightspeedpay.models.client import ClientStatus, KycStatus


@dataclass(frozen=True)
class MerchantAuth:
    """What request authentication needs, cached briefly per process (status is re-checked where money moves)."""

    id: uuid.UUID
    client_key: str  # the merchant's client_key (its live key id): its name in logs and the CLI
    status: str
    company_name: str
    mode: str = Mode.LIVE  # what the request reads and creates: test data or live data, never both
    credential_id: uuid.UUID | None = None
    key_id: str = ""  # the key id of the credential (of `mode`)
    kyc_status: str = KycStatus.ACTIVATED
    # the credential's secrets that verify requests, as (secret, Unix time it stops verifying; inf: the current
    # one): the older ones are in a regeneration's grace period
    secrets: tuple[tuple[str, float], ...] = ()
    ip_allowlist: tuple[str, ...] = ()  # CIDRs the credential may be used from; empty: anywhere
    # what this request may do: a signed request's API credential has API_CREDENTIAL_PERMISSIONS; a person
    # acting for the merchant (session or access token) has their role's
    permissions: frozenset[str] = API_CREDENTIAL_PERMISSIONS
    support_refund_limit: int | None = None  # the merchant's own cap for its support role, if it set one
    user_id: uuid.UUID | None = None  # the person, when one acts (not the API credential)
    user_email: str | None = None
    role: str | None = None
    # Unix time the person last proved who they are (login or re-authentication): sensitive actions need it recent
    authenticated_at: float | None = None
    email_verified: bool = True  # False for a person who has not confirmed their address yet
    rate_limit_per_minute: int | None = None  # None: LSP_RATE_LIMIT_PER_MINUTE

    @property
    def rate_limit_caller(self) -> str:
        """Whose requests one rate limit counts: the person acting, or the API credential (each mode's key its own)."""
        return f"user:{self.user_id}" if self.user_id else f"key:{self.key_id or self.client_key}"

    @property
    def actor(self) -> str:
        """How the audit log names whoever acts: the person, or the merchant's API credential."""
        return f"user:{self.user_email}" if self.user_email else f"merchant:{self.key_id or self.client_key}"

    @property
    def livemode(self) -> bool:
        return self.mode == Mode.LIVE

    def valid_secrets(self, now: float) -> list[str]:
        return [secret for secret, expires in self.secrets if expires > now]


def admit(merchant: MerchantAuth, *, client_host: str | None, by_credential: bool) -> None:
    """What a merchant authenticated by key may not do whatever its secret: act when disabled, use live mode
    before KYC activation, or (with an API credential) call from outside the credential's IP allowlist."""
    if merchant.status == ClientStatus.DISABLED:
        raise Unauthorized("This merchant account is disabled.")
    if merchant.mode == Mode.LIVE and merchant.kyc_status != KycStatus.ACTIVATED:
        raise LiveModeNotActivated(
            f"Live mode works once your KYC is activated (it is {merchant.kyc_status}); use your test key "
            "(lsp_test_…) until then."
        )
    if by_credential and merchant.ip_allowlist and not ip_allowed(client_host, merchant.ip_allowlist):
        raise IpNotAllowed(
            f"Requests with this {merchant.mode} key are allowed only from its IP allowlist; "
            f"{client_host or 'this address'} is not on it."
        )


def ip_allowed(client_host: str | None, cidrs: tuple[str, ...]) -> bool:
    if not client_host:
        return False
    try:
        address = ipaddress.ip_address(client_host)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)


class PrincipalService:
    def __init__(self) -> None:
        self._cache: dict[str, tuple[float, MerchantAuth]] = {}

    async def by_client(
        self, session: AsyncSession, merchant_id: uuid.UUID, mode: str
    ) -> MerchantAuth | None:
        """The merchant a person acts for (their membership names it by id), in `mode`: cached as an API key's is
        (a live refusal for KYC is read again by `signature.admitted`)."""
        key_id = await principal_repo.key_id_of(session, merchant_id, mode)
        return await self.by_key(session, key_id) if key_id else None

    def cached(self, key_id: str) -> MerchantAuth | None:
        """The per-process cache's merchant for a key id while it is fresh; None otherwise (ask `by_key`)."""
        hit = self._cache.get(key_id)
        return hit[1] if hit and hit[0] > time.monotonic() else None

    async def by_key(self, session: AsyncSession, key_id: str, *, fresh: bool = False) -> MerchantAuth | None:
        """From the per-process cache unless `fresh` (a signature that matched no cached secret is checked once
        more against the database, so a regeneration made through another process counts at once)."""
        now = time.monotonic()
        hit = self._cache.get(key_id)
        if hit and hit[0] > now and not fresh:
            return hit[1]
        found = await principal_repo.credential_by_key(session, key_id)
        if found is None:
            return None
        credential, client = found
        secrets = await principal_repo.live_secrets(session, credential.id, datetime.now(UTC))
        auth = MerchantAuth(
            id=client.id,
            client_key=client.client_key,
            status=client.status,
            company_name=client.company_name,
            mode=credential.mode,
            credential_id=credential.id,
            key_id=credential.key_id,
            kyc_status=client.kyc_status,
            secrets=tuple(
                (crypto.decrypt(s.secret_enc), s.expires_at.timestamp() if s.expires_at else float("inf"))
                for s in secrets
            ),
            ip_allowlist=tuple(credential.ip_allowlist),
            support_refund_limit=client.support_refund_limit,
            rate_limit_per_minute=client.rate_limit_per_minute,
        )
        self._cache[key_id] = (now + get_settings().merchant_cache_seconds, auth)
        return auth

    def forget(self, key: str) -> None:
        """Drop a key id from the cache; given a merchant's client_key, every key of that merchant (its status,
        KYC state or settings changed)."""
        self._cache.pop(key, None)
        for key_id, (_, auth) in list(self._cache.items()):
            if auth.client_key == key:
                self._cache.pop(key_id, None)


principal_service = PrincipalService()
