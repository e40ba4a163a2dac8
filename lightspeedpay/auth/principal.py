"""The authenticated merchant a request acts for: what authentication yields and the services receive."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.auth.permissions import API_CREDENTIAL_PERMISSIONS
from lightspeedpay.auth.repository import principal_repo
from lightspeedpay.config import get_settings
from lightspeedpay.kit import crypto
from lightspeedpay.models import Client


@dataclass(frozen=True)
class MerchantAuth:
    """What request authentication needs, cached briefly per process (status is re-checked where money moves)."""

    id: uuid.UUID
    client_key: str
    salt: str  # the current client salt
    status: str
    company_name: str
    # salts rotated away from, as (salt, Unix time it stops verifying): a rotation's grace period
    previous_salts: tuple[tuple[str, float], ...] = ()
    # what this request may do: a signed request's API credential has API_CREDENTIAL_PERMISSIONS; a person
    # acting for the merchant (session or access token) has their role's
    permissions: frozenset[str] = API_CREDENTIAL_PERMISSIONS
    support_refund_limit: int | None = None  # the merchant's own cap for its support role, if it set one
    user_id: uuid.UUID | None = None  # the person, when one acts (not the API credential)
    user_email: str | None = None
    role: str | None = None
    # Unix time the person last proved who they are (login or re-authentication): sensitive actions need it recent
    authenticated_at: float | None = None

    @property
    def actor(self) -> str:
        """How the audit log names whoever acts: the person, or the merchant's API credential."""
        return f"user:{self.user_email}" if self.user_email else f"merchant:{self.client_key}"

    def valid_salts(self, now: float) -> list[str]:
        return [self.salt, *(salt for salt, expires in self.previous_salts if expires > now)]


class PrincipalService:
    def __init__(self) -> None:
        self._cache: dict[str, tuple[float, MerchantAuth]] = {}

    async def by_id(self, session: AsyncSession, merchant_id: uuid.UUID) -> MerchantAuth | None:
        """The merchant a person acts for (their membership names it by id)."""
        client = await session.get(Client, merchant_id)
        return await self.by_key(session, client.client_key) if client else None

    async def by_key(
        self, session: AsyncSession, client_key: str, *, fresh: bool = False
    ) -> MerchantAuth | None:
        """From the per-process cache unless `fresh` (a signature that matched no cached salt is checked once
        more against the database, so a rotation made through another process counts at once)."""
        now = time.monotonic()
        hit = self._cache.get(client_key)
        if hit and hit[0] > now and not fresh:
            return hit[1]
        client = await principal_repo.client_by_key(session, client_key)
        if client is None:
            return None
        previous = await principal_repo.previous_salts(session, client.id, datetime.now(UTC))
        auth = MerchantAuth(
            id=client.id,
            client_key=client.client_key,
            salt=crypto.decrypt(client.client_salt_enc),
            status=client.status,
            company_name=client.company_name,
            support_refund_limit=client.support_refund_limit,
            previous_salts=tuple((crypto.decrypt(p.salt_enc), p.expires_at.timestamp()) for p in previous),
        )
        self._cache[client_key] = (now + get_settings().merchant_cache_seconds, auth)
        return auth

    def forget(self, client_key: str) -> None:
        self._cache.pop(client_key, None)


principal_service = PrincipalService()
