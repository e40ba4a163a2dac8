"""Issue 9: `GET /api/v1/admin/audit-logs` over real HTTP: filters (actor, action exact or prefix, target,
merchant, time), newest first, keyset pages that neither skip nor repeat a row, the streamed CSV with UTC and IST
times, and a coded 4xx naming the field for every bad filter."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from lightspeedpay.config import get_settings
from lightspeedpay.monitoring import audit
from tests.factories import create_merchant

BASE = "/api/v1/admin/audit-logs"
T0 = datetime(2026, 3, 1, 6, 30, tzinfo=UTC)  # 12:00 IST


@pytest.fixture
async def admin(platform):
    async with httpx.AsyncClient(
        base_url=platform.api_url,
        timeout=30,
        headers={"Authorization": f"Bearer {get_settings().admin_token}"},
    ) as http:
        yield http


@pytest.fixture
async def trail(session):
    """Rows written the way the services write them, an hour apart (newest: T0 + 29 h)."""
    new = await create_merchant(session)
    merchant_id = new.client.id
    gateway_id = uuid.uuid4()
    specs = []
    for i in range(30):
        if i % 3 == 0:
            spec = ("admin:admin", "gateway.updated", "gateway", str(gateway_id), None)
        elif i % 3 == 1:
            spec = ("cli:ops", "merchant.settings_updated", "merchant", str(merchant_id), merchant_id)
        else:
            spec = ("merchant:lsp_x", "webhook_endpoint.created", "webhook_endpoint", f"ep{i}", merchant_id)
        specs.append(spec)
        row = audit.record(
            session,
            actor=spec[0],
            action=spec[1],
            target_type=spec[2],
            target_id=spec[3],
            client_id=spec[4],
            before={"n": i - 1},
            after={"n": i},
            reason='=HYPERLINK("http://evil")' if i == 29 else None,
        )
        row.created_at = T0 + timedelta(hours=i)
    await session.commit()
    return {"merchant_id": merchant_id, "gateway_id": gateway_id, "specs": specs}


async def _all(admin: httpx.AsyncClient, **params: object) -> list[dict]:
    items: list[dict] = []
    cursor = None
    while True:
        q = {**params, **({"cursor": cursor} if cursor else {})}
        r = await admin.get(BASE, params=q)
        assert r.status_code == 200, r.text
        body = r.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


async def test_newest_first_in_pages_that_neither_skip_nor_repeat(admin, trail):
    r = await admin.get(BASE, params={"limit": 7})
    assert r.status_code == 200, r.text
    first = r.json()
    assert len(first["items"]) == 7 and first["next_cursor"]
    assert [i["after"]["n"] for i in first["items"]] == list(range(29, 22, -1))
    everything = await _all(admin, limit=7)
    assert [i["after"]["n"] for i in everything] == list(range(29, -1, -1))
    assert len({i["id"] for i in everything}) == 30
    item = everything[0]
    assert set(item) == {
        "id", "created_at", "actor", "action", "merchant_id", "target_type", "target_id",
        "before", "after", "reason", "details", "ip", "request_id",
    }  # fmt: skip


async def test_filters(admin, trail):
    mid, gid = str(trail["merchant_id"]), str(trail["gateway_id"])

    async def ns(**params: object) -> list[int]:
        return [i["after"]["n"] for i in await _all(admin, limit=4, **params)]

    assert await ns(actor="admin:admin") == list(range(27, -1, -3))
    assert await ns(actor="cli:") == list(range(28, -1, -3))  # a prefix
    assert await ns(actor="merchant:*") == list(range(29, -1, -3))
    assert await ns(action="gateway.updated") == list(range(27, -1, -3))
    assert await ns(action="gateway.") == list(range(27, -1, -3))
    assert await ns(action="gateway") == []  # exact: no action is just "gateway"
    assert await ns(action="webhook_*") == list(range(29, -1, -3))
    assert await ns(target_type="gateway", target_id=gid) == list(range(27, -1, -3))
    assert await ns(target_type="webhook_endpoint", target_id="ep5") == [5]
    assert await ns(merchant_id=mid) == [n for n in range(29, -1, -1) if n % 3]
    # from inclusive, to exclusive; any offset, IST included
    start = (T0 + timedelta(hours=10)).astimezone(ZoneInfo("Asia/Kolkata")).isoformat()
    end = (T0 + timedelta(hours=13)).isoformat().replace("+00:00", "Z")
    assert await ns(**{"from": start, "to": end}) == [12, 11, 10]
    assert await ns(**{"from": start, "to": end, "actor": "cli:ops"}) == [10]
    assert await ns(action="gateway.", actor="cli:") == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"merchant_id": "not-a-uuid"}, "merchant_id"),
        ({"from": "yesterday"}, "from"),
        ({"from": "2026-03-01T00:00:00"}, "from"),  # no time zone: ambiguous between UTC and IST
        ({"from": "2026-03-02T00:00:00Z", "to": "2026-03-01T00:00:00Z"}, "to"),
        ({"to": "2026-03-01T00:00:00Z", "from": "2026-03-01T00:00:00Z"}, "to"),
        ({"cursor": "garbage"}, "cursor"),
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"format": "xml"}, "format"),
        ({"action": "*"}, "action"),
        ({"action": "gate*way"}, "action"),
        ({"actor": "x" * 101}, "actor"),
        ({"target_type": ""}, "target_type"),
    ],
)
async def test_a_bad_filter_is_a_coded_4xx_naming_the_field(admin, params, field):
    for path in (BASE, BASE + ".csv"):
        if path.endswith(".csv") and field in ("cursor", "limit", "format"):
            continue
        r = await admin.get(path, params=params)
        assert r.status_code in (400, 422), r.text
        error = r.json()["error"]
        assert error["code"] == "VALIDATION_ERROR" and error["field"] == field, error


async def test_the_admin_token_is_required(platform):
    async with httpx.AsyncClient(base_url=platform.api_url) as http:
        for path in (BASE, BASE + ".csv"):
            r = await http.get(path)
            assert r.status_code == 401 and r.json()["error"]["code"] == "UNAUTHORIZED"
            r = await http.get(path, headers={"Authorization": "Bearer wrong"})
            assert r.status_code == 401


async def test_csv_export_streams_every_matching_row_with_labelled_times(admin, trail):
    for params, path in (({"format": "csv"}, BASE), ({}, BASE + ".csv")):
        async with admin.stream(
            "GET", path, params={**params, "merchant_id": str(trail["merchant_id"])}
        ) as r:
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("text/csv")
            assert "attachment" in r.headers["content-disposition"]
            assert "content-length" not in r.headers  # streamed
            text = (await r.aread()).decode()
        rows = list(csv.DictReader(io.StringIO(text)))
        assert list(rows[0]) == list(audit.CSV_COLUMNS)
        assert len(rows) == 20  # every row of the merchant, not one page
        newest = rows[0]
        assert newest["created_at_utc"] == "2026-03-02T11:30:00+00:00"
        assert newest["created_at_ist"] == "2026-03-02T17:00:00+05:30"
        assert newest["after"] == '{"n":29}' and newest["actor"] == "merchant:lsp_x"
        # a value a spreadsheet would run as a formula is written as text
        assert newest["reason"] == '\'=HYPERLINK("http://evil")'
    # no match: the header alone
    r = await admin.get(BASE + ".csv", params={"actor": "nobody"})
    assert r.status_code == 200 and r.text.strip() == ",".join(audit.CSV_COLUMNS)


async def test_every_change_in_one_request_is_found_by_its_request_id(admin, platform, session):
    """An operator's PATCH read back through the API: the row with before/after, IP and request id."""
    new = await create_merchant(session)
    rid = f"req_{uuid.uuid4().hex[:12]}"
    r = await admin.patch(
        f"/api/v1/admin/merchants/{new.client.id}",
        json={"warn_threshold": 4242},
        headers={"X-Request-Id": rid},
    )
    assert r.status_code == 200, r.text
    [item] = (await admin.get(BASE, params={"request_id": rid})).json()["items"]
    assert item["action"] == "merchant.settings_updated" and item["actor"] == "admin:admin"
    assert item["after"] == {"warn_threshold": 4242} and item["before"]["warn_threshold"] != 4242
    assert item["merchant_id"] == str(new.client.id) and item["ip"] == "127.0.0.1"
