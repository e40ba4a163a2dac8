"""The system status checker (seed 003): every component — the API, each queue's workers, the scheduler,
PostgreSQL, Redis, each active gateway's PSP, WhatsApp, Slack — read as ok, degraded or down with the reason,
and recorded in system_status with since when it has been so. Run every 10 minutes by the scheduler and on
demand by an operator.

History keeps one row per component per check (not only changes): a check every 10 minutes is ~15 rows, so
30 days are ~65,000 rows; each row carries `since`, so the newest check alone says "down since 10:42", and
the history shows when each check saw what."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.config import get_settings
from lightspeedpay.db import sessionmaker
from lightspeedpay.errors import ValidationFailed
from lightspeedpay.jobs import broadcast, queues
from lightspeedpay.jobs.unit_of_work import unit_of_work
from lightspeedpay.kit.logging import log
from lightspeedpay.models import SlackMessage, SystemStatus, WhatsAppNotification
from lightspeedpay.models.system_status import ComponentStatus
from lightspeedpay.monitoring.repository import component_repo, system_status_repo
from lightspeedpay.monitoring.service import health_probes, scheduler_dict, worker_health_service

# a component slower than this to answer a ping is degraded (it answers, but requests will feel it)
SLOW_SECONDS = 1.0
# a gateway below this measured success rate is degraded (the rate needs LSP_SUCCESS_MIN_SAMPLE attempts)
LOW_SUCCESS_RATE = 50
# WhatsApp and Slack are judged on their messages of the last hour
DELIVERY_WINDOW_SECONDS = 3600.0
# a WhatsApp message still queued this long after it was due is stuck
STUCK_AFTER_SECONDS = 600.0
# the outbox job names of Slack deliveries (notifications' Slack sender registers them as "slack.<...>")

_SEVERITY = {
    ComponentStatus.OK: 0,
    ComponentStatus.NOT_CONFIGURED: 0,
    ComponentStatus.DEGRADED: 1,
    ComponentStatus.DOWN: 2,
}


@dataclass(frozen=True)
class Reading:
    """One component's state as one check saw it."""

    component: str
    status: ComponentStatus
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ComponentState:
    component: str
    status: str
    since: datetime
    reason: str | None
    details: dict[str, Any] | None
    checked_at: datetime

    @classmethod
    def of(cls, row: SystemStatus) -> ComponentState:
        return cls(row.component, row.status, row.since, row.reason, row.details, row.checked_at)


@dataclass(frozen=True)
class StatusReport:
    check_id: uuid.UUID | None
    checked_at: datetime | None
    components: list[ComponentState]

    @property
    def status(self) -> str:
        """The worst component's state (a platform with a component down is down)."""
        worst = ComponentStatus.OK
        for c in self.components:
            status = ComponentStatus(c.status)
            if _SEVERITY[status] > _SEVERITY[worst]:
                worst = status
        return worst

    def summary(self) -> dict[str, Any] | None:
        """The components not ok, for the scheduler's log and run record."""
        bad = {
            c.component: c.status
            for c in self.components
            if c.status not in (ComponentStatus.OK, ComponentStatus.NOT_CONFIGURED)
        }
        return bad or None

    def as_dict(self) -> dict[str, Any]:
        """The report as GET /api/v1/system/status answers it (the live status stream's data)."""
        return {
            "status": self.status,
            "check_id": self.check_id,
            "checked_at": self.checked_at,
            "components": [
                {
                    "component": c.component,
                    "status": c.status,
                    "since": c.since,
                    "reason": c.reason,
                    "details": c.details,
                    "checked_at": c.checked_at,
                }
                for c in self.components
            ],
        }


Check = Callable[[], Awaitable[list[Reading]]]


