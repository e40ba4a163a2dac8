"""A job's name and its queue are written once, in @task; enqueue finds the queue by the name."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay import tasks  # noqa: F401 - registers every handler
from lightspeedpay.jobs import outbox, queues, registry
from lightspeedpay.payments import repository as payments_repository


def test_every_task_runs_on_a_known_queue() -> None:
    assert {name: t.queue for name, t in registry.TASKS.items()} == {
        "transaction.process": queues.TRANSACTION_PROCESSING,
        "psp_event.process": queues.WEBHOOK_PROCESSING,
        "merchant_webhook.deliver": queues.MERCHANT_WEBHOOKS,
        "merchant_webhook.redeliver": queues.MERCHANT_WEBHOOKS,
        "whatsapp.send": queues.WHATSAPP_NOTIFICATIONS,
        "settlement.process": queues.SETTLEMENTS,
        "commission.payout": queues.SETTLEMENTS,
        "refund.process": queues.REFUNDS,
        "slack.send": queues.SLACK_NOTIFICATIONS,
        "kyc.penny_drop": queues.KYC,
        "email.send": queues.EMAIL_NOTIFICATIONS,
    }


def test_the_initiation_sql_writes_the_registered_queue_and_name() -> None:
    # payments/repository.py writes the first intent of a payment in its one INSERT … SELECT, literally
    queue = registry.queue_of("transaction.process")
    assert f"'{queue}', 'transaction.process'" in payments_repository._INITIATE


def test_enqueue_by_name_writes_the_task_queue() -> None:
    session = AsyncSession()
    intent = outbox.enqueue(session, "refund.process", delay_seconds=2, refund_id="r1")
    assert (intent.queue, intent.name, intent.payload) == (
        queues.REFUNDS,
        "refund.process",
        {"refund_id": "r1"},
    )
    raw_id = uuid.uuid4()
    outbox.remember(session, "transaction.process", raw_id)
    assert session.info["lsp_pending_jobs"] == [
        (queues.REFUNDS, "refund.process", str(intent.id), 2000),
        (queues.TRANSACTION_PROCESSING, "transaction.process", str(raw_id), 0),
    ]
    outbox.forget(session)


def test_enqueue_refuses_an_unknown_task() -> None:
    session = AsyncSession()
    with pytest.raises(registry.UnknownTask, match="refund.proces"):
        outbox.enqueue(session, "refund.proces", refund_id="r1")
    assert outbox.enqueue(session, "refund.process", refund_id="r1").queue == queues.REFUNDS
    outbox.forget(session)
