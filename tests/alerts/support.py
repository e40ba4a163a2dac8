"""What the alert tests look at: the alerts in the database and what reached the Slack stand-in."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from lightspeedpay.models import Alert, SlackMessage
from tests.factories import wait_for
from tests.fixtures import Platform


async def alerts(session, kind: str, *where: Any) -> list[Alert]:
    """Every alert of a kind, oldest first, as committed now."""
    await session.rollback()
    stmt = select(Alert).where(Alert.kind == kind, *where).order_by(Alert.opened_at)
    return list((await session.execute(stmt)).scalars())


async def wait_alert(session, kind: str, *where: Any, status: str = "open", timeout: float = 30) -> Alert:
    """The one alert of `kind` (and `where`) once it has `status`."""

    async def found() -> Alert | None:
        rows = await alerts(session, kind, *where)
        assert len(rows) <= 1, f"{len(rows)} alerts of {kind}: {[a.dedup_key for a in rows]}"
        return rows[0] if rows and rows[0].status == status else None

    return await wait_for(found, timeout=timeout, what=f"a {status} {kind} alert")


async def slack_messages(platform: Platform, alert_id: Any) -> list[dict[str, Any]]:
    """What the Slack stand-in received about one alert (its id is in every message), oldest first."""
    async with httpx.AsyncClient() as c:
        r = await c.get(f"{platform.slack_url}/_slack/messages", params={"contains": str(alert_id)})
        r.raise_for_status()
        return r.json()


async def wait_slack(
    platform: Platform, alert_id: Any, count: int, *, timeout: float = 30
) -> list[dict[str, Any]]:
    async def arrived() -> list[dict[str, Any]] | None:
        got = await slack_messages(platform, alert_id)
        assert len(got) <= count, f"{len(got)} Slack messages about alert {alert_id}, expected {count}"
        return got if len(got) == count else None

    return await wait_for(arrived, timeout=timeout, what=f"{count} Slack message(s) about alert {alert_id}")


async def slack_faults(platform: Platform, **faults: Any) -> dict[str, Any]:
    async with httpx.AsyncClient() as c:
        r = await c.put(f"{platform.slack_url}/_slack/faults", json=faults)
        r.raise_for_status()
        return r.json()


async def slack_rejected(platform: Platform) -> list[dict[str, Any]]:
    async with httpx.AsyncClient() as c:
        return (await c.get(f"{platform.slack_url}/_slack/rejected")).json()


async def slack_rows(session, alert_id: Any) -> list[SlackMessage]:
    await session.rollback()
    stmt = select(SlackMessage).where(SlackMessage.alert_id == alert_id).order_by(SlackMessage.created_at)
    return list((await session.execute(stmt)).scalars())