class StatusChecker:
    async def read(self) -> list[Reading]:
        """Every component's state now. Each check is bounded in time and has its own short read sessions, so
        no transaction is open while a remote component is asked; a check that fails reads as down."""
        checks: list[tuple[str, Check]] = [
            ("api", _api),
            ("postgresql+redis", _datastores),
            ("scheduler", _scheduler),
            ("queues", _queues),
            ("gateways", _gateways),
            ("whatsapp", _whatsapp),
            ("slack", _slack),
        ]
        bound = max(5.0, get_settings().health_timeout_seconds * 2)
        # what a check that cannot finish reports on
        fallback = {
            "postgresql+redis": ["postgresql", "redis"],
            "queues": [f"queue:{name}" for name in queues.QUEUE_NAMES],
        }

        async def bounded(name: str, check: Check) -> list[Reading]:
            try:
                async with asyncio.timeout(bound):
                    return await check()
            except Exception as exc:  # noqa: BLE001 - a check that cannot finish is itself the finding
                if isinstance(exc, TimeoutError):
                    reason = f"the check did not finish within {bound:g} s"
                else:
                    reason = f"the check failed: {type(exc).__name__}: {exc}"[:1000]
                log.warning("status_check_failed", check=name, error=reason)
                return [Reading(c, ComponentStatus.DOWN, reason) for c in fallback.get(name, [name])]

        readings: list[Reading] = []
        for part in await asyncio.gather(*(bounded(name, check) for name, check in checks)):
            readings.extend(part)
        return readings

    async def record(self, session: AsyncSession, readings: list[Reading]) -> StatusReport:
        """Write one check's rows; each component keeps its `since` while its state is unchanged."""
        check_id, checked_at = uuid.uuid4(), datetime.now(UTC)
        previous = await system_status_repo.latest_per_component(session)
        states = []
        for r in readings:
            before = previous.get(r.component)
            since = before.since if before is not None and before.status == r.status else checked_at
            row = SystemStatus(
                id=uuid.uuid4(),
                check_id=check_id,
                component=r.component,
                status=r.status,
                since=since,
                reason=r.reason,
                details=_jsonable(r.details) or None,
                checked_at=checked_at,
            )
            system_status_repo.add(session, row)
            states.append(ComponentState.of(row))
            if before is not None and before.status != r.status:
                log.info(
                    "component_status_changed",
                    component=r.component,
                    status=r.status,
                    was=before.status,
                    reason=r.reason,
                )
        await system_status_repo.purge(session, older_than_days=get_settings().status_history_days)
        await session.flush()
        report = StatusReport(check_id, checked_at, sorted(states, key=_order))
        broadcast.publish(session, broadcast.STATUS, "status", report.as_dict())
        return report

    async def check(self) -> StatusReport:
        """Read every component, then record the check in a unit of work of its own (the scheduler's task)."""
        readings = await self.read()
        async with unit_of_work() as session:
            return await self.record(session, readings)

    async def latest(self, session: AsyncSession) -> StatusReport | None:
        rows = await system_status_repo.latest_check(session)
        if not rows:
            return None
        return StatusReport(
            rows[0].check_id, rows[0].checked_at, sorted(map(ComponentState.of, rows), key=_order)
        )

    async def history(
        self,
        session: AsyncSession,
        *,
        component: str | None,
        since: datetime,
        limit: int,
        changes_only: bool = False,
    ) -> list[ComponentState]:
        """The checks since `since`, newest first; with `changes_only`, only the checks at which a component's
        state changed (or it was first seen)."""
        rows = await system_status_repo.history(
            session, component=component, since=since, limit=limit, changes_only=changes_only
        )
        return [ComponentState.of(r) for r in rows]


_KIND_ORDER = ["api", "postgresql", "redis", "scheduler", "queue", "gateway", "whatsapp", "slack"]


def _order(c: ComponentState) -> tuple[int, str]:
    kind = c.component.split(":", 1)[0]
    return (_KIND_ORDER.index(kind) if kind in _KIND_ORDER else len(_KIND_ORDER), c.component)


