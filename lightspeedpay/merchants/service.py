"""Creating merchants and reading their (decrypted) credentials."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.auth.principal import principal_service
from lightspeedpay.config import get_settings
from lightspeedpay.errors import NotFound, ValidationFailed
from lightspeedpay.kit import crypto, standard_webhooks
from lightspeedpay.ledger.dues import dues_service
from lightspeedpay.ledger.repository import ledger_repo
from lightspeedpay.merchants.repository import merchant_repo
from lightspeedpay.models import Client, ClientPreviousSalt, Wallet
from lightspeedpay.models.client import ClientStatus
from lightspeedpay.monitoring import audit
from lightspeedpay.webhooks.endpoint_service import endpoint_service


@dataclass(frozen=True)
class NewMerchant:
    client: Client
    client_salt: str
    webhook_secret: str


class MerchantService:
    async def create(
        self,
        session: AsyncSession,
        *,
        company_name: str,
        webhook_url: str | None,
        fee_percent: Decimal | None = None,
        suspend_threshold: int | None = None,
        warn_threshold: int | None = None,
        whatsapp_phone: str | None = None,
        whatsapp_txn_updates: bool = False,
        settle_dues_from_settlement: bool = False,
        checkout_origins: list[str] | None = None,
        actor: str | None = None,
    ) -> NewMerchant:
        """`actor`: who creates it, for the audit log (the CLI, the demo seed)."""
        s = get_settings()
        salt = secrets.token_hex(32)
        webhook_secret = standard_webhooks.new_secret()
        client = Client(
            id=uuid.uuid4(),
            client_key="lsp_" + secrets.token_hex(12),
            client_salt_enc=crypto.encrypt(salt),
            webhook_secret_enc=crypto.encrypt(webhook_secret),
            company_name=company_name,
            webhook_url=webhook_url,
            fee_percent=fee_percent if fee_percent is not None else Decimal(s.default_fee_percent),
            suspend_threshold=suspend_threshold or s.default_suspend_threshold,
            status=ClientStatus.ACTIVE,
            whatsapp_phone=whatsapp_phone,
            whatsapp_txn_updates=whatsapp_txn_updates,
            settle_dues_from_settlement=settle_dues_from_settlement,
            checkout_origins=checkout_origins or [],
        )
        session.add(client)
        await session.flush()
        session.add(
            Wallet(
                client_id=client.id, balance_due=0, warn_threshold=warn_threshold or s.default_warn_threshold
            )
        )
        await session.flush()
        await endpoint_service.create_default(session, client, webhook_secret)  # webhook_url as an endpoint
        if actor is not None:
            audit.record(
                session,
                actor=actor,
                action="merchant.created",
                client_id=client.id,
                target_type="merchant",
                target_id=client.id,
                after=audit.plain(
                    {
                        "company_name": company_name,
                        "client_key": client.client_key,
                        "webhook_url": webhook_url,
                        "fee_percent": client.fee_percent,
                        "suspend_threshold": client.suspend_threshold,
                        "whatsapp_phone": whatsapp_phone,
                    }
                ),
            )
        return NewMerchant(client=client, client_salt=salt, webhook_secret=webhook_secret)

    async def rotate_salt(
        self, session: AsyncSession, client_id: uuid.UUID, *, grace_seconds: int, actor: str
    ) -> str:
        """A new client salt, returned once (it is stored encrypted); the old one keeps verifying requests for
        `grace_seconds` (0: refused at once, for a leaked salt) so the merchant can roll its servers over."""
        if grace_seconds < 0:
            raise ValidationFailed("grace_seconds must be 0 or more.", field="grace_seconds")
        client = await merchant_repo.get(session, client_id, for_update=True)
        if client is None:
            raise NotFound("No merchant with this id.", field="merchant_id")
        now = datetime.now(UTC)
        if grace_seconds > 0:
            session.add(
                ClientPreviousSalt(
                    client_id=client.id,
                    salt_enc=client.client_salt_enc,
                    retired_at=now,
                    expires_at=now + timedelta(seconds=grace_seconds),
                )
            )
        salt = secrets.token_hex(32)
        client.client_salt_enc = crypto.encrypt(salt)
        await session.flush()
        # the salts themselves never go in: only that one replaced the other, and how long the old one lives
        audit.record(
            session,
            actor=actor,
            action="merchant.salt_rotated",
            client_id=client.id,
            target_type="merchant",
            target_id=client.id,
            before={"client_salt": "(previous)"},
            after={
                "client_salt": "(new, shown once)",
                "previous_salt_valid_until": (now + timedelta(seconds=grace_seconds)).isoformat()
                if grace_seconds > 0
                else None,
            },
            details={"grace_seconds": grace_seconds},
        )
        principal_service.forget(client.client_key)
        return salt

    async def account(self, session: AsyncSession, client_id: uuid.UUID) -> tuple[Client, Wallet]:
        """The merchant and its wallet (dues, thresholds)."""
        client = await merchant_repo.get(session, client_id)
        if client is None:
            raise NotFound("No merchant with this id.", field="merchant_id")
        return client, await merchant_repo.wallet(session, client.id)

    async def update_settings(
        self, session: AsyncSession, client_id: uuid.UUID, changes: dict[str, Any], *, actor: str
    ) -> tuple[Client, Wallet]:
        """Dues and notification settings; a new suspend_threshold suspends or resumes at once."""
        if await merchant_repo.get(session, client_id) is None:
            raise NotFound("No merchant with this id.", field="merchant_id")
        for name in (
            "warn_threshold",
            "suspend_threshold",
            "fee_percent",
            "whatsapp_txn_updates",
            "settle_dues_from_settlement",
            "checkout_origins",
        ):
            if name in changes and changes[name] is None:
                raise ValidationFailed(f"{name} cannot be null.", field=name)
        wallet = await ledger_repo.lock_wallet(
            session, client_id
        )  # the ledger's lock order: wallet, then client
        client = await ledger_repo.lock_client(session, client_id)
        before: dict[str, Any] = {}
        for name, value in changes.items():
            target: Any = wallet if name == "warn_threshold" else client
            before[name] = getattr(target, name)
            setattr(target, name, value)
        await session.flush()
        principal_service.forget(client.client_key)  # a new rate limit counts at once in this process
        audit.record(
            session,
            actor=actor,
            action="merchant.settings_updated",
            client_id=client_id,
            target_type="merchant",
            target_id=client_id,
            before=_plain(before),
            after=_plain(changes),
        )
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
