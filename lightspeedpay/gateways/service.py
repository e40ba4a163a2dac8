"""Adding gateways to the pool and opening their credentials for the adapters."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.gateways.adapters import get_adapter
from lightspeedpay.gateways.adapters.base import GatewayAccount
from lightspeedpay.kit import crypto
from lightspeedpay.models import PaymentGateway

IST = ZoneInfo("Asia/Kolkata")


def volume_month(at: datetime | None = None) -> date:
    """Monthly limits run by calendar month in India."""
    local = (at or datetime.now(UTC)).astimezone(IST)
    return local.date().replace(day=1)


class GatewayService:
    def __init__(self) -> None:
        self._accounts: dict[tuple[uuid.UUID, str], GatewayAccount] = {}

    async def add(self, session: AsyncSession, *, name: str, provider: str, base_url: str,
                  credentials: dict[str, str], monthly_limit: int = 100_000_000, priority: int = 1,
                  gateway_id: uuid.UUID | None = None) -> PaymentGateway:
        adapter = get_adapter(provider)
        missing = [f for f in adapter.credential_fields if not credentials.get(f)]
        if missing:
            raise ValueError(f"{provider} gateways need credentials: {', '.join(missing)}")
        first = credentials.get(adapter.credential_fields[0], "") if adapter.credential_fields else ""
        gateway = PaymentGateway(
            id=gateway_id or uuid.uuid4(), name=name, provider=provider, base_url=base_url,
            credentials_enc=crypto.encrypt(json.dumps(credentials)), credentials_hint=crypto.mask(first),
            monthly_limit=monthly_limit, current_volume=0, volume_month=volume_month(), priority=priority,
            is_active=True, temp_failed=False,
        )
        session.add(gateway)
        await session.flush()
        return gateway

    def account(self, gateway: PaymentGateway) -> GatewayAccount:
        key = (gateway.id, gateway.credentials_enc)
        if key not in self._accounts:
            self._accounts[key] = GatewayAccount(
                gateway_id=gateway.id, name=gateway.name, provider=gateway.provider, base_url=gateway.base_url,
                credentials=json.loads(crypto.decrypt(gateway.credentials_enc)),
            )
        return self._accounts[key]


gateway_service = GatewayService()