def _jsonable(value: Any) -> Any:
    """Details as JSONB takes them: datetimes as ISO text, tuples and sets as lists."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _ago(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "never"
    seconds = int((now - moment).total_seconds())
    return f"{seconds} s ago" if seconds < 120 else f"{seconds // 60} min ago"


# ---- the checks ------------------------------------------------------------------------------------------


async def _api() -> list[Reading]:
    """The API as a client sees it: its /api/health through LSP_PUBLIC_BASE_URL."""
    url = get_settings().public_base_url.rstrip("/") + "/api/health"
    started = time.monotonic()
    try:
        async with httpx.AsyncClient(timeout=get_settings().health_timeout_seconds + 3) as client:
            response = await client.get(url)
    except httpx.HTTPError as exc:
        return [
            Reading("api", ComponentStatus.DOWN, f"{url} did not answer: {type(exc).__name__}", {"url": url})
        ]
    details = {
        "url": url,
        "http_status": response.status_code,
        "seconds": round(time.monotonic() - started, 3),
    }
    if response.status_code == 200:
        return [Reading("api", ComponentStatus.OK, None, details)]
    if response.status_code == 503:
        try:
            checks = response.json().get("checks", {})
        except ValueError:
            checks = {}
        failing = ", ".join(f"{k} {v}" for k, v in checks.items() if v != "ok") or "a dependency"
        return [Reading("api", ComponentStatus.DEGRADED, f"answers, but reports {failing}", details)]
    return [Reading("api", ComponentStatus.DOWN, f"answers {response.status_code}", details)]


async def _datastores() -> list[Reading]:
    readings = []
    for name, (state, seconds) in (await health_probes()).items():
        details = {"seconds": round(seconds, 3)}
        if state != "ok":
            readings.append(Reading(name, ComponentStatus.DOWN, state.removeprefix("error: "), details))
        elif seconds > SLOW_SECONDS:
            readings.append(
                Reading(name, ComponentStatus.DEGRADED, f"slow: answered in {seconds:.1f} s", details)
            )
        else:
            readings.append(Reading(name, ComponentStatus.OK, None, details))
    return readings


async def _scheduler() -> list[Reading]:
    async with sessionmaker()() as session:
        view = await worker_health_service.scheduler(session)
        now = datetime.now(UTC)
    details = scheduler_dict(view)
    if view.leader is None:
        last = max((i.last_beat_at for i in view.silent), default=None)
        reason = "no scheduler leads: periodic work is not running"
        if last is not None:
            reason += f" (the last one beat {_ago(last, now)})"
        if view.standbys:
            reason += f"; {len(view.standbys)} standby waiting to take over"
        return [Reading("scheduler", ComponentStatus.DOWN, reason, details)]
    failing = [
        f"{t['task']} ({t['last_outcome']}: {t['last_error']})"
        for t in details["tasks"]
        if t["last_outcome"] not in (None, "ok")
    ]
    if failing:
        return [
            Reading(
                "scheduler",
                ComponentStatus.DEGRADED,
                "last run failed: " + "; ".join(failing)[:1000],
                details,
            )
        ]
    return [Reading("scheduler", ComponentStatus.OK, None, details)]


async def _queues() -> list[Reading]:
    """Each queue's workers, from their heartbeats and from the connections BullMQ sees in Redis."""
    async with sessionmaker()() as session:
        per_queue = await worker_health_service.queue_workers(session)
    readings = []
    for name in [*queues.QUEUE_NAMES, *sorted(set(per_queue) - set(queues.QUEUE_NAMES))]:
        readings.append(await _queue(name, per_queue.get(name, [])))
    return readings


async def _queue(name: str, workers: list[Any]) -> Reading:
    component = f"queue:{name}"
    alive = [w for w in workers if w.state == "alive"]
    down = [w for w in workers if w.state == "down" and w.replaced_by is None]
    details: dict[str, Any] = {
        "workers": [w.as_dict() for w in workers if w.state != "stopped"],
        "alive": len(alive),
        "down": len(down),
    }
    redis_problem = None
    try:
        async with asyncio.timeout(get_settings().health_timeout_seconds):
            q = queues.queue(name)
            connected = await q.get_workers()
            details["paused"] = paused = bool(await q.isPaused())
        names = [str(c.get("rawname", "")) for c in connected]
        details["redis_connections"] = len(names)
        unseen = [w.id for w in alive if not any(n.endswith(f":w:{w.id}") for n in names)]
    except Exception as exc:  # noqa: BLE001 - Redis is its own component; here it only blurs the picture
        redis_problem = f"cannot see the workers' Redis connections ({type(exc).__name__})"
        paused, unseen = False, []
    if not alive:
        reason = "no live worker serves this queue"
        if down:
            reason += (
                f"; {len(down)} went silent, last beat {max(w.row.last_beat_at for w in down).isoformat()}"
            )
        return Reading(component, ComponentStatus.DOWN, reason, details)
    problems = []
    if down:
        problems.append(
            f"{len(down)} of {len(alive) + len(down)} workers down ({', '.join(w.id for w in down)})"
        )
    if paused:
        problems.append("the queue is paused")
    if unseen:
        problems.append(f"beating but not connected to Redis: {', '.join(unseen)}")
    if redis_problem:
        problems.append(redis_problem)
    if problems:
        return Reading(component, ComponentStatus.DEGRADED, "; ".join(problems), details)
    return Reading(component, ComponentStatus.OK, None, details)


