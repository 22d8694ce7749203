"""The cache of partials: a warm reading equals a cold one and an independent full read.

Every test runs a realistic sequence (daily reports, then a weekly one) against a cache on the
real filesystem, changes the log the way production does between or during the readings, and
compares three results: with the cache, without it, and ``reference_stats``. A spy on the
reading's plan proves that the cache was actually used where it should be.
"""

from __future__ import annotations

import gzip
import json
import multiprocessing
import os
import random
import shutil
import signal
import sqlite3
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from event_fixtures import DAY, HOUR, T0, event, random_lines, write_lines
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference_stats import reference_stats

from ops_schedule.reports.observability.reader import cached, collect_stats
from ops_schedule.reports.observability.reader.cache import PartialCache

MINUTE = timedelta(minutes=1)


def daily(end: datetime) -> list[tuple[datetime, datetime]]:
    return [(end - 2 * DAY, end - DAY), (end - DAY, end)]


def weekly(end: datetime) -> list[tuple[datetime, datetime]]:
    return [(end - 14 * DAY, end - 7 * DAY), (end - 7 * DAY, end)]


def same_three_ways(log: Path, windows, bucket, cache: Path) -> None:
    warm = collect_stats(log, windows, bucket=bucket, cache=cache)
    cold = collect_stats(log, windows, bucket=bucket)
    assert warm == cold
    assert cold == reference_stats(log, windows, bucket=bucket)


def write_log(directory: Path, seed: int, *, disorder=timedelta(seconds=30)) -> Path:
    """Twelve days of random lines ending two days after T0, in three segments."""
    rng = random.Random(seed)
    lines = random_lines(rng, 4000, T0 - 10 * DAY, 12 * DAY, malformed=0.05, disorder=disorder)
    cut1, cut2 = sorted(rng.sample(range(len(lines)), 2))
    write_lines(directory / "events.jsonl.2.gz", lines[:cut1])
    write_lines(directory / "events.jsonl.1", lines[cut1:cut2])
    return write_lines(directory / "events.jsonl", lines[cut2:], final=rng.random() < 0.5)


@pytest.mark.parametrize("minutes", [0, 10, 30, 45, 17])  # 09:10 Tokyo, +05:30, +05:45 days
@pytest.mark.parametrize("seed", [1, 2])
def test_daily_then_weekly_readings_are_exact_and_the_weekly_reads_nothing_twice(
    tmp_path, small_pieces, reads, seed, minutes
):
    log = write_log(tmp_path, seed, disorder=timedelta(minutes=9))  # within the margin
    cache = tmp_path / "state" / "partials.sqlite3"
    cache.parent.mkdir()
    offset = minutes * MINUTE
    for day in range(-6, 1):
        same_three_ways(log, daily(T0 + day * DAY + offset), HOUR, cache)
    assert reads[0] == 48  # the first daily reading: both days
    assert all(hours == 24 for hours in reads[1:7])  # each later one: only its own day
    same_three_ways(log, weekly(T0 + offset), DAY, cache)
    same_three_ways(log, weekly(T0 + offset), DAY, cache)
    assert reads[7] == 24 * 6  # the previous week, but for its last day (the first daily read it)
    assert reads[8] == 0  # the same week again: nothing at all from the log


def test_a_deleted_or_damaged_cache_costs_a_reading_never_a_number(tmp_path, small_pieces, reads):
    log = write_log(tmp_path, 3)
    cache = tmp_path / "partials.sqlite3"
    end = T0 + 10 * MINUTE
    same_three_ways(log, daily(end), HOUR, cache)
    cache.unlink()
    same_three_ways(log, daily(end), HOUR, cache)
    assert reads[1] == 48
    cache.write_bytes(b"not a database at all " * 100)
    same_three_ways(log, daily(end), HOUR, cache)
    assert reads[2] == 48
    with sqlite3.connect(cache) as db:  # a stored partial damaged inside a valid database
        db.execute("UPDATE spans SET data = x'00ff00'")
    same_three_ways(log, daily(end), HOUR, cache)
    assert reads[3] == 48
    same_three_ways(log, daily(end), HOUR, cache)
    assert reads[4] == 0
    assert oct(cache.stat().st_mode & 0o777) == "0o600"  # it holds raw failure messages


