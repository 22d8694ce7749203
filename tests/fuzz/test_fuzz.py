"""Fuzzing in CI, bounded: Hypothesis puts arbitrary JSON values in every field of every input
the program reads (and arbitrary bytes in place of whole lines and files), and atheris runs
each target for a few seconds. `make fuzz` runs atheris for longer (tests/fuzz/run.py)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from event_fixtures import T0, write_lines
from fuzz_targets import TARGETS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference_stats import reference_stats

from ops_schedule.errors import StateError
from ops_schedule.reports.observability.reader import collect_stats
from ops_schedule.store.file import JsonStateStore

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --------------------------------------------------------------------------- values

_HOSTILE_TIMES = st.sampled_from(
    [
        "9999-12-31T23:59:59-01:00",
        "9999-12-31T23:59:59.999999Z",
        "0001-01-01T00:00:00+01:00",
        "0001-01-01T00:00:00Z",
        "2026-11-25T01:00:00",
        "2026-11-25T25:00:00Z",
        "2026-11-25",
        "",
    ]
)
_NUMBERS = st.one_of(
    st.integers(),
    st.integers(min_value=2**63 - 2, max_value=2**70),
    st.integers(max_value=-(2**63) + 2, min_value=-(2**70)),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e308, -1e308, 5e-324, -0.0, 604_800_000, 604_800_001]),
)
_SCALARS = st.one_of(st.none(), st.booleans(), _NUMBERS, st.text(max_size=12), _HOSTILE_TIMES)
JSON_VALUES = st.recursive(
    _SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=6,
)


def _moments(start: datetime, span: timedelta) -> st.SearchStrategy[str]:
    offsets = st.sampled_from([UTC, timezone(timedelta(hours=9)), timezone(-timedelta(hours=5))])
    seconds = st.integers(0, int(span.total_seconds()))
    return st.builds(
        lambda s, zone: (start + timedelta(seconds=s)).astimezone(zone).isoformat(),
        seconds,
        offsets,
    )


def field(plausible: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A field's value: usually what the writer writes, often any JSON value at all."""
    return st.one_of(plausible, plausible, JSON_VALUES)


def dumps(value: object) -> bytes:
    # Python writes NaN and Infinity, and escapes lone surrogates: hostile, as a writer may be.
    return json.dumps(value).encode()


# --------------------------------------------------------------------------- the event log

WINDOWS = [(T0 - timedelta(days=1), T0), (T0, T0 + timedelta(days=1))]
# In place of a timestamp: anything but a readable one. A readable but wild timestamp breaks the
# log's time order, where the seek may by design read differently from the plain reference
# (docs/performance.md, "Seeking to the window"), and test_reader.py covers those.
_NOT_A_STAMP = st.one_of(
    JSON_VALUES.filter(lambda v: not isinstance(v, str)),
    st.sampled_from(["9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00", "2026-11-25"]),
    st.text(max_size=8),
)
_FIELDS = st.fixed_dictionaries(
    {"status": field(st.sampled_from(["ok", "fail"]))},
    optional={
        "type": field(st.just("internal_mcp_tool_call")),
        "mcpName": field(st.sampled_from(["github", "slack"])),
        "durationMs": field(st.one_of(st.integers(0, 5000), st.floats(0, 5000))),
        "errorType": field(st.sampled_from(["TimeoutError", ""])),
        "errorMessage": field(st.sampled_from(["boom", "token=ghp_" + "a" * 36])),
        "metadata": field(
            st.fixed_dictionaries(
                {
                    "circuit": field(st.sampled_from(["open", "half-open", "closed"])),
                    "mcp": field(st.sampled_from(["github", "slack"])),
                }
            )
        ),
    },
)


@st.composite
def _event_logs(draw: st.DrawFn) -> list[bytes]:
    """Lines in time order (as the proxy writes them), each field of each line possibly hostile,
    and some lines not JSON at all."""
    seconds = sorted(draw(st.lists(st.integers(0, 4 * 86_400), max_size=25)))
    zones = st.sampled_from([UTC, timezone(timedelta(hours=9)), timezone(-timedelta(hours=5))])
    lines = []
    for second in seconds:
        if draw(st.integers(0, 7)) == 0:
            lines.append(draw(st.binary(max_size=60)))
            continue
        at = (T0 - timedelta(days=2, seconds=-second)).astimezone(draw(zones)).isoformat()
        stamp = draw(st.one_of(st.just(at), st.just(at), st.just(at), _NOT_A_STAMP))
        lines.append(dumps({"timestamp": stamp, **draw(_FIELDS)}))
    return lines


