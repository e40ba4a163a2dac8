"""Alerts to Slack through the outbox and the loopback stand-in: Slack's incoming-webhook JSON (text and Block
Kit), retried on 5xx and 429 and delivered once, given up after the policy's attempts, "resolved" never ahead of
"opened"."""

from __future__ import annotations

import uuid

import pytest

from lightspeedpay.alerts.service import alert_service
from lightspeedpay.jobs.unit_of_work import unit_of_work
from tests.alerts.support import slack_faults, slack_messages, slack_rejected, slack_rows, wait_slack
from tests.factories import jobs_settled, wait_for


@pytest.fixture(autouse=True)
async def healthy_standin(platform):
    await slack_faults(platform, mode=None)
    yield
    await slack_faults(platform, mode=None)


async def _raise(key: str, **fields) -> uuid.UUID:
    async with unit_of_work() as s:
        alert = await alert_service.raise_(
            s,
            "test.slack",
            key,
            title=f"Slack test {key}",
            message="a <b> & c",
            severity="critical",
            **fields,
        )
        return alert.id


async def test_an_alert_reaches_slack_as_an_incoming_webhook_message(platform, session):
    alert_id = await _raise(f"test.slack:{uuid.uuid4()}")
    [message] = await wait_slack(platform, alert_id, 1)
    assert message["webhook"] == "TTEST0000/BTEST0000"
    assert message["text"].startswith(":red_circle: CRITICAL: Slack test")
    header, section, context = message["blocks"]
    assert header["type"] == "header" and header["text"]["type"] == "plain_text"
    # mrkdwn control characters in an alert's words are escaped, never a link or a mention
    assert section["text"] == {"type": "mrkdwn", "text": "a &lt;b&gt; &amp; c"}
    assert str(alert_id) in context["elements"][0]["text"]

    async def recorded():
        rows = await slack_rows(session, alert_id)
        return rows if rows and rows[0].status != "queued" else None

    # the worker records the outcome just after Slack answered
    [row] = await wait_for(recorded, what="the message's outcome recorded")
    assert (row.event, row.status, row.attempts, row.error) == ("opened", "sent", 1, None)


@pytest.mark.parametrize(
    ("faults", "attempts"),
    [({"mode": "http_5xx", "count": 2}, 3), ({"mode": "rate_limited", "count": 1, "retry_after": 1}, 2)],
)
async def test_slack_failing_then_recovering_gets_the_message_once(platform, session, faults, attempts):
    await slack_faults(platform, **faults)
    alert_id = await _raise(f"test.slack:{uuid.uuid4()}")

    async def sent():
        rows = await slack_rows(session, alert_id)
        return rows if rows and rows[0].status == "sent" else None

    [row] = await wait_for(sent, timeout=30, what="the message sent after the retries")
    assert row.attempts == attempts and row.error is None
    await jobs_settled(session)
    assert len(await slack_messages(platform, alert_id)) == 1
    assert len(await slack_rejected(platform)) >= faults["count"]


async def test_slack_refusing_for_good_fails_the_message_after_the_policy_attempts(platform, session):
    await slack_faults(platform, mode="http_5xx", status=503)
    alert_id = await _raise(f"test.slack:{uuid.uuid4()}")

    async def failed():
        rows = await slack_rows(session, alert_id)
        return rows if rows and rows[0].status == "failed" else None

    [row] = await wait_for(failed, timeout=30, what="the message given up")
    assert row.attempts == 4 and row.error == "HTTP 503: rollup_error"  # LSP_SLACK_RETRY_BACKOFF has 3 waits
    assert await slack_messages(platform, alert_id) == []


async def test_resolved_is_never_posted_before_opened(platform, session):
    await slack_faults(platform, mode="http_5xx", count=2)
    key = f"test.slack:{uuid.uuid4()}"
    alert_id = await _raise(key)
    async with unit_of_work() as s:
        await alert_service.resolve(s, key, note="over at once")
    opened, resolved = await wait_slack(platform, alert_id, 2)
    assert opened["text"].startswith(":red_circle:") and resolved["text"].startswith(
        ":white_check_mark: Resolved"
    )

    async def both_sent():
        rows = await slack_rows(session, alert_id)
        return {r.event: r for r in rows} if [r.status for r in rows] == ["sent", "sent"] else None

    rows = await wait_for(both_sent, what="both outcomes recorded")
    assert rows["opened"].attempts == 3 and rows["resolved"].attempts == 1
    assert rows["resolved"].sent_at >= rows["opened"].sent_at
