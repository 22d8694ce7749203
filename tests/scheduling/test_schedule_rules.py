from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ops_schedule.config import JobConfig, parse_config
from ops_schedule.scheduling.rules import (
    History,
    PeriodState,
    backoff,
    current_slot,
    decide,
    latest_slot,
    local_to_utc,
    next_scheduled,
    period_key,
)

TOKYO = ZoneInfo("Asia/Tokyo")
NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
SIX_HOURS = timedelta(hours=6)
MICROSECOND = timedelta(microseconds=1)


def daily(at: str) -> JobConfig:
    return JobConfig.model_validate({"cadence": "daily", "at": at})


def weekly(at: str, dow: str = "Mon") -> JobConfig:
    return JobConfig.model_validate({"cadence": "weekly", "at": at, "dow": dow})


def runs_over(
    job: JobConfig, zone: ZoneInfo, ticks: list[datetime], grace: timedelta = SIX_HOURS
) -> list[tuple[str, datetime]]:
    """Simulate a runner ticking at ``ticks`` with jobs that always succeed."""
    done: set[str] = set()
    runs = []
    for now in ticks:
        decision = decide(job, zone, grace, History(done_periods=frozenset(done)), now)
        if decision.due:
            done.add(decision.slot.period_key)
            runs.append((decision.slot.period_key, now))
    return runs


def minutes(start: datetime, end: datetime) -> list[datetime]:
    count = int((end - start) / timedelta(minutes=1))
    return [start + timedelta(minutes=i) for i in range(count)]


# --------------------------------------------------------------------------- period keys


def test_a_daily_period_key_is_the_local_date():
    assert period_key("daily", date(2026, 11, 26)) == "2026-11-26"


@pytest.mark.parametrize(
    ("day", "key"),
    [
        (date(2026, 11, 26), "2026-W48"),
        (date(2026, 12, 28), "2026-W53"),  # 2026 has 53 ISO weeks
        (date(2027, 1, 3), "2026-W53"),  # the first days of 2027 still belong to 2026-W53
        (date(2027, 1, 4), "2027-W01"),
        (date(2024, 12, 30), "2025-W01"),  # the last days of 2024 belong to 2025-W01
        (date(2021, 1, 1), "2020-W53"),
    ],
)
def test_a_weekly_period_key_is_the_iso_week_across_year_boundaries(day, key):
    assert period_key("weekly", day) == key


def test_the_period_of_an_instant_is_reckoned_in_the_configured_zone():
    instant = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)  # 01:00 on the 26th in Tokyo
    assert current_slot(daily("09:00"), TOKYO, instant).period_key == "2026-11-26"
    assert current_slot(daily("09:00"), NEW_YORK, instant).period_key == "2026-11-25"


# --------------------------------------------------------------------------- DST


def test_a_time_inside_the_spring_gap_in_new_york_runs_at_the_end_of_the_gap():
    instant = local_to_utc(date(2026, 3, 8), time(2, 30), NEW_YORK)
    assert instant.astimezone(NEW_YORK).isoformat() == "2026-03-08T03:00:00-04:00"


def test_a_time_inside_the_autumn_fold_in_new_york_runs_at_the_first_occurrence():
    instant = local_to_utc(date(2026, 11, 1), time(1, 30), NEW_YORK)
    assert instant.astimezone(NEW_YORK).isoformat() == "2026-11-01T01:30:00-04:00"


def test_a_time_inside_the_spring_gap_in_berlin_runs_at_the_end_of_the_gap():
    instant = local_to_utc(date(2026, 3, 29), time(2, 30), BERLIN)
    assert instant.astimezone(BERLIN).isoformat() == "2026-03-29T03:00:00+02:00"


def test_a_time_inside_the_autumn_fold_in_berlin_runs_at_the_first_occurrence():
    instant = local_to_utc(date(2026, 10, 25), time(2, 30), BERLIN)
    assert instant.astimezone(BERLIN).isoformat() == "2026-10-25T02:30:00+02:00"


def test_tokyo_has_no_dst_so_nine_oclock_is_always_midnight_utc():
    for day in (date(2026, 3, 8), date(2026, 7, 1), date(2026, 11, 1)):
        assert local_to_utc(day, time(9, 0), TOKYO) == datetime(
            day.year, day.month, day.day, 0, 0, tzinfo=UTC
        )


