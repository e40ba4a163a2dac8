"""The scheduler's timetable: cron expressions read in Asia/Kolkata (IST, UTC+05:30), intervals, the first run
after a takeover (a cron run missed during a failover is made up once, within the grace), and the periodic
table itself (every task kept, names unique, every schedule valid)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lightspeedpay.jobs.scheduler import Cron, Every, check_table, cron, every, first_due, next_due

IST = ZoneInfo("Asia/Kolkata")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        # 02:00 IST is 20:30 UTC the day before
        ("0 2 * * *", utc(2026, 3, 1, 20, 29, 59), utc(2026, 3, 1, 20, 30)),
        ("0 2 * * *", utc(2026, 3, 1, 20, 30), utc(2026, 3, 2, 20, 30)),  # strictly after
        # midnight IST (seed 003's commission payout) is 18:30 UTC
        ("0 0 * * *", utc(2026, 3, 1, 12, 0), utc(2026, 3, 1, 18, 30)),
        # 06:00 IST (the health report) on the last day of a month rolls into the next month in UTC terms
        ("0 6 * * *", utc(2026, 3, 31, 1, 0), utc(2026, 4, 1, 0, 30)),
        # minute steps follow IST's half-hour offset: :10 IST is :40 UTC
        ("*/10 * * * *", utc(2026, 3, 1, 10, 31), utc(2026, 3, 1, 10, 40)),
        ("*/15 * * * *", utc(2026, 3, 1, 10, 31), utc(2026, 3, 1, 10, 45)),
        ("* * * * *", utc(2026, 3, 1, 10, 31, 5), utc(2026, 3, 1, 10, 32)),
        # 09:00 IST on weekdays: Friday 2026-03-06 03:30 UTC, then Monday 2026-03-09
        ("0 9 * * 1-5", utc(2026, 3, 6, 3, 30), utc(2026, 3, 9, 3, 30)),
        # the 1st of the month at 00:00 IST is the last day of the previous month at 18:30 UTC
        ("0 0 1 * *", utc(2026, 3, 15), utc(2026, 3, 31, 18, 30)),
    ],
)
def test_cron_is_read_in_ist(expression: str, after: datetime, expected: datetime) -> None:
    got = cron(expression).next_after(after, IST)
    assert got == expected
    assert got.tzinfo is not None and got.utcoffset() == timedelta(0)


def test_the_same_expression_in_utc_differs_by_the_offset() -> None:
    after = utc(2026, 3, 1, 12, 0)
    assert cron("0 2 * * *").next_after(after, ZoneInfo("UTC")) == utc(2026, 3, 2, 2, 0)
    assert cron("0 2 * * *").next_after(after, IST) == utc(2026, 3, 1, 20, 30)


def test_latest_fire_time_includes_the_moment_itself() -> None:
    at_two = utc(2026, 3, 1, 20, 30)  # 02:00 IST
    assert cron("0 2 * * *").latest_at_or_before(at_two, IST) == at_two
    assert cron("0 2 * * *").latest_at_or_before(at_two - timedelta(seconds=1), IST) == at_two - timedelta(
        days=1
    )


@pytest.mark.parametrize("bad", ["", "0 2 * *", "61 * * * *", "0 25 * * *", "every day", "0 2 * * * *"])
def test_a_bad_cron_expression_is_refused_when_the_table_is_built(bad: str) -> None:
    with pytest.raises(ValueError):
        cron(bad)


@pytest.mark.parametrize("seconds", [0, -1])
def test_an_interval_must_be_positive(seconds: float) -> None:
    with pytest.raises(ValueError):
        every(seconds)


def test_an_interval_runs_at_takeover_then_every_so_often() -> None:
    now = utc(2026, 3, 1, 10, 0)
    schedule = every(30)
    assert (
        first_due(schedule, now=now, last_started=now - timedelta(seconds=5), tz=IST, grace_seconds=3600)
        == now
    )
    assert next_due(schedule, started=now, tz=IST) == now + timedelta(seconds=30)


def test_a_cron_task_waits_for_its_time_at_takeover() -> None:
    now = utc(2026, 3, 1, 21, 0)  # 02:30 IST; today's 02:00 run was recorded
    ran = utc(2026, 3, 1, 20, 30)
    assert first_due(cron("0 2 * * *"), now=now, last_started=ran, tz=IST, grace_seconds=3600) == utc(
        2026, 3, 2, 20, 30
    )


def test_a_cron_run_missed_during_a_failover_runs_at_takeover() -> None:
    # the leader died at 01:59 IST; the standby takes over at 02:00:40 IST: yesterday's run is the last one
    now = utc(2026, 3, 1, 20, 30, 40)
    yesterday = utc(2026, 2, 28, 20, 30)
    assert first_due(cron("0 2 * * *"), now=now, last_started=yesterday, tz=IST, grace_seconds=3600) == now


def test_a_missed_cron_run_older_than_the_grace_waits_for_the_next_time() -> None:
    now = utc(2026, 3, 1, 23, 0)  # 04:30 IST, 2.5 h after the missed 02:00
    yesterday = utc(2026, 2, 28, 20, 30)
    assert first_due(cron("0 2 * * *"), now=now, last_started=yesterday, tz=IST, grace_seconds=3600) == utc(
        2026, 3, 2, 20, 30
    )


def test_a_cron_task_never_run_is_not_made_up_on_a_new_install() -> None:
    now = utc(2026, 3, 1, 20, 35)  # 5 minutes after 02:00 IST
    assert first_due(cron("0 2 * * *"), now=now, last_started=None, tz=IST, grace_seconds=3600) == utc(
        2026, 3, 2, 20, 30
    )


def test_next_due_of_a_cron_task_is_its_next_time_even_when_the_run_starts_late() -> None:
    started = utc(2026, 3, 1, 10, 40, 0, 300_000)  # :10 IST, 300 ms late
    assert next_due(cron("*/10 * * * *"), started=started, tz=IST) == utc(2026, 3, 1, 10, 50)


async def _noop() -> None:
    return None


def test_the_table_refuses_duplicate_names_and_old_style_intervals() -> None:
    with pytest.raises(ValueError, match="unique"):
        check_table([("a", every(1), _noop), ("a", cron("* * * * *"), _noop)])
    with pytest.raises(TypeError, match="cron"):
        check_table([("old", 30.0, _noop)])  # type: ignore[list-item]


def test_the_periodic_table_keeps_every_task_with_a_valid_schedule() -> None:
    from lightspeedpay.config import get_settings
    from lightspeedpay.schedule import periodic_tasks

    table = periodic_tasks()
    check_table(table)
    schedules = {name: schedule for name, schedule, _ in table}
    s = get_settings()
    # the tasks that ran on intervals before the rework still do, at their settings
    assert schedules["sweeper"] == Every(s.sweeper_interval_seconds)
    assert schedules["janitor"] == Every(s.janitor_interval_seconds)
    assert schedules["uncaptured_authorizations"] == Every(s.janitor_interval_seconds)
    for name in [
        "ledger_check",
        "settlements",
        "success_rates",
        "gateway_probe",
        "webhook_housekeeping",
        "idempotency_purge",
        "jobs_housekeeping",
    ]:
        assert isinstance(schedules[name], Every), name
    # seed 003's status checker: every 10 minutes, on the clock
    assert schedules["status_check"] == Cron("*/10 * * * *")
    assert schedules["status_check"].describe() == "cron */10 * * * *"
