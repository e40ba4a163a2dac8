"""The analytics routes as the operator and a merchant call them: the previous period beside the current one,
IST buckets around an IST midnight, each merchant seeing only its own payments, and bad input as coded 400s."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import httpx
import pytest

from lightspeedpay.analytics.window import window
from lightspeedpay.config import get_settings
from tests.analytics.support import UNTOUCHED, fold_all
from tests.factories import add_transaction, create_merchant, create_sandbox_gateway, merchant_client

ADMIN = "/api/v1/admin/analytics"


@pytest.fixture
async def admin(platform) -> AsyncIterator[httpx.AsyncClient]:
    token = get_settings().admin_token
    async with httpx.AsyncClient(
        base_url=platform.api_url, timeout=20, headers={"Authorization": f"Bearer {token}"}
    ) as http:
        yield http


def _ist(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A moment of March 2026 given in IST, as UTC."""
    return datetime(2026, 3, day, hour, minute, second, tzinfo=UTC) - timedelta(hours=5, minutes=30)


async def _get(admin: httpx.AsyncClient, **params: str) -> dict:
    r = await admin.get(ADMIN, params=params)
    assert r.status_code == 200, r.text
    return r.json()


def _series(period: dict) -> list[tuple[str, int]]:
    return list(zip(period["series"]["bucket"], period["series"]["count"], strict=True))


def _error(r: httpx.Response, status: int, code: str, field: str) -> None:
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code and r.json()["error"]["field"] == field, r.text


async def test_the_previous_period_of_the_same_length_is_beside(platform, session, admin):
    m = await create_merchant(session)
    gw = await create_sandbox_gateway(session, platform.simulator_url)
    for at, amount, status, code in (
        (_ist(10, 9), 10_000, "authorized", None),  # current: 10 and 11 March (IST)
        (_ist(11, 23, 59), 30_000, "authorized", None),
        (_ist(11, 12), 5_000, "failed", "BAD_VPA"),
        (_ist(9, 10), 20_000, "authorized", None),  # previous: 8 and 9 March
        (_ist(8, 0, 1), 7_000, "expired", "PAYMENT_EXPIRED"),
        (_ist(12, 0), 99_000, "authorized", None),  # after the range
        (_ist(7, 23, 59), 99_000, "authorized", None),  # before the previous period
    ):
        add_transaction(
            session,
            m.client.id,
            gw,
            amount=amount,
            status=status,
            error_code=code,
            created_at=at,
            updated_at=UNTOUCHED,
        )
    await session.commit()
    await fold_all()

    # `to` as a date includes that IST day
    body = await _get(admin, **{"from": "2026-03-10", "to": "2026-03-11", "bucket": "1d"})
    now, before = body["current"], body["previous"]
    assert (now["from"], now["to"]) == ("2026-03-10T00:00:00+05:30", "2026-03-12T00:00:00+05:30")
    assert (before["from"], before["to"]) == ("2026-03-08T00:00:00+05:30", "2026-03-10T00:00:00+05:30")
    assert now["totals"] == {
        "count": 3,
        "succeeded": 2,
        "failed": 1,
        "in_flight": 0,
        "success_rate": 66.67,
        "volume": 40_000,
        "refunded": 0,
        "average_ticket": 20_000,
    }
    assert before["totals"]["count"] == 2 and before["totals"]["volume"] == 20_000
    assert before["totals"]["success_rate"] == 50.0
    assert [(b[:10], n) for b, n in _series(now)] == [("2026-03-10", 1), ("2026-03-11", 2)]
    assert [(b[:10], n) for b, n in _series(before)] == [("2026-03-08", 1), ("2026-03-09", 1)]
    assert now["series"]["success_rate"] == [100.0, 50.0] and now["series"]["volume"] == [10_000, 30_000]
    assert now["top_failure_reasons"] == [{"code": "BAD_VPA", "count": 1, "share": 100.0}]
    assert before["top_failure_reasons"] == [{"code": "PAYMENT_EXPIRED", "count": 1, "share": 100.0}]
    assert body["change"] == {
        "count": 50.0,
        "volume": 100.0,
        "average_ticket": 0.0,
        "success_rate_points": 16.67,
    }


