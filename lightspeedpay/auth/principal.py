"""The authenticated merchant a request acts for: what authentication yields and the services receive."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.auth.repository import principal_repo
from lightspeedpay.config import get_settings
from lightspeedpay.kit import crypto


@dataclass(frozen=True)
class MerchantAuth:
    """What request authentication needs, cached briefly per process (status is re-checked where money moves)."""

    id: uuid.UUID
    client_key: str
    salt: str
    status: str
    company_name: str


class PrincipalService:
    def __init__(self) -> None:
        self._cache: dict[str, tuple[float, MerchantAuth]] = {}

    async def by_key(self, session: AsyncSession, client_key: str) -> MerchantAuth | None:
        now = time.monotonic()
        hit = self._cache.get(client_key)
        if hit and hit[0] > now:
            return hit[1]
        client = await principal_repo.client_by_key(session, client_key)
        if client is None:
            return None
        auth = MerchantAuth(id=client.id, client_key=client.client_key, salt=crypto.decrypt(client.client_salt_enc),
                            status=client.status, company_name=client.company_name)
        self._cache[client_key] = (now + get_settings().merchant_cache_seconds, auth)
        return auth


principal_service = PrincipalService()