@pytest.mark.parametrize(
    ("zone", "day", "at", "expected"),
    [
        (NEW_YORK, date(2026, 3, 8), "02:30", "2026-03-08T03:00:00-04:00"),
        (NEW_YORK, date(2026, 11, 1), "01:30", "2026-11-01T01:30:00-04:00"),
        (BERLIN, date(2026, 3, 29), "02:30", "2026-03-29T03:00:00+02:00"),
        (BERLIN, date(2026, 10, 25), "02:30", "2026-10-25T02:30:00+02:00"),
    ],
)
def test_a_daily_job_runs_exactly_once_on_a_dst_change_day(zone, day, at, expected):
    start = datetime.combine(day, time(0, 0), tzinfo=zone).astimezone(UTC)
    ticks = minutes(start - timedelta(hours=1), start + timedelta(hours=26))
    runs = [r for r in runs_over(daily(at), zone, ticks) if r[0] == day.isoformat()]
    assert len(runs) == 1
    assert runs[0][1].astimezone(zone).isoformat() == expected


def test_a_daily_job_runs_once_a_day_through_a_whole_year_of_minutes_in_new_york():
    start = datetime(2026, 1, 1, tzinfo=NEW_YORK).astimezone(UTC)
    ticks = [start + timedelta(minutes=17 * i) for i in range(int(366 * 24 * 60 / 17))]
    runs = runs_over(daily("02:30"), NEW_YORK, ticks)
    keys = [key for key, _ in runs]
    assert len(keys) == len(set(keys)) == 366
    assert keys[0] == "2026-01-01"


# --------------------------------------------------------------------------- latest / next


def test_the_latest_slot_before_todays_instant_is_yesterdays():
    now = datetime(2026, 11, 25, 23, 0, tzinfo=UTC)  # 08:00 on the 26th in Tokyo
    slot = latest_slot(daily("09:00"), TOKYO, now)
    assert slot.period_key == "2026-11-25"
    assert slot.scheduled == datetime(2026, 11, 25, 0, 0, tzinfo=UTC)


def test_the_latest_weekly_slot_before_mondays_instant_is_last_weeks():
    now = datetime(2026, 11, 30, 0, 5, tzinfo=UTC)  # Monday 09:05 in Tokyo, job at 09:10
    slot = latest_slot(weekly("09:10"), TOKYO, now)
    assert slot.period_key == "2026-W48"
    assert slot.scheduled.astimezone(TOKYO).isoformat() == "2026-11-23T09:10:00+09:00"


def test_the_next_instant_is_strictly_after_now():
    job = daily("09:00")
    at_instant = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
    assert next_scheduled(job, TOKYO, at_instant) == datetime(2026, 11, 27, 0, 0, tzinfo=UTC)
    just_before = at_instant - timedelta(seconds=1)
    assert next_scheduled(job, TOKYO, just_before) == at_instant


def test_the_next_weekly_instant_crosses_into_week_53_and_the_new_year():
    job = weekly("09:10", "Thu")
    now = datetime(2026, 12, 31, 1, 0, tzinfo=UTC)  # Thursday 10:00 in Tokyo, 2026-W53
    upcoming = next_scheduled(job, TOKYO, now)
    assert upcoming.astimezone(TOKYO).isoformat() == "2027-01-07T09:10:00+09:00"
    assert latest_slot(job, TOKYO, now).period_key == "2026-W53"


# --------------------------------------------------------------------------- due rule

NINE_TOKYO = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)


def test_a_job_is_due_at_its_instant_and_not_a_second_before():
    job = daily("09:00")
    before = decide(job, TOKYO, SIX_HOURS, History(), NINE_TOKYO - timedelta(seconds=1))
    at = decide(job, TOKYO, SIX_HOURS, History(), NINE_TOKYO)
    assert before.slot.period_key == "2026-11-25"
    assert before.state is PeriodState.MISSED  # yesterday's grace closed long ago
    assert at.due
    assert at.slot.period_key == "2026-11-26"


def test_a_runner_back_within_the_grace_runs_the_job_once():
    ticks = [NINE_TOKYO + timedelta(minutes=90 + i) for i in range(120)]  # down 09:00-10:30
    runs = runs_over(daily("09:00"), TOKYO, ticks)
    assert runs == [("2026-11-26", ticks[0])]


def test_the_last_instant_of_the_grace_is_still_due_and_the_next_is_missed():
    job, history = daily("09:00"), History()
    at_the_edge = decide(job, TOKYO, SIX_HOURS, history, NINE_TOKYO + SIX_HOURS)
    just_after = decide(job, TOKYO, SIX_HOURS, history, NINE_TOKYO + SIX_HOURS + MICROSECOND)
    assert at_the_edge.due
    assert at_the_edge.slot.period_key == "2026-11-26"
    assert not just_after.due
    assert just_after.state is PeriodState.MISSED


def test_a_runner_back_after_the_grace_does_not_run_and_shows_the_period_missed():
    now = NINE_TOKYO + SIX_HOURS + timedelta(minutes=1)
    decision = decide(daily("09:00"), TOKYO, SIX_HOURS, History(), now)
    assert not decision.due
    assert decision.state is PeriodState.MISSED
    assert decision.slot.period_key == "2026-11-26"


