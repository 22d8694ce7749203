from __future__ import annotations

import io
import json
import os
import random
import sys
import threading
import time
from datetime import timedelta, timezone
from pathlib import Path

import pytest
from event_fixtures import DAY, HOUR, MALFORMED, T0, event, random_lines, stamp, write_lines
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference_stats import reference_stats

from ops_schedule.redaction import build_redactor
from ops_schedule.reports.observability.reader import collect_stats
from ops_schedule.reports.observability.stats import CircuitTransition

WINDOWS = [(T0 - DAY, T0), (T0, T0 + DAY)]  # previous day, current day


SECOND = timedelta(seconds=1)


def collect(path: Path, windows=None, bucket=HOUR, **options):
    return collect_stats(path, windows or WINDOWS, bucket=bucket, **options)


def test_events_count_in_the_half_open_window_they_fall_in(tmp_path):
    log = write_lines(
        tmp_path / "events.jsonl",
        [
            event(T0 - DAY - timedelta(microseconds=1)),  # before both windows
            event(T0 - DAY),  # first instant of the previous window
            event(T0 - timedelta(milliseconds=1), "fail"),
            event(T0),  # first instant of the current window
            event(T0 + DAY - timedelta(milliseconds=1)),
            event(T0 + DAY),  # end of the current window: outside
        ],
    )
    previous, current = collect(log)
    assert (previous.events, previous.ok, previous.fail) == (2, 1, 1)
    assert (current.events, current.ok, current.fail) == (2, 2, 0)
    assert previous.malformed == current.malformed == 0


def test_per_mcp_calls_failures_and_durations_are_exact(tmp_path):
    durations = [*range(1, 20), 1000]  # p95 of 20 values is the 19th: 19
    lines = [event(T0 + HOUR, "ok", mcpName="github", durationMs=d) for d in durations]
    lines += [
        event(T0 + HOUR, "fail", mcpName="github"),  # a call without a duration
        event(T0 + HOUR, "ok", mcpName="slack", durationMs=-5),  # a negative duration is ignored
        event(T0 + HOUR, "ok", mcpName="slack", durationMs="12"),  # so is a string
        event(T0 + HOUR, "ok", durationMs=50),  # no MCP: counts in the totals only
    ]
    _, current = collect(write_lines(tmp_path / "events.jsonl", lines))
    github, slack = current.mcp["github"], current.mcp["slack"]
    assert (github.calls, github.failures, github.duration_count) == (21, 1, 20)
    assert github.p95_ms() == 19
    assert (slack.calls, slack.failures, slack.duration_count) == (2, 0, 0)
    assert slack.p95_ms() is None
    assert current.events == 24
    assert set(current.mcp) == {"github", "slack"}


def test_failures_group_by_error_type_with_the_earliest_message_redacted(tmp_path):
    lines = [
        event(T0 + 2 * HOUR, "fail", errorType="TimeoutError", errorMessage="second"),
        event(T0 + HOUR, "fail", errorType="TimeoutError", errorMessage="first: a@b.example"),
        event(T0 + HOUR, "fail", errorType="TimeoutError", errorMessage="same instant, later"),
        event(T0 + HOUR, "fail", errorType="TimeoutError"),  # no message: counted only
        event(T0 + HOUR, "fail", errorMessage="no type"),
        event(T0 + HOUR, "fail", errorType=""),
        event(T0 + HOUR, "ok", errorType="Ignored", errorMessage="ok events are not failures"),
    ]
    redactor = build_redactor()
    _, current = collect(write_lines(tmp_path / "events.jsonl", lines), redact=redactor.redact)
    assert {k: v.count for k, v in current.failures.items()} == {"TimeoutError": 4, "unknown": 2}
    assert current.failures["TimeoutError"].example == "first: [REDACTED]"
    assert current.failures["unknown"].example == "no type"


