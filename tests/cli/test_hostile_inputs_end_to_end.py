"""From outside: the installed command over inputs with one hostile line of each kind still
reports, and counts every clean event and incident it was given."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from event_fixtures import event, write_lines
from hostile_lines import HOSTILE_INCIDENTS, hostile_lines, incident

pytestmark = pytest.mark.slow

TOKYO = ZoneInfo("Asia/Tokyo")
CLEAN_EVENTS = 600
CLEAN_INCIDENTS = 5


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ops_schedule", "--config", "ops.json", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def strict_json(text: str) -> dict[str, object]:
    def refuse(name: str) -> object:
        raise AssertionError(f"{name} is not JSON")

    document = json.loads(text, parse_constant=refuse)
    assert isinstance(document, dict)
    return document


def schedule(at_local: datetime) -> tuple[str, datetime]:
    """A daily time of day twelve hours before now, and the instant it last fell on: far from
    now, so that `run --now` reports exactly the window that ends there."""
    now = datetime.now(TOKYO).replace(second=0, microsecond=0)
    local = at_local or now - timedelta(hours=12)
    return local.strftime("%H:%M"), local.astimezone(UTC)


@pytest.fixture
def hostile_workspace(tmp_path: Path) -> tuple[datetime, int, int]:
    """A log of clean events with every hostile line among them, and an incident file likewise;
    returns the window's end and how many hostile lines are events and malformed."""
    at, end = schedule(datetime.now(TOKYO).replace(second=0, microsecond=0) - timedelta(hours=12))
    start = end - timedelta(days=1)
    step = timedelta(days=1) / CLEAN_EVENTS
    clean = [
        event(start + i * step, "fail" if i % 9 == 0 else "ok", mcpName=f"mcp-{i % 4}",
              durationMs=i % 500, errorType="TimeoutError", errorMessage=f"call {i} timed out")
        for i in range(CLEAN_EVENTS)
    ]  # fmt: skip
    cases = hostile_lines(end - timedelta(hours=6))
    # Each after a clean line of the window: an untimed malformed line counts for the window of
    # the stamped line before it (docs/performance.md#what-is-counted).
    lines: list[bytes] = []
    for index, line in enumerate(clean):
        lines.append(line)
        if index >= CLEAN_EVENTS // 2 and index - CLEAN_EVENTS // 2 < len(cases):
            lines.append(cases[index - CLEAN_EVENTS // 2][1])
    lines.insert(len(lines) // 4, b'{"timestamp": "' + b"x" * (2 << 20) + b'"}')  # past 1 MiB
    write_lines(tmp_path / "logs" / "events.jsonl", lines)

    records = [incident(incidentKey=f"clean-{i}") for i in range(CLEAN_INCIDENTS)]
    hostile = [
        {**incident(incidentKey=f"hostile-{name}"), **fields}
        for name, fields, _ in HOSTILE_INCIDENTS
    ]
    incident_lines = [json.dumps(r).encode() for r in records + hostile]
    incident_lines.insert(2, json.dumps(incident(summary="s" * (3 << 20))).encode())  # past 1 MiB
    write_lines(tmp_path / "incidents.jsonl", incident_lines)

    config = {
        "enabled": True,
        "timezone": "Asia/Tokyo",
        "stateDir": "state",
        "outputDir": "reports",
        "sources": {"events": "logs/events.jsonl", "incidents": "incidents.jsonl"},
        "jobs": {"daily_observability_report": {"enabled": True, "at": at}},
    }
    Path("ops.json").write_text(json.dumps(config), encoding="utf-8")
    events = sum(outcome == "event" for _, _, outcome in cases)
    malformed = sum(outcome == "malformed" for _, _, outcome in cases) + 1  # the long line
    return end, events, malformed


def test_the_daily_report_over_hostile_lines_counts_every_clean_event(hostile_workspace):
    end, hostile_events, malformed = hostile_workspace
    shown = cli("report", "daily", "--at", end.isoformat(), "--format", "json")
    assert shown.returncode == 0, shown.stderr
    totals = strict_json(shown.stdout)["totals"]
    assert isinstance(totals, dict)
    assert totals["events"] == CLEAN_EVENTS + hostile_events
    assert totals["malformedLines"] == malformed
    hostile_fails = sum(
        outcome == "event" and b'"status": "fail"' in line
        for _, line, outcome in hostile_lines(end - timedelta(hours=6))
    )
    assert totals["fail"] == len(range(0, CLEAN_EVENTS, 9)) + hostile_fails

    ran = cli("run", "--now")
    assert ran.returncode == 0, ran.stderr
    assert "Traceback" not in ran.stderr
    [archive] = Path("reports/daily_observability_report").glob("*.json")
    assert strict_json(archive.read_text("utf-8"))["totals"] == totals
    markdown = archive.with_suffix(".md").read_text("utf-8")
    assert "inf ms" not in markdown
    assert "nan ms" not in markdown
    status = cli("status", "--json")
    assert status.returncode == 0, status.stderr
    assert '"lastStatus": "ok"' in status.stdout


def test_the_digest_over_hostile_records_counts_every_clean_incident(hostile_workspace):
    shown = cli("report", "digest", "--at", "2026-11-23T09:20", "--format", "json")
    assert shown.returncode == 0, shown.stderr
    digest = strict_json(shown.stdout)
    still_valid = sum(valid for _, _, valid in HOSTILE_INCIDENTS)
    assert digest["malformedLines"] == len(HOSTILE_INCIDENTS) - still_valid + 1
    assert digest["summary"]["totalIncidents"] == CLEAN_INCIDENTS + still_valid  # type: ignore[index]


@pytest.mark.parametrize("kind", ["directory", "fifo", "dangling symlink"])
def test_a_non_file_at_the_log_path_fails_the_run_in_one_line(hostile_workspace, kind):
    log = Path("logs/events.jsonl")
    log.unlink()
    if kind == "directory":
        log.mkdir()
    elif kind == "fifo":
        os.mkfifo(log)
    else:
        log.symlink_to("gone.jsonl")
    described = {"directory": "a directory", "fifo": "a FIFO"}.get(
        kind, "a symbolic link to a missing file"
    )
    ran = cli("--quiet", "run", "--now")
    assert ran.returncode == 1
    assert (
        f"  error: cannot read the event log logs/events.jsonl: not a regular file ({described})\n"
        in ran.stdout
    )
    assert "Traceback" not in ran.stdout + ran.stderr
    status = cli("status", "--json")
    assert '"lastStatus": "fail"' in status.stdout
