"""The gateway tests' outside world, for real on loopback: the PSP simulator, a webhook receiver, a payer.

Nothing here needs PostgreSQL or Redis: adapters speak HTTP to the simulator, which posts its webhooks
to the receiver, which only records them.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest
import uvicorn

from lightspeedpay.gateways.adapters import get_adapter
from lightspeedpay.gateways.adapters.base import GatewayAccount, PspAdapter
from lightspeedpay.gateways.simulator.app import create_app
from lightspeedpay.gateways.simulator.state import SimulatorState
from lightspeedpay.kit import http


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:  # the test runner owns the process's signals
        yield


@contextlib.asynccontextmanager
async def serve(app: Any) -> AsyncIterator[str]:
    """Run an ASGI app with uvicorn on a free loopback port, in this event loop; yields its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = _Server(uvicorn.Config(app, lifespan="off", log_level="warning", timeout_graceful_shutdown=1))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@dataclass
class Hook:
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    """A merchant-side endpoint for PSP webhooks: records every request and answers 200."""

    def __init__(self) -> None:
        self.url = ""
        self.hooks: list[Hook] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        self.hooks.append(Hook(scope["path"], headers, body))
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]}
        )
        await send({"type": "http.response.body", "body": b"ok"})

    def at(self, path: str) -> list[Hook]:
        return [hook for hook in self.hooks if hook.path == path]

    async def wait(self, path: str, count: int, *, within: float = 5.0) -> list[Hook]:
        """The first `count` webhooks that reached `path`, waiting up to `within` seconds for them."""
        deadline = asyncio.get_running_loop().time() + within
        while len(self.at(path)) < count:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{len(self.at(path))} of {count} webhooks reached {path}")
            await asyncio.sleep(0.02)
        return self.at(path)[:count]


@dataclass
class Simulator:
    url: str
    state: SimulatorState
    client: httpx.AsyncClient

    async def register(self, key_id: str, **account: Any) -> None:
        resp = await self.client.put(f"{self.url}/_sim/accounts/{key_id}", json=account)
        resp.raise_for_status()

    async def set_faults(self, key_id: str, **faults: Any) -> dict[str, Any]:
        resp = await self.client.put(f"{self.url}/_sim/accounts/{key_id}/faults", json=faults)
        resp.raise_for_status()
        return resp.json()


@pytest.fixture(scope="session")
async def receiver() -> AsyncIterator[Receiver]:
    hooks = Receiver()
    async with serve(hooks) as url:
        hooks.url = url
        yield hooks


@pytest.fixture(scope="session")
async def simulator(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Simulator]:
    app = create_app(str(tmp_path_factory.mktemp("simulator") / "accounts.json"))
    async with serve(app) as url, httpx.AsyncClient(timeout=10) as client:
        yield Simulator(url, app.state.sim, client)
        await http.close()  # the adapters' shared client lives in this session's event loop


class _Forms(HTMLParser):
    """The forms on a page: action, fields, and the `outcome` buttons of a payer page."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action") or "", "fields": {}, "outcomes": []})
        elif self.forms and tag == "input" and a.get("name"):
            self.forms[-1]["fields"][a["name"]] = a.get("value") or ""
        elif self.forms and tag == "button" and a.get("name") == "outcome":
            self.forms[-1]["outcomes"].append(a.get("value"))


def forms_in(page: str) -> list[dict[str, Any]]:
    parser = _Forms()
    parser.feed(page)
    return parser.forms


class Payer:
    """A browser that follows self-posting forms to the PSP's payer page and chooses an outcome there."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def pay(self, checkout_url: str, outcome: str) -> httpx.Response:
        """The response to the payer's choice, or the page that stopped the way (an error page)."""
        resp = await self.client.get(checkout_url)
        for _ in range(5):
            forms = forms_in(resp.text) if resp.status_code < 400 else []
            if not forms:
                return resp
            form = forms[0]
            action = urljoin(str(resp.url), form["action"])
            if form["outcomes"]:
                return await self.client.post(action, data={**form["fields"], "outcome": outcome})
            resp = await self.client.post(action, data=form["fields"])
        raise AssertionError(f"no payer page behind {checkout_url}")


@pytest.fixture(scope="session")
async def payer() -> AsyncIterator[Payer]:
    async with httpx.AsyncClient(timeout=10, follow_redirects=False) as client:
        yield Payer(client)


@dataclass
class Gateway:
    provider: str
    key_id: str
    adapter: PspAdapter
    account: GatewayAccount
    hook_path: str
    extra: dict[str, Any] = field(default_factory=dict)


def _accounts(
    provider: str, key_id: str, webhook_url: str, extra: dict[str, Any]
) -> tuple[dict[str, str], dict[str, Any]]:
    """A gateway's credentials and the matching simulator account for one provider."""
    secret, webhook_secret = secrets.token_hex(12), secrets.token_hex(12)
    sim: dict[str, Any] = {
        "provider": provider,
        "key_secret": secret,
        "webhook_secret": "",
        "webhook_url": webhook_url,
        "extra": extra,
    }
    if provider in ("sandbox", "razorpay"):
        return (
            {"key_id": key_id, "key_secret": secret, "webhook_secret": webhook_secret},
            {**sim, "webhook_secret": webhook_secret},
        )
    if provider == "payu":
        return {"key": key_id, "salt": secret}, sim
    if provider == "phonepe":
        hooks = {
            "client_version": "1",
            "webhook_username": f"lsp_{key_id[-8:]}",
            "webhook_password": f"Pw0{secrets.token_hex(6)}",
        }
        return ({"client_id": key_id, "client_secret": secret, **hooks}, {**sim, "extra": {**hooks, **extra}})
    raise ValueError(provider)


@pytest.fixture
def new_gateway(simulator: Simulator, receiver: Receiver) -> Callable[..., Awaitable[Gateway]]:
    """Registers a fresh PSP account on the simulator and returns what the platform would hold for it."""

    async def make(provider: str, **extra: Any) -> Gateway:
        key_id = f"{provider[:3]}_{secrets.token_hex(6)}"
        hook_path = f"/hooks/{key_id}"
        credentials, sim_account = _accounts(provider, key_id, receiver.url + hook_path, extra)
        await simulator.register(key_id, **sim_account)
        account = GatewayAccount(
            gateway_id=uuid.uuid4(),
            name=f"{provider}_test",
            provider=provider,
            base_url=simulator.url,
            credentials=credentials,
        )
        return Gateway(provider, key_id, get_adapter(provider), account, hook_path, extra)

    return make