async def _gateways() -> list[Reading]:
    """Each active gateway's PSP as its breaker and measured success rate show it."""
    async with sessionmaker()() as session:
        gateways = await component_repo.active_gateways(session)
    readings = []
    for g in gateways:
        details = {
            "provider": g.provider,
            "temp_failed": g.temp_failed,
            "temp_failed_at": g.temp_failed_at,
            "consecutive_failures": g.consecutive_failures,
            "success_rate": float(g.success_rate),
            "priority": g.priority,
        }
        component = f"gateway:{g.name}"
        if g.temp_failed:
            reason = "breaker tripped"
            if g.temp_failed_at:
                reason += f" at {g.temp_failed_at.isoformat()}"
            readings.append(
                Reading(
                    component, ComponentStatus.DOWN, reason + "; not routed until a probe passes", details
                )
            )
        elif g.consecutive_failures > 0:
            readings.append(
                Reading(
                    component,
                    ComponentStatus.DEGRADED,
                    f"{g.consecutive_failures} technical failures in a row",
                    details,
                )
            )
        elif g.success_rate < LOW_SUCCESS_RATE:
            readings.append(
                Reading(
                    component, ComponentStatus.DEGRADED, f"success rate {float(g.success_rate):g} %", details
                )
            )
        else:
            readings.append(Reading(component, ComponentStatus.OK, None, details))
    return readings


async def _whatsapp() -> list[Reading]:
    async with sessionmaker()() as session:
        d = await component_repo.messages_since(
            session, WhatsAppNotification, seconds=DELIVERY_WINDOW_SECONDS, stuck_after=STUCK_AFTER_SECONDS
        )
    return [_deliveries("whatsapp", sent=d["sent"], failed=d["failed"], stuck=d["stuck"], details=d)]


async def _slack() -> list[Reading]:
    """Not configured without LSP_SLACK_WEBHOOK_URL; else judged by the last hour's Slack messages
    (slack_messages: queued / sent / failed), as WhatsApp is."""
    if not get_settings().slack_webhook_url:
        return [Reading("slack", ComponentStatus.NOT_CONFIGURED, "LSP_SLACK_WEBHOOK_URL is not set")]
    async with sessionmaker()() as session:
        d = await component_repo.messages_since(
            session, SlackMessage, seconds=DELIVERY_WINDOW_SECONDS, stuck_after=STUCK_AFTER_SECONDS
        )
    return [_deliveries("slack", sent=d["sent"], failed=d["failed"], stuck=d["stuck"], details=d)]


def _deliveries(component: str, *, sent: int, failed: int, stuck: int, details: dict[str, Any]) -> Reading:
    """Outgoing messages of the last hour: all failing is down, some failing or stuck is degraded."""
    last_error = details.get("last_error")
    if failed and not sent:
        return Reading(
            component,
            ComponentStatus.DOWN,
            f"all {failed} messages of the last hour failed: {last_error}",
            details,
        )
    problems = []
    if failed:
        problems.append(f"{failed} of {sent + failed} messages of the last hour failed: {last_error}")
    if stuck:
        problems.append(f"{stuck} messages waiting past their time")
    if problems:
        return Reading(component, ComponentStatus.DEGRADED, "; ".join(problems), details)
    reason = None if sent else "no messages in the last hour"
    return Reading(component, ComponentStatus.OK, reason, details)


status_checker = StatusChecker()


_UNITS = {"m": 60, "h": 3600, "d": 86400}


def parse_range(value: str, *, max_days: float) -> timedelta:
    """A look-back like "30m", "24h" or "7d", up to `max_days` (what history is kept)."""
    text = value.strip().lower()
    number, unit = text[:-1], text[-1:]
    if unit not in _UNITS or not number.isdigit() or int(number) <= 0:
        raise ValidationFailed(
            f"range must be a positive whole number of minutes, hours or days, like 30m, 24h or 7d; got {value!r}",
            field="range",
        )
    span = timedelta(seconds=int(number) * _UNITS[unit])
    if span > timedelta(days=max_days):
        raise ValidationFailed(
            f"range may be at most {max_days:g} days (the history kept); got {value!r}", field="range"
        )
    return span
