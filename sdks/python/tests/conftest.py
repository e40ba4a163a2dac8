"""What the SDK's tests share: the platform given by the environment (tests/sdks/conftest.py describes it; the
integration tests skip only when LSP_API is unset), a loopback webhook receiver on LSP_WEBHOOK_PORT, a real HTTP
server answering a script of responses (for the retry tests), and an httpx client that records the traffic."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Optional

import httpx
import pytest


@dataclass(frozen=True)
class Platform:
    api: str
    key_id: str
    key_secret: str
    webhook_port: int
    throttled_api: str
    throttled_key_id: str
    throttled_key_secret: str


@pytest.fixture(scope="session")
def platform() -> Platform:
    if not os.environ.get("LSP_API"):
        pytest.skip("LSP_API is not set: no platform to test against (tests/sdks/test_python_sdk.py sets it)")
    env = os.environ
    return Platform(
        api=env["LSP_API"],
        key_id=env["LSP_KEY_ID"],
        key_secret=env["LSP_KEY_SECRET"],
        webhook_port=int(env["LSP_WEBHOOK_PORT"]),
        throttled_api=env["LSP_THROTTLED_API"],
        throttled_key_id=env["LSP_THROTTLED_KEY_ID"],
        throttled_key_secret=env["LSP_THROTTLED_KEY_SECRET"],
    )


def wait_until(check: Callable[[], Any], *, timeout: float = 60, what: str = "the condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.2)


def press_success(checkout_url: str, outcome: str = "success") -> None:
    """What the payer does on the sandbox's checkout page in test mode (`authorize` leaves it authorized)."""
    httpx.post(checkout_url, data={"outcome": outcome}, timeout=30).raise_for_status()


# ---- the webhook receiver -------------------------------------------------------------------------------------


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes

    def event(self) -> dict[str, Any]:
        return json.loads(self.body)  # type: ignore[no-any-return]


@dataclass
class Receiver:
    url: str
    deliveries: list[Delivery] = field(default_factory=list)

    def wait_for(self, path: str, predicate: Callable[[Delivery], bool], *, timeout: float = 60) -> Delivery:
        return wait_until(  # type: ignore[no-any-return]
            lambda: next((d for d in list(self.deliveries) if d.path == path and predicate(d)), None),
            timeout=timeout,
            what=f"a delivery at {path}",
        )


@pytest.fixture(scope="session")
def receiver(platform: Platform) -> Iterator[Receiver]:
    """An HTTP server on 127.0.0.1:LSP_WEBHOOK_PORT that keeps every POST and answers 204."""
    got = Receiver(url=f"http://127.0.0.1:{platform.webhook_port}/webhooks")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            got.deliveries.append(Delivery(self.path, dict(self.headers.items()), body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", platform.webhook_port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield got
    server.shutdown()
    server.server_close()


# ---- a scripted server, for retries --------------------------------------------------------------------------


@dataclass
class Scripted:
    """A loopback HTTP server answering each request with the next (status, headers, body) of its script (the
    last one again once the script runs out); it keeps what it was sent."""

    url: str
    script: list[tuple[int, dict[str, str], bytes]]
    requests: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
def scripted() -> Iterator[Callable[..., Scripted]]:
    servers: list[ThreadingHTTPServer] = []

    def start(*script: tuple[int, dict[str, str], Any]) -> Scripted:
        answers = [(s, h, b if isinstance(b, bytes) else json.dumps(b).encode()) for s, h, b in script]
        state = Scripted(url="", script=answers)

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                state.requests.append((self.command, self.path, dict(self.headers.items()), body))
                status, headers, payload = state.script[min(len(state.requests), len(state.script)) - 1]
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PATCH = do_DELETE = _answer

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        state.url = f"http://127.0.0.1:{server.server_address[1]}"
        return state

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


# ---- recorded traffic ----------------------------------------------------------------------------------------


@dataclass
class Traffic:
    """Every request an httpx client sent and every answer it got, in order."""

    sent: list[httpx.Request] = field(default_factory=list)
    answers: list[httpx.Response] = field(default_factory=list)

    def to(self, method: str, path: str) -> list[httpx.Request]:
        return [r for r in self.sent if r.method == method and r.url.path == path]

    def hooks(self) -> dict[str, list[Callable[..., Any]]]:
        return {"request": [self.sent.append], "response": [self.answers.append]}

    def async_hooks(self) -> dict[str, list[Callable[..., Any]]]:
        async def request(r: httpx.Request) -> None:
            self.sent.append(r)

        async def response(r: httpx.Response) -> None:
            self.answers.append(r)

        return {"request": [request], "response": [response]}


def recorded(traffic: Traffic, *, timeout: Optional[float] = 30) -> httpx.Client:
    return httpx.Client(timeout=timeout, event_hooks=traffic.hooks())


def recorded_async(traffic: Traffic, *, timeout: Optional[float] = 30) -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=timeout, event_hooks=traffic.async_hooks())
