from __future__ import annotations

import json
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ops_schedule.errors import JobError
from ops_schedule.reports.digest.incidents import (
    Incident,
    IncidentDataNotFoundError,
    parse_lines,
    read_incidents,
)


def record(key: str = "inc-1", **fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "incidentKey": key,
        "firstSeen": "2026-11-18T01:00:00Z",
        "lastSeen": "2026-11-18T02:00:00Z",
        "currentStatus": "active",
        "severity": "warn",
        "occurrenceCount": 3,
        "topReasons": ["timeout after 3012ms"],
        "affectedComponents": ["github"],
        "summary": "GitHub MCP slow",
    }
    base.update(fields)
    return base


def write_lines(path: Path, *lines: object) -> Path:
    text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def test_it_reads_every_field_of_a_record(tmp_path):
    path = write_lines(tmp_path / "state.jsonl", record(resolvedAt="2026-11-18T03:00:00+09:00"))
    loaded = read_incidents(path)
    assert loaded.incidents == (
        Incident(
            key="inc-1",
            first_seen=datetime(2026, 11, 18, 1, tzinfo=UTC),
            last_seen=datetime(2026, 11, 18, 2, tzinfo=UTC),
            status="active",
            severity="warn",
            occurrence_count=3,
            top_reasons=("timeout after 3012ms",),
            affected_components=("github",),
            summary="GitHub MCP slow",
            resolved_at=datetime(2026, 11, 17, 18, tzinfo=UTC),
        ),
    )
    assert (loaded.lines, loaded.malformed) == (1, 0)


def test_the_last_record_of_an_incident_wins(tmp_path):
    path = write_lines(
        tmp_path / "state.jsonl",
        record("a", severity="info"),
        record("b"),
        record("a", severity="critical", currentStatus="resolved", occurrenceCount=9),
    )
    incidents = {i.key: i for i in read_incidents(path).incidents}
    assert sorted(incidents) == ["a", "b"]
    assert (incidents["a"].severity, incidents["a"].status) == ("critical", "resolved")
    assert incidents["a"].occurrence_count == 9


def test_a_malformed_last_record_does_not_replace_the_valid_one_before_it(tmp_path):
    path = write_lines(
        tmp_path / "state.jsonl", record("a", severity="info"), record("a", severity="fatal")
    )
    loaded = read_incidents(path)
    assert [i.severity for i in loaded.incidents] == ["info"]
    assert loaded.malformed == 1


def test_unknown_fields_are_ignored(tmp_path):
    path = write_lines(
        tmp_path / "state.jsonl", record(postedAt="2026-11-18T05:00:00Z", extra={"x": [1]})
    )
    loaded = read_incidents(path)
    assert len(loaded.incidents) == 1
    assert loaded.malformed == 0


def test_optional_fields_take_their_defaults(tmp_path):
    bare = {
        k: v
        for k, v in record().items()
        if k not in {"occurrenceCount", "topReasons", "affectedComponents", "summary"}
    }
    incident = read_incidents(write_lines(tmp_path / "s.jsonl", bare)).incidents[0]
    assert (incident.occurrence_count, incident.top_reasons, incident.summary) == (1, (), "")
    assert incident.affected_components == ()


def test_malformed_lines_are_skipped_and_counted_with_their_reasons(tmp_path):
    path = write_lines(
        tmp_path / "state.jsonl",
        record("good-1"),
        "",
        "   ",
        "{not json",
        "[1, 2]",
        record("missing-key", incidentKey=None),
        record("empty-key", incidentKey="  "),
        record("no-first-seen", firstSeen=None),
        record("bad-time", lastSeen="yesterday"),
        record("naive-time", firstSeen="2026-11-18T01:00:00"),
        record("number-time", lastSeen=1763427600),
        record("backwards", firstSeen="2026-11-18T03:00:00Z"),
        record("bad-status", currentStatus="closed"),
        record("bad-severity", severity="CRITICAL"),
        record("bad-count", occurrenceCount="3"),
        record("bool-count", occurrenceCount=True),
        record("negative-count", occurrenceCount=-1),
        record("bad-reasons", topReasons="timeout"),
        record("bad-components", affectedComponents=["github", 7]),
        record("bad-summary", summary=["x"]),
        record("bad-resolved", resolvedAt="soon"),
        record("good-2"),
    )
    loaded = read_incidents(path)
    assert [i.key for i in loaded.incidents] == ["good-1", "good-2"]
    assert loaded.lines == 22
    assert loaded.malformed == 20
    assert loaded.problems == (
        "line 2: blank line",
        "line 3: blank line",
        "line 4: not JSON",
        "line 5: not a JSON object",
        "line 6: incidentKey is missing or not a non-empty string",
    )


def test_a_line_that_is_not_utf8_is_counted_as_malformed():
    loaded = parse_lines([b'{"incidentKey": "\xff\xfe"}\n', json.dumps(record()).encode()])
    assert (len(loaded.incidents), loaded.malformed) == (1, 1)


def test_a_missing_file_says_where_it_looked(tmp_path):
    path = tmp_path / "nowhere" / "state.jsonl"
    with pytest.raises(IncidentDataNotFoundError) as raised:
        read_incidents(path)
    assert str(raised.value) == f"incident data not found at {path}"
    assert raised.value.path == path


def test_a_directory_in_place_of_the_file_is_an_error_not_a_skip(tmp_path):
    with pytest.raises(JobError, match="cannot read incident data at"):
        read_incidents(tmp_path)


def test_time_to_resolve_runs_from_first_seen_to_resolved_at():
    start = datetime(2026, 11, 18, 1, tzinfo=UTC)
    incident = Incident(
        key="a",
        first_seen=start,
        last_seen=start + timedelta(minutes=30),
        status="resolved",
        severity="warn",
        resolved_at=start + timedelta(minutes=45),
    )
    assert incident.time_to_resolve_minutes == 45.0


def test_time_to_resolve_falls_back_to_last_seen_and_is_none_while_unresolved():
    start = datetime(2026, 11, 18, 1, tzinfo=UTC)
    resolved = Incident("a", start, start + timedelta(minutes=30), "resolved", "warn")
    active = Incident("b", start, start + timedelta(minutes=30), "active", "warn")
    early = Incident("c", start, start, "resolved", "warn", resolved_at=start - timedelta(1))
    assert resolved.time_to_resolve_minutes == 30.0
    assert active.time_to_resolve_minutes is None
    assert early.time_to_resolve_minutes == 0.0


def test_memory_grows_with_incidents_not_with_lines():
    template = json.dumps(record("inc-KEY", occurrenceCount=12345678)).encode()

    def many_updates(lines: int):
        for n in range(lines):
            line = template.replace(b"KEY", b"%d" % (n % 10))
            yield line.replace(b"12345678", b"%d" % n)

    tracemalloc.start()
    try:
        loaded = parse_lines(many_updates(10_000))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(loaded.incidents) == 10
    assert loaded.incidents[9].occurrence_count == 9_999
    assert peak < 300_000  # 10,000 lines are 2.5 MB; ten incidents are a few KB
