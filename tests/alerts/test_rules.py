"""Alert rules over the running platform: each condition opens exactly one alert and one Slack message, however
often it is raised (the scheduler runs the rules every 2 s here), and clearing it resolves the alert with one
more message."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select, update

from lightspeedpay.alerts.rules import RuleContext, alert_rules, queue_backlog
from lightspeedpay.config import get_settings
from lightspeedpay.gateways.service import gateway_service
from lightspeedpay.jobs import queues
from lightspeedpay.jobs.unit_of_work import unit_of_work
from lightspeedpay.models import Alert, Client, JobIntent, Transaction, Wallet, WebhookEndpoint
from lightspeedpay.models.alert import AlertKind
from lightspeedpay.webhooks.endpoint_service import endpoint_service
from tests.alerts.support import alerts, slack_messages, wait_alert, wait_slack
from tests.factories import (
    add_transaction,
    create_merchant,
    create_sandbox_gateway,
    jobs_settled,
    merchant_client,
    wait_for,
)
from tests.ledger_support import open_shop


async def _sim_faults(platform, key_id: str, **faults) -> None:
    async with httpx.AsyncClient() as c:
        r = await c.put(f"{platform.simulator_url}/_sim/accounts/{key_id}/faults", json=faults)
        assert r.status_code == 200, r.text


async def _rules_ran_again() -> None:
    """Long enough for the scheduler to run the rules (every 2 s) and the ledger check (every 5 s) twice more."""
    await asyncio.sleep(11)


async def test_a_tripped_gateway_raises_one_alert_and_its_recovery_resolves_it(platform, session):
    new = await create_merchant(session)
    await create_sandbox_gateway(
        session, platform.simulator_url, name="steady", auto_outcome="success", priority=1
    )
    bad = await create_sandbox_gateway(
        session, platform.simulator_url, name="flaky", auto_outcome="success", priority=9
    )
    bad_id, bad_key = bad.id, gateway_service.account(bad).credentials["key_id"]
    await _sim_faults(platform, bad_key, http_5xx=502)
    try:
        async with httpx.AsyncClient(timeout=30) as http:
            client = merchant_client(platform.api_url, new, http)
            for _ in range(12):
                assert (await client.pay(amount=10_000)).status_code == 201

        alert = await wait_alert(session, AlertKind.GATEWAY_DOWN, Alert.gateway_id == bad_id)
        assert alert.severity == "critical" and alert.title == "Gateway flaky is down"
        assert alert.dedup_key == f"gateway.down:{bad_id}"
        first = await wait_slack(platform, alert.id, 1)
        assert first[0]["text"].startswith(":red_circle: CRITICAL: Gateway flaky is down")

        # the rule sees the breaker still tripped at every run: the same alert, counted, and no second message
        await _rules_ran_again()
        [still] = await alerts(session, AlertKind.GATEWAY_DOWN)
        assert still.id == alert.id and still.status == "open" and still.occurrences >= 3
        assert still.last_seen_at > still.opened_at
        assert len(await slack_messages(platform, alert.id)) == 1
    finally:
        await _sim_faults(platform, bad_key)

    # the PSP answers again: the health probe clears the breaker and resolves the alert; one more message
    resolved = await wait_alert(session, AlertKind.GATEWAY_DOWN, status="resolved")
    assert resolved.id == alert.id and resolved.resolved_by == "system"
    assert resolved.resolved_note
    both = await wait_slack(platform, alert.id, 2)
    assert both[1]["text"] == ":white_check_mark: Resolved: Gateway flaky is down"
    await jobs_settled(session)


async def test_a_job_intent_failed_for_good_raises_one_alert_per_job_until_retried(platform, session):
    def failed_intent(error: str) -> JobIntent:
        return JobIntent(
            id=uuid.uuid4(),
            queue=queues.REFUNDS,
            name="refund.process",
            payload={"refund_id": str(uuid.uuid4())},
            status="failed",
            attempts=8,
            last_error=error,
        )

    first = failed_intent("RuntimeError: the PSP refused the refund")
    session.add(first)
    await session.commit()
    alert = await wait_alert(session, AlertKind.JOB_FAILED)
    assert alert.dedup_key == "job.failed:refund.process" and alert.severity == "critical"
    assert alert.details["failed"] == 1 and "the PSP refused" in alert.message
    await wait_slack(platform, alert.id, 1)

    # a second one of the same job: the same alert says two
    session.add(failed_intent("RuntimeError: again"))
    await session.commit()

    async def says_two() -> bool:
        [a] = await alerts(session, AlertKind.JOB_FAILED)
        return a.id == alert.id and a.details["failed"] == 2

    await wait_for(says_two, what="the alert to count the second failed intent")
    assert len(await slack_messages(platform, alert.id)) == 1

    # both retried and done (as the queue admin's retry leaves them): resolved, with one more message
    await session.execute(update(JobIntent).values(status="completed", completed_at=datetime.now(UTC)))
    await session.commit()
    await wait_alert(session, AlertKind.JOB_FAILED, status="resolved")
    messages = await wait_slack(platform, alert.id, 2)
    assert messages[1]["text"].startswith(":white_check_mark: Resolved: ")


async def test_a_broken_ledger_raises_one_alert_and_its_repair_resolves_it(platform, session):
    async with open_shop(platform, session) as shop:
        await shop.pay(10_000)
        await shop.pay(20_000)
    # balance_due drifts from its entries, on purpose
    await session.execute(
        update(Wallet).where(Wallet.client_id == shop.id).values(balance_due=Wallet.balance_due + 7)
    )
    await session.commit()
    try:
        alert = await wait_alert(session, AlertKind.LEDGER_INVARIANT)
        assert alert.severity == "critical" and alert.details["by_check"] == {"balance_mismatch": 1}
        assert "balance_due" in alert.message
        await wait_slack(platform, alert.id, 1)
        await _rules_ran_again()
        assert [a.id for a in await alerts(session, AlertKind.LEDGER_INVARIANT)] == [alert.id]
        assert len(await slack_messages(platform, alert.id)) == 1
    finally:
        await session.rollback()
        await session.execute(
            update(Wallet).where(Wallet.client_id == shop.id).values(balance_due=Wallet.balance_due - 7)
        )
        await session.commit()
    resolved = await wait_alert(session, AlertKind.LEDGER_INVARIANT, status="resolved")
    assert resolved.resolved_note == "the ledger check is clean"
    await wait_slack(platform, alert.id, 2)


async def test_500_failing_payments_make_one_alert_and_one_slack_message(platform, session):
    new = await create_merchant(session)
    gateway = await create_sandbox_gateway(session, platform.simulator_url, name="declines")
    for _ in range(500):
        add_transaction(session, new.client.id, gateway, status="failed", error_code="PAYMENT_DECLINED")
    await session.commit()
    # the scheduler's runs and three of our own at once
    await asyncio.gather(*(alert_rules.evaluate(kinds=[AlertKind.PAYMENT_FAILURE_RATE]) for _ in range(3)))

    alert = await wait_alert(session, AlertKind.PAYMENT_FAILURE_RATE)
    assert alert.dedup_key == "payments.failure_rate:all"
    assert (alert.details["failed"], alert.details["decided"], alert.details["failure_rate_percent"]) == (
        500,
        500,
        100.0,
    )
    [message] = await wait_slack(platform, alert.id, 1)
    assert "Payment failure rate overall is over 30%" in message["text"]
    await _rules_ran_again()
    # one gateway carried them all: no second alert for it, and still the one message
    assert [a.id for a in await alerts(session, AlertKind.PAYMENT_FAILURE_RATE)] == [alert.id]
    assert len(await slack_messages(platform, alert.id)) == 1


async def test_the_failure_rate_names_the_failing_gateway_and_clears_with_the_window(platform, session):
    new = await create_merchant(session)
    failing = await create_sandbox_gateway(session, platform.simulator_url, name="failing")
    fine = await create_sandbox_gateway(session, platform.simulator_url, name="fine")
    failing_id = failing.id
    for _ in range(30):
        add_transaction(session, new.client.id, failing, status="failed")
        add_transaction(session, new.client.id, fine, status="authorized", authorized_at=datetime.now(UTC))
    await session.commit()

    overall = await wait_alert(session, AlertKind.PAYMENT_FAILURE_RATE, Alert.gateway_id.is_(None))
    assert overall.details["failure_rate_percent"] == 50.0
    assert {g["gateway"]: g["failed"] for g in overall.details["by_gateway"]} == {"failing": 30, "fine": 0}
    one = await wait_alert(session, AlertKind.PAYMENT_FAILURE_RATE, Alert.gateway_id.is_not(None))
    assert one.gateway_id == failing_id and one.title == "Payment failure rate on gateway failing is over 30%"

    # the failures fall out of the 5-minute window: both resolve
    await session.execute(update(Transaction).values(created_at=datetime.now(UTC) - timedelta(minutes=6)))
    await session.commit()

    async def all_resolved() -> bool:
        rows = await alerts(session, AlertKind.PAYMENT_FAILURE_RATE)
        return len(rows) == 2 and {a.status for a in rows} == {"resolved"}

    await wait_for(all_resolved, what="both failure-rate alerts resolved")


async def test_the_sla_monitor_alerts_on_payments_pending_too_long(platform, session):
    new = await create_merchant(session)
    gateway = await create_sandbox_gateway(session, platform.simulator_url)
    old = datetime.now(UTC) - timedelta(minutes=7)  # past the SLA (5 min here), not yet the expiry (10)
    late = [
        add_transaction(session, new.client.id, gateway, status="pending", created_at=old) for _ in range(3)
    ]
    add_transaction(session, new.client.id, gateway, status="pending")  # in time
    late_ids = [t.id for t in late]
    await session.commit()

    alert = await wait_alert(session, AlertKind.PAYMENTS_PENDING)
    assert alert.details["count"] == 3 and alert.title == "3 payments waiting longer than 5 minutes"
    await wait_slack(platform, alert.id, 1)

    await session.execute(update(Transaction).where(Transaction.id.in_(late_ids)).values(status="expired"))
    await session.commit()
    await wait_alert(session, AlertKind.PAYMENTS_PENDING, status="resolved")


async def test_a_suspended_merchant_raises_an_alert_until_resumed(platform, session):
    new = await create_merchant(session, name="suspendme")
    client_id = new.client.id
    await session.execute(
        update(Client).where(Client.id == client_id).values(status="suspended", suspension_reason="dues")
    )
    await session.commit()
    alert = await wait_alert(session, AlertKind.MERCHANT_SUSPENDED)
    assert alert.client_id == client_id and alert.title == "Merchant Shop suspendme is suspended"
    await session.execute(
        update(Client).where(Client.id == client_id).values(status="active", suspension_reason=None)
    )
    await session.commit()
    await wait_alert(session, AlertKind.MERCHANT_SUSPENDED, status="resolved")


async def test_a_disabled_webhook_endpoint_alert_resolves_once_it_is_enabled_again(platform, session):
    new = await create_merchant(session, receiver_url=platform.receiver_url)
    client_id = new.client.id
    async with unit_of_work() as s:
        endpoint = (
            await s.execute(select(WebhookEndpoint).where(WebhookEndpoint.client_id == client_id))
        ).scalar_one()
        await endpoint_service.disable(s, endpoint, reason="the endpoint answered 410 Gone", alert=True)
        endpoint_id = endpoint.id
    alert = await wait_alert(session, AlertKind.WEBHOOK_ENDPOINT_DISABLED)
    assert alert.client_id == client_id and alert.details["endpoint_id"] == str(endpoint_id)
    await wait_slack(platform, alert.id, 1)

    # the rule keeps it while the endpoint stays disabled
    await _rules_ran_again()
    [still] = await alerts(session, AlertKind.WEBHOOK_ENDPOINT_DISABLED)
    assert still.status == "open" and still.occurrences > 1

    await session.execute(
        update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id).values(enabled=True)
    )
    await session.commit()
    await wait_alert(session, AlertKind.WEBHOOK_ENDPOINT_DISABLED, status="resolved")
    await wait_slack(platform, alert.id, 2)


@pytest.mark.parametrize(
    "limits",
    [
        {"alert_queue_waiting_max": 2},
        {"alert_queue_oldest_waiting_seconds": 0.0},
    ],
)
async def test_the_queue_backlog_rule_reads_bullmq_counts_and_ages(platform, session, limits):
    settings = get_settings().model_copy(update=limits)
    queue = queues.queue(queues.SETTLEMENTS)
    await queue.pause()
    try:
        for _ in range(3):
            await queues.push(queues.SETTLEMENTS, "settlement.process", str(uuid.uuid4()))
        await asyncio.sleep(0.05)
        found = await queue_backlog(RuleContext(session, [], settings, datetime.now(UTC)))
        [backlog] = [c for c in found if c.dedup_key == "queue.backlog:settlements"]
        assert backlog.details["waiting"] == 3 and backlog.details["oldest_waiting_seconds"] >= 0
        assert "settlements" in backlog.title
    finally:
        await queue.resume()

    async def drained() -> bool:
        found = await queue_backlog(RuleContext(session, [], settings, datetime.now(UTC)))
        return not [c for c in found if c.dedup_key == "queue.backlog:settlements"]

    await wait_for(drained, what="the paused jobs to leave the queue once it is resumed")
