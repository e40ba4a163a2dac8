"""The simulator's accounts (kept in a JSON file so they survive restarts) and its in-memory orders."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from lightspeedpay.kit.logging import log


@dataclass
class Account:
    key_id: str
    key_secret: str
    webhook_secret: str
    provider: str = "sandbox"
    webhook_url: str = ""
    # test modes: resolve every payment automatically ("success"/"failure"), after delay_ms
    auto_outcome: str | None = None
    delay_ms: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Order:
    id: str
    key_id: str
    amount: int
    currency: str
    receipt: str
    notes: dict[str, Any]
    return_url: str
    webhook_url: str
    status: str = "created"
    payment_id: str | None = None
    error_code: str | None = None
    refunds: list[dict[str, Any]] = field(default_factory=list)
    created_at: int = field(default_factory=lambda: int(time.time()))
    # what one PSP's wire format needs beyond the above (payments, form fields, PSP-side ids)
    extra: dict[str, Any] = field(default_factory=dict)


class SimulatorState:
    def __init__(self, accounts_file: str) -> None:
        self.path = Path(accounts_file)
        self.accounts: dict[str, Account] = {}
        self.orders: dict[str, Order] = {}
        self.by_receipt: dict[tuple[str, str], str] = {}
        self.webhooks_sent: list[dict[str, Any]] = []
        self.tasks: set[asyncio.Task[None]] = set()
        # switchable faults per account (faults.Faults), kept in memory: a restart clears them
        self.faults: dict[str, Any] = {}
        # API calls per account being held by a `timeout` fault right now (tests wait for a hang to begin)
        self.held: dict[str, int] = {}
        # OAuth access tokens the simulator issued: token -> (key_id, expiry on time.time())
        self.tokens: dict[str, tuple[str, float]] = {}
        # the penny-drop stand-in's registered account holders: account number -> name at the bank
        self.bank_accounts: dict[str, str] = {}
        self.load()

    def load(self) -> None:
        if self.path.exists():
            for raw in json.loads(self.path.read_text() or "{}").values():
                self.accounts[raw["key_id"]] = Account(**raw)

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({k: asdict(a) for k, a in self.accounts.items()}, indent=1))
        tmp.replace(self.path)

    def account(self, key_id: str) -> Account | None:
        if key_id not in self.accounts:
            self.load()  # another process (the CLI) may have registered it
        return self.accounts.get(key_id)

    def upsert_account(self, account: Account) -> None:
        self.accounts[account.key_id] = account
        self.save()

    @staticmethod
    def new_id(prefix: str) -> str:
        return f"{prefix}{secrets.token_hex(7)}"

    def spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def deliver(self, url: str, body: bytes, headers: dict[str, str], *, delay_ms: int = 0) -> None:
        """Send a webhook as a PSP does: retried a few times until the platform answers 2xx."""
        if delay_ms:
            await asyncio.sleep(delay_ms / 1000)
        async with httpx.AsyncClient(timeout=10) as client:
            for attempt in range(5):
                try:
                    resp = await client.post(
                        url, content=body, headers={"content-type": "application/json", **headers}
                    )
                    self.webhooks_sent.append({"url": url, "status": resp.status_code, "attempt": attempt})
                    if resp.status_code < 300:
                        return
                except httpx.HTTPError as exc:
                    log.warning("simulator_webhook_failed", url=url, error=type(exc).__name__)
                await asyncio.sleep(0.5 * (attempt + 1))