def test_rotation_renames_and_compresses_and_the_cached_hours_follow(tmp_path, small_pieces, reads):
    rng = random.Random(4)
    lines = random_lines(rng, 3000, T0 - 4 * DAY, 4 * DAY + 6 * HOUR, malformed=0.03)
    live = write_lines(tmp_path / "events.jsonl", lines)
    cache = tmp_path / "partials.sqlite3"
    end = T0 + 10 * MINUTE
    same_three_ways(live, daily(end), HOUR, cache)
    # logrotate: the live file becomes .1 (same inode), then .1 is compressed to .2.gz
    live.rename(tmp_path / "events.jsonl.1")
    write_lines(tmp_path / "events.jsonl", [event(T0 + 7 * HOUR, mcpName="github")] * 5)
    same_three_ways(live, daily(end), HOUR, cache)
    assert reads[1] == 0
    with (tmp_path / "events.jsonl.1").open("rb") as plain:
        (tmp_path / "events.jsonl.2.gz").write_bytes(gzip.compress(plain.read()))
    (tmp_path / "events.jsonl.1").unlink()
    same_three_ways(live, daily(end), HOUR, cache)
    assert reads[2] == 0  # found again by its content, compressed under another name
    same_three_ways(live, daily(end + DAY), HOUR, cache)
    assert reads[3] == 24


def test_copytruncate_keeps_what_was_copied_and_rereads_what_changed(tmp_path, small_pieces, reads):
    rng = random.Random(5)
    lines = random_lines(rng, 3000, T0 - 3 * DAY, 3 * DAY + 4 * HOUR, malformed=0.03)
    live = write_lines(tmp_path / "events.jsonl", lines)
    cache = tmp_path / "partials.sqlite3"
    end = T0 + 10 * MINUTE
    same_three_ways(live, daily(end), HOUR, cache)
    shutil.copyfile(live, tmp_path / "events.jsonl.1")  # copy, then truncate in place
    with live.open("r+b") as handle:
        handle.truncate(0)
    write_lines(live, random_lines(rng, 200, T0 + 4 * HOUR, 4 * HOUR, malformed=0.03))
    same_three_ways(live, daily(end), HOUR, cache)
    assert reads[1] == 0
    # Someone rewrites the copy: its hours are read again, and the numbers follow the file.
    copy = tmp_path / "events.jsonl.1"
    copy.write_bytes(b"\n".join(random_lines(rng, 2000, T0 - 2 * DAY, 2 * DAY)) + b"\n")
    same_three_ways(live, daily(end), HOUR, cache)
    assert reads[2] == 48


def test_lines_appended_while_reading_are_counted_by_the_next_reading(
    tmp_path, small_pieces, monkeypatch
):
    rng = random.Random(6)
    start = T0 - 2 * DAY
    lines = random_lines(rng, 3000, start, 2 * DAY + 2 * HOUR, malformed=0.03)
    live = write_lines(tmp_path / "events.jsonl", lines)
    cache = tmp_path / "partials.sqlite3"
    planned = cached.plan_tasks
    tail = T0 + 2 * HOUR

    def plan_then_append(segments, **options):
        tasks = planned(segments, **options)
        late = [event(tail - 9 * MINUTE + n * MINUTE, mcpName="slack") for n in range(20)]
        with live.open("ab") as handle:  # up to nine minutes out of order: within the margin
            handle.write(b"\n".join(late) + b"\n")
        return tasks

    monkeypatch.setattr(cached, "plan_tasks", plan_then_append)
    end = T0 + 2 * HOUR + 30 * MINUTE  # the window holds the tail of the log
    collect_stats(live, daily(end), bucket=HOUR, cache=cache)
    monkeypatch.setattr(cached, "plan_tasks", planned)
    same_three_ways(live, daily(end), HOUR, cache)
    assert collect_stats(live, daily(end), bucket=HOUR, cache=cache)[1].mcp["slack"].calls >= 20