def test_chart_buckets_start_at_the_window_start_and_cover_it_all(tmp_path):
    start = T0 + timedelta(minutes=10)  # a window that does not start on the hour
    windows = [(start, start + 3 * HOUR)]
    lines = [event(start), event(start + HOUR - timedelta(seconds=1), "fail"), event(start + HOUR)]
    (stats,) = collect(write_lines(tmp_path / "events.jsonl", lines), windows)
    assert stats.buckets == {start: [2, 1], start + HOUR: [1, 0], start + 2 * HOUR: [0, 0]}


def test_a_window_that_is_not_a_whole_number_of_buckets_ends_with_a_short_bucket(tmp_path):
    windows = [(T0, T0 + 90 * timedelta(minutes=1))]
    log = write_lines(tmp_path / "events.jsonl", [event(T0 + timedelta(minutes=80))])
    (stats,) = collect(log, windows)
    assert stats.buckets == {T0: [0, 0], T0 + HOUR: [1, 0]}


def circuit(at, state, mcp="github"):
    return event(at, "ok", metadata={"circuit": state, "mcp": mcp})


def test_circuit_state_is_the_last_transition_before_each_window_end(tmp_path):
    lines = [
        circuit(T0 - 3 * DAY, "open", "slack"),  # long before: still open at both ends
        circuit(T0 - 2 * HOUR, "open"),
        circuit(T0 + HOUR, "half-open"),
        circuit(T0 + 2 * HOUR, "closed"),
        circuit(T0 + 3 * HOUR, "open"),
        circuit(T0 + 4 * HOUR, "half-open"),
        circuit(T0 + DAY - SECOND, "open", "notion"),
        circuit(T0 + DAY, "closed", "notion"),  # exactly at the end: the next window's
    ]
    previous, current = collect(write_lines(tmp_path / "events.jsonl", lines))
    assert previous.circuit == {
        "slack": CircuitTransition(T0 - 3 * DAY, "open"),
        "github": CircuitTransition(T0 - 2 * HOUR, "open"),
    }
    assert current.circuit["github"] == CircuitTransition(T0 + 4 * HOUR, "half-open")
    assert current.circuit["notion"] == CircuitTransition(T0 + DAY - SECOND, "open")
    assert previous.mcp["github"].circuit_open_count == 1
    assert current.mcp["github"].circuit_open_count == 1
    assert "slack" not in current.mcp  # no calls and no transition inside the window


def test_malformed_lines_are_skipped_counted_and_attributed_to_their_window(tmp_path):
    lines = [
        b"garbage before anything",  # goes with the first timed line: the previous window
        event(T0 - HOUR),
        b"",  # blank
        b"\xff\xfe not utf-8",
        event(T0 + HOUR, "unknown-status"),  # timed: counts where its timestamp falls
        b'{"status": "ok"}',  # no timestamp: goes with the line before it (current window)
        event(T0 + 2 * DAY),  # after both windows
        b"{not json",  # goes with the line before it: outside, so not counted
    ]
    previous, current = collect(write_lines(tmp_path / "events.jsonl", lines))
    assert (previous.events, previous.malformed) == (1, 3)
    assert (current.events, current.malformed) == (0, 2)


def test_a_line_the_proxy_is_still_writing_counts_as_malformed(tmp_path):
    log = write_lines(
        tmp_path / "events.jsonl",
        [event(T0 + HOUR), event(T0 + HOUR)[:25]],
        final=False,
    )
    _, current = collect(log)
    assert (current.events, current.malformed) == (1, 1)


def test_a_complete_last_line_without_a_newline_is_an_event(tmp_path):
    log = write_lines(tmp_path / "events.jsonl", [event(T0), event(T0 + HOUR)], final=False)
    assert collect(log)[1].events == 2


def test_crlf_line_endings_are_read(tmp_path):
    log = write_lines(tmp_path / "events.jsonl", [event(T0), b"", event(T0)], newline=b"\r\n")
    _, current = collect(log)
    assert (current.events, current.malformed) == (2, 1)


