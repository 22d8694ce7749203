"""Fuzz targets: every reader of bytes, fed arbitrary bytes, and what it must never do.

Each target takes one input and runs it through a reader the way the program does, then on
through what uses the result (statistics, rendering, scheduling decisions), so that a value that
is read but breaks a later step is caught too. A target returns when the input is handled as
documented (read, skipped and counted, or refused with the documented error) and raises on
anything else: an unexpected exception, or a broken invariant (an ``AssertionError``).

They are driven three ways: by Hypothesis over structured inputs (tests/fuzz/test_fuzz.py), by
atheris over raw bytes (tests/fuzz/run.py, `make fuzz`), and by the replay of the corpus of
inputs found so far (tests/fuzz/corpus/<target>/, tests/fuzz/test_corpus.py).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from ops_schedule.config import ThresholdsConfig, load_config, parse_config
from ops_schedule.errors import ConfigError, StateError
from ops_schedule.reports.digest.incidents import parse_lines
from ops_schedule.reports.digest.markdown import digest_json, digest_markdown
from ops_schedule.reports.digest.rules import build_digest
from ops_schedule.reports.observability.analysis import build_report_data
from ops_schedule.reports.observability.contract import report_json
from ops_schedule.reports.observability.markdown import report_markdown
from ops_schedule.reports.observability.reader.fold import Folder, Plan
from ops_schedule.reports.observability.reader.gunzip import Gunzip
from ops_schedule.reports.observability.reader.seek import stamp_of
from ops_schedule.scheduling.status import job_statuses
from ops_schedule.service.heartbeat import Heartbeat, judge, read_heartbeat
from ops_schedule.store.file import JsonStateStore
from ops_schedule.store.records import parse_state

NOW = datetime(2026, 11, 26, 0, 5, tzinfo=UTC)
DAY = timedelta(days=1)
ZONES = tuple(ZoneInfo(name) for name in ("Asia/Tokyo", "Etc/GMT+12", "Pacific/Kiritimati"))
# The daily report's two windows, plus how the fuzzed lines tend to be stamped (generators and
# seeds use 2026-11-25): the hot path and the window bounds both get exercised.
WINDOWS = [(NOW - 2 * DAY, NOW - DAY), (NOW - DAY, NOW)]
PLAN = Plan.build(WINDOWS, timedelta(hours=1))
CONFIG = parse_config(
    {"enabled": True, "jobs": {"daily_observability_report": {"enabled": True}}}, {}
)


def _strict_json(document: object) -> None:
    json.dumps(document, allow_nan=False, ensure_ascii=False).encode("utf-8")


def event_lines(data: bytes) -> None:
    """The event reader's per-line work on the lines of ``data``, then the whole report."""
    lines = data.split(b"\n")
    for line in lines:
        at = stamp_of(line)
        assert at is None or at.tzinfo is UTC
    folder = Folder(PLAN)
    folder.begin(0)
    half = len(lines) // 2
    folder.feed(lines[:half])
    folder.feed(lines[half:])
    folder.circuits_only(lines)
    folder.settle([folder.boundary()])
    previous, current = folder.stats()
    counted = sum(s.events + s.malformed for s in (previous, current))
    assert counted <= len(lines), "a line counted twice"
    assert current.ok + current.fail == current.events
    for stats in (previous, current):
        for mcp in stats.mcp.values():
            mean = mcp.mean_ms()
            assert mean is None or 0 <= mean <= 7 * 24 * 3600 * 1000
    data_ = build_report_data(current, previous, ThresholdsConfig(), bucket=timedelta(hours=1))
    for zone in ZONES:
        _strict_json(report_json(data_, job="j", period="2026-11-25", locale="en", zone=zone))
        markdown = report_markdown(
            data_, cadence="daily", period="2026-11-25", locale="ja", zone=zone
        )
        assert "inf ms" not in markdown
        assert "nan ms" not in markdown


def gzip_segment(data: bytes) -> None:
    """A ``.gz`` segment of arbitrary bytes: read to its end or to its damage, never raising."""
    with tempfile.TemporaryFile() as file:
        file.write(data)
        file.flush()
        stream = Gunzip(file.fileno())
        total = 0
        while block := stream.read(1 << 16):
            assert len(block) <= 1 << 16
            total += len(block)
            assert total <= 64 << 20, "a small input must not inflate without bound here"
        assert stream.damage is None or stream.damage.strip() == stream.damage


def incident_lines(data: bytes) -> None:
    """The incident reader on the lines of ``data``, then the digest rendered in several zones."""
    lines = data.split(b"\n")
    loaded = parse_lines(lines)
    assert loaded.lines == len(lines)
    assert len(loaded.incidents) + loaded.malformed <= len(lines)
    assert all("\n" not in problem for problem in loaded.problems)
    for zone in ZONES:
        digest = build_digest(loaded.incidents, NOW, zone, loaded.malformed)
        _strict_json(digest_json(digest, "weekly_improvement_digest", "2026-W48", "en", zone.key))
        digest_markdown(digest, "2026-W48", "ja", zone)


def state_file(data: bytes) -> None:
    """The state parser, then what every command does with the state: save it, show it."""
    try:
        state = parse_state(data.decode("utf-8"), "schedule-state.json")
    except (ValueError, StateError):  # moved aside as corrupt, or refused as a newer version
        state = None
    if state is not None:
        _strict_json(state.to_json(NOW))
        for record in state.jobs.values():
            _strict_json(record.interrupted().to_json())
            _strict_json(record.finished(period="2026-11-26", status="fail", at=NOW).to_json())
    with tempfile.TemporaryDirectory() as directory:
        store = JsonStateStore(Path(directory))
        store.path.write_bytes(data)
        try:
            view = store.view(NOW)  # what `status` reads: records, and who holds a claim
        except StateError as exc:
            refused = str(exc)
        else:
            assert len(job_statuses(CONFIG, view, NOW)) == 3
            return
    assert "state version" in refused  # only a newer version is refused


def heartbeat_file(data: bytes) -> None:
    """The heartbeat reader on a file holding ``data``, then the health verdict."""
    with tempfile.TemporaryDirectory() as directory:
        (Path(directory) / "heartbeat.json").write_bytes(data)
        try:
            heartbeat = read_heartbeat(Path(directory))
        except ValueError as exc:  # `health` says "unreadable: …" and exits 1
            unreadable = str(exc)
        else:
            unreadable = None
    if unreadable is not None:
        assert "\n" not in unreadable
        return
    assert heartbeat is not None
    assert Heartbeat.from_json(heartbeat.to_json()) == heartbeat
    for moment in (NOW, heartbeat.last_tick_at, heartbeat.tick_started_at, heartbeat.stopped_at):
        if moment is not None:
            verdict = judge(heartbeat, moment)
            assert "\n" not in verdict.reason


def config_file(data: bytes) -> None:
    """The config loader on a file holding ``data``: a config, or a ConfigError of one-line
    problems."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "ops.json"
        path.write_bytes(data)
        try:
            load_config(path, {})
        except ConfigError as exc:
            problems = exc.problems
        else:
            return
    assert problems
    assert all("\n" not in problem for problem in problems)


TARGETS: dict[str, Callable[[bytes], None]] = {
    "events": event_lines,
    "gzip": gzip_segment,
    "incidents": incident_lines,
    "state": state_file,
    "heartbeat": heartbeat_file,
    "config": config_file,
}