def test_hours_near_the_end_of_the_log_are_not_cached_until_no_line_can_join_them(tmp_path):
    lines = [event(T0 - HOUR + n * MINUTE) for n in range(60)]
    live = write_lines(tmp_path / "events.jsonl", lines)
    cache = tmp_path / "partials.sqlite3"
    collect_stats(live, daily(T0 + HOUR), bucket=HOUR, cache=cache)
    with sqlite3.connect(cache) as db:
        ends = [row[0] for row in db.execute('SELECT "end" FROM spans WHERE full = 1')]
    last_line = T0 - MINUTE
    settled = last_line - timedelta(minutes=10)
    assert ends
    assert max(ends) <= settled.timestamp()


def _daily_readings(log: str, cache: str, seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(6):
        end = T0 + rng.randrange(-5, 1) * DAY + 10 * MINUTE
        collect_stats(Path(log), daily(end), bucket=HOUR, cache=Path(cache))


def test_processes_filling_one_cache_at_once_leave_it_exact(tmp_path):
    log = write_log(tmp_path, 7)
    cache = tmp_path / "partials.sqlite3"
    context = multiprocessing.get_context("fork")
    workers = [
        context.Process(target=_daily_readings, args=(str(log), str(cache), seed))
        for seed in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [worker.exitcode for worker in workers] == [0, 0, 0, 0]
    for day in range(-5, 1):
        same_three_ways(log, daily(T0 + day * DAY + 10 * MINUTE), HOUR, cache)
    same_three_ways(log, weekly(T0 + 10 * MINUTE), DAY, cache)


def _fill_forever(log: str, cache: str) -> None:
    day = 0
    while True:
        # A new, empty cache file each round, so the kill can land in any write.
        Path(cache).unlink(missing_ok=True)
        end = T0 - (day % 6) * DAY + 10 * MINUTE
        collect_stats(Path(log), weekly(end), bucket=DAY, cache=Path(cache))
        day += 1


def test_a_reading_killed_while_it_writes_the_cache_leaves_nothing_wrong(tmp_path):
    log = write_log(tmp_path, 8)
    cache = tmp_path / "partials.sqlite3"
    context = multiprocessing.get_context("fork")
    rng = random.Random(8)
    for _ in range(5):
        writer = context.Process(target=_fill_forever, args=(str(log), str(cache)))
        writer.start()
        time.sleep(rng.uniform(0.05, 0.6))
        os.kill(writer.pid, signal.SIGKILL)
        writer.join(10)
        assert writer.exitcode == -signal.SIGKILL
        same_three_ways(log, weekly(T0 + 10 * MINUTE), DAY, cache)
        same_three_ways(log, daily(T0 + 10 * MINUTE), HOUR, cache)


def test_windows_the_cache_cannot_cut_are_read_whole_with_the_same_numbers(tmp_path, reads):
    log = write_log(tmp_path, 9)
    cache = tmp_path / "partials.sqlite3"
    odd = T0 + timedelta(minutes=10, seconds=7)  # report --at with seconds
    same_three_ways(log, daily(odd), HOUR, cache)
    same_three_ways(log, daily(T0), timedelta(seconds=90), cache)  # buckets of 90 seconds
    assert reads == []  # neither went through the cache
    assert PartialCache.open(cache) is not None


def test_an_unwritable_state_directory_only_costs_the_cache(tmp_path, reads):
    log = write_log(tmp_path, 10)
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the state directory should be")
    same_three_ways(log, daily(T0), HOUR, blocked / "partials.sqlite3")
    assert reads == []


_FIELDS = st.fixed_dictionaries(
    {"status": st.sampled_from(["ok", "ok", "fail", "maybe"])},
    optional={
        "mcpName": st.sampled_from(["github", "slack"]),
        "durationMs": st.one_of(st.integers(-5, 3000), st.floats(0, 100), st.just(12.0)),
        "errorType": st.sampled_from(["TimeoutError", ""]),
        "errorMessage": st.sampled_from(["boom", "", "later"]),
        "metadata": st.fixed_dictionaries(
            {"circuit": st.sampled_from(["open", "half-open", "closed"])},
            optional={"mcp": st.sampled_from(["github", "slack"])},
        ),
    },
)


@st.composite
def _history(draw):
    """A log written in two instalments, and report ends (on whole minutes) after each."""
    minutes = sorted(draw(st.lists(st.integers(-4 * 1440, 2 * 1440), max_size=80)))
    lines = []
    for minute in minutes:
        if draw(st.integers(0, 9)) == 0:
            lines.append(draw(st.sampled_from([b"", b"{", b'{"status":"ok"}', b"\xff"])))
            continue
        jitter = timedelta(seconds=draw(st.integers(-300, 300)))  # inside the margin
        at = T0 + minute * MINUTE + jitter
        lines.append(json.dumps({"timestamp": at.isoformat(), **draw(_FIELDS)}).encode())
    cut = draw(st.integers(0, len(lines)))
    ends = st.integers(-3 * 1440, 2 * 1440).map(lambda m: T0 + m * MINUTE)
    first = draw(st.lists(st.tuples(ends, st.booleans()), min_size=1, max_size=4))
    second = draw(st.lists(st.tuples(ends, st.booleans()), min_size=1, max_size=4))
    return lines[:cut], lines[cut:], first, second


@pytest.mark.property
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=_history())
def test_any_history_of_readings_with_one_cache_gives_the_reference_numbers(
    tmp_path, small_pieces, history
):
    before, after, first, second = history
    for old in tmp_path.glob("*"):
        old.unlink()
    cache = tmp_path / "partials.sqlite3"
    log = write_lines(tmp_path / "events.jsonl", before)
    for readings in (first, second):
        for end, is_daily in readings:
            windows, bucket = (daily(end), HOUR) if is_daily else (weekly(end), DAY)
            expected = reference_stats(log, windows, bucket=bucket)
            assert collect_stats(log, windows, bucket=bucket, cache=cache) == expected
        with log.open("ab") as handle:  # the proxy goes on writing
            handle.write(b"".join(line + b"\n" for line in after))
        after = []


@pytest.mark.parametrize("kind", ["directory", "fifo", "symlink"])
def test_something_else_at_the_cache_path_is_left_alone(tmp_path, reads, kind):
    log = write_log(tmp_path, 11)
    cache = tmp_path / "partials.sqlite3"
    if kind == "directory":
        cache.mkdir()
    elif kind == "fifo":
        os.mkfifo(cache)
    else:
        cache.symlink_to(tmp_path / "elsewhere.sqlite3")
    same_three_ways(log, daily(T0), HOUR, cache)
    assert reads == []
    assert cache.is_symlink() if kind == "symlink" else cache.exists()
    assert not (tmp_path / "elsewhere.sqlite3").exists()


def test_a_missing_state_directory_is_not_created_for_the_cache(tmp_path, reads):
    log = write_log(tmp_path, 12)
    same_three_ways(log, daily(T0), HOUR, tmp_path / "state" / "partials.sqlite3")
    assert reads == []
    assert not (tmp_path / "state").exists()


def test_spans_whose_chart_buckets_do_not_fit_a_report_are_not_used_for_it(
    tmp_path, small_pieces, reads
):
    log = write_log(tmp_path, 13)
    cache = tmp_path / "partials.sqlite3"
    at_ten = T0 + 10 * MINUTE
    same_three_ways(log, daily(at_ten), HOUR, cache)
    same_three_ways(log, daily(at_ten), HOUR, cache)
    assert reads[-1] == 0
    # The same days seen from 09:20: hourly buckets from :20 split the cached hours at :10.
    same_three_ways(log, daily(at_ten + 10 * MINUTE), HOUR, cache)
    assert reads[-1] >= 47
    # A weekly report at 09:10 fits the grid of the daily ones: the cached days serve it.
    same_three_ways(log, weekly(at_ten + 7 * DAY), DAY, cache)
    assert reads[-1] <= 7 * 24 * 2 - 47


def test_windows_a_half_hour_dst_shift_puts_off_the_hourly_grid_are_read_whole(tmp_path, reads):
    log = write_log(tmp_path, 14)
    cache = tmp_path / "partials.sqlite3"
    end = T0 + 10 * MINUTE
    windows = [(end - 2 * DAY - 30 * MINUTE, end - DAY), (end - DAY, end)]  # 24.5 h and 24 h
    warm = collect_stats(log, windows, bucket=HOUR, cache=cache)
    assert warm == reference_stats(log, windows, bucket=HOUR)
    assert reads == []


def test_a_cache_written_by_another_version_is_started_afresh(tmp_path, small_pieces, reads):
    log = write_log(tmp_path, 15)
    cache = tmp_path / "partials.sqlite3"
    with sqlite3.connect(cache) as db:  # an older layout, with a span that must not be used
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.execute("INSERT INTO meta VALUES ('format', '0')")
        db.execute('CREATE TABLE spans (start INTEGER, "end" INTEGER, data BLOB)')
        db.execute("INSERT INTO spans VALUES (0, 1, x'00')")
    end = T0 + 10 * MINUTE
    same_three_ways(log, daily(end), HOUR, cache)
    same_three_ways(log, daily(end), HOUR, cache)
    assert reads[-1] == 0  # the second reading found what the first one cached


def test_a_live_file_just_rotated_and_still_empty_does_not_stop_the_caching(
    tmp_path, small_pieces, reads
):
    rng = random.Random(16)
    lines = random_lines(rng, 2000, T0 - 3 * DAY, 3 * DAY + 4 * HOUR, malformed=0.03)
    write_lines(tmp_path / "events.jsonl.1", lines)
    live = write_lines(tmp_path / "events.jsonl", [])
    cache = tmp_path / "partials.sqlite3"
    end = T0 + 10 * MINUTE
    same_three_ways(live, daily(end), HOUR, cache)
    same_three_ways(live, daily(end), HOUR, cache)
    assert reads == [48, 0]


def test_a_report_far_ahead_of_the_log_does_not_empty_the_cache(tmp_path, small_pieces, reads):
    log = write_log(tmp_path, 17)
    cache = tmp_path / "partials.sqlite3"
    end = T0 + 10 * MINUTE
    same_three_ways(log, daily(end), HOUR, cache)
    same_three_ways(log, daily(end + 400 * DAY), HOUR, cache)  # `report --at` a year ahead
    same_three_ways(log, daily(end), HOUR, cache)
    assert reads[-1] == 0  # what the first reading cached is still there


def test_every_hostile_line_gives_the_same_numbers_through_the_cache(tmp_path, small_pieces, reads):
    from hostile_lines import hostile_lines

    end = T0 + 10 * MINUTE
    cases = hostile_lines(end - 5 * HOUR)
    clean = [event(end - 5 * HOUR + n * MINUTE, mcpName="github", durationMs=n) for n in range(9)]
    lines = [
        line for pair in zip(clean, (case[1] for case in cases), strict=False) for line in pair
    ]
    lines += [case[1] for case in cases[len(clean) :]]
    # The log goes on after them; its last lines are ordinary (a wild stamp there would only
    # make the cache keep less).
    tail = [event(end + DAY + n * MINUTE, mcpName="late") for n in range(4)]
    log = write_lines(tmp_path / "events.jsonl", [*lines, *tail])
    cache = tmp_path / "partials.sqlite3"
    same_three_ways(log, daily(end), HOUR, cache)
    same_three_ways(log, daily(end), HOUR, cache)
    same_three_ways(log, weekly(end), DAY, cache)
    assert reads[1] == 0  # the second daily reading came from the cache, hostile lines and all


@pytest.mark.parametrize(
    "segments", [b'[[-1, "ab", 0]]', b'[[999999, "ab", 0]]', b'{"a": 1}', b"[[1, 2]]", b"null"]
)
def test_a_damaged_source_record_makes_its_spans_read_again(
    tmp_path, small_pieces, reads, segments
):
    log = write_log(tmp_path, 18)
    cache = tmp_path / "partials.sqlite3"
    end = T0 + 10 * MINUTE
    same_three_ways(log, daily(end), HOUR, cache)
    with sqlite3.connect(cache) as db:
        db.execute("UPDATE sources SET segments = ?", (segments,))
    same_three_ways(log, daily(end), HOUR, cache)
    assert reads[-1] == 48
