"""Hostile values in the event log: every line is read or skipped and counted, never fatal."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

import pytest
from event_fixtures import DAY, HOUR, T0, event, stamp, write_lines
from hostile_lines import hostile_lines
from reference_stats import reference_stats

from ops_schedule.config import ThresholdsConfig
from ops_schedule.reports.observability.analysis import build_report_data
from ops_schedule.reports.observability.contract import report_json
from ops_schedule.reports.observability.markdown import report_markdown
from ops_schedule.reports.observability.reader import collect_stats
from ops_schedule.reports.observability.reader.seek import stamp_of

WINDOWS = [(T0 - DAY, T0), (T0, T0 + DAY)]
CASES = hostile_lines(T0 + HOUR)


def collect(path):
    return collect_stats(path, WINDOWS, bucket=HOUR)


@pytest.mark.parametrize(("name", "line", "outcome"), CASES, ids=[c[0] for c in CASES])
def test_a_hostile_line_is_read_or_counted_as_malformed(tmp_path, name, line, outcome):
    clean = [event(T0 + HOUR, mcpName="github", durationMs=10)] * 3
    log = write_lines(tmp_path / "events.jsonl", [clean[0], line, *clean[1:]])
    _, current = collect(log)
    events = 3 + (outcome == "event")
    malformed = int(outcome == "malformed")
    assert (current.events, current.malformed) == (events, malformed)
    assert collect(log) == reference_stats(log, WINDOWS, bucket=HOUR)


@pytest.mark.parametrize(("name", "line", "outcome"), CASES, ids=[c[0] for c in CASES])
def test_a_hostile_line_in_a_compressed_segment_is_read_or_counted(tmp_path, name, line, outcome):
    clean = [event(T0 + HOUR)] * 2
    write_lines(tmp_path / "events.jsonl.1.gz", [line, *clean, line])
    log = write_lines(tmp_path / "events.jsonl", [line, event(T0 + 2 * HOUR), line])
    _, current = collect(log)
    assert current.events == 3 + 4 * (outcome == "event")
    assert current.malformed == 4 * (outcome == "malformed")


@pytest.mark.parametrize(("name", "line", "outcome"), CASES, ids=[c[0] for c in CASES])
def test_a_hostile_line_before_the_windows_leaves_the_circuit_search_alone(
    tmp_path, name, line, outcome
):
    hostile = line.replace(stamp(T0 + HOUR).encode(), stamp(T0 - 3 * DAY).encode())
    # Only lines that mention "circuit" are parsed before the windows: make every one do so.
    mention = hostile if b"circuit" in hostile else hostile.replace(b"}", b', "x": "circuit"}', 1)
    lines = [mention, event(T0 - 2 * DAY, metadata={"circuit": "open", "mcp": "slack"}), mention]
    lines += [event(T0 + HOUR)]
    _, current = collect(write_lines(tmp_path / "events.jsonl", lines))
    assert current.events == 1
    assert current.circuit["slack"].state == "open"


@pytest.mark.parametrize("text", ["9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00"])
def test_a_timestamp_that_leaves_the_calendar_in_utc_is_not_a_timestamp(text):
    assert stamp_of(json.dumps({"timestamp": text, "status": "ok"}).encode()) is None


def test_absurd_durations_count_the_call_but_not_its_duration(tmp_path):
    lines = [event(T0 + HOUR, mcpName="github", durationMs=1e308)] * 2
    lines += [event(T0 + HOUR, mcpName="github", durationMs=2**70)]
    lines += [event(T0 + HOUR, mcpName="github", durationMs=604_800_001)]  # over a week
    lines += [event(T0 + HOUR, mcpName="github", durationMs=604_800_000)]  # a week: kept
    lines += [event(T0 + HOUR, mcpName="github", durationMs=12.5)]
    _, current = collect(write_lines(tmp_path / "events.jsonl", lines))
    github = current.mcp["github"]
    assert (github.calls, github.duration_count) == (6, 2)
    assert github.mean_ms() == (604_800_000 + 12.5) / 2


def test_a_report_over_hostile_lines_is_strict_json_and_plain_markdown(tmp_path):
    lines = [event(T0 - 2 * DAY, metadata={"circuit": "open", "mcp": "old"})]
    lines += [event(T0 + HOUR, mcpName="github", durationMs=10)]
    lines += [line for _, line, _ in CASES] * 2
    previous, current = collect(write_lines(tmp_path / "events.jsonl", lines))
    data = build_report_data(current, previous, ThresholdsConfig(), bucket=HOUR)
    for name in ("Asia/Tokyo", "America/Los_Angeles", "Pacific/Kiritimati", "Etc/GMT+12"):
        zone = ZoneInfo(name)
        document = report_json(data, job="j", period="2026-11-25", locale="en", zone=zone)
        text = json.dumps(document, allow_nan=False)  # raises on Infinity or NaN
        assert json.loads(text)["totals"]["events"] == current.events
        markdown = report_markdown(
            data, cadence="daily", period="2026-11-25", locale="en", zone=zone
        )
        assert "inf ms" not in markdown
        assert "nan ms" not in markdown
