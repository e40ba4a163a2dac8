"""Seed 003's daily housekeeping: each daily task runs once per IST day, however often the scheduler calls it;
the archive of final payments; the retention purges.

A daily task is either one unit of work (`DailyRuns.once`: the day is claimed in the same DB transaction as the
work, so a second call, even a concurrent one, does nothing) or batched (`DailyRuns.resumable`: the day is
claimed, then each batch commits with the run's progress, so a run cut short, by the scheduler's timeout or a
crash, is taken up from where it got to by the next call once the runner has been silent for
LSP_SCHEDULER_TASK_TIMEOUT_SECONDS)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.config import get_settings
from lightspeedpay.jobs.unit_of_work import unit_of_work
from lightspeedpay.kit.logging import log
from lightspeedpay.kit.pagination import decode_cursor, encode_cursor
from lightspeedpay.payments.repository import transaction_repo
from lightspeedpay.retention.repository import daily_run_repo, purge_repo

# a batched task's step: (session, progress so far) -> (progress, finished)
Step = Callable[[AsyncSession, dict[str, Any]], Awaitable[tuple[dict[str, Any], bool]]]


def local_day(now: datetime | None = None) -> date:
    """Today in the scheduler's time zone (IST): the day a daily run belongs to."""
    zone = ZoneInfo(get_settings().scheduler_timezone)
    return (now or datetime.now(UTC)).astimezone(zone).date()


class DailyRuns:
    async def once(
        self,
        task: str,
        work: Callable[[AsyncSession], Awaitable[dict[str, Any]]],
        *,
        day: date | None = None,
    ) -> dict[str, Any] | None:
        """Run `work` once for the day, in one unit of work with the claim. Returns what it did, or None when the
        day's run was done already."""
        day = day or local_day()
        now = datetime.now(UTC)
        async with unit_of_work() as session:
            if not await daily_run_repo.claim_once(session, task, day, now=now):
                return None
            result = await work(session)
            await daily_run_repo.save(session, task, day, progress=result, now=now, finished=True)
        return result

    async def resumable(self, task: str, step: Step, *, day: date | None = None) -> dict[str, Any] | None:
        """Run `step` batch after batch until it says it is finished, each batch one unit of work that also
        records the progress. Returns the progress, or None when the day's run is done or another runner has
        it."""
        day = day or local_day()
        stale = timedelta(seconds=get_settings().scheduler_task_timeout_seconds)
        now = datetime.now(UTC)
        async with unit_of_work() as session:
            progress = await daily_run_repo.claim_resumable(
                session, task, day, now=now, stale_before=now - stale
            )
        if progress is None:
            return None
        if progress:
            log.info("daily_run_resumed", task=task, day=day.isoformat(), progress=progress)
        finished = False
        while not finished:
            async with unit_of_work() as session:
                progress, finished = await step(session, dict(progress))
                await daily_run_repo.save(
                    session, task, day, progress=progress, now=datetime.now(UTC), finished=finished
                )
        return progress


class ArchiveService:
    async def run(self, *, day: date | None = None) -> dict[str, Any] | None:
        """The daily archive (seed 003, 02:00 IST): final payments older than LSP_ARCHIVE_AFTER_DAYS with
        nothing pending move to archived_transactions, LSP_ARCHIVE_BATCH_SIZE per DB transaction, oldest first.
        The cutoff is fixed when the day's run starts, so a resumed run moves what the first one would have."""
        return await daily_runs.resumable("archive", self.step, day=day)

    async def step(self, session: AsyncSession, progress: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        s = get_settings()
        if "cutoff" not in progress:
            cutoff = datetime.now(UTC) - timedelta(days=s.archive_after_days)
            progress = {"cutoff": cutoff.isoformat(), "batches": 0, "scanned": 0, "moved": 0, "cursor": None}
        cursor = progress["cursor"]
        batch = await transaction_repo.archive_batch(
            session,
            cutoff=datetime.fromisoformat(progress["cutoff"]),
            after=decode_cursor(cursor) if cursor else None,
            limit=s.archive_batch_size,
        )
        progress["batches"] += 1
        progress["scanned"] += batch.scanned
        progress["moved"] += batch.moved
        if batch.last is not None:
            progress["cursor"] = encode_cursor(*batch.last)
        return progress, batch.scanned < s.archive_batch_size


class RetentionService:
    async def run(self, *, day: date | None = None) -> dict[str, Any] | None:
        """The daily retention purge: completed job intents, processed PSP events, resolved alerts and merchant
        webhook events past their LSP_RETENTION_* / LSP_WEBHOOK_RETENTION_* age. Audit rows are never
        deleted. Each batch reads LSP_RETENTION_BATCH_BLOCKS pages of one table."""
        return await daily_runs.resumable("retention", self.step, day=day)

    @staticmethod
    def _params(table: str, now: datetime) -> dict[str, Any]:
        s = get_settings()
        days = {
            "job_intents": s.retention_job_intents_days,
            "psp_events": s.retention_psp_events_days,
            "alerts": s.retention_alerts_days,
        }
        if table == "webhook_events":
            return {
                "delivered_before": now - timedelta(days=s.webhook_retention_success_days),
                "failed_before": now - timedelta(days=s.webhook_retention_failed_days),
            }
        return {"before": now - timedelta(days=days[table])}

    async def step(self, session: AsyncSession, progress: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        tables = purge_repo.tables()
        if "started" not in progress:
            progress = {
                "started": datetime.now(UTC).isoformat(),
                "batches": 0,
                "table": 0,
                "page": 0,
                "deleted": {},
            }
        table = tables[progress["table"]]
        if "pages" not in progress:
            progress["pages"] = await purge_repo.pages(session, table)
        first = progress["page"]
        last = first + get_settings().retention_batch_blocks
        deleted = await purge_repo.purge_pages(
            session,
            table,
            first=first,
            last=last,
            params=self._params(table, datetime.fromisoformat(progress["started"])),
        )
        progress["batches"] += 1
        progress["deleted"][table] = progress["deleted"].get(table, 0) + deleted
        progress["page"] = last
        if last >= progress["pages"]:  # this table is done: the next one, from its first page
            progress["table"] += 1
            progress["page"] = 0
            progress.pop("pages")
        return progress, progress["table"] >= len(tables)


daily_runs = DailyRuns()
archive_service = ArchiveService()
retention_service = RetentionService()