def test_several_missed_periods_give_at_most_one_run():
    # Down for three days; back at 10:00 on the fourth day.
    back = NINE_TOKYO + timedelta(days=3, hours=1)
    runs = runs_over(daily("09:00"), TOKYO, minutes(back, back + timedelta(hours=2)))
    assert runs == [("2026-11-29", back)]


def test_a_done_period_is_not_due_again():
    history = History(done_periods=frozenset({"2026-11-26"}))
    decision = decide(daily("09:00"), TOKYO, SIX_HOURS, history, NINE_TOKYO + timedelta(hours=1))
    assert decision.state is PeriodState.DONE


def test_a_manual_run_before_the_instant_makes_the_period_done():
    history = History(done_periods=frozenset({"2026-11-26"}))
    early = NINE_TOKYO - timedelta(hours=2)
    assert decide(daily("09:00"), TOKYO, SIX_HOURS, history, early).state is PeriodState.DONE
    assert not decide(daily("09:00"), TOKYO, SIX_HOURS, history, NINE_TOKYO).due


def test_a_failed_run_waits_for_its_backoff_then_is_due_again():
    failed_at = NINE_TOKYO + timedelta(seconds=30)
    history = History(
        last_attempt_period="2026-11-26",
        last_attempt_at=failed_at,
        consecutive_failures=2,
        last_failed=True,
    )
    waiting = decide(daily("09:00"), TOKYO, SIX_HOURS, history, failed_at + timedelta(minutes=1))
    assert waiting.state is PeriodState.RETRYING
    assert waiting.retry_at == failed_at + timedelta(minutes=2)
    assert decide(daily("09:00"), TOKYO, SIX_HOURS, history, failed_at + timedelta(minutes=2)).due


def test_a_retry_that_would_land_after_the_grace_is_missed():
    failed_at = NINE_TOKYO + SIX_HOURS - timedelta(minutes=10)
    history = History(
        last_attempt_period="2026-11-26",
        last_attempt_at=failed_at,
        consecutive_failures=6,  # 32 minutes of backoff
        last_failed=True,
    )
    decision = decide(daily("09:00"), TOKYO, SIX_HOURS, history, failed_at + timedelta(minutes=1))
    assert decision.state is PeriodState.MISSED


def test_a_disabled_job_is_never_due():
    decision = decide(daily("09:00"), TOKYO, SIX_HOURS, History(), NINE_TOKYO, active=False)
    assert decision.state is PeriodState.DISABLED
    assert not decision.due


@pytest.mark.parametrize(
    ("failures", "wait"), [(0, 0), (1, 1), (2, 2), (3, 4), (4, 8), (6, 32), (7, 60), (50, 60)]
)
def test_backoff_doubles_from_one_minute_and_is_capped_at_an_hour(failures, wait):
    assert backoff(failures) == timedelta(minutes=wait)


def test_a_grace_as_long_as_the_period_is_a_configuration_error():
    from ops_schedule.errors import ConfigError

    with pytest.raises(ConfigError, match=r'catchUpGrace\.daily: "24h" is not a catch-up grace'):
        parse_config({"catchUpGrace": {"daily": "24h"}}, {})


# --------------------------------------------------------------------------- property

ZONES = st.sampled_from([TOKYO, NEW_YORK, BERLIN, ZoneInfo("Australia/Lord_Howe")])
JOBS = st.one_of(
    st.builds(
        daily, st.sampled_from(["00:00", "01:30", "02:30", "09:00", "23:59", "03:00", "02:00"])
    ),
    st.builds(
        weekly,
        st.sampled_from(["00:00", "02:30", "09:10", "23:59"]),
        st.sampled_from(["Mon", "Wed", "Sun"]),
    ),
)


@settings(max_examples=60, deadline=None)
@given(
    job=JOBS,
    zone=ZONES,
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 1)),
    gaps=st.lists(st.integers(min_value=1, max_value=600), min_size=1, max_size=400),
    grace_hours=st.integers(min_value=1, max_value=23),
)
def test_any_increasing_ticks_run_at_most_once_per_period_and_never_miss_a_tick_in_grace(
    job, zone, start, gaps, grace_hours
):
    grace = timedelta(hours=grace_hours)
    ticks = []
    now = start.replace(tzinfo=UTC)
    for gap in gaps:
        now += timedelta(minutes=gap)
        ticks.append(now)
    runs = runs_over(job, zone, ticks, grace)
    keys = [key for key, _ in runs]
    assert len(keys) == len(set(keys)), "a period ran twice"
    # Every period with a tick inside [instant, instant + grace] ran.
    expected = set()
    for tick in ticks:
        slot = latest_slot(job, zone, tick)
        if tick - slot.scheduled <= grace:
            expected.add(slot.period_key)
    assert set(keys) == expected
