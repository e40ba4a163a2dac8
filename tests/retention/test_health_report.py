"""The daily system health report: made once per day from what happened (payments by status and gateway,
commission, alerts, backlog, webhook deliveries, failed intents), stored, and read by operators at
GET /api/v1/admin/reports/health (latest or ?date=) and /health/history; bad input gets a coded 4xx."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from decimal import Decimal
from functools import partial

import httpx

from lightspeedpay.kit.money import commission
from lightspeedpay.models import Alert, HealthReport
from lightspeedpay.reports.service import health_report_service, slack_text
from lightspeedpay.retention.service import daily_runs
from lightspeedpay.settlements.service import today
from tests.factories import count, create_sandbox_gateway, jobs_settled, wait_for
from tests.ledger_support import admin_client, open_shop


async def test_the_report_of_a_day_is_made_once_and_read_by_operators(platform, session):
    fee = Decimal("3.00")
    async with open_shop(platform, session, fee_percent=fee) as shop, admin_client(platform) as admin:
        await shop.pay(10_000)
        await shop.pay(20_000)
        await shop.wait_event("payment.paid", 2)  # the webhook deliveries are in the report too
        # a second gateway that declines: the next payment goes there and fails
        declining = await create_sandbox_gateway(
            session, platform.simulator_url, auto_outcome="failure", priority=9
        )
        declining_name = declining.name
        r = await shop.client.pay(amount=5_000)
        assert r.status_code == 201, r.text
        session.add(
            Alert(
                kind="gateway_down",
                severity="critical",
                dedup_key=f"test:{uuid.uuid4()}",
                title="sandbox down",
                message="sandbox down",
            )
        )
        await session.commit()

        async def failed_one() -> bool:
            got = (await shop.client.get(f"/api/v1/transactions/{r.json()['transaction_id']}")).json()
            return got["status"] == "failed"

        await wait_for(failed_one, what="the payment failed")
        await jobs_settled(session)

        # nothing stored yet
        missing = await admin.get("/api/v1/admin/reports/health")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "REPORT_NOT_FOUND"

        make = partial(health_report_service.generate, day=today())
        result = await daily_runs.once("health_report", make)
        assert result is not None and result["stored"]
        assert await daily_runs.once("health_report", make) is None  # once a day
        assert await count(session, HealthReport) == 1

        got = await admin.get("/api/v1/admin/reports/health", params={"date": today().isoformat()})
        assert got.status_code == 200, got.text
        report = got.json()
        assert (await admin.get("/api/v1/admin/reports/health")).json() == report  # the latest
        body = report["body"]
        assert report["period_date"] == today().isoformat() and body["period"]["timezone"] == "Asia/Kolkata"

        payments = body["payments"]
        assert (payments["total"], payments["succeeded"], payments["failed"]) == (3, 2, 1)
        assert payments["by_status"] == {"paid": 2, "failed": 1}
        assert payments["success_rate"] == round(100 * 2 / 3, 2) and payments["volume"] == 30_000
        assert body["commission"]["charged"] == commission(10_000, fee) + commission(20_000, fee)

        by_name = {g["name"]: g for g in body["gateways"]}
        assert by_name[declining_name]["failed"] == 1 and by_name[declining_name]["success_rate"] == 0
        assert by_name[declining_name]["top_failure_reasons"][0]["count"] == 1
        assert body["alerts"]["open"] >= 1 and body["alerts"]["opened_in_period"] >= 1
        assert body["webhooks"]["delivered"] >= 3 and body["webhooks"]["success_rate"] == 100.0
        assert set(body["queues"]) >= {"intents_pending", "intents_failed_in_period", "bullmq"}
        assert body["queues"]["bullmq"] is not None and "transaction-processing" in body["queues"]["bullmq"]

        history = await admin.get("/api/v1/admin/reports/health/history")
        assert history.status_code == 200, history.text
        [item] = history.json()["items"]
        assert item == {
            **item,
            "id": report["id"],
            "period_date": today().isoformat(),
            "payments": 3,
            "volume": 30_000,
        }
        stored = await session.get(HealthReport, uuid.UUID(report["id"]))
        assert stored is not None and "success rate 66.67%" in slack_text(stored)
        # and sent to the operator's Slack (the stand-in), once
        async with httpx.AsyncClient() as c:

            async def in_slack() -> list | None:
                r = await c.get(
                    f"{platform.slack_url}/_slack/messages",
                    params={"contains": f"health report, {today().isoformat()}"},
                )
                return r.json() or None

            [message] = await wait_for(in_slack, what="the report in Slack")
        assert "success rate 66.67%" in json.dumps(message)

        # another day has no report; bad input is a coded 4xx; operators only
        other = (today() - timedelta(days=400)).isoformat()
        r404 = await admin.get("/api/v1/admin/reports/health", params={"date": other})
        assert r404.status_code == 404 and r404.json()["error"]["field"] == "date"
        bad = await admin.get("/api/v1/admin/reports/health", params={"date": "yesterday"})
        assert bad.status_code == 422
        bad = await admin.get("/api/v1/admin/reports/health/history", params={"limit": 0})
        assert bad.status_code == 422
        async with httpx.AsyncClient(base_url=platform.api_url) as anonymous:
            assert (await anonymous.get("/api/v1/admin/reports/health")).status_code == 401