def test_offsets_other_than_z_are_converted_to_utc(tmp_path):
    tokyo = stamp(T0 - timedelta(seconds=1), tokyo=True)
    assert tokyo.endswith("+09:00")
    log = write_lines(
        tmp_path / "events.jsonl",
        [f'{{"timestamp": "{tokyo}", "status": "ok"}}'.encode()],
    )
    previous, current = collect(log)
    assert (previous.events, current.events) == (1, 0)


def test_a_missing_log_gives_empty_statistics_with_a_note(tmp_path):
    path = tmp_path / "nowhere" / "events.jsonl"
    previous, current = collect(path)
    assert previous.events == current.events == 0
    assert current.notes == [f"event log not found at {path}"]
    assert len(current.buckets) == 24


def test_an_empty_log_gives_empty_statistics_without_a_note(tmp_path):
    log = write_lines(tmp_path / "events.jsonl", [])
    assert [(s.events, s.malformed, s.notes) for s in collect(log)] == [(0, 0, []), (0, 0, [])]


def test_rotated_and_gzipped_segments_are_read_oldest_first(tmp_path):
    write_lines(tmp_path / "events.jsonl.3.gz", [circuit(T0 - HOUR, "open")])
    write_lines(tmp_path / "events.jsonl.2.gz", [circuit(T0 + HOUR, "half-open")])
    write_lines(tmp_path / "events.jsonl.1", [event(T0 + HOUR, "fail"), b"junk"])
    write_lines(tmp_path / "events.jsonl", [event(T0 + 2 * HOUR)])
    write_lines(tmp_path / "events.jsonl.old", [event(T0)])  # not a rotated segment
    previous, current = collect(tmp_path / "events.jsonl")
    assert (previous.events, current.events, current.fail, current.malformed) == (1, 3, 1, 1)
    assert current.circuit["github"].state == "half-open"


def test_a_segment_present_plain_and_compressed_is_read_once(tmp_path):
    write_lines(tmp_path / "events.jsonl.2", [event(T0)])
    write_lines(tmp_path / "events.jsonl.2.gz", [event(T0)])
    assert collect(tmp_path / "events.jsonl")[1].events == 1


