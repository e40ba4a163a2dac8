"""The operator's alerts API: lists with filters and keyset pages on both paths, one alert, acknowledge and
resolve with a note (each audited in the same transaction), coded errors for unknown alerts and repeats."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select, update

from lightspeedpay.alerts.service import alert_service
from lightspeedpay.jobs.unit_of_work import unit_of_work
from lightspeedpay.models import Alert, AuditLog
from tests.alerts.support import wait_slack
from tests.factories import create_merchant, create_sandbox_gateway
from tests.ledger_support import admin_client

# kinds no rule of the platform knows: the scheduler's rules leave these alerts alone
KIND = "test.manual"


async def _raise(key: str, **fields) -> uuid.UUID:
    async with unit_of_work() as s:
        alert = await alert_service.raise_(
            s,
            fields.pop("kind", KIND),
            key,
            title=fields.pop("title", f"Test alert {key}"),
            message=fields.pop("message", "raised by a test"),
            **fields,
        )
        return alert.id


async def test_ack_and_resolve_take_a_note_and_are_audited(platform, session):
    alert_id = await _raise("test.manual:ack", severity="critical")
    async with admin_client(platform) as admin:
        r = await admin.post(f"/api/v1/admin/alerts/{alert_id}/ack", json={"note": "looking at the PSP"})
        assert r.status_code == 200, r.text
        acked = r.json()
        assert (acked["status"], acked["acknowledged_by"], acked["acknowledged_note"]) == (
            "acknowledged",
            "admin:admin",
            "looking at the PSP",
        )
        again = await admin.post(f"/api/v1/admin/alerts/{alert_id}/ack")
        assert again.status_code == 409 and again.json()["error"]["code"] == "ALERT_ALREADY_ACKNOWLEDGED"

        # raised again while acknowledged: still the same alert, still acknowledged
        assert await _raise("test.manual:ack") == alert_id
        shown = (await admin.get(f"/api/v1/admin/alerts/{alert_id}")).json()
        assert shown["status"] == "acknowledged" and shown["occurrences"] == 2

        r = await admin.post(
            f"/api/v1/admin/alerts/{alert_id}/resolve",
            json={"note": "PSP fixed it"},
            headers={"X-Request-Id": "req-resolve-1"},
        )
        assert r.status_code == 200, r.text
        done = r.json()
        assert (done["status"], done["resolved_by"], done["resolved_note"]) == (
            "resolved",
            "admin:admin",
            "PSP fixed it",
        )
        for path in ("resolve", "ack"):
            r = await admin.post(f"/api/v1/admin/alerts/{alert_id}/{path}", json={"note": "again"})
            assert r.status_code == 409 and r.json()["error"]["code"] == "ALERT_ALREADY_RESOLVED", r.text
        # the seed's path shows the same alert
        assert (await admin.get(f"/api/v1/alerts/{alert_id}")).json() == (
            await admin.get(f"/api/v1/admin/alerts/{alert_id}")
        ).json()

    await session.rollback()
    rows = (
        (
            await session.execute(
                select(AuditLog).where(AuditLog.target_id == str(alert_id)).order_by(AuditLog.created_at)
            )
        )
        .scalars()
        .all()
    )
    assert [(a.action, a.actor, a.target_type, a.before, a.after, a.reason) for a in rows] == [
        (
            "alert.acknowledged",
            "admin:admin",
            "alert",
            {"status": "open"},
            {"status": "acknowledged"},
            "looking at the PSP",
        ),
        (
            "alert.resolved",
            "admin:admin",
            "alert",
            {"status": "acknowledged"},
            {"status": "resolved"},
            "PSP fixed it",
        ),
    ]
    assert rows[1].request_id == "req-resolve-1"
    # the operator's resolution goes to Slack too, after the opening
    messages = await wait_slack(platform, alert_id, 2)
    assert "resolved by admin:admin" in str(messages[1]["blocks"]) and "PSP fixed it" in str(
        messages[1]["blocks"]
    )


async def test_a_resolved_condition_raised_again_opens_a_new_alert(platform, session):
    first = await _raise("test.manual:again")
    async with admin_client(platform) as admin:
        assert (await admin.post(f"/api/v1/admin/alerts/{first}/resolve")).status_code == 200
    second = await _raise("test.manual:again")
    assert second != first
    await session.rollback()
    statuses = dict((await session.execute(select(Alert.id, Alert.status).where(Alert.kind == KIND))).all())
    assert statuses == {first: "resolved", second: "open"}


async def test_unknown_alerts_are_404_and_every_route_needs_the_admin_token(platform, session):
    async with admin_client(platform) as admin:
        for alert_id in (str(uuid.uuid4()), "not-an-id"):
            for method, path in (
                ("GET", f"/api/v1/admin/alerts/{alert_id}"),
                ("GET", f"/api/v1/alerts/{alert_id}"),
                ("POST", f"/api/v1/admin/alerts/{alert_id}/ack"),
                ("POST", f"/api/v1/admin/alerts/{alert_id}/resolve"),
            ):
                r = await admin.request(method, path)
                assert r.status_code == 404, (method, path, r.text)
                assert r.json()["error"] == {
                    "code": "ALERT_NOT_FOUND",
                    "message": "No alert with this id.",
                    "field": "alert_id",
                }
        alert_id = await _raise("test.manual:body")
        for body in (b"{", b'{"note": 5}', b'{"nope": "x"}', b"[]"):
            r = await admin.post(
                f"/api/v1/admin/alerts/{alert_id}/ack",
                content=body,
                headers={"content-type": "application/json"},
            )
            assert 400 <= r.status_code < 500 and r.json()["error"]["code"], (body, r.text)
        assert (await admin.get(f"/api/v1/admin/alerts/{alert_id}")).json()["status"] == "open"
        r = await admin.get("/api/v1/admin/alerts", params={"status": "gone"})
        assert r.status_code == 422
        r = await admin.get("/api/v1/admin/alerts", params={"cursor": "garbage"})
        assert r.status_code == 422 and r.json()["error"]["field"] == "cursor"
    async with httpx.AsyncClient(base_url=platform.api_url) as anonymous:
        for method, path in (
            ("GET", "/api/v1/alerts"),
            ("GET", "/api/v1/admin/alerts"),
            ("GET", f"/api/v1/admin/alerts/{alert_id}"),
            ("POST", f"/api/v1/admin/alerts/{alert_id}/ack"),
            ("POST", f"/api/v1/admin/alerts/{alert_id}/resolve"),
        ):
            r = await anonymous.request(method, path, headers={"Authorization": "Bearer wrong"})
            assert r.status_code == 401 and r.json()["error"]["code"] == "UNAUTHORIZED", (method, path)


async def test_the_list_filters_and_pages_newest_first(platform, session):
    merchant = await create_merchant(session)
    gateway = await create_sandbox_gateway(session, platform.simulator_url)
    merchant_id, gateway_id = merchant.client.id, gateway.id
    ids = {}
    for i in range(5):
        ids[f"w{i}"] = await _raise(f"test.manual:w{i}", severity="warning")
    ids["gw"] = await _raise(
        "test.gateway:1", kind="test.gateway", severity="critical", gateway_id=gateway_id
    )
    ids["m"] = await _raise("test.merchant:1", kind="test.merchant", client_id=merchant_id)
    # spread the opening times, newest last raised; one opened yesterday
    now = datetime.now(UTC)
    for n, alert_id in enumerate(ids.values()):
        opened = now - timedelta(minutes=len(ids) - n)
        await session.execute(update(Alert).where(Alert.id == alert_id).values(opened_at=opened))
    await session.execute(
        update(Alert).where(Alert.id == ids["w0"]).values(opened_at=now - timedelta(days=1))
    )
    await session.commit()

    async with admin_client(platform) as admin:

        async def listed(path: str = "/api/v1/admin/alerts", **params) -> list[str]:
            r = await admin.get(path, params=params)
            assert r.status_code == 200, r.text
            by_id = {str(v): k for k, v in ids.items()}
            return [by_id[a["id"]] for a in r.json()["items"] if a["id"] in by_id]

        assert await listed() == ["m", "gw", "w4", "w3", "w2", "w1", "w0"]
        assert await listed("/api/v1/alerts") == await listed()
        assert await listed(severity="critical") == ["gw"]
        assert await listed(kind="test.merchant") == ["m"]
        assert await listed(gateway_id=str(gateway_id)) == ["gw"]
        assert await listed(merchant_id=str(merchant_id)) == ["m"]
        assert await listed(**{"from": (now - timedelta(hours=1)).isoformat()}, kind=KIND) == [
            "w4",
            "w3",
            "w2",
            "w1",
        ]
        assert await listed(**{"to": (now - timedelta(hours=1)).isoformat()}) == ["w0"]

        async with unit_of_work() as s:
            await alert_service.resolve(s, "test.manual:w2", note="gone")
        assert await listed(status="resolved") == ["w2"]
        assert await listed(status="unresolved", kind=KIND) == ["w4", "w3", "w1", "w0"]
        assert await listed(status="open", kind=KIND) == ["w4", "w3", "w1", "w0"]

        # keyset pages of two, newest first, with nothing missed or repeated
        seen, cursor = [], None
        while True:
            r = await admin.get(
                "/api/v1/admin/alerts", params={"limit": 2, **({"cursor": cursor} if cursor else {})}
            )
            page = r.json()
            assert len(page["items"]) <= 2
            seen += [a["id"] for a in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert seen == [str(ids[k]) for k in ("m", "gw", "w4", "w3", "w2", "w1", "w0")]
        one = (await admin.get(f"/api/v1/admin/alerts/{ids['m']}")).json()
        assert one["merchant_id"] == str(merchant_id) and one["kind"] == "test.merchant"
        assert set(one) >= {
            "dedup_key",
            "title",
            "message",
            "details",
            "occurrences",
            "opened_at",
            "last_seen_at",
            "acknowledged_at",
            "resolved_at",
        }
