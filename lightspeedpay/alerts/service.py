"""Raising, resolving, acknowledging and listing alerts: the one API every writer and rule goes through.

`raise_` is idempotent: a condition with an unresolved alert only bumps its `last_seen_at` and `occurrences`.
Every change of an alert passes through `_changed`, the single place that tells the outside world (Slack on
open and on resolve, through the outbox in the caller's transaction; the live alerts stream after the commit)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.alerts import messages
from lightspeedpay.alerts.conditions import Condition
from lightspeedpay.alerts.repository import AlertFilter, alert_repo
from lightspeedpay.alerts.schemas import AlertOut
from lightspeedpay.errors import AlertAlreadyAcknowledged, AlertAlreadyResolved, AlertNotFound
from lightspeedpay.jobs import broadcast
from lightspeedpay.kit.logging import log
from lightspeedpay.kit.pagination import encode_cursor, parse_cursor
from lightspeedpay.models import Alert
from lightspeedpay.models.alert import AlertSeverity, AlertStatus
from lightspeedpay.models.slack_message import SlackMessageEvent
from lightspeedpay.monitoring import audit
from lightspeedpay.notifications.service import notification_service

SYSTEM = "system"  # who resolves an alert whose condition cleared


class Change(StrEnum):
    OPENED = "opened"
    UPDATED = "updated"  # raised again while unresolved
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class Seen:
    """An unresolved alert as a rule read it, before it looked at its condition (see `sync`)."""

    id: uuid.UUID
    dedup_key: str
    last_seen_at: datetime
    title: str
    message: str
    severity: str
    details: dict[str, Any]
    gateway_id: uuid.UUID | None
    client_id: uuid.UUID | None

    @classmethod
    def of(cls, alert: Alert) -> Seen:
        return cls(
            alert.id,
            alert.dedup_key,
            alert.last_seen_at,
            alert.title,
            alert.message,
            alert.severity,
            dict(alert.details or {}),
            alert.gateway_id,
            alert.client_id,
        )

    def condition(self) -> Condition:
        """The same condition again (a rule that only watches whether a writer's alert still holds)."""
        return Condition(
            self.dedup_key,
            self.title,
            self.message,
            self.severity,
            self.details,
            self.gateway_id,
            self.client_id,
        )


@dataclass
class SyncResult:
    opened: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    holding: int = 0

    def summary(self) -> dict[str, Any] | None:
        if not (self.opened or self.resolved):
            return None
        return {"opened": self.opened, "resolved": self.resolved}


class AlertService:
    async def raise_(
        self,
        session: AsyncSession,
        kind: str,
        dedup_key: str,
        *,
        title: str,
        message: str,
        severity: str = AlertSeverity.WARNING,
        details: dict[str, Any] | None = None,
        gateway_id: uuid.UUID | None = None,
        client_id: uuid.UUID | None = None,
    ) -> Alert:
        """Open the condition's alert, or count it seen again when one is unresolved (open or acknowledged): one
        row per condition, one Slack message when it opens."""
        alert = await alert_repo.upsert_unresolved(
            session,
            {
                "id": uuid.uuid4(),
                "kind": kind,
                "dedup_key": dedup_key,
                "severity": severity,
                "status": AlertStatus.OPEN,
                "title": title[:300],
                "message": message,
                "details": _jsonable(details) if details else None,
                "gateway_id": gateway_id,
                "client_id": client_id,
                "occurrences": 1,
            },
        )
        await self._changed(session, alert, Change.OPENED if alert.occurrences == 1 else Change.UPDATED)
        return alert

    async def raise_condition(self, session: AsyncSession, kind: str, condition: Condition) -> Alert:
        return await self.raise_(
            session,
            kind,
            condition.dedup_key,
            title=condition.title,
            message=condition.message,
            severity=condition.severity,
            details=condition.details,
            gateway_id=condition.gateway_id,
            client_id=condition.client_id,
        )

    async def resolve(
        self, session: AsyncSession, dedup_key: str, *, by: str = SYSTEM, note: str | None = None
    ) -> Alert | None:
        """Resolve the condition's unresolved alert, if there is one (idempotent: None when there is none)."""
        alert = await alert_repo.resolve(session, dedup_key=dedup_key, by=by, note=note)
        if alert is not None:
            await self._changed(session, alert, Change.RESOLVED)
        return alert

    async def unresolved(self, session: AsyncSession, kind: str) -> list[Seen]:
        return [Seen.of(a) for a in await alert_repo.unresolved_of_kind(session, kind)]

    async def sync(
        self,
        session: AsyncSession,
        kind: str,
        conditions: Iterable[Condition],
        *,
        seen: list[Seen],
        note: str = "the condition cleared",
    ) -> SyncResult:
        """Make the alerts of `kind` match the conditions that hold: each is raised (opened or bumped), and each
        alert in `seen` whose condition no longer holds is resolved.

        `seen` must have been read before the conditions were looked at: an alert a writer opened after that
        read is then not in it, and is not resolved for a condition the rule could not see yet. An alert raised
        again since it was read is left alone too (its `last_seen_at` moved)."""
        result = SyncResult()
        holding = set()
        for condition in conditions:
            if condition.dedup_key in holding:
                continue
            holding.add(condition.dedup_key)
            alert = await self.raise_condition(session, kind, condition)
            if alert.occurrences == 1:
                result.opened.append(condition.dedup_key)
        for old in seen:
            if old.dedup_key in holding:
                continue
            cleared = await alert_repo.resolve(
                session,
                dedup_key=old.dedup_key,
                by=SYSTEM,
                note=note,
                alert_id=old.id,
                last_seen_at=old.last_seen_at,
            )
            if cleared is not None:
                await self._changed(session, cleared, Change.RESOLVED)
                result.resolved.append(old.dedup_key)
        result.holding = len(holding)
        return result

    # ---- an operator's actions

    async def get(self, session: AsyncSession, alert_id: uuid.UUID) -> Alert:
        alert = await alert_repo.get(session, alert_id)
        if alert is None:
            raise AlertNotFound()
        return alert

    async def acknowledge(
        self, session: AsyncSession, alert_id: uuid.UUID, *, actor: str, note: str | None
    ) -> Alert:
        """Someone is on it: the alert stays (and keeps counting) until its condition clears or it is resolved."""
        alert = await self._locked(session, alert_id)
        if alert.status == AlertStatus.RESOLVED:
            raise AlertAlreadyResolved()
        if alert.status == AlertStatus.ACKNOWLEDGED:
            raise AlertAlreadyAcknowledged(alert.acknowledged_by)
        before = alert.status
        alert.status = AlertStatus.ACKNOWLEDGED
        alert.acknowledged_at, alert.acknowledged_by, alert.acknowledged_note = datetime.now(UTC), actor, note
        await session.flush()
        await session.refresh(alert)
        self._audit(session, alert, actor=actor, action="alert.acknowledged", before=before, note=note)
        await self._changed(session, alert, Change.ACKNOWLEDGED)
        return alert

    async def resolve_by(
        self, session: AsyncSession, alert_id: uuid.UUID, *, actor: str, note: str | None
    ) -> Alert:
        """An operator closes the alert. A condition that still holds is raised again by its rule, as a new
        alert."""
        alert = await self._locked(session, alert_id)
        if alert.status == AlertStatus.RESOLVED:
            raise AlertAlreadyResolved()
        before = alert.status
        resolved = await alert_repo.resolve(
            session, dedup_key=alert.dedup_key, by=actor, note=note, alert_id=alert.id
        )
        assert resolved is not None  # locked and unresolved
        self._audit(session, resolved, actor=actor, action="alert.resolved", before=before, note=note)
        await self._changed(session, resolved, Change.RESOLVED)
        return resolved

    async def page(
        self, session: AsyncSession, flt: AlertFilter, *, limit: int, cursor: str | None
    ) -> tuple[list[Alert], str | None]:
        after = parse_cursor(cursor)
        rows = await alert_repo.page(session, flt, limit=limit + 1, after=after)
        next_cursor = (
            encode_cursor(rows[limit - 1].opened_at, rows[limit - 1].id) if len(rows) > limit else None
        )
        return rows[:limit], next_cursor

    async def names(
        self, session: AsyncSession, alerts: Iterable[Alert]
    ) -> tuple[dict[uuid.UUID, str], dict[uuid.UUID, str]]:
        """(gateway id -> name, merchant id -> name) for the gateways and merchants these alerts are about."""
        rows = list(alerts)
        return await alert_repo.names(
            session,
            gateway_ids={a.gateway_id for a in rows if a.gateway_id is not None},
            client_ids={a.client_id for a in rows if a.client_id is not None},
        )

    async def _locked(self, session: AsyncSession, alert_id: uuid.UUID) -> Alert:
        alert = await alert_repo.lock(session, alert_id)
        if alert is None:
            raise AlertNotFound()
        return alert

    def _audit(
        self, session: AsyncSession, alert: Alert, *, actor: str, action: str, before: str, note: str | None
    ) -> None:
        audit.record(
            session,
            actor=actor,
            action=action,
            target_type="alert",
            target_id=alert.id,
            client_id=alert.client_id,
            before={"status": before},
            after={"status": alert.status},
            reason=note,
            details={"kind": alert.kind, "dedup_key": alert.dedup_key},
        )

    async def _changed(self, session: AsyncSession, alert: Alert, change: Change) -> None:
        """The single place an alert's change goes out, in the transaction that made it: Slack once when it opens
        and once when it is resolved (the outbox sends it after the commit), and every change to the live alerts
        stream (published after the commit)."""
        broadcast.publish(
            session,
            broadcast.ALERTS,
            "alert",
            {"change": change.value, **AlertOut.model_validate(alert).model_dump(mode="json")},
            key=str(alert.id),
        )
        if change == Change.OPENED:
            text, blocks = messages.opened(alert)
            await notification_service.queue_slack(
                session, text=text, blocks=blocks, alert_id=alert.id, event=SlackMessageEvent.OPENED
            )
            log.warning("alert_opened", kind=alert.kind, dedup_key=alert.dedup_key, severity=alert.severity)
        elif change == Change.RESOLVED:
            text, blocks = messages.resolved(alert)
            await notification_service.queue_slack(
                session, text=text, blocks=blocks, alert_id=alert.id, event=SlackMessageEvent.RESOLVED
            )
            log.info("alert_resolved", kind=alert.kind, dedup_key=alert.dedup_key, by=alert.resolved_by)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (int, str, float, bool, type(None))):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


alert_service = AlertService()

__all__ = ["AlertFilter", "AlertService", "Change", "Seen", "SyncResult", "alert_service"]
