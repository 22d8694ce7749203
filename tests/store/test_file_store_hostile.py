"""State files that parse but used to crash every command, and paths that are not files."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from runner_fakes import DAILY, raw_config

from ops_schedule.config import parse_config
from ops_schedule.errors import StateError
from ops_schedule.scheduling.status import job_statuses
from ops_schedule.store.base import StoreView
from ops_schedule.store.file import JsonStateStore, process_alive
from ops_schedule.store.records import parse_state

NOW = datetime(2026, 11, 26, 0, 5, 30, 123456, tzinfo=UTC)
ASIDE = "schedule-state.json.corrupt-20261126T000530123456Z"


@pytest.fixture
def store(tmp_path: Path) -> JsonStateStore:
    return JsonStateStore(tmp_path / "state")


def write_state(store: JsonStateStore, data: bytes) -> bytes:
    store.state_dir.mkdir(parents=True, exist_ok=True)
    store.path.write_bytes(data)
    return data


def record_with(**fields: object) -> bytes:
    record = {"jobName": DAILY, **fields}
    return json.dumps({"version": 1, "jobs": {DAILY: record}}).encode()


def test_a_state_file_nested_64_levels_still_loads(store: JsonStateStore):
    write_state(store, b'{"version": 1, "jobs": {}, "x": ' + b"[" * 63 + b"]" * 63 + b"}")
    assert store.load(NOW).extra["x"] is not None
    assert store.path.exists()


HOSTILE_TIMES = [
    "9999-12-31T23:59:59-01:00",  # past year 9999 in UTC
    "9999-12-31T23:59:59Z",  # an hour's arithmetic or a zone east of UTC leaves the calendar
    "0001-01-01T00:00:00+01:00",  # before year 1 in UTC
    "0001-01-01T00:00:00Z",
]


@pytest.mark.parametrize("text", HOSTILE_TIMES)
def test_an_instant_at_the_ends_of_the_calendar_is_read_as_absent(store: JsonStateStore, text):
    running = {"period": "2026-11-26", "startedAt": text, "pid": 1}
    write_state(
        store,
        record_with(
            lastRunAt=text,
            lastSuccessAt=text,
            lastStatus="fail",
            lastPeriod="2026-11-26",
            consecutiveFailures=3,
            running=running,
        ),
    )
    record = store.load(NOW).job(DAILY)
    assert (record.last_run_at, record.last_success_at, record.running) == (None, None, None)
    with store.transaction(NOW) as txn:  # saving it again works too
        txn.put(record.finished(period="2026-11-26", status="ok", at=NOW))
    assert store.load(NOW).job(DAILY).last_run_at == NOW


def test_a_huge_running_pid_is_read_as_unknown(store: JsonStateStore):
    marker = {"period": "2026-11-26", "startedAt": "2026-11-26T00:05:00Z", "pid": 10**30}
    marker["host"] = socket.gethostname()  # a pid elsewhere is never checked
    write_state(store, record_with(running=marker))
    running = store.load(NOW).job(DAILY).running
    assert running is not None
    assert running.pid == 0
    assert process_alive(running) is True  # unknown, as for any unreadable pid


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e999"])
@pytest.mark.parametrize("field", ["lastDurationSeconds", "someOtherToolsField"])
def test_a_number_that_json_cannot_hold_makes_the_file_corrupt(
    store: JsonStateStore, value: str, field: str
):
    # Python reads NaN and Infinity; kept, they would be written back, and no JSON reader
    # (nor a file that must stay JSON) takes them.
    content = write_state(store, record_with(**{field: 0}).replace(b": 0", b": " + value.encode()))
    assert store.load(NOW).jobs == {}
    assert (store.state_dir / ASIDE).read_bytes() == content


@pytest.mark.parametrize("value", [True, "1.5", 10**400, -1.0e300])
def test_a_duration_that_is_no_finite_number_of_seconds_is_read_as_absent(
    store: JsonStateStore, value: object
):
    write_state(store, record_with(lastDurationSeconds=value))
    record = store.load(NOW).job(DAILY)
    expected = value if isinstance(value, float) else None
    assert record.last_duration_seconds == expected
    with store.transaction(NOW) as txn:
        txn.put(record.finished(period="2026-11-26", status="ok", at=NOW, duration_seconds=1.5))
    saved = json.loads(store.path.read_text(), parse_constant=_not_json)  # strict JSON again
    assert saved["jobs"][DAILY]["lastDurationSeconds"] == 1.5


def _not_json(name: str) -> object:
    raise AssertionError(f"{name} is not JSON")


def test_a_fifo_at_the_state_path_is_a_state_error_not_a_hang(store: JsonStateStore):
    store.state_dir.mkdir(parents=True)
    os.mkfifo(store.path)
    with pytest.raises(StateError) as caught:
        store.load(NOW)
    assert str(caught.value) == f"cannot read {store.path}: not a regular file (a FIFO)"
    assert store.path.exists()  # not moved: it is no state file at all


@pytest.mark.slow
@pytest.mark.parametrize(
    "content",
    [
        record_with(
            lastRunAt="9999-12-31T23:59:59-01:00", lastStatus="fail", lastPeriod="2026-11-26"
        ),
        record_with(lastRunAt="9999-12-31T23:59:00Z", lastStatus="ok"),  # seed-era: no periods
        record_with(
            running={
                "period": "x",
                "startedAt": "2026-11-26T00:00:00Z",
                "pid": 2**70,
                "host": socket.gethostname(),
            }
        ),
        b'{"version": 1, "jobs": {}, "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    ],
    ids=["far-future lastRunAt with an offset", "seed-era far future", "huge pid", "deep"],
)
def test_status_and_run_work_over_a_hostile_state_file(tmp_path: Path, content: bytes):
    config = raw_config(tmp_path, **{DAILY: {"enabled": False}})
    Path("ops.json").write_text(json.dumps(config), encoding="utf-8")
    write_state(JsonStateStore(tmp_path / "state"), content)
    for command in (["status"], ["status", "--json"], ["run"]):
        result = subprocess.run(
            [sys.executable, "-m", "ops_schedule", "--config", "ops.json", *command],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr


def test_the_status_view_of_a_far_future_seed_era_record_does_not_overflow():
    text = record_with(lastRunAt="9999-12-31T23:59:00Z", lastStatus="ok").decode()
    config = parse_config(raw_config(Path("root")), {})
    state = parse_state(text, "schedule-state.json")
    rows = job_statuses(config, StoreView("file", "schedule-state.json", state.jobs), NOW)
    daily = next(row for row in rows if row.job == DAILY)
    assert (daily.last_run_at, daily.last_status) == (None, "ok")


@pytest.mark.parametrize("kind", ["fifo", "zero"])
def test_store_import_refuses_a_fifo_or_a_device_at_the_state_path_at_once(
    store: JsonStateStore, kind: str
):
    from ops_schedule.store.importer import read_state_file

    store.state_dir.mkdir(parents=True)
    if kind == "fifo":
        os.mkfifo(store.path)
    else:
        store.path.symlink_to("/dev/zero")
    described = "a FIFO" if kind == "fifo" else "a character device"
    with pytest.raises(StateError) as caught:
        read_state_file(store)
    assert str(caught.value) == f"cannot read {store.path}: not a regular file ({described})"