@pytest.mark.property
@FUZZ
@given(lines=_event_logs())
def test_any_values_in_any_event_field_give_the_reference_numbers(tmp_path, lines):
    for old in tmp_path.glob("events.jsonl*"):
        old.unlink()
    cut = len(lines) // 3
    write_lines(tmp_path / "events.jsonl.1.gz", lines[:cut])
    log = write_lines(tmp_path / "events.jsonl", lines[cut:])
    hour = timedelta(hours=1)
    assert collect_stats(log, WINDOWS, bucket=hour) == reference_stats(log, WINDOWS, bucket=hour)
    TARGETS["events"](b"\n".join(lines))


@pytest.mark.property
@FUZZ
@given(lines=st.lists(st.one_of(JSON_VALUES.map(dumps), st.binary(max_size=80)), max_size=20))
def test_any_json_or_bytes_as_event_lines_are_read_or_counted(lines):
    TARGETS["events"](b"\n".join(lines))


# --------------------------------------------------------------------------- incidents

_INCIDENTS = st.fixed_dictionaries(
    {
        "incidentKey": field(st.sampled_from(["inc-1", "inc-2", ""])),
        "firstSeen": field(_moments(T0 - timedelta(days=9), timedelta(days=2))),
        "lastSeen": field(_moments(T0 - timedelta(days=7), timedelta(days=9))),
        "currentStatus": field(st.sampled_from(["active", "resolved", "suppressed"])),
        "severity": field(st.sampled_from(["critical", "warn", "info", "ok"])),
    },
    optional={
        "occurrenceCount": field(st.integers(0, 100)),
        "topReasons": field(st.lists(st.sampled_from(["timeout after 3012ms", "HTTP 429"]))),
        "affectedComponents": field(st.lists(st.sampled_from(["github", "db"]))),
        "summary": field(st.text(max_size=20)),
        "resolvedAt": field(_moments(T0 - timedelta(days=7), timedelta(days=9))),
    },
)


@pytest.mark.property
@FUZZ
@given(lines=st.lists(st.one_of(_INCIDENTS.map(dumps), st.binary(max_size=60)), max_size=12))
def test_any_values_in_any_incident_field_are_read_or_counted(lines):
    TARGETS["incidents"](b"\n".join(lines))


# --------------------------------------------------------------------------- state

_TIMES = field(_moments(T0 - timedelta(days=3), timedelta(days=3)))
_RECORDS = st.fixed_dictionaries(
    {},
    optional={
        "jobName": field(st.just("daily_observability_report")),
        "lastRunAt": _TIMES,
        "lastStatus": field(st.sampled_from(["ok", "fail", "skipped"])),
        "consecutiveFailures": field(st.integers(0, 5)),
        "runCount": field(st.integers(0, 50)),
        "lastError": field(st.text(max_size=10)),
        "lastPeriod": field(st.sampled_from(["2026-11-25", "2026-11-24", "2026-W48"])),
        "lastSuccessAt": _TIMES,
        "donePeriods": field(st.lists(st.sampled_from(["2026-11-24", "2026-11-25"]))),
        "lastDurationSeconds": field(st.floats(0, 100)),
        "running": field(
            st.fixed_dictionaries(
                {
                    "period": field(st.just("2026-11-25")),
                    "startedAt": _TIMES,
                    "pid": field(st.integers(1, 2**22)),
                    "host": field(st.just("elsewhere")),
                }
            )
        ),
    },
)
_STATES = st.fixed_dictionaries(
    {
        "version": field(st.just(1)),
        "jobs": field(
            st.dictionaries(st.sampled_from(["daily_observability_report", "x"]), _RECORDS)
        ),
    },
    optional={"updatedAt": _TIMES},
)


