"""Schemathesis over every operation of the live OpenAPI document, both faces, as the real clients authenticate:
signed /api/v1 requests (signed per request over the exact bytes sent), HTTP Basic on /v1, the admin token on
/api/v1/admin. No answer may be a 5xx, and every 4xx is a JSON error with a stable code (DESIGN §5 inv. 10).

Kept to about a minute or two: the documented examples and a few generated cases per operation in each mode,
no shrinking, no deadline. (Schemathesis's own pytest plugin, `from_fixture(...).parametrize()`, does not run
under pytest 9 yet, hence the loop over the operations here.)"""

from __future__ import annotations

import hashlib
import json
import time
import zlib
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import FailedHealthCheck, Unsatisfiable
from schemathesis import GenerationMode

from lightspeedpay.config import get_settings
from lightspeedpay.jobs.queues import QUEUE_NAMES
from lightspeedpay.kit.signing import sign_merchant_request
from tests.factories import create_merchant, create_sandbox_gateway, merchant_client
from tests.paying import wait_status

MAX_EXAMPLES = 6  # per operation and mode (schema-valid, schema-violating); ~50 operations
# documented 5xx answers that are a business outcome, not a bug (POST /api/v1/pay with no gateway left)
ALLOWED_5XX = {(503, "NO_GATEWAY_AVAILABLE")}


class Signed(requests.auth.AuthBase):
    """The native API's signature over the prepared request: the exact path, query and body bytes sent."""

    def __init__(self, client_key: str, salt: str, sent: set[bytes]) -> None:
        self.client_key, self.salt, self.sent = client_key, salt, sent

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        body = r.body or b""
        if isinstance(body, str):
            body = r.body = body.encode()
            r.headers["Content-Length"] = str(len(body))
        assert isinstance(body, bytes)
        path, method = r.path_url, (r.method or "GET").upper()
        # a signed request is accepted once (replay protection): never send the same bytes with the same
        # timestamp twice; an earlier second inside the tolerance window makes a repeat distinct
        now = int(time.time())
        for ts in range(now, now - 120, -1):
            digest = hashlib.sha256(f"{ts}.{method}.{path}.".encode() + body).digest()
            if digest not in self.sent:
                break
        self.sent.add(digest)
        r.headers.update(
            {
                "X-Client-Key": self.client_key,
                "X-Timestamp": str(ts),
                "X-Signature": sign_merchant_request(self.salt, str(ts), method, path, body),
            }
        )
        return r


@dataclass
class Target:
    api_url: str
    receiver_url: str
    simulator_url: str
    client_key: str
    salt: str
    ids: dict[str, str]
    sent: set[bytes] = field(default_factory=set)
    calls: int = 0


@pytest.fixture
async def fuzz_target(platform, session) -> Target:
    """A merchant with real data behind it, so that generated requests reach past the lookups too."""
    new = await create_merchant(session, receiver_url=platform.receiver_url)
    gateway = await create_sandbox_gateway(session, platform.simulator_url, auto_outcome="success")
    async with httpx.AsyncClient(timeout=20) as http:
        native = merchant_client(platform.api_url, new, http)
        r = await native.pay(amount=50_000)
        assert r.status_code == 201, r.text
        txn = await wait_status(native, r.json()["transaction_id"], "paid")
        r = await native.post(
            f"/api/v1/transactions/{txn['id']}/refunds", json.dumps({"amount": 1_000}).encode()
        )
        assert r.status_code == 201, r.text
        refund_id = r.json()["id"]
        r = await http.post(
            platform.api_url + "/v1/orders",
            json={"amount": 10_000, "currency": "INR"},
            auth=(new.client.client_key, new.client_salt),
        )
        assert r.status_code == 200, r.text
        order_id = r.json()["id"]
        r = await native.get("/api/v1/merchant/webhooks")
        endpoint_id = r.json()["items"][0]["id"]
    ids = {
        "transaction_id": txn["id"],
        "payment_id": txn["payment_id"],
        "refund_id": refund_id,
        "order_id": order_id,
        "gateway_id": str(gateway.id),
        "merchant_id": str(new.client.id),
        "endpoint_id": endpoint_id,
        "provider": "sandbox",
    }
    return Target(
        platform.api_url,
        platform.receiver_url,
        platform.simulator_url,
        new.client.client_key,
        new.client_salt,
        ids,
    )


# what a stranger tries that random generation seldom hits in a few examples: a NUL, digits that are not ASCII,
# integers past 64 bits, very long numbers
NASTY: list[Any] = ["a\x00b", "\x00", "²³", 2**70, -(2**70), "9" * 40, 10**19]


