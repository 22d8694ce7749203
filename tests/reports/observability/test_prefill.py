"""``loop`` fills the cache of partials ahead of the scheduled reports: the report then reads
only its last minutes from the log, and its numbers are those of a full read."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

from event_fixtures import DAY, T0, random_lines, write_lines
from reference_stats import reference_stats

from ops_schedule.config import Config, parse_config
from ops_schedule.reports.jobs import JOBS
from ops_schedule.reports.observability.job import BUCKETS, report_windows
from ops_schedule.reports.observability.prefill import EVERY, fill_partials
from ops_schedule.reports.observability.reader import collect_stats
from ops_schedule.scheduling.rules import next_scheduled

DAILY = "daily_observability_report"
WEEKLY = "weekly_observability_report"
HOUR = timedelta(hours=1)


def make_config(tmp_path: Path, *, weekly: bool = True, state: bool = True) -> Config:
    rng = random.Random(21)
    lines = random_lines(rng, 6000, T0 - 10 * DAY, 12 * DAY, disorder=timedelta(minutes=9))
    log = write_lines(tmp_path / "events.jsonl", lines)
    if state:
        (tmp_path / "state").mkdir()
    settings = {
        "enabled": True,
        "timezone": "Asia/Tokyo",
        "stateDir": str(tmp_path / "state"),
        "sources": {"events": str(log)},
        "jobs": {DAILY: {"enabled": True}, WEEKLY: {"enabled": weekly}},
    }
    return parse_config(settings, {})


def scheduled_report(config: Config, name: str, now: datetime):
    job = config.jobs.get(name)
    end = next_scheduled(job, config.zone, now)
    windows = report_windows(job, config.zone, end)
    cache = config.state_dir / "partials.sqlite3"
    stats = collect_stats(config.sources.events, windows, bucket=BUCKETS[job.cadence], cache=cache)
    assert stats == reference_stats(config.sources.events, windows, bucket=BUCKETS[job.cadence])
    return end


def test_after_a_fill_the_scheduled_report_reads_only_its_last_minutes(tmp_path, reads):
    config = make_config(tmp_path)
    now = T0 + timedelta(hours=23, minutes=37)  # 08:37 in Tokyo: the daily report runs at 09:00
    assert fill_partials(config, now, JOBS, {}) == [DAILY, WEEKLY]
    end = scheduled_report(config, DAILY, now)
    assert reads[-1] <= (end - now) / HOUR + 0.5  # the minutes since the fill, and the margin


def test_fills_are_spaced_and_skip_disabled_jobs_and_a_missing_state_directory(tmp_path):
    config = make_config(tmp_path, weekly=False)
    filled: dict[str, datetime] = {}
    now = T0 + 5 * HOUR
    assert fill_partials(config, now, JOBS, filled) == [DAILY]
    assert fill_partials(config, now + EVERY / 2, JOBS, filled) == []
    assert fill_partials(config, now + EVERY, JOBS, filled) == [DAILY]
    elsewhere = tmp_path / "other"
    elsewhere.mkdir()
    bare = make_config(elsewhere, state=False)
    assert fill_partials(bare, now, JOBS, {}) == []
    assert not (elsewhere / "state").exists()


def test_a_fill_never_changes_a_number(tmp_path, reads):
    config = make_config(tmp_path)
    filled: dict[str, datetime] = {}
    start = T0 + timedelta(hours=1, minutes=3)
    for step in range(0, 24 * 60, 37):  # fills through a day, then every report of the day
        fill_partials(config, start + timedelta(minutes=step), JOBS, filled)
    scheduled_report(config, DAILY, start + timedelta(hours=23))
    scheduled_report(config, WEEKLY, start + timedelta(hours=23))
