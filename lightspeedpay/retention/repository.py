"""Every query of the daily runs and of the retention purges.

A purge deletes in batches of table pages (`ctid` ranges, a TID range scan): each batch reads a bounded slice of
the table whatever the predicate, needs no index on the hot tables' write path, and commits on its own, so no
lock is held for long and a run cut short goes on from the page it reached."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.models import DailyRun

# table -> the rows past retention (:before, and for webhook events :delivered_before / :failed_before).
# Audit rows (audit_log) are never deleted, so they have no entry here.
PURGES: dict[str, str] = {
    "job_intents": "status = 'completed' AND coalesce(completed_at, updated_at) < :before",
    "psp_events": "processed_at IS NOT NULL AND processed_at < :before",
    "alerts": "status = 'resolved' AND resolved_at < :before",  # their Slack messages go with them (CASCADE)
    # an event goes once none of its deliveries or attempts is left (webhook housekeeping purges those) and it
    # is past its own retention; this also takes events that had no endpoint to go to
    "webhook_events": """status <> 'pending'
        AND created_at < CASE WHEN status = 'delivered' THEN CAST(:delivered_before AS timestamptz)
                              ELSE CAST(:failed_before AS timestamptz) END
        AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = webhook_events.id)
        AND NOT EXISTS (SELECT 1 FROM webhook_delivery_attempts a WHERE a.event_id = webhook_events.id)""",
}


class DailyRunRepository:
    async def claim_once(self, session: AsyncSession, task: str, day: date, *, now: datetime) -> bool:
        """Claim the day's run for work done in this same DB transaction. False: done already, or being done by
        a concurrent caller (this waits for its commit, then sees it)."""
        claimed = await session.execute(
            insert(DailyRun)
            .values(task=task, day=day, started_at=now, progress={})
            .on_conflict_do_nothing(index_elements=["task", "day"])
            .returning(DailyRun.task)
        )
        return claimed.scalar_one_or_none() is not None

    async def claim_resumable(
        self, session: AsyncSession, task: str, day: date, *, now: datetime, stale_before: datetime
    ) -> dict[str, Any] | None:
        """Claim the day's run for batched work: a new run, or one not finished whose runner went silent (its
        last batch committed before `stale_before`). Returns its progress so far, or None: finished, or another
        runner has it."""
        stmt = (
            insert(DailyRun)
            .values(task=task, day=day, started_at=now, progress={})
            .on_conflict_do_update(
                index_elements=["task", "day"],
                set_={"attempts": DailyRun.attempts + 1, "updated_at": now},
                where=(DailyRun.finished_at.is_(None)) & (DailyRun.updated_at < stale_before),
            )
            .returning(DailyRun.progress)
        )
        return (await session.execute(stmt)).scalar_one_or_none()

    async def save(
        self,
        session: AsyncSession,
        task: str,
        day: date,
        *,
        progress: dict[str, Any],
        now: datetime,
        finished: bool,
    ) -> None:
        run = await session.get(DailyRun, (task, day), with_for_update=True, populate_existing=True)
        assert run is not None
        run.progress, run.updated_at = progress, now
        if finished:
            run.finished_at = now

    async def get(self, session: AsyncSession, task: str, day: date) -> DailyRun | None:
        return await session.get(DailyRun, (task, day), populate_existing=True)

    async def latest(self, session: AsyncSession, task: str) -> DailyRun | None:
        stmt = select(DailyRun).where(DailyRun.task == task).order_by(DailyRun.day.desc()).limit(1)
        return (await session.execute(stmt)).scalar_one_or_none()


class PurgeRepository:
    def tables(self) -> list[str]:
        return list(PURGES)

    async def pages(self, session: AsyncSession, table: str) -> int:
        """How many pages the table has now (a purge walks them; rows added after it started wait for the next
        day)."""
        assert table in PURGES
        stmt = text(
            "SELECT (pg_relation_size(CAST(:t AS regclass)) / current_setting('block_size')::int)::int"
        )
        return int((await session.execute(stmt, {"t": table})).scalar_one())

    async def purge_pages(
        self, session: AsyncSession, table: str, *, first: int, last: int, params: dict[str, Any]
    ) -> int:
        """Delete the rows past retention on pages [first, last) of `table`."""
        stmt = text(
            f"DELETE FROM {table} WHERE ctid >= CAST(:lo AS tid) AND ctid < CAST(:hi AS tid) AND ({PURGES[table]})"
        )
        result: Any = await session.execute(stmt, {"lo": (first, 0), "hi": (last, 0), **params})
        return int(result.rowcount or 0)


daily_run_repo = DailyRunRepository()
purge_repo = PurgeRepository()
