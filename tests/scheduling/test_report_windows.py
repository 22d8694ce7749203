"""Report windows across DST changes: consecutive windows meet exactly, in spring and autumn.

Each window runs from the previous period's scheduled instant to this period's, so a daily
window is 23 or 25 hours long on the days the clocks change, and a weekly one 167 or 169.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from ops_schedule.config import JobConfig
from ops_schedule.reports.observability.job import report_windows
from ops_schedule.scheduling.rules import current_slot, local_to_utc, window_start

NEW_YORK = ZoneInfo("America/New_York")


def daily(at: str) -> JobConfig:
    return JobConfig.model_validate({"cadence": "daily", "at": at})


def weekly(at: str, dow: str = "Mon") -> JobConfig:
    return JobConfig.model_validate({"cadence": "weekly", "at": at, "dow": dow})


def scheduled(job: JobConfig, day: date) -> datetime:
    return current_slot(job, NEW_YORK, local_to_utc(day, time(12), NEW_YORK)).scheduled


def local(instant: datetime) -> str:
    return instant.astimezone(NEW_YORK).isoformat()


@pytest.mark.parametrize(
    ("day", "start", "hours"),
    [
        (date(2026, 3, 8), "2026-03-07T09:00:00-05:00", 23),  # spring: clocks go forward at 02:00
        (date(2026, 11, 1), "2026-10-31T09:00:00-04:00", 25),  # autumn: clocks go back at 02:00
    ],
    ids=["spring", "autumn"],
)
def test_the_daily_window_of_a_dst_change_day_runs_from_the_previous_days_instant(
    day, start, hours
):
    job = daily("09:00")
    end = scheduled(job, day)

    begin = window_start(job, NEW_YORK, end)

    assert local(begin) == start
    assert end - begin == timedelta(hours=hours)


@pytest.mark.parametrize(
    ("job", "first", "periods"),
    [
        (daily("09:00"), date(2026, 3, 5), 8),
        (daily("09:00"), date(2026, 10, 29), 8),
        (daily("02:30"), date(2026, 3, 5), 8),  # the spring gap swallows 02:30 on Mar 8
        (daily("01:30"), date(2026, 10, 29), 8),  # 01:30 occurs twice on Nov 1
        (weekly("09:10"), date(2026, 2, 23), 4),
        (weekly("09:10"), date(2026, 10, 19), 4),
    ],
    ids=[
        "daily-spring",
        "daily-autumn",
        "daily-gap",
        "daily-fold",
        "weekly-spring",
        "weekly-autumn",
    ],
)
def test_consecutive_windows_meet_exactly_with_no_overlap_and_no_gap(job, first, periods):
    step = timedelta(days=1 if job.cadence == "daily" else 7)
    ends = [scheduled(job, first + step * n) for n in range(periods)]

    windows = [(window_start(job, NEW_YORK, end), end) for end in ends]

    for (_, earlier_end), (later_start, _) in itertools.pairwise(windows):
        assert later_start == earlier_end
    lengths = {end - start for start, end in windows}
    assert len(lengths) == 2, "one window crosses the change and is an hour shorter or longer"


def test_the_weekly_window_over_the_spring_change_is_167_hours_and_the_next_starts_at_its_end():
    job = weekly("09:10")
    end = scheduled(job, date(2026, 3, 9))  # Monday after the change of Sunday Mar 8
    start = window_start(job, NEW_YORK, end)
    assert local(start) == "2026-03-02T09:10:00-05:00"
    assert end - start == timedelta(hours=167)
    assert window_start(job, NEW_YORK, scheduled(job, date(2026, 3, 16))) == end


def test_the_previous_window_is_the_period_before_and_meets_the_report_window():
    job = daily("09:00")
    end = scheduled(job, date(2026, 11, 2))

    (previous_start, previous_end), (start, window_end) = report_windows(job, NEW_YORK, end)

    assert (previous_end, window_end) == (start, end)
    assert local(previous_start) == "2026-10-31T09:00:00-04:00"
    assert local(start) == "2026-11-01T09:00:00-05:00"
    assert start - previous_start == timedelta(hours=25)
    assert end - start == timedelta(hours=24)


def test_an_end_that_is_not_a_scheduled_instant_starts_at_the_same_local_time_a_period_earlier():
    job = daily("09:00")
    end = local_to_utc(date(2026, 3, 9), time(7, 15), NEW_YORK)  # an early manual run
    assert local(window_start(job, NEW_YORK, end)) == "2026-03-08T07:15:00-04:00"
    assert end - window_start(job, NEW_YORK, end) == timedelta(hours=24)
    on_the_change = local_to_utc(date(2026, 3, 8), time(7, 15), NEW_YORK)
    assert on_the_change - window_start(job, NEW_YORK, on_the_change) == timedelta(hours=23)
