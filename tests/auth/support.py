"""What the key-rotation tests of both entry points (the CLI's rotate-salt and the merchant's regenerate) check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import update

from lightspeedpay.models import ApiCredentialSecret
from tests.factories import MerchantClient


async def replaced_secret_works_until_its_grace_ends(
    platform: Any, session: Any, http: httpx.AsyncClient, key: str, old: str, new: str
) -> MerchantClient:
    """Within the grace period the replaced secret signs requests and opens Basic auth on /v1 as the new one does;
    once it ends (moved into the past here), only the new one works: 401 INVALID_SIGNATURE and 401 on /v1.
    Returns the new secret's client."""
    old_client = MerchantClient(platform.api_url, key, old, http)
    new_client = MerchantClient(platform.api_url, key, new, http)
    assert (await old_client.pay()).status_code == 201
    assert (await new_client.pay()).status_code == 201
    async with httpx.AsyncClient(base_url=platform.api_url, auth=(key, old)) as basic:
        assert (await basic.get("/v1/payments")).status_code == 200
        await session.execute(
            update(ApiCredentialSecret)
            .where(ApiCredentialSecret.expires_at.is_not(None))
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        await session.commit()
        refused = await old_client.pay()
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "INVALID_SIGNATURE"
        assert (await basic.get("/v1/payments")).status_code == 401
    assert (await new_client.pay()).status_code == 201
    return new_client
