"""The admin gateway API over real HTTP against the running platform: auth, every route, bad input, health
figures from recorded attempts, connectivity checks against the PSP simulator, and no credentials ever out."""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.config import get_settings
from lightspeedpay.gateways.service import volume_month
from lightspeedpay.kit import crypto
from lightspeedpay.models import GatewayAttempt, PaymentGateway, Transaction
from tests.factories import count, create_merchant, create_sandbox_gateway
from tests.net import free_port as closed_port

BASE = "/api/v1/admin/gateways"


def sandbox_credentials() -> dict[str, str]:
    return {
        "key_id": f"sbx_{secrets.token_hex(6)}",
        "key_secret": secrets.token_hex(12),
        "webhook_secret": secrets.token_hex(12),
    }


@dataclass
class AdminClient:
    """The operator's HTTP client; remembers every response body and every credential sent or stored."""

    http: httpx.AsyncClient
    bodies: list[str] = field(default_factory=list)
    secrets: set[str] = field(default_factory=set)

    async def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        content = (
            raw if raw is not None else (json.dumps(json_body).encode() if json_body is not None else None)
        )
        hdrs = {"content-type": "application/json", **(headers or {})}
        resp = await self.http.request(method, BASE + path, content=content, headers=hdrs, **kwargs)
        self.bodies.append(resp.text)
        return resp

    async def create(self, **overrides: Any) -> httpx.Response:
        body = {
            "name": f"gw_{secrets.token_hex(4)}",
            "provider": "sandbox",
            "base_url": "http://127.0.0.1:9",
            "credentials": sandbox_credentials(),
            "monthly_limit": 1_000_000,
            "priority": 1,
            **overrides,
        }
        if isinstance(body.get("credentials"), dict):
            self.secrets.update(v for v in body["credentials"].values() if isinstance(v, str))
        return await self.request("POST", "", json_body=body)

    def remember(self, gateway: PaymentGateway) -> None:
        self.secrets.update(json.loads(crypto.decrypt(gateway.credentials_enc)).values())


@pytest.fixture
async def admin(platform, session) -> AsyncIterator[AdminClient]:
    token = get_settings().admin_token
    async with httpx.AsyncClient(
        base_url=platform.api_url, timeout=20, headers={"Authorization": f"Bearer {token}"}
    ) as http:
        client = AdminClient(http)
        yield client
    # invariant 7: no response, success or error, carries a credential beyond its masked hint
    for body in client.bodies:
        assert '"credentials":' not in body and "credentials_enc" not in body, body
        for secret in client.secrets:
            assert len(secret) < 8 or secret not in body, f"a credential leaked into {body}"


async def gateway_row(session: AsyncSession, gateway_id: str) -> PaymentGateway | None:
    await session.rollback()  # see the API process's commits
    return await session.get(PaymentGateway, uuid.UUID(gateway_id), populate_existing=True)


async def insert_transaction(
    session: AsyncSession, client_id: uuid.UUID, gateway_id: uuid.UUID
) -> Transaction:
    txn = Transaction(
        id=uuid.uuid4(),
        order_id=f"ord_{secrets.token_hex(5)}",
        client_id=client_id,
        gateway_id=gateway_id,
        amount=10_000,
        currency="INR",
        status="failed",
        volume_released=True,
    )
    session.add(txn)
    await session.commit()
    return txn


