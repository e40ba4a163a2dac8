"""The daily system health report (seed 003's "System Health Report", 06:00 IST): yesterday in IST, made once and
stored in `health_reports`, read by operators at `GET /api/v1/admin/reports/health`, and handed to Slack."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.config import get_settings
from lightspeedpay.errors import ReportNotFound
from lightspeedpay.jobs import queues
from lightspeedpay.kit.logging import log
from lightspeedpay.kit.money import format_inr
from lightspeedpay.kit.pagination import page_cursor, parse_cursor
from lightspeedpay.models import HealthReport
from lightspeedpay.notifications.service import notification_service
from lightspeedpay.reports.repository import health_report_repo

SUCCEEDED = ("authorized", "paid", "partially_refunded", "refunded")
_BULLMQ_STATES = ("waiting", "active", "delayed", "failed", "paused")


def _zone() -> ZoneInfo:
    return ZoneInfo(get_settings().scheduler_timezone)


def period_of(day: date) -> tuple[datetime, datetime]:
    """[start, end) of an IST day, in UTC."""
    zone = _zone()
    start = datetime.combine(day, time(0), tzinfo=zone)
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


def _rate(part: int, whole: int) -> float | None:
    """A percentage with two decimals; None when there is nothing to measure."""
    return round(100.0 * part / whole, 2) if whole else None


class HealthReportService:
    async def generate(self, session: AsyncSession, *, day: date | None = None) -> dict[str, Any]:
        """Make and store the report of `day` (default yesterday in IST) and hand it to Slack, in the caller's
        DB transaction. Once per day: a day already reported is left as it is. Returns what was done."""
        day = day or datetime.now(_zone()).date() - timedelta(days=1)
        body = await self.build(session, day)
        start, end = period_of(day)
        report = await health_report_repo.insert(
            session,
            {
                "period_date": day,
                "period_start": start,
                "period_end": end,
                "generated_at": datetime.now(UTC),
                "body": body,
            },
        )
        if report is None:
            return {"period_date": day.isoformat(), "stored": False}
        await self.send_to_slack(session, report)
        return {"period_date": day.isoformat(), "stored": True, "report_id": str(report.id)}

    async def send_to_slack(self, session: AsyncSession, report: HealthReport) -> None:
        """The one place the report goes to Slack: queued in the DB transaction that stores it, sent by the
        outbox after the commit (notifications' `slack.send`, retried); nothing when no webhook is configured."""
        await notification_service.queue_slack(session, text=slack_text(report))

    async def build(self, session: AsyncSession, day: date) -> dict[str, Any]:
        start, end = period_of(day)
        return {
            "period": {
                "date": day.isoformat(),
                "start": start.isoformat(),
                "end": end.isoformat(),
                "timezone": get_settings().scheduler_timezone,
            },
            "payments": await self._payments(session, start, end),
            "commission": await self._commission(session, start, end),
            "gateways": await self._gateways(session, start, end),
            "alerts": await self._alerts(session, start, end),
            "queues": await self._queues(session, start, end),
            "webhooks": await self._webhooks(session, start, end),
        }

    @staticmethod
    async def _payments(session: AsyncSession, start: datetime, end: datetime) -> dict[str, Any]:
        rows = await health_report_repo.payments(session, start, end)
        by_status = {r.status: int(r.n) for r in rows}
        succeeded = sum(n for s, n in by_status.items() if s in SUCCEEDED)
        failed, expired = by_status.get("failed", 0), by_status.get("expired", 0)
        return {
            "total": sum(by_status.values()),
            "by_status": by_status,
            "succeeded": succeeded,
            "failed": failed,
            "expired": expired,
            "open": by_status.get("created", 0) + by_status.get("pending", 0),
            # of the payments that reached an outcome: succeeded / (succeeded + failed + expired)
            "success_rate": _rate(succeeded, succeeded + failed + expired),
            "volume": sum(int(r.amount) for r in rows if r.status in SUCCEEDED),
            "currency": "INR",
        }

    @staticmethod
    async def _commission(session: AsyncSession, start: datetime, end: datetime) -> dict[str, Any]:
        rows = {
            r.type: (int(r.n), int(r.amount))
            for r in await health_report_repo.commission(session, start, end)
        }
        charged = rows.get("COMMISSION", (0, 0))[1]
        reversed_ = -rows.get("COMMISSION_REVERSAL", (0, 0))[1]
        return {
            "charged": charged,
            "reversed": reversed_,
            "net": charged - reversed_,
            "payouts": -rows.get("COMMISSION_PAYOUT", (0, 0))[1],  # dues paid or deducted from settlements
            "adjustments": rows.get("ADJUSTMENT", (0, 0))[1],
            "currency": "INR",
        }

    @staticmethod
    async def _gateways(session: AsyncSession, start: datetime, end: datetime) -> list[dict[str, Any]]:
        reasons: dict[uuid.UUID, list[dict[str, Any]]] = {}
        for r in await health_report_repo.failure_reasons(session, start, end):
            top = reasons.setdefault(r.gateway_id, [])
            if len(top) < 5:
                top.append({"code": r.code, "count": int(r.n)})
        out = []
        for r in await health_report_repo.gateways(session, start, end):
            decided = int(r.succeeded) + int(r.failed) + int(r.expired)
            out.append(
                {
                    "gateway_id": str(r.gateway_id),
                    "name": r.name,
                    "provider": r.provider,
                    "payments": int(r.payments),
                    "succeeded": int(r.succeeded),
                    "failed": int(r.failed),
                    "expired": int(r.expired),
                    "success_rate": _rate(int(r.succeeded), decided),
                    "psp_calls": int(r.psp_calls),
                    "declines": int(r.declines),
                    "technical_errors": int(r.technical_errors),
                    "top_failure_reasons": reasons.get(r.gateway_id, []),
                }
            )
        return out

    @staticmethod
    async def _alerts(session: AsyncSession, start: datetime, end: datetime) -> dict[str, Any]:
        counts, open_rows = await health_report_repo.alerts(session, start, end)
        return {
            "open": int(counts.open),  # open or acknowledged, not yet resolved
            "acknowledged": int(counts.acknowledged),
            "opened_in_period": int(counts.opened),
            "resolved_in_period": int(counts.resolved),
            "open_by_kind": [{"severity": r.severity, "kind": r.kind, "count": int(r.n)} for r in open_rows],
        }

    @staticmethod
    async def _queues(session: AsyncSession, start: datetime, end: datetime) -> dict[str, Any]:
        pending, failed = await health_report_repo.intents(session, start, end)
        now = datetime.now(UTC)
        return {
            # PostgreSQL's intents are the truth; BullMQ's counts say what Redis holds (None: Redis did not answer)
            "intents_pending": {
                r.queue: {"count": int(r.n), "oldest_seconds": round((now - r.oldest).total_seconds(), 1)}
                for r in pending
            },
            "intents_failed_in_period": sum(int(r.in_period) for r in failed),
            "intents_failed_total": sum(int(r.total) for r in failed),
            "intents_failed_by_task": {r.name: int(r.in_period) for r in failed if r.in_period},
            "bullmq": await _bullmq_counts(),
        }

    @staticmethod
    async def _webhooks(session: AsyncSession, start: datetime, end: datetime) -> dict[str, Any]:
        r = await health_report_repo.webhooks(session, start, end)
        delivered, failed = int(r.delivered), int(r.failed)
        return {
            "delivered": delivered,
            "failed": failed,
            "success_rate": _rate(delivered, delivered + failed),
            "attempts": int(r.attempts),
            "failed_attempts": int(r.failed_attempts),
            "pending_now": int(r.pending_now),
        }

    # ---- reads (operators)

    async def get(self, session: AsyncSession, *, day: date | None) -> HealthReport:
        """The report of `day`, or the latest."""
        report = (
            await health_report_repo.by_date(session, day)
            if day is not None
            else await health_report_repo.latest(session)
        )
        if report is None:
            raise ReportNotFound(
                f"No health report for {day.isoformat()}." if day else "No health report has been made yet.",
                field="date" if day else None,
            )
        return report

    async def page(
        self,
        session: AsyncSession,
        *,
        date_from: date | None,
        date_to: date | None,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[HealthReport], str | None]:
        rows = await health_report_repo.list(
            session, date_from=date_from, date_to=date_to, limit=limit + 1, after=parse_cursor(cursor)
        )
        return rows[:limit], page_cursor(rows, limit)


async def _bullmq_counts() -> dict[str, dict[str, int]] | None:
    try:
        async with asyncio.timeout(get_settings().redis_socket_timeout_seconds * 2):
            return {
                name: {k: int(v) for k, v in (await queues.queue(name).getJobCounts(*_BULLMQ_STATES)).items()}
                for name in queues.QUEUE_NAMES
            }
    except Exception as exc:  # noqa: BLE001 - the report is made without Redis if it must
        log.warning("health_report_bullmq_unavailable", error=f"{type(exc).__name__}: {exc}")
        return None


def slack_text(report: HealthReport) -> str:
    """The report in a few lines, for Slack (mrkdwn)."""
    b = report.body
    p, c, w, a = b["payments"], b["commission"], b["webhooks"], b["alerts"]
    rate = f"{p['success_rate']}%" if p["success_rate"] is not None else "n/a"
    worst = sorted(
        (g for g in b["gateways"] if g["failed"] or g["technical_errors"]),
        key=lambda g: -(g["failed"] + g["technical_errors"]),
    )[:3]
    lines = [
        f"*LightSpeedPay health report, {b['period']['date']} (IST)*",
        f"Payments: {p['total']} ({p['succeeded']} succeeded, {p['failed']} failed, {p['expired']} expired), "
        f"success rate {rate}, volume {format_inr(p['volume'])}",
        f"Commission: {format_inr(c['net'])} net ({format_inr(c['charged'])} charged, "
        f"{format_inr(c['reversed'])} reversed)",
        f"Webhooks: {w['delivered']} delivered, {w['failed']} failed; alerts open: {a['open']}; "
        f"job intents failed: {b['queues']['intents_failed_in_period']}",
    ]
    lines += [
        f"• {g['name']}: {g['failed']} failed payments, {g['technical_errors']} PSP errors" for g in worst
    ]
    return "\n".join(lines)


health_report_service = HealthReportService()
