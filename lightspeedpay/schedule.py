"""The scheduler's table of periodic work, run by `jobs.scheduler`: the one place that names each domain's
periodic job, as `tasks.py` names their queue jobs. Each entry is (name, schedule, work): the schedule is
`cron("0 2 * * *")` (five fields, read in LSP_SCHEDULER_TIMEZONE, Asia/Kolkata) or `every(seconds)` (first run
when the scheduler takes the lead); either takes `timeout=` seconds (default LSP_SCHEDULER_TASK_TIMEOUT_SECONDS).
Add new entries at the end."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from lightspeedpay.alerts.rules import SLA_GROUP, alert_rules
from lightspeedpay.analytics.service import analytics_service
from lightspeedpay.config import get_settings
from lightspeedpay.gateways.routing import routing_service
from lightspeedpay.idempotency import service as idempotency
from lightspeedpay.jobs import scheduler, sweeper
from lightspeedpay.jobs.scheduler import Periodic, cron, every
from lightspeedpay.jobs.unit_of_work import unit_of_work
from lightspeedpay.ledger.checker import ledger_checker
from lightspeedpay.ledger.dues import dues_service
from lightspeedpay.monitoring.status import status_checker
from lightspeedpay.payments.service import payment_service
from lightspeedpay.queue_admin.service import queue_admin_service
from lightspeedpay.refunds.service import refund_service
from lightspeedpay.reports.service import health_report_service
from lightspeedpay.retention.service import archive_service, daily_runs, retention_service
from lightspeedpay.settlements.service import settlement_service
from lightspeedpay.streams.service import stream_service
from lightspeedpay.webhooks.tasks import housekeeping


async def _in_session(work: Callable[[Any], Awaitable[Any]]) -> Any:
    """Run `work` as one unit of work: what it queued is pushed right after the commit, not at the sweeper's
    next pass."""
    async with unit_of_work() as session:
        return await work(session)


async def refresh_success_rates() -> Any:
    return await _in_session(routing_service.refresh_success_rates)


async def probe_gateways() -> Any:
    # its own units of work: no transaction is open while the PSPs are probed
    return await routing_service.probe_tripped()


async def janitor() -> Any:
    # its own units of work: claim, ask the PSPs with no transaction open, apply each answer on its own
    return await payment_service.reconcile_stale()


async def release_uncaptured() -> Any:
    return await _in_session(refund_service.release_uncaptured_authorizations)


async def purge_idempotency_keys() -> Any:
    return await _in_session(idempotency.purge_expired)


async def ledger_check() -> Any:
    violations = await ledger_checker.run()
    return {"violations": len(violations)} if violations else None


async def settlements() -> Any:
    return await _in_session(settlement_service.scheduled)


async def webhook_housekeeping() -> Any:
    return await housekeeping()


async def alert_rules_run() -> Any:
    # each rule reads, then changes its alerts in a unit of work of its own; Redis is asked with none open
    return await alert_rules.evaluate()


async def sla_monitor() -> Any:
    return await alert_rules.evaluate(group=SLA_GROUP)


async def queue_metrics() -> Any:
    # the samples are the result; nothing to log every minute
    await _in_session(queue_admin_service.record_metrics)
    return None


async def status_check() -> Any:
    # its own units of work: the components are asked with no transaction open, then one short write
    report = await status_checker.check()
    return report.summary()


# seed 003's schedules (issue 9). Each daily task does its work once per IST day however often it is called
# (retention.service.DailyRuns): a misfire made up at takeover, or a second scheduler, does nothing twice.


async def low_balance_reminder() -> Any:
    return await _in_session(dues_service.remind)


async def commission_payout() -> Any:
    return await daily_runs.once("commission_payout", settlement_service.daily_commission_payout)


async def archive() -> Any:
    return await archive_service.run()


async def retention() -> Any:
    return await retention_service.run()


async def health_report() -> Any:
    return await daily_runs.once("health_report", health_report_service.generate)


async def stream_queues() -> Any:
    # the queues' overview to the live queue stream; nothing is stored (queue_metrics keeps one a minute)
    await stream_service.publish_queues()


async def analytics_fold() -> Any:
    # its own units of work, one per batch of the delta log
    return await analytics_service.fold_pending()


def periodic_tasks() -> list[Periodic]:
    s = get_settings()
    return [
        ("ledger_check", every(s.ledger_check_seconds), ledger_check),
        ("settlements", every(s.settlement_check_seconds), settlements),
        ("sweeper", every(s.sweeper_interval_seconds), sweeper.sweep),
        ("success_rates", every(s.routing_refresh_seconds), refresh_success_rates),
        ("gateway_probe", every(s.health_probe_seconds), probe_gateways),
        ("janitor", every(s.janitor_interval_seconds), janitor),
        # merchant webhook deliveries past retention; endpoint queues whose head lost its job
        ("webhook_housekeeping", every(s.webhook_housekeeping_seconds), webhook_housekeeping),
        # authorizations past LSP_CAPTURE_WINDOW_SECONDS are refunded; checked as often as the janitor runs
        ("uncaptured_authorizations", every(s.janitor_interval_seconds), release_uncaptured),
        ("idempotency_purge", every(s.idempotency_purge_seconds), purge_idempotency_keys),
        # alert rules (gateway down, failure rate, queue backlog, failed jobs, endpoints, suspended merchants)
        ("alert_rules", every(s.alert_rules_seconds), alert_rules_run),
        # seed 003's SLA monitor: payments pending longer than LSP_ALERT_SLA_PENDING_MINUTES
        ("sla_monitor", every(s.alert_sla_seconds), sla_monitor),
        # every minute: each queue's counts into queue_metrics; samples past the retention purged
        ("queue_metrics", every(s.queue_metrics_seconds), queue_metrics),
        # seed 003's System Status Checker: every component's state into system_status
        ("status_check", cron(s.status_check_cron), status_check),
        # scheduled_runs, scheduler_instances and worker_health past their retention
        ("jobs_housekeeping", every(3600), scheduler.housekeeping),
        # seed 003: merchants over their warn threshold, reminded at most once a day, payment or not
        ("low_balance_reminder", cron(s.low_balance_reminder_cron), low_balance_reminder),
        # seed 003's Commission Payout: settle the day that ended, deduct dues; retry failed settlements
        ("commission_payout", cron(s.commission_payout_cron), commission_payout),
        # seed 003's Archive Transactions: final payments past LSP_ARCHIVE_AFTER_DAYS to archived_transactions, in
        # batches; a run cut short by its timeout is resumed by the next call the same day
        ("archive", cron(s.archive_cron, timeout=s.archive_timeout_seconds), archive),
        # job intents, PSP events, resolved alerts, webhook events past their retention (audit rows never)
        ("retention", cron(s.retention_cron, timeout=s.archive_timeout_seconds), retention),
        # seed 003's System Health Report: yesterday's, stored and sent to Slack
        ("health_report", cron(s.health_report_cron), health_report),
        # the queues' overview to the live queue stream every few seconds (nothing stored)
        ("stream_queues", every(s.stream_queue_sample_seconds), stream_queues),
        # the analytics delta log folded into the rollups (the analytics API lags by about this interval)
        ("analytics_fold", every(s.analytics_fold_seconds), analytics_fold),
    ]
