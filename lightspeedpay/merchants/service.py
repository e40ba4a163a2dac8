"""Creating merchants and reading their (decrypted) credentials."""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.config import get_settings
from lightspeedpay.kit import crypto, standard_webhooks
from lightspeedpay.merchants.repository import merchant_repo
from lightspeedpay.models import Client, Wallet


@dataclass(frozen=True)
class NewMerchant:
    client: Client
    client_salt: str
    webhook_secret: str


@dataclass(frozen=True)
class MerchantAuth:
    """What request authentication needs, cached briefly per process (status is re-checked where money moves)."""

    id: uuid.UUID
    client_key: str
    salt: str
    status: str
    company_name: str


class MerchantService:
    def __init__(self) -> None:
        self._cache: dict[str, tuple[float, MerchantAuth]] = {}

    async def create(self, session: AsyncSession, *, company_name: str, webhook_url: str | None,
                     fee_percent: Decimal | None = None, suspend_threshold: int | None = None,
                     warn_threshold: int | None = None) -> NewMerchant:
        s = get_settings()
        salt = secrets.token_hex(32)
        webhook_secret = standard_webhooks.new_secret()
        client = Client(
            id=uuid.uuid4(), client_key="lsp_" + secrets.token_hex(12), client_salt_enc=crypto.encrypt(salt),
            webhook_secret_enc=crypto.encrypt(webhook_secret), company_name=company_name, webhook_url=webhook_url,
            fee_percent=fee_percent if fee_percent is not None else Decimal(s.default_fee_percent),
            suspend_threshold=suspend_threshold or s.default_suspend_threshold, status="active",
        )
        session.add(client)
        await session.flush()
        session.add(Wallet(client_id=client.id, balance_due=0,
                           warn_threshold=warn_threshold or s.default_warn_threshold))
        await session.flush()
        return NewMerchant(client=client, client_salt=salt, webhook_secret=webhook_secret)

    async def auth_by_key(self, session: AsyncSession, client_key: str) -> MerchantAuth | None:
        now = time.monotonic()
        hit = self._cache.get(client_key)
        if hit and hit[0] > now:
            return hit[1]
        client = await merchant_repo.by_key(session, client_key)
        if client is None:
            return None
        auth = MerchantAuth(id=client.id, client_key=client.client_key, salt=crypto.decrypt(client.client_salt_enc),
                            status=client.status, company_name=client.company_name)
        self._cache[client_key] = (now + get_settings().merchant_cache_seconds, auth)
        return auth

    def salt(self, client: Client) -> str:
        return crypto.decrypt(client.client_salt_enc)

    def webhook_secret(self, client: Client) -> str:
        return crypto.decrypt(client.webhook_secret_enc)


merchant_service = MerchantService()