def assert_error(resp: httpx.Response, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    error = resp.json()["error"]
    assert error["code"] == code, error
    assert error.get("field") == field, error
    assert error["message"]
    return error


# ---- auth ------------------------------------------------------------------------------------------------

ROUTES = [
    ("GET", ""),
    ("POST", ""),
    ("GET", "/health"),
    ("PUT", "/priority"),
    ("GET", f"/{uuid.uuid4()}"),
    ("PATCH", f"/{uuid.uuid4()}"),
    ("DELETE", f"/{uuid.uuid4()}"),
    ("POST", f"/{uuid.uuid4()}/test"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong-token", "Basic ZGV2OmRldg==", "Bearer", "dev-admin-token", ""]
)
async def test_every_route_needs_the_admin_token(admin, method, path, authorization):
    headers = {"Authorization": authorization} if authorization is not None else {}
    headers["content-type"] = "application/json"  # a body of another type is refused first, with 415
    async with httpx.AsyncClient(base_url=admin.http.base_url, timeout=10) as anonymous:
        resp = await anonymous.request(method, BASE + path, headers=headers, content=b"{not json")
    assert_error(resp, 401, "UNAUTHORIZED", "Authorization")


async def test_a_near_miss_token_is_refused(admin):
    token = get_settings().admin_token
    resp = await admin.request("GET", "", headers={"Authorization": f"Bearer {token[:-1]}x"})
    assert_error(resp, 401, "UNAUTHORIZED", "Authorization")
    resp = await admin.request("GET", "", headers={"Authorization": f"Bearer {token}extra"})
    assert_error(resp, 401, "UNAUTHORIZED", "Authorization")
    assert (await admin.request("GET", "", headers={"Authorization": f"bearer {token}"})).status_code == 200


def test_production_refuses_the_default_admin_token():
    from lightspeedpay.config import Settings

    strong_key = crypto.new_key_spec("p1")
    with pytest.raises(RuntimeError, match="LSP_ADMIN_TOKEN"):
        Settings(env="production", encryption_keys=strong_key).check_production()
    with pytest.raises(RuntimeError, match="LSP_ADMIN_TOKEN"):
        Settings(env="production", encryption_keys=strong_key, admin_token="short").check_production()
    with pytest.raises(RuntimeError, match="LSP_JWT_KEYS"):
        Settings(
            env="production", encryption_keys=strong_key, admin_token=secrets.token_urlsafe(32)
        ).check_production()
    Settings(
        env="production",
        encryption_keys=strong_key,
        admin_token=secrets.token_urlsafe(32),
        jwt_keys=f"k1:{secrets.token_urlsafe(48)}",
    ).check_production()
    Settings(env="development").check_production()


# ---- create, list, get -------------------------------------------------------------------------------------


async def test_create_list_and_get(admin, session):
    creds = sandbox_credentials()
    resp = await admin.create(name="sandbox_main", credentials=creds, monthly_limit=5_000_000, priority=7)
    assert resp.status_code == 201, resp.text
    gw = resp.json()
    assert (
        gw["name"] == "sandbox_main"
        and gw["provider"] == "sandbox"
        and gw["base_url"] == "http://127.0.0.1:9"
    )
    assert gw["monthly_limit"] == 5_000_000 and gw["priority"] == 7 and gw["is_active"] is True
    assert gw["current_volume"] == 0 and gw["temp_failed"] is False and gw["consecutive_failures"] == 0
    assert gw["success_rate"] == "100.00"
    assert gw["credentials_hint"] == crypto.mask(creds["key_id"]) != creds["key_id"]

    row = await gateway_row(session, gw["id"])
    assert row is not None and json.loads(crypto.decrypt(row.credentials_enc)) == creds
    assert creds["key_secret"] not in row.credentials_enc

    inactive = await admin.create(
        name="payu_backup",
        provider="payu",
        credentials={"key": "payu_key_1234567", "salt": secrets.token_hex(10)},
        priority=2,
        is_active=False,
    )
    assert inactive.status_code == 201, inactive.text
    assert inactive.json()["is_active"] is False

    listed = await admin.request("GET", "")
    assert listed.status_code == 200
    assert [g["name"] for g in listed.json()["items"]] == ["sandbox_main", "payu_backup"]  # priority first

    one = await admin.request("GET", f"/{gw['id']}")
    assert one.status_code == 200 and one.json() == listed.json()["items"][0]


@pytest.mark.parametrize(
    "provider, credentials",
    [
        ("razorpay", {"key_id": "rzp_test_abcdef123", "key_secret": "s" * 20, "webhook_secret": "w" * 20}),
        ("payu", {"key": "gtKFFx123", "salt": "eCwWELxi" * 3}),
        (
            "phonepe",
            {
                "client_id": "PHONEPE_CLIENT_1",
                "client_secret": "c" * 24,
                "client_version": "1",
                "webhook_username": "lsp_hooks",
                "webhook_password": "Pw0" + "p" * 12,
            },
        ),
    ],
)
async def test_create_each_provider(admin, provider, credentials):
    resp = await admin.create(provider=provider, credentials=credentials)
    assert resp.status_code == 201, resp.text
    assert resp.json()["provider"] == provider


BAD_CREATE = [
    (b"", 400, "BAD_REQUEST", None),
    (b'{"name": ', 400, "BAD_REQUEST", None),
    (b"[1, 2]", 400, "BAD_REQUEST", None),
    ({"name": None}, 422, "VALIDATION_ERROR", "name"),
    ({"name": ""}, 422, "VALIDATION_ERROR", "name"),
    ({"name": "has space"}, 422, "VALIDATION_ERROR", "name"),
    ({"name": "x" * 101}, 422, "VALIDATION_ERROR", "name"),
    ({"provider": "stripe"}, 422, "UNKNOWN_PROVIDER", "provider"),
    ({"provider": 5}, 422, "VALIDATION_ERROR", "provider"),
    ({"base_url": "ftp://psp.example"}, 422, "VALIDATION_ERROR", "base_url"),
    ({"base_url": "not a url"}, 422, "VALIDATION_ERROR", "base_url"),
    ({"credentials": "key:secret"}, 422, "VALIDATION_ERROR", "credentials"),
    ({"credentials": {}}, 422, "VALIDATION_ERROR", "credentials"),
    (
        {"credentials": {"key_id": "sbx_1234567", "key_secret": 12345678, "webhook_secret": "w" * 12}},
        422,
        "VALIDATION_ERROR",
        "credentials.key_secret",
    ),
    (
        {"credentials": {"key_id": "sbx_1234567", "key_secret": "k" * 12}},
        422,
        "INVALID_CREDENTIALS",
        "credentials.webhook_secret",
    ),
    (
        {"credentials": {"key_id": "sbx_1234567", "key_secret": "k" * 12, "webhook_secret": "   "}},
        422,
        "INVALID_CREDENTIALS",
        "credentials.webhook_secret",
    ),
    (
        {"provider": "payu", "credentials": {"key_id": "sbx_1234567"}},
        422,
        "INVALID_CREDENTIALS",
        "credentials.key",
    ),
    ({"monthly_limit": 0}, 422, "VALIDATION_ERROR", "monthly_limit"),
    ({"monthly_limit": -100}, 422, "VALIDATION_ERROR", "monthly_limit"),
    ({"monthly_limit": 100.5}, 422, "VALIDATION_ERROR", "monthly_limit"),
    ({"monthly_limit": "1000"}, 422, "VALIDATION_ERROR", "monthly_limit"),
    ({"monthly_limit": 2**63}, 422, "VALIDATION_ERROR", "monthly_limit"),
    ({"monthly_limit": None}, 422, "VALIDATION_ERROR", "monthly_limit"),
    ({"priority": "high"}, 422, "VALIDATION_ERROR", "priority"),
    ({"priority": 10**12}, 422, "VALIDATION_ERROR", "priority"),
    ({"is_active": "yes"}, 422, "VALIDATION_ERROR", "is_active"),
    ({"surprise": 1}, 422, "VALIDATION_ERROR", "surprise"),
]


@pytest.mark.parametrize(("overrides", "status", "code", "field"), BAD_CREATE)
async def test_create_refuses_bad_input(admin, session, overrides, status, code, field):
    if isinstance(overrides, bytes):
        resp = await admin.request("POST", "", raw=overrides)
    else:
        body = {
            "name": "gw_bad",
            "provider": "sandbox",
            "base_url": "http://127.0.0.1:9",
            "credentials": sandbox_credentials(),
            "monthly_limit": 1_000_000,
            **overrides,
        }
        if isinstance(body["credentials"], dict):
            admin.secrets.update(v for v in body["credentials"].values() if isinstance(v, str))
        resp = await admin.request("POST", "", json_body=body)
    assert_error(resp, status, code, field)
    assert await count(session, PaymentGateway) == 0


async def test_create_refuses_a_taken_name(admin, session):
    assert (await admin.create(name="razorpay_1")).status_code == 201
    resp = await admin.create(name="razorpay_1", priority=9)
    assert_error(resp, 409, "GATEWAY_NAME_TAKEN", "name")
    assert await count(session, PaymentGateway) == 1


# ---- update ------------------------------------------------------------------------------------------------


async def test_update_fields_and_reencrypt_credentials(admin, session):
    gw = (await admin.create(name="gw_a", monthly_limit=1_000)).json()
    before = await gateway_row(session, gw["id"])
    assert before is not None
    old_enc = before.credentials_enc

    new_creds = sandbox_credentials()
    admin.secrets.update(new_creds.values())
    resp = await admin.request(
        "PATCH",
        f"/{gw['id']}",
        json_body={
            "name": "gw_renamed",
            "base_url": "https://psp.example.com/api",
            "monthly_limit": 9_000_000,
            "priority": 4,
            "is_active": False,
            "credentials": new_creds,
        },
    )
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert (out["name"], out["base_url"], out["monthly_limit"], out["priority"], out["is_active"]) == (
        "gw_renamed",
        "https://psp.example.com/api",
        9_000_000,
        4,
        False,
    )
    assert out["credentials_hint"] == crypto.mask(new_creds["key_id"])
    assert out["updated_at"] >= gw["updated_at"]

    row = await gateway_row(session, gw["id"])
    assert row is not None and row.credentials_enc != old_enc
    assert json.loads(crypto.decrypt(row.credentials_enc)) == new_creds

    # a partial update changes only what it names
    resp = await admin.request("PATCH", f"/{gw['id']}", json_body={"priority": 5})
    assert resp.status_code == 200
    assert resp.json() | {"priority": 4, "updated_at": out["updated_at"]} == out

    # an empty patch changes nothing and says so with the current state
    resp = await admin.request("PATCH", f"/{gw['id']}", raw=b"{}")
    assert resp.status_code == 200 and resp.json()["priority"] == 5


BAD_UPDATE = [
    (b"", 400, "BAD_REQUEST", None),
    (b"nope", 400, "BAD_REQUEST", None),
    ({"name": None}, 422, "VALIDATION_ERROR", "name"),
    ({"name": "bad name!"}, 422, "VALIDATION_ERROR", "name"),
    ({"monthly_limit": 0}, 422, "VALIDATION_ERROR", "monthly_limit"),
    ({"monthly_limit": None}, 422, "VALIDATION_ERROR", "monthly_limit"),
    ({"priority": 1.5}, 422, "VALIDATION_ERROR", "priority"),
    ({"base_url": "javascript:alert(1)"}, 422, "VALIDATION_ERROR", "base_url"),
    ({"temp_failed": "no"}, 422, "VALIDATION_ERROR", "temp_failed"),
    ({"provider": "razorpay"}, 422, "VALIDATION_ERROR", "provider"),  # a gateway's provider is for life
    ({"current_volume": 0}, 422, "VALIDATION_ERROR", "current_volume"),
    (
        {"priority": 3, "credentials": {"key_id": "sbx_12345678"}},
        422,
        "INVALID_CREDENTIALS",
        "credentials.key_secret",
    ),
]


@pytest.mark.parametrize(("change", "status", "code", "field"), BAD_UPDATE)
async def test_update_refuses_bad_input_and_changes_nothing(admin, session, change, status, code, field):
    gw = (await admin.create(name="gw_b", priority=1)).json()
    before = await gateway_row(session, gw["id"])
    assert before is not None
    snapshot = (before.name, before.priority, before.monthly_limit, before.base_url, before.credentials_enc)
    if isinstance(change, bytes):
        resp = await admin.request("PATCH", f"/{gw['id']}", raw=change)
    else:
        resp = await admin.request("PATCH", f"/{gw['id']}", json_body=change)
    assert_error(resp, status, code, field)
    after = await gateway_row(session, gw["id"])
    assert after is not None
    assert (
        after.name,
        after.priority,
        after.monthly_limit,
        after.base_url,
        after.credentials_enc,
    ) == snapshot


async def test_update_rename_to_a_taken_name(admin, session):
    await admin.create(name="taken")
    gw = (await admin.create(name="mine")).json()
    assert_error(
        await admin.request("PATCH", f"/{gw['id']}", json_body={"name": "taken", "priority": 9}),
        409,
        "GATEWAY_NAME_TAKEN",
        "name",
    )
    row = await gateway_row(session, gw["id"])
    assert row is not None and (row.name, row.priority) == ("mine", 1)
    # renaming to its own name is not a conflict
    assert (await admin.request("PATCH", f"/{gw['id']}", json_body={"name": "mine"})).status_code == 200


@pytest.mark.parametrize("method, suffix", [("GET", ""), ("PATCH", ""), ("DELETE", ""), ("POST", "/test")])
@pytest.mark.parametrize("gateway_id", [str(uuid.uuid4()), "not-a-uuid", "123"])
async def test_unknown_gateway_is_404(admin, method, suffix, gateway_id):
    resp = await admin.request(method, f"/{gateway_id}{suffix}", json_body={"priority": 2})
    assert_error(resp, 404, "GATEWAY_NOT_FOUND", "gateway_id")


async def test_breaker_clear_and_manual_trip(admin, session):
    # base_url on a closed port: the scheduler's health probe cannot clear the breaker behind the test's back
    gw = (await admin.create(base_url=f"http://127.0.0.1:{closed_port()}")).json()
    tripped_at = datetime.now(UTC) - timedelta(minutes=3)
    await session.execute(
        update(PaymentGateway)
        .where(PaymentGateway.id == uuid.UUID(gw["id"]))
        .values(temp_failed=True, consecutive_failures=7, temp_failed_at=tripped_at)
    )
    await session.commit()

    resp = await admin.request("PATCH", f"/{gw['id']}", json_body={"temp_failed": False})
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert (out["temp_failed"], out["consecutive_failures"], out["temp_failed_at"]) == (False, 0, None)
    row = await gateway_row(session, gw["id"])
    assert row is not None and (row.temp_failed, row.consecutive_failures, row.temp_failed_at) == (
        False,
        0,
        None,
    )

    resp = await admin.request("PATCH", f"/{gw['id']}", json_body={"temp_failed": True})
    out = resp.json()
    assert out["temp_failed"] is True and out["temp_failed_at"] is not None


# ---- delete ------------------------------------------------------------------------------------------------


async def test_delete_a_gateway_without_history(admin, session):
    gw = (await admin.create()).json()
    resp = await admin.request("DELETE", f"/{gw['id']}")
    assert resp.status_code == 204 and resp.content == b""
    assert await gateway_row(session, gw["id"]) is None
    assert_error(await admin.request("GET", f"/{gw['id']}"), 404, "GATEWAY_NOT_FOUND", "gateway_id")
    assert (await admin.request("GET", "")).json()["items"] == []


async def test_delete_a_gateway_with_transactions_deactivates_it(admin, session):
    gw = (await admin.create()).json()
    merchant = await create_merchant(session)
    await insert_transaction(session, merchant.client.id, uuid.UUID(gw["id"]))

    resp = await admin.request("DELETE", f"/{gw['id']}")
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert out["deactivated"] is True and out["is_active"] is False and out["id"] == gw["id"]
    row = await gateway_row(session, gw["id"])
    assert row is not None and row.is_active is False
    assert await count(session, Transaction) == 1
    # deleting it again is still a deactivation, not an error
    assert (await admin.request("DELETE", f"/{gw['id']}")).json()["deactivated"] is True


# ---- bulk priority -----------------------------------------------------------------------------------------


async def test_bulk_priority(admin, session):
    a, b, c = [(await admin.create(name=n, priority=1)).json() for n in ("a_gw", "b_gw", "c_gw")]
    resp = await admin.request(
        "PUT",
        "/priority",
        json_body=[
            {"id": a["id"], "priority": 1},
            {"id": c["id"], "priority": 30},
            {"id": b["id"], "priority": 20},
        ],
    )
    assert resp.status_code == 200, resp.text
    assert [(g["name"], g["priority"]) for g in resp.json()["items"]] == [
        ("c_gw", 30),
        ("b_gw", 20),
        ("a_gw", 1),
    ]
    rows = {str(g.id): g.priority for g in (await session.execute(select(PaymentGateway))).scalars()}
    assert rows == {a["id"]: 1, b["id"]: 20, c["id"]: 30}


BAD_PRIORITY = [
    (b"", 400, "BAD_REQUEST", None),
    (b"[", 400, "BAD_REQUEST", None),
    (b"{}", 400, "BAD_REQUEST", None),
    (b"[]", 422, "VALIDATION_ERROR", None),
    (b"[1]", 422, "VALIDATION_ERROR", "0"),
    ('[{"id": "A", "priority": 5}, {"id": "not-a-uuid", "priority": 5}]', 422, "VALIDATION_ERROR", "1.id"),
    ('[{"id": "A", "priority": "high"}]', 422, "VALIDATION_ERROR", "0.priority"),
    ('[{"id": "A"}]', 422, "VALIDATION_ERROR", "0.priority"),
    ('[{"id": "A", "priority": 5, "name": "x"}]', 422, "VALIDATION_ERROR", "0.name"),
    ('[{"id": "A", "priority": 5}, {"id": "A", "priority": 6}]', 422, "VALIDATION_ERROR", "1.id"),
    ('[{"id": "A", "priority": 5}, {"id": "UNKNOWN", "priority": 6}]', 404, "GATEWAY_NOT_FOUND", "1.id"),
]


@pytest.mark.parametrize(("body", "status", "code", "field"), BAD_PRIORITY)
async def test_bulk_priority_is_all_or_nothing(admin, session, body, status, code, field):
    a = (await admin.create(name="a_gw", priority=1)).json()
    if isinstance(body, str):
        body = body.replace('"A"', f'"{a["id"]}"').replace("UNKNOWN", str(uuid.uuid4())).encode()
    assert_error(await admin.request("PUT", "/priority", raw=body), status, code, field)
    row = await gateway_row(session, a["id"])
    assert row is not None and row.priority == 1


# ---- health ------------------------------------------------------------------------------------------------


async def test_health_figures(admin, session, platform):
    busy = (await admin.create(name="busy", monthly_limit=1_000_000, priority=2)).json()
    idle = (await admin.create(name="idle", monthly_limit=500, priority=1)).json()
    busy_id = uuid.UUID(busy["id"])
    merchant = await create_merchant(session)
    txn = await insert_transaction(session, merchant.client.id, busy_id)
    # ten recent attempts, 10..100 ms: 7 created, 2 declined, 1 technical error
    outcomes = ["created"] * 7 + ["declined"] * 2 + ["technical_error"]
    for i, outcome in enumerate(outcomes):
        session.add(
            GatewayAttempt(
                transaction_id=txn.id,
                gateway_id=busy_id,
                attempt=i + 1,
                outcome=outcome,
                latency_ms=(i + 1) * 10,
            )
        )
    # three slow failures two hours ago: outside the default window, inside a three-hour one
    two_hours_ago = datetime.now(UTC) - timedelta(hours=2)
    for i in range(3):
        session.add(
            GatewayAttempt(
                transaction_id=txn.id,
                gateway_id=busy_id,
                attempt=20 + i,
                outcome="technical_error",
                latency_ms=5_000,
                created_at=two_hours_ago,
            )
        )
    tripped_at = datetime.now(UTC) - timedelta(minutes=1)
    await session.execute(
        update(PaymentGateway)
        .where(PaymentGateway.id == busy_id)
        .values(
            current_volume=250_000,
            volume_month=volume_month(),
            consecutive_failures=2,
            temp_failed=True,
            temp_failed_at=tripped_at,
        )
    )
    # a volume from an earlier month is no volume this month
    await session.execute(
        update(PaymentGateway)
        .where(PaymentGateway.id == uuid.UUID(idle["id"]))
        .values(current_volume=400, volume_month=volume_month() - timedelta(days=40))
    )
    await session.commit()

    resp = await admin.request("GET", "/health")
    assert resp.status_code == 200, resp.text
    report = resp.json()
    assert report["window_minutes"] == 60
    by_name = {g["name"]: g for g in report["items"]}
    h = by_name["busy"]
    assert h["window"] == {
        "minutes": 60,
        "attempts": 10,
        "created": 7,
        "declines": 2,
        "technical_errors": 1,
        "technical_error_rate": "10.00",
        "latency_p50_ms": 55.0,
        "latency_p95_ms": 95.5,
    }
    assert h["volume"] == {"used": 250_000, "monthly_limit": 1_000_000, "percent": "25.00"}
    assert h["breaker"]["temp_failed"] is True and h["breaker"]["consecutive_failures"] == 2
    assert datetime.fromisoformat(h["breaker"]["temp_failed_at"]) == tripped_at
    row = await gateway_row(session, busy["id"])
    assert row is not None
    assert h["success_rate"] == str(row.success_rate)
    assert datetime.fromisoformat(h["last_used_at"]) == row.last_used_at
    assert (h["provider"], h["is_active"], h["priority"]) == ("sandbox", True, 2)

    quiet = by_name["idle"]
    assert quiet["window"] == {
        "minutes": 60,
        "attempts": 0,
        "created": 0,
        "declines": 0,
        "technical_errors": 0,
        "technical_error_rate": None,
        "latency_p50_ms": None,
        "latency_p95_ms": None,
    }
    assert quiet["volume"] == {"used": 0, "monthly_limit": 500, "percent": "0.00"}

    wide = (await admin.request("GET", "/health", params={"window_minutes": 180})).json()
    h = {g["name"]: g for g in wide["items"]}["busy"]["window"]
    # 13 latencies: 10..100 and 3 x 5000; p50 is the 7th (70), p95 sits between the two last 5000s
    assert (h["attempts"], h["technical_errors"], h["latency_p50_ms"], h["latency_p95_ms"]) == (
        13,
        4,
        70.0,
        5000.0,
    )
    assert h["technical_error_rate"] == "30.77"


@pytest.mark.parametrize("window", ["0", "-5", "abc", "1.5", "100000"])
async def test_health_refuses_a_bad_window(admin, window):
    resp = await admin.request("GET", "/health", params={"window_minutes": window})
    assert_error(resp, 422, "VALIDATION_ERROR", "window_minutes")


# ---- connectivity ------------------------------------------------------------------------------------------


async def test_connectivity_against_the_simulator(admin, session, platform):
    gw = await create_sandbox_gateway(session, platform.simulator_url)
    admin.remember(gw)
    resp = await admin.request("POST", f"/{gw.id}/test")
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert out["ok"] is True and isinstance(out["latency_ms"], int) and out["latency_ms"] >= 0
    assert out.get("error_code") is None


async def test_connectivity_to_a_closed_port(admin):
    gw = (await admin.create(base_url=f"http://127.0.0.1:{closed_port()}")).json()
    resp = await admin.request("POST", f"/{gw['id']}/test")
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert out["ok"] is False and out["error_code"] == "PSP_UNREACHABLE" and out["message"]
    assert out["latency_ms"] >= 0


async def test_connectivity_with_credentials_the_psp_does_not_know(admin, platform):
    # the simulator is up, but no account was registered for these keys: the PSP says no
    gw = (await admin.create(base_url=platform.simulator_url)).json()
    resp = await admin.request("POST", f"/{gw['id']}/test")
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert out["ok"] is False and out["error_code"]


async def test_connectivity_follows_a_changed_base_url(admin, session, platform):
    gw = await create_sandbox_gateway(session, platform.simulator_url)
    admin.remember(gw)
    assert (await admin.request("POST", f"/{gw.id}/test")).json()["ok"] is True
    moved = await admin.request(
        "PATCH", f"/{gw.id}", json_body={"base_url": f"http://127.0.0.1:{closed_port()}"}
    )
    assert moved.status_code == 200, moved.text
    assert (await admin.request("POST", f"/{gw.id}/test")).json()["error_code"] == "PSP_UNREACHABLE"
    await admin.request("PATCH", f"/{gw.id}", json_body={"base_url": platform.simulator_url})
    assert (await admin.request("POST", f"/{gw.id}/test")).json()["ok"] is True
