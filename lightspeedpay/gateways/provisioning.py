"""Adding a PSP account to the pool from the command line or the demo seed; a sandbox account is registered
on the PSP simulator too."""

from __future__ import annotations

import secrets

from lightspeedpay.config import get_settings
from lightspeedpay.db import sessionmaker
from lightspeedpay.gateways.service import gateway_service
from lightspeedpay.gateways.simulator.state import Account, SimulatorState


async def add_gateway(
    *,
    name: str,
    provider: str,
    base_url: str | None,
    credentials: dict[str, str] | None,
    monthly_limit: int,
    priority: int,
    actor: str | None = None,
) -> tuple[str, dict[str, str]]:
    """Adds a gateway; a sandbox gateway without credentials gets fresh ones registered on the simulator.
    `actor`: who adds it, for the audit log."""
    s = get_settings()
    creds = credentials or {
        "key_id": f"sbx_key_{secrets.token_hex(6)}",
        "key_secret": secrets.token_hex(16),
        "webhook_secret": secrets.token_hex(16),
    }
    async with sessionmaker()() as session:
        gw = await gateway_service.add(
            session,
            name=name,
            provider=provider,
            base_url=base_url or s.simulator_url,
            credentials=creds,
            monthly_limit=monthly_limit,
            priority=priority,
            actor=actor,
        )
        await session.commit()
    if provider == "sandbox" and (base_url is None or base_url == s.simulator_url):
        register_simulator_account(creds, provider)
    return str(gw.id), creds


def register_simulator_account(creds: dict[str, str], provider: str) -> None:
    state = SimulatorState(get_settings().simulator_accounts_file)
    state.upsert_account(
        Account(
            key_id=creds["key_id"],
            key_secret=creds["key_secret"],
            webhook_secret=creds["webhook_secret"],
            provider=provider,
        )
    )
