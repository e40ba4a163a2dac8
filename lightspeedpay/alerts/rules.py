"""The alert rules the scheduler runs: each looks at one kind of condition and returns the conditions that hold
now; `AlertRules.evaluate` opens an alert for each new one and resolves the alerts whose condition cleared.

A rule is one function, registered with `@rule(kind)`:

    @rule(AlertKind.WORKER_DOWN)
    async def worker_down(ctx: RuleContext) -> list[Condition]:
        return [conditions.worker_down(w) for w in await …silent workers…]

Rules of the group "rules" run every LSP_ALERT_RULES_SECONDS; the SLA monitor's group "sla" every
LSP_ALERT_SLA_SECONDS. Each rule runs on its own (one that fails is logged and leaves its alerts as they are);
it reads in one short session, and its alerts change in one unit of work after that: no transaction is open
while Redis is asked."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.alerts import conditions
from lightspeedpay.alerts.conditions import Condition
from lightspeedpay.alerts.repository import alert_repo
from lightspeedpay.alerts.service import Seen, SyncResult, alert_service
from lightspeedpay.config import Settings, get_settings
from lightspeedpay.db import sessionmaker
from lightspeedpay.jobs import queues
from lightspeedpay.jobs.unit_of_work import unit_of_work
from lightspeedpay.kit.logging import log
from lightspeedpay.models.alert import AlertKind
from lightspeedpay.monitoring.service import worker_health_service

RULES_GROUP, SLA_GROUP = "rules", "sla"


@dataclass(frozen=True)
class RuleContext:
    session: AsyncSession  # for reads; the rule writes nothing
    seen: list[Seen]  # the rule's unresolved alerts, read before it looks (resolve-only rules need them)
    settings: Settings
    now: datetime


Check = Callable[[RuleContext], Awaitable[list[Condition]]]


@dataclass(frozen=True)
class Rule:
    kind: str
    check: Check
    group: str


RULES: dict[str, Rule] = {}


def rule(kind: str, *, group: str = RULES_GROUP) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        if kind in RULES and RULES[kind].check is not check:
            raise ValueError(f"alert kind {kind!r} has two rules")
        RULES[kind] = Rule(kind, check, group)
        return check

    return register


class AlertRules:
    async def evaluate(
        self, *, group: str | None = RULES_GROUP, kinds: Iterable[str] | None = None
    ) -> dict[str, Any] | None:
        """Run the rules of `group` (or the named `kinds`); what opened and resolved, for the scheduler's log."""
        wanted = set(kinds) if kinds is not None else None
        changes: dict[str, Any] = {}
        for r in list(RULES.values()):
            if (wanted is not None and r.kind not in wanted) or (
                wanted is None and group and r.group != group
            ):
                continue
            try:
                result = await self.evaluate_one(r)
            except Exception as exc:  # noqa: BLE001 - one broken rule must not silence the others
                log.warning("alert_rule_failed", kind=r.kind, error=f"{type(exc).__name__}: {exc}")
                continue
            if (summary := result.summary()) is not None:
                changes[r.kind] = summary
        return changes or None

    async def evaluate_one(self, r: Rule) -> SyncResult:
        async with sessionmaker()() as session:
            # the unresolved alerts first, then the conditions: see AlertService.sync
            seen = await alert_service.unresolved(session, r.kind)
            found = await r.check(RuleContext(session, seen, get_settings(), datetime.now(UTC)))
        async with unit_of_work() as session:
            return await alert_service.sync(session, r.kind, found, seen=seen)


alert_rules = AlertRules()


# ---- the rules


@rule(AlertKind.GATEWAY_DOWN)
async def gateway_down(ctx: RuleContext) -> list[Condition]:
    """A breaker tripped (raised at once by the routing when it trips; resolved by the probe when the PSP answers
    again, or here when an operator cleared it)."""
    return [
        conditions.gateway_down(g.id, g.name, failures=g.consecutive_failures, since=g.temp_failed_at)
        for g in await alert_repo.tripped_gateways(ctx.session)
    ]