@pytest.mark.property
@FUZZ
@given(document=st.one_of(_STATES.map(dumps), st.binary(max_size=80)))
def test_any_values_in_any_state_field_never_stop_a_command(tmp_path, document):
    TARGETS["state"](document)
    store = JsonStateStore(tmp_path / "state")
    store.state_dir.mkdir(parents=True, exist_ok=True)
    store.path.write_bytes(document)
    try:
        state = store.load(datetime(2026, 11, 26, tzinfo=UTC))
    except StateError as exc:  # only a newer version is refused, and left in place
        refused = str(exc)
    else:
        assert all(isinstance(name, str) for name in state.jobs)
        return
    assert "state version" in refused
    assert store.path.read_bytes() == document


# --------------------------------------------------------------------------- heartbeat

_HEARTBEATS = st.fixed_dictionaries(
    {
        "interval": field(st.floats(1, 3600)),
        "pid": field(st.integers(1, 2**22)),
        "version": field(st.just("0.1.0")),
    },
    optional={
        "host": field(st.just("box")),
        "lastTickAt": _TIMES,
        "tickStartedAt": _TIMES,
        "stoppedAt": _TIMES,
        "lastError": field(st.text(max_size=10)),
        "ticks": field(st.integers(0, 10**6)),
    },
)


@pytest.mark.property
@FUZZ
@given(document=st.one_of(_HEARTBEATS.map(dumps), st.binary(max_size=80)))
def test_any_values_in_any_heartbeat_field_are_read_or_unreadable(document):
    TARGETS["heartbeat"](document)


# --------------------------------------------------------------------------- config

_CONFIGS = st.fixed_dictionaries(
    {},
    optional={
        "enabled": field(st.booleans()),
        "timezone": field(st.sampled_from(["Asia/Tokyo", "UTC"])),
        "stateDir": field(st.just("state")),
        "outputDir": field(st.just("reports")),
        "dashboardIssue": field(st.integers(1, 100)),
        "locale": field(st.sampled_from(["ja", "en"])),
        "catchUpGrace": field(st.sampled_from(["2h", "6h"])),
        "sources": field(st.fixed_dictionaries({}, optional={"events": field(st.just("e.jsonl"))})),
        "jobs": field(
            st.fixed_dictionaries(
                {},
                optional={
                    "daily_observability_report": field(
                        st.fixed_dictionaries({}, optional={"at": field(st.just("09:00"))})
                    )
                },
            )
        ),
        "github": field(
            st.fixed_dictionaries({}, optional={"maxRetrySeconds": field(st.just(30))})
        ),
        "thresholds": field(
            st.fixed_dictionaries({}, optional={"warnP95Ms": field(st.just(5000))})
        ),
        "redaction": field(
            st.fixed_dictionaries({}, optional={"patterns": field(st.just(["x+"]))})
        ),
    },
)


@pytest.mark.property
@FUZZ
@given(document=st.one_of(_CONFIGS.map(dumps), st.binary(max_size=80)))
def test_any_values_in_any_config_field_give_a_config_or_a_config_error(document):
    TARGETS["config"](document)


@pytest.mark.property
@FUZZ
@given(data=st.binary(max_size=512))
def test_any_bytes_as_a_gz_segment_are_read_to_their_end_or_their_damage(data):
    TARGETS["gzip"](data)


def test_the_strategies_reach_the_values_that_broke_readers():
    assert math.isinf(json.loads(dumps(float("inf"))))  # Infinity is written, and read back
    assert set(TARGETS) == {"events", "gzip", "incidents", "state", "heartbeat", "config"}


# --------------------------------------------------------------------------- atheris

RUNNER = Path(__file__).with_name("run.py")


@pytest.mark.slow
@pytest.mark.parametrize("target", sorted(TARGETS))
def test_atheris_finds_nothing_in_a_few_seconds(target, tmp_path):
    pytest.importorskip("atheris")
    result = subprocess.run(
        [sys.executable, str(RUNNER), target, "--seconds", "3"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    done = [line for line in result.stderr.splitlines() if line.startswith("Done ")]
    assert done, result.stderr[-3000:]
    assert int(done[0].split()[1]) > 0  # "Done 12345 runs in 3 second(s)"