async def test_day_and_hour_buckets_are_ist_around_midnight(platform, session, admin):
    m = await create_merchant(session)
    gw = await create_sandbox_gateway(session, platform.simulator_url)
    last_moment = datetime(2026, 3, 1, 18, 29, 59, 999_000, tzinfo=UTC)  # 23:59:59.999 IST on 1 March
    midnight = datetime(2026, 3, 1, 18, 30, tzinfo=UTC)  # 00:00 IST on 2 March; still 1 March in UTC
    for at in (last_moment, midnight, midnight):
        add_transaction(session, m.client.id, gw, status="pending", created_at=at, updated_at=UNTOUCHED)
    await session.commit()
    await fold_all()

    days = await _get(admin, **{"from": "2026-03-01", "to": "2026-03-02", "bucket": "1d"})
    assert _series(days["current"]) == [
        ("2026-03-01T00:00:00+05:30", 1),
        ("2026-03-02T00:00:00+05:30", 2),
    ]
    hours = await _get(admin, **{"from": "2026-03-01T23:00:00", "to": "2026-03-02T01:00:00", "bucket": "1h"})
    assert _series(hours["current"]) == [
        ("2026-03-01T23:00:00+05:30", 1),
        ("2026-03-02T00:00:00+05:30", 2),
    ]
    # the same instant in UTC, with a 5-minute bucket: a range ending at IST midnight excludes it
    fives = await _get(
        admin, **{"from": "2026-03-01T18:20:00Z", "to": "2026-03-01T18:30:00Z", "bucket": "5m"}
    )
    assert _series(fives["current"]) == [
        ("2026-03-01T23:50:00+05:30", 0),
        ("2026-03-01T23:55:00+05:30", 1),
    ]


async def test_a_merchant_sees_only_its_own_payments(platform, session, admin):
    a, b = await create_merchant(session, name="alpha"), await create_merchant(session, name="beta")
    gw = await create_sandbox_gateway(session, platform.simulator_url)
    for client, n in ((a.client.id, 2), (b.client.id, 5)):
        for i in range(n):
            add_transaction(
                session,
                client,
                gw,
                amount=1_000 * (i + 1),
                status="authorized",
                created_at=_ist(5, 10),
                updated_at=UNTOUCHED,
            )
    await session.commit()
    await fold_all()
    window = {"from": "2026-03-05", "to": "2026-03-05", "bucket": "1d"}

    async with httpx.AsyncClient(timeout=20) as http:
        alpha = merchant_client(platform.api_url, a, http)
        for path in ("/api/v1/merchant/analytics", "/api/v1/analytics"):
            for extra in ({}, {"merchant_id": str(b.client.id)}, {"group_by": "gateway"}):
                r = await alpha.get(f"{path}?{urlencode({**window, **extra})}")
                assert r.status_code == 200, r.text
                assert r.json()["current"]["totals"]["count"] == 2, (path, extra)
                assert r.json()["current"]["totals"]["volume"] == 3_000
        r = await alpha.get(f"/api/v1/merchant/analytics?{urlencode({**window, 'group_by': 'merchant'})}")
        _error(r, 400, "INVALID_ANALYTICS_QUERY", "group_by")
        r = await http.get(f"{platform.api_url}/api/v1/merchant/analytics")
        assert r.status_code == 401

    everyone = await _get(admin, **window, group_by="merchant")
    assert everyone["current"]["totals"]["count"] == 7
    # the largest group only: its own series, beside the series of all
    largest = await _get(admin, **window, group_by="merchant", limit="1")
    assert (largest["groups_total"], largest["current"]["series"]["count"]) == (2, [7])
    assert [(g["label"], g["count"]) for g in largest["current"]["group_series"]] == [("Shop beta", [5])]
    assert [(g["label"], g["count"]) for g in everyone["current"]["groups"]] == [
        ("Shop beta", 5),
        ("Shop alpha", 2),
    ]
    only_a = await _get(admin, **window, merchant_id=str(a.client.id), group_by="gateway")
    assert only_a["current"]["totals"]["count"] == 2
    assert [(g["key"], g["label"], g["count"]) for g in only_a["current"]["groups"]] == [
        (str(gw.id), gw.name, 2)
    ]
    assert [(g["key"], g["count"]) for g in only_a["current"]["group_series"]] == [(str(gw.id), [2])]
    assert [(g["key"], g["count"]) for g in only_a["previous"]["groups"]] == [(str(gw.id), 0)]


