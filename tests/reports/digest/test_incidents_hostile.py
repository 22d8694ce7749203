"""Hostile incident state: every line is read or skipped and counted, never fatal; a path that
is not a regular file fails the digest at once instead of hanging it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ops_schedule.errors import JobError
from ops_schedule.lines import MAX_LINE
from ops_schedule.reports.digest.incidents import parse_lines, read_incidents
from ops_schedule.reports.digest.markdown import digest_json, digest_markdown
from ops_schedule.reports.digest.rules import build_digest

END = datetime(2026, 11, 23, 0, 20, tzinfo=UTC)


def record(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "incidentKey": "inc-1",
        "firstSeen": "2026-11-18T01:00:00Z",
        "lastSeen": "2026-11-18T02:00:00Z",
        "currentStatus": "resolved",
        "severity": "warn",
        "occurrenceCount": 3,
        "topReasons": ["timeout after 3012ms"],
        "affectedComponents": ["github"],
        "summary": "GitHub MCP slow",
    }
    return {**base, **fields}


# (name, fields, True when the record is valid and read)
HOSTILE = [
    ("incidentKey a list", {"incidentKey": ["a"]}, False),
    ("incidentKey an object", {"incidentKey": {"a": 1}}, False),
    ("incidentKey a number", {"incidentKey": 1e308}, False),
    ("firstSeen past year 9999 in UTC", {"firstSeen": "9999-12-31T23:59:59-01:00"}, False),
    ("firstSeen before year 1 in UTC", {"firstSeen": "0001-01-01T00:00:00+01:00"}, False),
    ("lastSeen past year 9999 in UTC", {"lastSeen": "9999-12-31T23:59:59-01:00"}, False),
    ("resolvedAt past year 9999 in UTC", {"resolvedAt": "9999-12-31T23:59:59-01:00"}, False),
    ("resolvedAt a number", {"resolvedAt": 1764028800}, False),
    ("firstSeen a list", {"firstSeen": ["2026-11-18T01:00:00Z"]}, False),
    ("firstSeen in year 1", {"firstSeen": "0001-01-01T00:00:00Z"}, False),
    ("a span of 8,000 years", {"firstSeen": "0002-01-01T00:00:00Z"}, True),
    ("currentStatus a list", {"currentStatus": ["resolved"]}, False),
    ("currentStatus an object", {"currentStatus": {"resolved": 1}}, False),
    ("severity a list", {"severity": ["warn"]}, False),
    ("occurrenceCount 1e308", {"occurrenceCount": 1e308}, False),
    ("occurrenceCount past 64 bits", {"occurrenceCount": 2**70}, False),
    ("occurrenceCount true", {"occurrenceCount": True}, False),
    ("occurrenceCount 2**64 - 1", {"occurrenceCount": 2**64 - 1}, True),
    ("topReasons a string", {"topReasons": "timeout"}, False),
    ("topReasons with an object", {"topReasons": [{"r": 1}]}, False),
    ("topReasons with a number", {"topReasons": [1e308]}, False),
    ("affectedComponents an object", {"affectedComponents": {"c": 1}}, False),
    ("summary a list", {"summary": ["s"]}, False),
    ("summary a number", {"summary": 5}, False),
    ("a reason of a megabyte", {"topReasons": ["x" * 1_000_000]}, True),
]


@pytest.mark.parametrize(("name", "fields", "valid"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_hostile_record_is_read_or_counted_and_the_digest_renders(name, fields, valid):
    lines = [
        json.dumps(record(incidentKey="clean")).encode(),
        json.dumps(record(**fields)).encode(),
    ]
    loaded = parse_lines(lines)
    assert (len(loaded.incidents), loaded.malformed) == ((2, 0) if valid else (1, 1))
    for zone in ("Asia/Tokyo", "America/Los_Angeles", "Pacific/Kiritimati", "Etc/GMT+12"):
        digest = build_digest(loaded.incidents, END, ZoneInfo(zone), loaded.malformed)
        document = digest_json(digest, "weekly_improvement_digest", "2026-W48", "en", zone)
        assert json.loads(json.dumps(document, allow_nan=False))["malformedLines"] == (not valid)
        assert "2026-W48" in digest_markdown(digest, "2026-W48", "en", ZoneInfo(zone))


@pytest.mark.parametrize(
    "line",
    [b"[" * 100_000 + b"]" * 100_000, b'{"incidentKey": "\\ud800"}', b"\x00", b"1e400", b"null"],
    ids=["deep", "lone surrogate", "NUL", "infinity", "null"],
)
def test_a_hostile_line_is_counted_as_malformed(line):
    loaded = parse_lines([line, json.dumps(record()).encode()])
    assert (len(loaded.incidents), loaded.malformed, loaded.lines) == (1, 1, 2)


def test_a_line_longer_than_a_mebibyte_is_skipped_counted_and_never_held(tmp_path):
    path = tmp_path / "state.jsonl"
    huge = json.dumps(record(summary="s" * (MAX_LINE + 10))).encode()
    path.write_bytes(b"\n".join([huge, json.dumps(record(incidentKey="b")).encode(), huge]) + b"\n")
    loaded = read_incidents(path)
    assert ([i.key for i in loaded.incidents], loaded.malformed, loaded.lines) == (["b"], 2, 3)
    assert loaded.problems == ("line 1: longer than 1 MiB", "line 3: longer than 1 MiB")


def test_a_fifo_at_the_incident_path_is_a_job_error_not_a_hang(tmp_path):
    path = tmp_path / "state.jsonl"
    os.mkfifo(path)
    with pytest.raises(JobError) as caught:
        read_incidents(path)
    assert str(caught.value) == f"cannot read incident data at {path}: not a regular file (a FIFO)"


@pytest.mark.slow
def test_the_digest_over_a_fifo_fails_at_once_with_one_line(tmp_path):
    os.mkfifo(tmp_path / "state.jsonl")
    config = {"sources": {"incidents": str(tmp_path / "state.jsonl")}, "stateDir": "state"}
    Path("ops.json").write_text(json.dumps(config), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "ops_schedule", "--config", "ops.json", "report", "digest"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr == (
        f"Error: cannot read incident data at {tmp_path / 'state.jsonl'}: "
        "not a regular file (a FIFO)\n"
    )
