"""Creating merchants and reading their (decrypted) credentials."""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.config import get_settings
from lightspeedpay.errors import NotFound, ValidationFailed
from lightspeedpay.kit import crypto, standard_webhooks
from lightspeedpay.merchants.repository import merchant_repo
from lightspeedpay.models import Client, ClientPreviousSalt, Wallet


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
    salt: str  # the current client salt
    status: str
    company_name: str
    # salts rotated away from, as (salt, Unix time it stops verifying): a rotation's grace period
    previous_salts: tuple[tuple[str, float], ...] = ()

    def valid_salts(self, now: float) -> list[str]:
        return [self.salt, *(salt for salt, expires in self.previous_salts if expires > now)]


class MerchantService:
    def __init__(self) -> None:
        self._cache: dict[str, tuple[float, MerchantAuth]] = {}

    async def create(self, session: AsyncSession, *, company_name: str, webhook_url: str | None,
                     fee_percent: Decimal | None = None, suspend_threshold: int | None = None,
                     warn_threshold: int | None = None, whatsapp_phone: str | None = None,
                     whatsapp_txn_updates: bool = False, settle_dues_from_settlement: bool = False) -> NewMerchant:
        s = get_settings()
        salt = secrets.token_hex(32)
        webhook_secret = standard_webhooks.new_secret()
        client = Client(
            id=uuid.uuid4(), client_key="lsp_" + secrets.token_hex(12), client_salt_enc=crypto.encrypt(salt),
            webhook_secret_enc=crypto.encrypt(webhook_secret), company_name=company_name, webhook_url=webhook_url,
            fee_percent=fee_percent if fee_percent is not None else Decimal(s.default_fee_percent),
            suspend_threshold=suspend_threshold or s.default_suspend_threshold, status="active",
            whatsapp_phone=whatsapp_phone, whatsapp_txn_updates=whatsapp_txn_updates,
            settle_dues_from_settlement=settle_dues_from_settlement,
        )
        session.add(client)
        await session.flush()
        session.add(Wallet(client_id=client.id, balance_due=0,
                           warn_threshold=warn_threshold or s.default_warn_threshold))
        await session.flush()
        from lightspeedpay.webhooks.endpoints import endpoint_service

        await endpoint_service.create_default(session, client, webhook_secret)  # webhook_url as an endpoint
        return NewMerchant(client=client, client_salt=salt, webhook_secret=webhook_secret)

    async def auth_by_key(self, session: AsyncSession, client_key: str, *, fresh: bool = False) -> MerchantAuth | None:
        """From the per-process cache unless `fresh` (a signature that matched no cached salt is checked once
        more against the database, so a rotation made through another process counts at once)."""
        now = time.monotonic()
        hit = self._cache.get(client_key)
        if hit and hit[0] > now and not fresh:
            return hit[1]
        client = await merchant_repo.by_key(session, client_key)
        if client is None:
            return None
        previous = await merchant_repo.previous_salts(session, client.id, datetime.now(UTC))
        auth = MerchantAuth(id=client.id, client_key=client.client_key, salt=crypto.decrypt(client.client_salt_enc),
                            status=client.status, company_name=client.company_name,
                            previous_salts=tuple((crypto.decrypt(p.salt_enc), p.expires_at.timestamp())
                                                 for p in previous))
        self._cache[client_key] = (now + get_settings().merchant_cache_seconds, auth)
        return auth

    async def rotate_salt(self, session: AsyncSession, client_id: uuid.UUID, *, grace_seconds: int,
                          actor: str) -> str:
        """A new client salt, returned once (it is stored encrypted); the old one keeps verifying requests for
        `grace_seconds` (0: refused at once, for a leaked salt) so the merchant can roll its servers over."""
        from lightspeedpay.monitoring import audit

        if grace_seconds < 0:
            raise ValidationFailed("grace_seconds must be 0 or more.", field="grace_seconds")
        client = await merchant_repo.get(session, client_id, for_update=True)
        if client is None:
            raise NotFound("No merchant with this id.", field="merchant_id")
        now = datetime.now(UTC)
        if grace_seconds > 0:
            session.add(ClientPreviousSalt(client_id=client.id, salt_enc=client.client_salt_enc, retired_at=now,
                                           expires_at=now + timedelta(seconds=grace_seconds)))
        salt = secrets.token_hex(32)
        client.client_salt_enc = crypto.encrypt(salt)
        await session.flush()
        audit.record(session, actor=actor, action="merchant.salt_rotated", client_id=client.id,
                     subject_type="merchant", subject_id=client.id, details={"grace_seconds": grace_seconds})
        self._cache.pop(client.client_key, None)
        return salt

    async def update_settings(self, session: AsyncSession, client_id: uuid.UUID, changes: dict[str, Any], *,
                              actor: str) -> tuple[Client, Wallet]:
        """Dues and notification settings; a new suspend_threshold suspends or resumes at once."""
        from lightspeedpay.ledger.repository import ledger_repo
        from lightspeedpay.merchants.dues import dues_service
        from lightspeedpay.monitoring import audit

        if await merchant_repo.get(session, client_id) is None:
            raise NotFound("No merchant with this id.", field="merchant_id")
        for name in ("warn_threshold", "suspend_threshold", "fee_percent", "whatsapp_txn_updates",
                     "settle_dues_from_settlement"):
            if name in changes and changes[name] is None:
                raise ValidationFailed(f"{name} cannot be null.", field=name)
        wallet = await ledger_repo.lock_wallet(session, client_id)  # the ledger's lock order: wallet, then client
        client = await ledger_repo.lock_client(session, client_id)
        before: dict[str, Any] = {}
        for name, value in changes.items():
            target: Any = wallet if name == "warn_threshold" else client
            before[name] = getattr(target, name)
            setattr(target, name, value)
        await session.flush()
        audit.record(session, actor=actor, action="merchant.settings_updated", client_id=client_id,
                     subject_type="merchant", subject_id=client_id,
                     details={"before": _plain(before), "after": _plain(changes)})
        if "suspend_threshold" in changes:
            await dues_service.apply_threshold(session, client, wallet, actor=actor)
        return client, wallet

    def salt(self, client: Client) -> str:
        return crypto.decrypt(client.client_salt_enc)

    def webhook_secret(self, client: Client) -> str:
        return crypto.decrypt(client.webhook_secret_enc)


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    return {k: str(v) if isinstance(v, Decimal) else v for k, v in values.items()}


merchant_service = MerchantService()