async def test_bad_questions_are_coded_400s(platform, session, admin):
    cases = [
        ({"range": "181d"}, "RANGE_TOO_LONG", "range"),
        ({"from": "2026-01-01", "to": "2026-06-30"}, "RANGE_TOO_LONG", "from"),  # 181 IST days
        ({"bucket": "2h"}, "INVALID_ANALYTICS_QUERY", "bucket"),
        ({"bucket": "day"}, "INVALID_ANALYTICS_QUERY", "bucket"),
        ({"bucket": "5m", "range": "8d"}, "TOO_MANY_BUCKETS", "bucket"),
        ({"bucket": "1h", "range": "91d"}, "TOO_MANY_BUCKETS", "bucket"),
        ({"from": "yesterday"}, "INVALID_ANALYTICS_QUERY", "from"),
        ({"from": "2026-03-02", "to": "2026-03-01"}, "INVALID_ANALYTICS_QUERY", "to"),
        ({"from": "0001-01-01", "to": "0001-01-02"}, "INVALID_ANALYTICS_QUERY", "from"),
        (
            {"from": "0001-01-02", "to": "0001-01-05"},
            "INVALID_ANALYTICS_QUERY",
            "from",
        ),  # its previous period
        ({"to": "9999-12-31"}, "INVALID_ANALYTICS_QUERY", "to"),
        ({"range": "7x"}, "INVALID_ANALYTICS_QUERY", "range"),
        ({"range": "7d", "from": "2026-03-01"}, "INVALID_ANALYTICS_QUERY", "range"),
        ({"group_by": "colour"}, "INVALID_ANALYTICS_QUERY", "group_by"),
        ({"merchant_id": "not-a-uuid"}, "INVALID_ANALYTICS_QUERY", "merchant_id"),
        ({"gateway_id": "1"}, "INVALID_ANALYTICS_QUERY", "gateway_id"),
        ({"provider": "stripe"}, "INVALID_ANALYTICS_QUERY", "provider"),
        ({"method": "cheque"}, "INVALID_ANALYTICS_QUERY", "method"),
        ({"currency": "rupees"}, "INVALID_ANALYTICS_QUERY", "currency"),
    ]
    for params, code, field in cases:
        _error(await admin.get(ADMIN, params=params), 400, code, field)
    # the longest ranges allowed, and the buckets they may use
    for params in (
        {"range": "180d"},
        {"from": "2026-01-01", "to": "2026-06-29", "bucket": "1d"},
        {"range": "90d", "bucket": "1h"},
        {"range": "7d", "bucket": "5m"},
    ):
        assert (await admin.get(ADMIN, params=params)).status_code == 200, params
    assert (await admin.get(ADMIN, params={"limit": "0"})).status_code == 422
    async with httpx.AsyncClient(base_url=platform.api_url) as anonymous:
        assert (await anonymous.get(ADMIN)).status_code == 401
    m = await create_merchant(session)
    async with httpx.AsyncClient(timeout=20) as http:
        r = await merchant_client(platform.api_url, m, http).get("/api/v1/merchant/analytics?bucket=week")
        _error(r, 400, "INVALID_ANALYTICS_QUERY", "bucket")


async def test_every_bucket_grouping_and_filter_adds_up_to_a_direct_count(platform, session, admin):
    """Each question reads its own cut and grain (and its totals whole days and hours where it can): all of
    them must agree with a count over the payments."""
    merchants = [await create_merchant(session) for _ in range(2)]
    gateways = [await create_sandbox_gateway(session, platform.simulator_url) for _ in range(2)]
    statuses = ["authorized", "failed", "expired", "pending", "created", "refunded"]
    methods = ["upi", "card", None]
    payments = []
    for i in range(90):
        at = _ist(1, 22, 50) + timedelta(minutes=37 * i)  # from 22:50 IST on 1 March, over 2.3 days
        status = statuses[i % len(statuses)]
        p = add_transaction(
            session,
            merchants[i % 2].client.id,
            gateways[(i // 2) % 2],
            amount=1_000 + i,
            status=status,
            method=methods[i % 3],
            error_code="DECLINED" if status == "failed" else None,
            amount_refunded=1_000 + i if status == "refunded" else 0,
            created_at=at,
            updated_at=UNTOUCHED,
        )
        payments.append(p)
    await session.commit()
    await fold_all()

    start, end = "2026-03-01T22:57:00", "2026-03-03T01:07:00"  # IST, on no bucket's edge
    filters: list[dict[str, str]] = [
        {},
        {"method": "upi"},
        {"method": "unknown"},
        {"gateway_id": str(gateways[0].id)},
        {"provider": "sandbox", "method": "card"},
        {"merchant_id": str(merchants[1].client.id)},
    ]
    for bucket in ("5m", "1h", "1d"):
        w = window(start=start, end=end, span=None, bucket=bucket)
        for flt in filters:
            chosen = [
                p
                for p in payments
                if w.start <= p.created_at < w.end
                and (flt.get("method") in (None, p.method or "unknown"))
                and (flt.get("gateway_id") in (None, str(p.gateway_id)))
                and (flt.get("merchant_id") in (None, str(p.client_id)))
            ]
            succeeded = [p for p in chosen if p.status in ("authorized", "refunded")]
            want = {
                "count": len(chosen),
                "succeeded": len(succeeded),
                "failed": sum(p.status in ("failed", "expired") for p in chosen),
                "volume": sum(p.amount for p in succeeded),
                "refunded": sum(p.amount_refunded for p in chosen),
            }
            declined = sum(p.status == "failed" for p in chosen)
            for group_by in (None, "gateway", "provider", "method", "status", "merchant"):
                params = {"from": start, "to": end, "bucket": bucket, **flt}
                if group_by:
                    params["group_by"] = group_by
                now = (await _get(admin, **params))["current"]
                what = (bucket, flt, group_by)
                assert {k: now["totals"][k] for k in want} == want, what
                assert sum(now["series"]["count"]) == want["count"], what
                if group_by:
                    assert sum(g["count"] for g in now["groups"]) == want["count"], what
                    assert sum(sum(g["count"]) for g in now["group_series"]) == want["count"], what
                    assert sum(g["volume"] for g in now["groups"]) == want["volume"], what
                reasons = {r["code"]: r["count"] for r in now["top_failure_reasons"]}
                assert reasons.get("DECLINED", 0) == declined, what
