"""The daily retention purge: completed job intents, processed PSP events, resolved alerts and merchant webhook
events go after their configured age, page batch by page batch; what is younger, unfinished or still referred to
stays; audit rows are never deleted; once per day."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from lightspeedpay.config import get_settings
from lightspeedpay.models import (
    Alert,
    AuditLog,
    JobIntent,
    PaymentGateway,
    PspEvent,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from lightspeedpay.retention.service import retention_service
from lightspeedpay.schedule import periodic_tasks
from tests.factories import create_merchant, create_sandbox_gateway


def _days_ago(days: float) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)


def _intent(status: str, days: float) -> JobIntent:
    at = _days_ago(days)
    return JobIntent(
        id=uuid.uuid4(),
        queue="settlements",
        name="settlement.process",
        payload={"settlement_id": str(uuid.uuid4())},
        status=status,
        attempts=1,
        # not due for a long time, so the sweeper never hands a pending one to a worker
        run_after=at if status != "pending" else datetime.now(UTC) + timedelta(days=30),
        completed_at=at if status == "completed" else None,
        created_at=at,
        updated_at=at,
    )


def _psp_event(gateway: PaymentGateway, processed_days: float | None) -> PspEvent:
    return PspEvent(
        id=uuid.uuid4(),
        provider="sandbox",
        gateway_id=gateway.id,
        external_id=f"evt_{uuid.uuid4().hex}",
        event_type="payment.captured",
        raw_body="{}",
        parsed={},
        processed_at=_days_ago(processed_days) if processed_days is not None else None,
        received_at=_days_ago(processed_days or 200),
    )


def _event(client_id: uuid.UUID, status: str, days: float) -> WebhookEvent:
    event_id = uuid.uuid4()
    return WebhookEvent(
        id=event_id,
        client_id=client_id,
        type="payment.paid",
        payload={"id": f"evt_{event_id.hex}"},
        status=status,
        attempts=0,
        created_at=_days_ago(days),
    )


def _alert(status: str, days: float) -> Alert:
    at = _days_ago(days)
    return Alert(
        id=uuid.uuid4(),
        kind="gateway_down",
        severity="warning",
        status=status,
        dedup_key=f"test:{uuid.uuid4()}",
        title="a gateway is down",
        message="x",
        opened_at=at,
        last_seen_at=at,
        resolved_at=at if status == "resolved" else None,
    )


@pytest.fixture
def one_page_batches():
    s = get_settings()
    before = s.retention_batch_blocks
    s.retention_batch_blocks = 1
    yield
    s.retention_batch_blocks = before


async def test_rows_past_retention_are_purged_the_rest_stays(platform, session, one_page_batches):
    s = get_settings()
    new = await create_merchant(session, receiver_url=platform.receiver_url)
    client_id = new.client.id
    gateway = await create_sandbox_gateway(session, platform.simulator_url)
    old, young = s.retention_job_intents_days + 1, s.retention_job_intents_days - 1
    intents = {
        "completed old": _intent("completed", old),
        "completed young": _intent("completed", young),
        "failed old": _intent("failed", old),
        "pending old": _intent("pending", old),
    }
    psp_old, psp_young = s.retention_psp_events_days + 1, s.retention_psp_events_days - 1
    psp = {
        "processed old": _psp_event(gateway, psp_old),
        "processed young": _psp_event(gateway, psp_young),
        "unprocessed": _psp_event(gateway, None),
    }
    alert_old, alert_young = s.retention_alerts_days + 1, s.retention_alerts_days - 1
    alerts = {
        "resolved old": _alert("resolved", alert_old),
        "resolved young": _alert("resolved", alert_young),
        "open old": _alert("open", alert_old),
        "acknowledged old": _alert("acknowledged", alert_old),
    }
    delivered, failed = s.webhook_retention_success_days, s.webhook_retention_failed_days
    events = {
        # no endpoint was subscribed: the event failed at once and never had a delivery
        "failed, no delivery, old": _event(client_id, "failed", failed + 1),
        "failed, no delivery, young": _event(client_id, "failed", failed - 1),
        "delivered, deliveries purged, old": _event(client_id, "delivered", delivered + 1),
        "delivered, young": _event(client_id, "delivered", delivered - 1),
        "pending, old": _event(client_id, "pending", failed + 1),
        "failed, with its delivery, old": _event(client_id, "failed", failed + 1),
    }
    audit = AuditLog(id=uuid.uuid4(), actor="admin", action="merchant.updated", created_at=_days_ago(3650))
    # enough old completed intents to fill several pages: the purge goes through them a page per batch
    many = [_intent("completed", old) for _ in range(400)]
    session.add_all([*intents.values(), *many, *psp.values(), *alerts.values(), *events.values(), audit])
    await session.flush()
    endpoint_id = (
        await session.execute(select(WebhookEndpoint.id).where(WebhookEndpoint.client_id == client_id))
    ).scalar_one()
    session.add(
        WebhookDelivery(
            id=uuid.uuid4(),
            event_id=events["failed, with its delivery, old"].id,
            endpoint_id=endpoint_id,
            client_id=client_id,
            status="failed",
            attempts=4,
            finished_at=_days_ago(1),  # the delivery is young: the event waits for it
        )
    )
    await session.commit()
    # ids, read before the session forgets its objects
    intent_ids = {k: i.id for k, i in intents.items()}
    many_ids = {i.id for i in many}
    psp_ids = {k: e.id for k, e in psp.items()}
    alert_ids = {k: a.id for k, a in alerts.items()}
    event_ids = {k: e.id for k, e in events.items()}
    audit_id = audit.id
    pages = int((await session.execute(text("SELECT pg_relation_size('job_intents') / 8192"))).scalar_one())
    assert pages > 3

    result = await retention_service.run()
    assert result is not None
    assert result["batches"] >= pages + 3  # a page at a time
    assert result["deleted"] == {
        "job_intents": 1 + len(many),
        "psp_events": 1,
        "alerts": 1,
        "webhook_events": 2,
    }
    await session.rollback()

    async def ids(model) -> set[uuid.UUID]:
        return set((await session.execute(select(model.id))).scalars())

    assert await ids(JobIntent) >= {i for k, i in intent_ids.items() if k != "completed old"}
    assert not await ids(JobIntent) & {intent_ids["completed old"], *many_ids}
    assert await ids(PspEvent) == {e for k, e in psp_ids.items() if k != "processed old"}
    assert await ids(Alert) == {a for k, a in alert_ids.items() if k != "resolved old"}
    gone = {"failed, no delivery, old", "delivered, deliveries purged, old"}
    assert await ids(WebhookEvent) == {e for k, e in event_ids.items() if k not in gone}
    assert audit_id in await ids(AuditLog)  # never deleted

    # once a day: a second call does nothing
    assert await retention_service.run() is None


def test_the_daily_tasks_are_scheduled_on_seed_003s_crons():
    tasks = {name: schedule for name, schedule, _ in periodic_tasks()}
    daily = ("low_balance_reminder", "commission_payout", "archive", "retention", "health_report")
    assert {name: tasks[name].expression for name in daily} == {
        "low_balance_reminder": "*/15 * * * *",
        "commission_payout": "0 0 * * *",
        "archive": "0 2 * * *",
        "retention": "30 2 * * *",
        "health_report": "0 6 * * *",
    }
    assert tasks["archive"].timeout == get_settings().archive_timeout_seconds
