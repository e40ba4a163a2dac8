"""Creating merchants and reading their (decrypted) credentials."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.auth.principal import principal_service
from lightspeedpay.config import get_settings
from lightspeedpay.errors import NotFound, ValidationFailed
from lightspeedpay.kit import crypto, standard_webhooks
from lightspeedpay.kit.pagination import page_cursor, parse_cursor
from lightspeedpay.ledger.dues import dues_service
from lightspeedpay.ledger.repository import ledger_repo
from lightspeedpay.merchants.credentials import credential_service, new_key_id
from lightspeedpay.merchants.repository import merchant_repo
from lightspeedpay.models import Client, Wallet
from lightspeedpay.models.api_credential import Mode
from lightspeedpay.models.client import ClientStatus, KycStatus
from lightspeedpay.monitoring import audit
from lightspeedpay.webhooks.endpoint_service import endpoint_service


@dataclass(frozen=True)
class NewMerchant:
    client: Client
    client_salt: str | None  # the live key's secret (client.client_key is its key id); None before activation
    webhook_secret: str
    test_key_id: str
    test_secret: str


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
        kyc_status: str,
        actor: str | None = None,
    ) -> NewMerchant:
        """Both API credentials come with it: test, and live (its key id is the client_key). `kyc_status`, always
        said: a merchant an operator onboards (the CLI, the demo, tests) is activated at once, so its live key
        works; a self-signup passes `draft` and gets a live key id with no secret until its KYC is activated.
        `actor`: who creates it, for the audit log (the CLI, the demo seed)."""
        s = get_settings()
        webhook_secret = standard_webhooks.new_secret()
        client = Client(
            id=uuid.uuid4(),
            client_key=new_key_id(Mode.LIVE),
            kyc_status=kyc_status,
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
        salt, test_key_id, test_secret = await credential_service.create_for(
            session, client, live_key_id=client.client_key, with_live_secret=kyc_status == KycStatus.ACTIVATED
        )
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
                        "test_key_id": test_key_id,
                        "kyc_status": kyc_status,
                        "webhook_url": webhook_url,
                        "fee_percent": client.fee_percent,
                        "suspend_threshold": client.suspend_threshold,
                        "whatsapp_phone": whatsapp_phone,
                    }
                ),
            )
        return NewMerchant(
            client=client,
            client_salt=salt,
            webhook_secret=webhook_secret,
            test_key_id=test_key_id,
            test_secret=test_secret,
        )

    async def rotate_salt(
        self, session: AsyncSession, client_id: uuid.UUID, *, grace_seconds: int, actor: str
    ) -> str:
        """A new live secret (the client salt), returned once; the old one keeps verifying requests for
        `grace_seconds` (0: refused at once, for a leaked salt). The CLI's name for regenerating the live key."""
        regenerated = await credential_service.regenerate(
            session, client_id, Mode.LIVE, grace_seconds=grace_seconds, actor=actor
        )
        return regenerated.secret

    async def account(self, session: AsyncSession, client_id: uuid.UUID) -> tuple[Client, Wallet]:
        """The merchant and its wallet (dues, thresholds)."""
        client = await merchant_repo.get(session, client_id)
        if client is None:
            raise NotFound("No merchant with this id.", field="merchant_id")
        return client, await merchant_repo.wallet(session, client.id)

    async def page(
        self, session: AsyncSession, *, search: str | None, limit: int, cursor: str | None
    ) -> tuple[list[tuple[Client, Wallet]], str | None]:
        """Merchants with their wallets, newest first, keyset-paginated; `search`: an id, a live key id, an email of
        its team or KYC contact, or a part of its name."""
        rows = await merchant_repo.page(
            session, search=(search or "").strip() or None, after=parse_cursor(cursor), limit=limit + 1
        )
        return rows[:limit], page_cursor(rows, limit, key=lambda row: row[0])

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

    def webhook_secret(self, client: Client) -> str:
        return crypto.decrypt(client.webhook_secret_enc)


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    return {k: str(v) if isinstance(v, Decimal) else v for k, v in values.items()}


merchant_service = MerchantService()
