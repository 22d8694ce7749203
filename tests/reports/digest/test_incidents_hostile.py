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
from hostile_lines import HOSTILE_INCIDENTS, incident

from ops_schedule.errors import JobError
from ops_schedule.lines import MAX_LINE
from ops_schedule.reports.digest.incidents import parse_lines, read_incidents
from ops_schedule.reports.digest.markdown import digest_json, digest_markdown
from ops_schedule.reports.digest.rules import build_digest

END = datetime(2026, 11, 23, 0, 20, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "fields", "valid"), HOSTILE_INCIDENTS, ids=[h[0] for h in HOSTILE_INCIDENTS]
)
def test_a_hostile_record_is_read_or_counted_and_the_digest_renders(name, fields, valid):
    lines = [
        json.dumps(incident(incidentKey="clean")).encode(),
        json.dumps(incident(**fields)).encode(),
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
    loaded = parse_lines([line, json.dumps(incident()).encode()])
    assert (len(loaded.incidents), loaded.malformed, loaded.lines) == (1, 1, 2)


def test_a_line_longer_than_a_mebibyte_is_skipped_counted_and_never_held(tmp_path):
    path = tmp_path / "state.jsonl"
    huge = json.dumps(incident(summary="s" * (MAX_LINE + 10))).encode()
    path.write_bytes(
        b"\n".join([huge, json.dumps(incident(incidentKey="b")).encode(), huge]) + b"\n"
    )
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


def test_a_line_of_tens_of_megabytes_costs_no_more_memory_than_a_short_one(tmp_path):
    import tracemalloc

    path = tmp_path / "state.jsonl"
    with path.open("wb") as file:
        file.write(json.dumps(incident(incidentKey="a")).encode() + b"\n")
        file.write(b'{"summary": "' + b"s" * (40 << 20) + b'"}\n')
        file.write(json.dumps(incident(incidentKey="b")).encode() + b"\n")
    tracemalloc.start()
    try:
        loaded = read_incidents(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert ([i.key for i in loaded.incidents], loaded.malformed) == (["a", "b"], 1)
    assert peak < 8 * MAX_LINE  # a few blocks and lines at most, never the 40 MiB line