def test_a_damaged_gz_segment_is_noted_and_the_rest_still_read(tmp_path):
    whole = write_lines(tmp_path / "events.jsonl.2.gz", [event(T0)] * 100).read_bytes()
    (tmp_path / "events.jsonl.2.gz").write_bytes(whole[: len(whole) // 2])
    write_lines(tmp_path / "events.jsonl", [event(T0 + HOUR)])
    _, current = collect(tmp_path / "events.jsonl")
    assert current.events >= 1
    assert any("events.jsonl.2.gz" in note for note in current.notes)


def test_an_overlong_line_is_skipped_without_holding_it(tmp_path):
    huge = b'{"timestamp": "' + b"x" * (3 << 20) + b'"}'
    log = write_lines(tmp_path / "events.jsonl", [event(T0), huge, event(T0)])
    _, current = collect(log)
    assert (current.events, current.malformed) == (2, 1)


def test_windows_must_not_overlap(tmp_path):
    with pytest.raises(ValueError, match="overlap"):
        collect(tmp_path / "events.jsonl", [(T0, T0 + DAY), (T0 + HOUR, T0 + 2 * DAY)])


def test_windows_with_a_gap_between_them_leave_the_gap_out(tmp_path):
    windows = [(T0 - DAY, T0 - HOUR), (T0, T0 + DAY)]
    log = write_lines(tmp_path / "events.jsonl", [event(T0 - HOUR), event(T0 - 1 * HOUR / 2)])
    assert [s.events for s in collect(log, windows)] == [0, 0]


@pytest.mark.parametrize("seed", range(6))
def test_the_reader_agrees_with_the_plain_reference_on_random_logs(tmp_path, seed):
    rng = random.Random(seed)
    start = T0 - 3 * DAY
    lines = random_lines(rng, 3000, start, 5 * DAY)
    cut1, cut2 = sorted(rng.sample(range(len(lines)), 2))
    write_lines(tmp_path / "events.jsonl.2.gz", lines[:cut1])
    write_lines(tmp_path / "events.jsonl.1", lines[cut1:cut2])
    write_lines(tmp_path / "events.jsonl", lines[cut2:], final=rng.random() < 0.5)
    redact = build_redactor().redact
    windows = [(T0 - DAY, T0), (T0, T0 + DAY)]
    expected = reference_stats(tmp_path / "events.jsonl", windows, bucket=HOUR, redact=redact)
    got = collect_stats(tmp_path / "events.jsonl", windows, bucket=HOUR, redact=redact)
    assert got == expected


def write_random_log(
    tmp_path, seed, *, malformed=0.03, count=3000, compress_oldest=True, newline=b"\n"
):
    rng = random.Random(seed)
    lines = random_lines(rng, count, T0 - 10 * DAY, 12 * DAY, malformed=malformed)
    cut1, cut2 = sorted(rng.sample(range(len(lines)), 2))
    oldest = "events.jsonl.2.gz" if compress_oldest else "events.jsonl.2"
    write_lines(tmp_path / oldest, lines[:cut1], newline=newline)
    write_lines(tmp_path / "events.jsonl.1", lines[cut1:cut2], newline=newline)
    live = tmp_path / "events.jsonl"
    write_lines(live, lines[cut2:], final=rng.random() < 0.5, newline=newline)
    return live


@pytest.mark.parametrize(
    ("seed", "malformed", "newline"),
    [(0, 0.03, b"\n"), (1, 0.03, b"\r\n"), (2, 0.3, b"\n"), (3, 0.6, b"\r\n"), (4, 0.0, b"\n")],
)
def test_seeking_and_workers_give_exactly_the_reference_numbers(
    tmp_path, small_pieces, seed, malformed, newline
):
    log = write_random_log(
        tmp_path, seed, malformed=malformed, compress_oldest=seed % 2 == 0, newline=newline
    )
    windows = [(T0 - DAY, T0), (T0, T0 + DAY)]
    expected = reference_stats(log, windows, bucket=HOUR)
    assert expected[1].events > 50
    assert collect_stats(log, windows, bucket=HOUR) == expected


@pytest.mark.parametrize("days", [-5, 12])  # before (within the circuit look-back), after
def test_a_log_entirely_outside_the_windows_gives_empty_statistics(tmp_path, small_pieces, days):
    rng = random.Random(days)
    lines = random_lines(rng, 2000, T0 + days * DAY, 3 * DAY)
    log = write_lines(tmp_path / "events.jsonl", lines)
    stats = collect(log)
    assert [(s.events, s.malformed) for s in stats] == [(0, 0), (0, 0)]
    assert stats == reference_stats(log, WINDOWS, bucket=HOUR)


def test_the_fast_path_really_seeks_and_splits_the_work(tmp_path, small_pieces):
    from ops_schedule.reports.observability.reader.collect import LOOKBACK, plan_tasks
    from ops_schedule.reports.observability.reader.segments import open_segments

    log = write_random_log(tmp_path, 7, compress_oldest=False)
    live = log.stat().st_size
    earliest, latest = WINDOWS[0][0], WINDOWS[-1][1]
    with open_segments(log) as segments:
        tasks = plan_tasks(
            segments,
            workers=2,
            folds=[(earliest, latest)],
            circuits=[(earliest - LOOKBACK, earliest)],
        )
    folded = sum(t.size for t in tasks if t.mode == "fold")
    total = sum(p.stat().st_size for p in tmp_path.iterdir())
    assert {t.mode for t in tasks} == {"fold", "circuits"}
    assert sum(1 for t in tasks if t.mode == "fold") > 10
    assert folded < total / 3  # two days of a twelve-day log, plus the margins
    assert live > 0


def test_lines_with_wild_timestamps_do_not_mislead_the_seek(tmp_path, small_pieces):
    rng = random.Random(11)
    lines = random_lines(rng, 3000, T0 - 10 * DAY, 12 * DAY, malformed=0)
    for position in range(len(lines) - 1, 0, -7):
        lines.insert(position, event(T0 - 3000 * DAY, "maybe"))
    for position in range(len(lines) - 1, 0, -11):
        lines.insert(position, event(T0 + 3000 * DAY, "maybe"))
    log = write_lines(tmp_path / "events.jsonl", lines)
    expected = reference_stats(log, WINDOWS, bucket=HOUR)
    assert expected[0].events > 100
    assert collect_stats(log, WINDOWS, bucket=HOUR) == expected


def test_circuit_transitions_older_than_the_look_back_are_not_searched_for(tmp_path, small_pieces):
    from ops_schedule.reports.observability.reader.collect import LOOKBACK

    first = T0 - DAY
    lines = [circuit(first - LOOKBACK - 2 * DAY, "open", "slack")]
    lines += [circuit(first - LOOKBACK + HOUR, "open", "notion")]
    lines += [event(first - 10 * DAY + i * HOUR) for i in range(12 * 24)]
    log = write_lines(tmp_path / "events.jsonl", sorted(lines, key=lambda x: x[:40]))
    previous, current = collect(log)
    assert set(previous.circuit) == set(current.circuit) == {"notion"}
    assert previous.events == 24


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_is_drawn_on_a_terminal_only_when_not_quiet(tmp_path, small_pieces, monkeypatch):
    log = write_random_log(tmp_path, 5)
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setattr(sys, "stdout", _Terminal())
    collect(log, quiet=True)
    assert terminal.getvalue() == ""
    collect(log, quiet=False)
    assert "reading events.jsonl" in terminal.getvalue()


def test_progress_stays_silent_when_stderr_is_not_a_terminal(tmp_path, small_pieces, capfd):
    collect(write_random_log(tmp_path, 5), quiet=False)
    assert capfd.readouterr().err == ""


def test_progress_stays_silent_when_stdout_is_not_a_terminal(tmp_path, small_pieces, monkeypatch):
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    collect(write_random_log(tmp_path, 5), quiet=False)
    assert terminal.getvalue() == ""


_OFFSETS = st.sampled_from([timedelta(0), timedelta(hours=9), timedelta(hours=-5)])
_MOMENTS = st.one_of(
    st.integers(-3 * 86_400_000, 3 * 86_400_000).map(lambda ms: timedelta(milliseconds=ms)),
    st.sampled_from([-DAY, timedelta(0), DAY]).flatmap(  # right at a window bound
        lambda bound: st.integers(-2, 2).map(lambda us: bound + timedelta(microseconds=us))
    ),
)
_FIELDS = st.fixed_dictionaries(
    {"status": st.sampled_from(["ok", "ok", "fail", "maybe"])},
    optional={
        "mcpName": st.sampled_from(["github", "slack", ""]),
        "durationMs": st.one_of(st.integers(-5, 3000), st.floats(0, 100), st.just("12")),
        "errorType": st.sampled_from(["TimeoutError", "", "Denied"]),
        "errorMessage": st.sampled_from(["boom", "", "mail a@b.example"]),
        "metadata": st.fixed_dictionaries(
            {"circuit": st.sampled_from(["open", "half-open", "closed", "stuck"])},
            optional={"mcp": st.sampled_from(["github", "slack"])},
        ),
    },
)


@st.composite
def _logs(draw):
    moments = sorted(draw(st.lists(_MOMENTS, min_size=0, max_size=60)))
    lines = []
    for moment in moments:
        if draw(st.integers(0, 9)) == 0:
            lines.append(draw(st.sampled_from(MALFORMED)))
            continue
        jitter = timedelta(seconds=draw(st.sampled_from([0, 0, -120, 7, 120])))  # < the margin
        zone = timezone(draw(_OFFSETS))
        stamp_text = (T0 + moment + jitter).astimezone(zone).isoformat()
        lines.append(json.dumps({"timestamp": stamp_text, **draw(_FIELDS)}).encode())
    return lines, draw(st.integers(0, len(lines))), draw(st.booleans())


@pytest.mark.property
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(log=_logs())
def test_any_small_log_gives_the_reference_numbers(tmp_path, small_pieces, log):
    lines, cut, final_newline = log
    for old in tmp_path.glob("events.jsonl*"):
        old.unlink()
    write_lines(tmp_path / "events.jsonl.1.gz", lines[:cut])
    path = write_lines(tmp_path / "events.jsonl", lines[cut:], final=final_newline)
    redact = build_redactor().redact
    expected = reference_stats(path, WINDOWS, bucket=HOUR, redact=redact)
    assert collect_stats(path, WINDOWS, bucket=HOUR, redact=redact) == expected


def _fail_in_worker(folder, index, task):
    raise OSError("disk on fire")


def _die_in_worker(folder, index, task):
    os._exit(3)


def test_a_failure_in_a_reader_process_is_raised_not_waited_for(
    tmp_path, small_pieces, monkeypatch
):
    from ops_schedule.reports.observability.reader import workers

    monkeypatch.setattr(workers, "run_task", _fail_in_worker)
    with pytest.raises(workers.WorkerError, match="disk on fire"):
        collect(write_random_log(tmp_path, 5, compress_oldest=False))


def test_a_reader_process_that_dies_is_noticed(tmp_path, small_pieces, monkeypatch):
    from ops_schedule.reports.observability.reader import workers

    monkeypatch.setattr(workers, "run_task", _die_in_worker)
    monkeypatch.setattr(workers, "POLL", 0.05)
    with pytest.raises(workers.WorkerError, match="died"):
        collect(write_random_log(tmp_path, 5, compress_oldest=False))


def test_with_other_threads_running_the_workers_still_give_exact_numbers(tmp_path, small_pieces):
    log = write_random_log(tmp_path, 9, compress_oldest=False)
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, daemon=True)
    thread.start()
    try:
        got = collect_stats(log, WINDOWS, bucket=HOUR)
    finally:
        stop.set()
        thread.join()
    assert got == reference_stats(log, WINDOWS, bucket=HOUR)


def _slow_first_task(folder, index, task):
    from ops_schedule.reports.observability.reader.tasks import run_task

    if index == 0:
        time.sleep(0.5)
    return run_task(folder, index, task)


def test_a_worker_that_finishes_early_is_not_taken_for_dead(tmp_path, small_pieces, monkeypatch):
    from ops_schedule.reports.observability.reader import workers

    monkeypatch.setattr(workers, "run_task", _slow_first_task)
    monkeypatch.setattr(workers, "POLL", 0.05)
    log = write_random_log(tmp_path, 6, compress_oldest=False)
    assert collect(log) == reference_stats(log, WINDOWS, bucket=HOUR)


def test_rotated_segments_older_than_the_look_back_are_not_even_read(tmp_path):
    (tmp_path / "events.jsonl.3.gz").write_bytes(b"not gzip at all")  # would add a note if read
    write_lines(tmp_path / "events.jsonl.2.gz", [event(T0 - 30 * DAY + i * HOUR) for i in range(5)])
    write_lines(tmp_path / "events.jsonl.1", [circuit(T0 - 3 * DAY, "open", "slack")])
    log = write_lines(tmp_path / "events.jsonl", [event(T0 + HOUR), b"junk"])
    previous, current = collect(log)
    assert (current.events, current.malformed, current.notes) == (1, 1, [])
    assert current.circuit["slack"].state == "open"
    assert previous.events == 0


@pytest.mark.parametrize("name", ["events.jsonl", "events.jsonl.1.gz"])
def test_an_overlong_line_across_many_reads_counts_once(tmp_path, monkeypatch, name):
    from ops_schedule import lines

    monkeypatch.setattr(lines, "BLOCK", 128)
    monkeypatch.setattr(lines, "MAX_LINE", 512)
    huge = b'{"timestamp": "' + b"y" * 2000 + b'"}'
    body = [event(T0 + HOUR), huge, event(T0 + HOUR), b"", huge, event(T0 + 2 * HOUR)]
    write_lines(tmp_path / name, body, final=False)
    _, current = collect(tmp_path / "events.jsonl")
    assert (current.events, current.malformed) == (3, 3)