def _aim(case: Any, target: Target) -> None:
    """Half of the cases use the real ids, a third get one nasty value in place of a generated one (both chosen
    deterministically, by the generated values), and no URL that the platform would call later (webhook
    endpoints, gateways) leaves the loopback."""
    params = case.path_parameters or {}
    if params and zlib.crc32(repr(sorted(params.items())).encode()) % 2:
        for name in params:
            if name in target.ids:
                params[name] = target.ids[name]
    h = zlib.crc32(repr(case).encode())
    if h % 3 == 0:
        spots: list[tuple[Any, Any]] = [(params, name) for name in params]
        spots += [(case.query, name) for name in case.query or {}]
        if isinstance(case.body, dict):
            spots += [(case.body, name) for name in case.body]
            spots += [
                (value, name) for value in case.body.values() if isinstance(value, dict) for name in value
            ]
        if spots:
            container, name = spots[(h // 3) % len(spots)]
            nasty = NASTY[(h // 7) % len(NASTY)]
            container[name] = str(nasty) if container is params or container is case.query else nasty
    if isinstance(case.body, dict):
        if isinstance(case.body.get("url"), str):
            case.body["url"] = target.receiver_url + "/webhooks/fuzz"
        if isinstance(case.body.get("base_url"), str):
            case.body["base_url"] = target.simulator_url


def _auth(case: Any, target: Target) -> dict[str, Any]:
    path = case.path
    if path.startswith("/v1/"):
        return {"auth": (target.client_key, target.salt)}
    if path.startswith("/api/v1/admin"):
        return {"headers": {"Authorization": f"Bearer {get_settings().admin_token}"}}
    if path.startswith("/api/v1/") and not path.startswith("/api/v1/webhooks/psp/"):
        return {"auth": Signed(target.client_key, target.salt, target.sent)}
    return {}  # PSP webhooks carry the PSP's signature; the checkout and /health are public


def _verdict(case: Any, status: int, content_type: str, content: bytes) -> str | None:
    """None when the answer is fine; otherwise what is wrong with it."""
    if status < 400:
        return None
    if case.path.startswith("/checkout/") and content_type.startswith("text/html") and status < 500:
        return None  # the payer's page answers in HTML
    if not content_type.startswith("application/json"):
        return f"{status} is not JSON ({content_type!r})"
    try:
        error = json.loads(content)["error"]
        code = error.get("reason") if case.path.startswith("/v1/") else error.get("code")
    except (ValueError, KeyError, TypeError, AttributeError):
        return f"{status} has no error body: {content[:200]!r}"
    if not isinstance(code, str) or not code:
        return f"{status} has no error code: {content[:200]!r}"
    if status >= 500 and (status, code.upper()) not in ALLOWED_5XX:
        return f"{status} {code}"
    return None


def _fuzz(strategy: Any, target: Target, failures: dict[tuple[str, str], str], examples: int) -> None:
    # no assertion inside: a bad answer is recorded and the run goes on, so there is no shrinking and every
    # operation gets its turn; the test fails at the end with the whole list
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        _aim(case, target)
        response = case.call(base_url=target.api_url, timeout=30, **_auth(case, target))
        content_type = (response.headers.get("content-type") or [""])[0]
        problem = _verdict(case, response.status_code, content_type, response.content)
        target.calls += 1
        if problem:
            key = (f"{case.method} {case.path}", problem.split(":")[0])
            failures.setdefault(key, f"{case.method} {case.path}: {problem}\n  {case.as_curl_command()}")

    try:
        run()
    except (Unsatisfiable, FailedHealthCheck):
        pass  # nothing (more) to generate for this operation in this mode


def _is_stream(operation: Any) -> bool:
    ok = operation.definition.raw.get("responses", {}).get("200", {})
    return "text/event-stream" in ok.get("content", {})


def _restore_queues(target: Target) -> None:
    """The admin API's queue actions were fuzzed with the admin token too (pause, drain, …): resume every queue
    and unpark what a drain parked, so the shared platform keeps running for the tests after this one."""
    headers = {"Authorization": f"Bearer {get_settings().admin_token}"}
    base = target.api_url + "/api/v1/admin/queues"
    requests.post(base + "/resume", headers=headers, timeout=30).raise_for_status()
    for name in QUEUE_NAMES:
        requests.post(f"{base}/{name}/unpark", headers=headers, timeout=30).raise_for_status()


def test_no_5xx_and_every_4xx_has_a_code(fuzz_target: Target) -> None:
    schema = schemathesis.openapi.from_url(fuzz_target.api_url + "/openapi.json")
    failures: dict[tuple[str, str], str] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 40  # both faces, the admin API and the checkout
    # a live stream never ends, so a call would never return: tests/streams covers their errors and auth
    operations = [op for op in operations if not _is_stream(op)]
    try:
        for operation in operations:
            examples = schema.get_strategies_from_examples(operation)
            if examples:
                _fuzz(st.one_of(examples), fuzz_target, failures, len(examples))
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                _fuzz(operation.as_strategy(generation_mode=mode), fuzz_target, failures, MAX_EXAMPLES)
    finally:
        _restore_queues(fuzz_target)
    print(f"fuzz: {fuzz_target.calls} requests over {len(operations)} operations")
    assert not failures, f"{len(failures)} bad answers:\n" + "\n".join(failures.values())