@rule(AlertKind.PAYMENT_FAILURE_RATE)
async def payment_failure_rate(ctx: RuleContext) -> list[Condition]:
    """The share of failed payments among those decided in the window, overall and per gateway, once the sample
    is large enough. Per gateway only when more than one gateway had payments: with one, the overall alert says
    it all (one alert for one outage, not two)."""
    s = ctx.settings
    window, threshold, sample = (
        s.alert_failure_rate_window_minutes,
        s.alert_failure_rate_percent,
        s.alert_failure_rate_min_sample,
    )
    rows = await alert_repo.payment_outcomes(ctx.session, since=ctx.now - timedelta(minutes=window))
    decided, failed = sum(r.decided for r in rows), sum(r.failed for r in rows)
    by_gateway = [
        {
            "gateway": r.name,
            "decided": r.decided,
            "failed": r.failed,
            "failure_rate_percent": conditions.percent(r.failed, r.decided),
        }
        for r in sorted(rows, key=lambda r: -r.failed)
    ]
    found = []
    if decided >= sample and conditions.percent(failed, decided) >= threshold:
        found.append(
            conditions.failure_rate(
                failed=failed,
                decided=decided,
                window_minutes=window,
                threshold=threshold,
                by_gateway=by_gateway,
            )
        )
    if len(rows) > 1:
        for r in rows:
            if r.decided >= sample and conditions.percent(r.failed, r.decided) >= threshold:
                found.append(
                    conditions.failure_rate(
                        failed=r.failed,
                        decided=r.decided,
                        window_minutes=window,
                        threshold=threshold,
                        gateway_id=r.gateway_id,
                        gateway=r.name,
                    )
                )
    return found


@rule(AlertKind.PAYMENTS_PENDING, group=SLA_GROUP)
async def payments_pending(ctx: RuleContext) -> list[Condition]:
    """The SLA monitor: payments still created or pending N minutes after initiation (one alert for all)."""
    minutes = ctx.settings.alert_sla_pending_minutes
    rows = await alert_repo.unfinished_before(ctx.session, before=ctx.now - timedelta(minutes=minutes))
    if not rows:
        return []
    return [
        conditions.payments_pending(
            count=sum(r.count for r in rows),
            minutes=minutes,
            oldest=min(r.oldest for r in rows),
            by_gateway=[
                {"gateway": r.name, "count": r.count, "oldest": r.oldest.isoformat()} for r in rows[:10]
            ],
        )
    ]


@rule(AlertKind.QUEUE_BACKLOG)
async def queue_backlog(ctx: RuleContext) -> list[Condition]:
    """Per queue: too many jobs waiting, or the oldest waiting too long (BullMQ's own counts)."""
    s = ctx.settings
    found = []
    for name in queues.QUEUE_NAMES:
        waiting, oldest_age = await waiting_stats(name)
        if waiting > s.alert_queue_waiting_max or (
            oldest_age is not None and oldest_age > s.alert_queue_oldest_waiting_seconds
        ):
            found.append(
                conditions.queue_backlog(
                    name,
                    waiting=waiting,
                    oldest_age_seconds=oldest_age,
                    max_waiting=s.alert_queue_waiting_max,
                    max_age_seconds=s.alert_queue_oldest_waiting_seconds,
                )
            )
    return found


async def waiting_stats(queue_name: str) -> tuple[int, float | None]:
    """Jobs waiting in a queue (paused ones included) and the age in seconds of the oldest, since it was due."""
    s = get_settings()
    q = queues.queue(queue_name)
    async with asyncio.timeout(s.redis_socket_timeout_seconds * 2):
        counts = await q.getJobCounts("waiting", "paused")
        waiting = int(counts.get("waiting", 0)) + int(counts.get("paused", 0))
        if not waiting:
            return 0, None
        oldest = await q.getJobs(["waiting", "paused"], 0, 0, True)
    due = [
        (job.timestamp or 0) + (getattr(job, "delay", 0) or 0)
        for job in oldest
        if getattr(job, "timestamp", None)
    ]
    if not due:
        return waiting, None
    return waiting, max(0.0, time.time() - min(due) / 1000)


