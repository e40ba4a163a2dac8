"""A merchant's own settings, kept by its owner or admin: the business profile, the WhatsApp number and which
notices go to it, and the origins allowed to embed its checkout. Every change is audited with its before and
after. (The operator's settings of a merchant — fee, thresholds, rate limit — are `merchant_service`'s.)"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.auth.principal import MerchantAuth, principal_service
from lightspeedpay.errors import NotFound, ValidationFailed
from lightspeedpay.merchants.repository import merchant_repo
from lightspeedpay.models import Client
from lightspeedpay.monitoring import audit

# what a merchant may change of its own account; the first group cannot be cleared
REQUIRED = ("company_name", "whatsapp_txn_updates", "whatsapp_dues_reminders", "checkout_origins")
OPTIONAL = ("website", "support_email", "support_phone", "whatsapp_phone")
FIELDS = REQUIRED + OPTIONAL


class AccountSettingsService:
    async def get(self, session: AsyncSession, merchant: MerchantAuth) -> Client:
        client = await merchant_repo.get(session, merchant.id)
        if client is None:
            raise NotFound("No merchant with this id.", field="merchant_id")
        return client

    async def update(self, session: AsyncSession, merchant: MerchantAuth, changes: dict[str, Any]) -> Client:
        """Apply `changes` (validated values of FIELDS; None clears an optional one) under the merchant's row lock
        and audit what changed as `merchant.settings_changed`. Turning dues reminders off stops the WhatsApp
        notices only: suspension at the limit does not depend on it."""
        for name, value in changes.items():
            if name not in FIELDS:
                raise ValidationFailed(f"{name} is not a setting you can change.", field=name)
            if name in REQUIRED and value is None:
                raise ValidationFailed(f"{name} cannot be null.", field=name)
        client = await merchant_repo.get(session, merchant.id, for_update=True)
        if client is None:
            raise NotFound("No merchant with this id.", field="merchant_id")
        was = {name: _plain(getattr(client, name)) for name in changes}
        for name, value in changes.items():
            setattr(client, name, value)
        await session.flush()
        await session.refresh(client, ["updated_at"])  # set by the database on update
        before, after = audit.changed(was, {name: _plain(value) for name, value in changes.items()})
        if after:
            audit.record(
                session,
                actor=merchant.actor,
                action="merchant.settings_changed",
                client_id=client.id,
                target_type="merchant",
                target_id=client.id,
                before=before,
                after=after,
            )
            # the company name travels with every cached principal of the merchant's keys
            principal_service.forget(client.client_key)
        return client


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, list | tuple) else value


account_settings_service = AccountSettingsService()