@rule(AlertKind.JOB_FAILED)
async def job_failed(ctx: RuleContext) -> list[Condition]:
    """Job intents that used up their attempts, one alert per job name; resolved once they are retried or
    discarded."""
    return [
        conditions.job_failed(
            r.name, queue=r.queue, count=r.count, last_failed_at=r.last_failed_at, last_error=r.last_error
        )
        for r in await alert_repo.failed_intents(ctx.session)
    ]


@rule(AlertKind.WEBHOOK_ENDPOINT_DISABLED)
async def webhook_endpoint_disabled(ctx: RuleContext) -> list[Condition]:
    """Raised by the delivery when it disables an endpoint (a merchant disabling its own is no alert); here only
    kept while the endpoint stays disabled, and resolved once it is enabled again or deleted."""
    ids = {}
    for old in ctx.seen:
        try:
            ids[uuid.UUID(str(old.details.get("endpoint_id")))] = old
        except ValueError:
            continue
    still = await alert_repo.still_disabled_endpoints(ctx.session, list(ids))
    return [old.condition() for endpoint_id, old in ids.items() if endpoint_id in still]


@rule(AlertKind.MERCHANT_SUSPENDED)
async def merchant_suspended(ctx: RuleContext) -> list[Condition]:
    return [
        conditions.merchant_suspended(
            r.id,
            company_name=r.company_name,
            reason=r.suspension_reason,
            balance_due=int(r.balance_due),
            suspend_threshold=r.suspend_threshold,
        )
        for r in await alert_repo.suspended_merchants(ctx.session)
    ]


# The ledger's invariants are checked by ledger.checker on its own schedule (LSP_LEDGER_CHECK_SECONDS), which
# syncs the one AlertKind.LEDGER_INVARIANT alert through alert_service.sync itself.


@rule(AlertKind.WORKER_DOWN)
async def worker_down(ctx: RuleContext) -> list[Condition]:
    """Workers silent for LSP_WORKER_DOWN_AFTER_BEATS beats without saying they stopped, one alert each;
    resolved once a worker serving the same queues started after it went silent (a restart)."""
    return [
        conditions.worker_down(
            w.id,
            host=w.row.host,
            pid=w.row.pid,
            queues=list(w.row.queues),
            last_beat_at=w.row.last_beat_at,
            beat_seconds=w.row.beat_seconds,
        )
        for w in await worker_health_service.down_workers(ctx.session)
    ]


@rule(AlertKind.SCHEDULER_DOWN)
async def scheduler_down(ctx: RuleContext) -> list[Condition]:
    """No scheduler leads and none stands by to take over. The rules run inside the scheduler, which can only
    resolve this one; the workers raise it (`scheduler_watchdog`, after each heartbeat)."""
    view = await worker_health_service.scheduler(ctx.session)
    if view.leader is not None or view.standbys or not view.silent:
        # someone leads or stands by; or no scheduler ever beat here (a fresh install: the status page says
        # so), so there is no silence to measure
        return []
    beats = [i.last_beat_at for i in view.silent]
    return [
        conditions.scheduler_down(
            last_beat_at=max(beats) if beats else None, silent=[i.id for i in view.silent]
        )
    ]


async def scheduler_watchdog() -> None:
    """Run by every queue worker after its heartbeat (jobs.worker's `watchdog`): the one rule the scheduler
    cannot run about itself. Several workers raising it at once make one alert (its dedup key)."""
    await alert_rules.evaluate(kinds=[AlertKind.SCHEDULER_DOWN])
