from __future__ import annotations

import json
import logging
import os
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from runner_fakes import DAILY, INSTANT, TOKYO, CountingJob, executions, jobs_of, make_config

from ops_schedule.errors import StateError
from ops_schedule.scheduling.runner import Runner
from ops_schedule.store.file import STATE_FILE_LIMIT, JsonStateStore
from ops_schedule.store.records import JobRecord, Running, State

NOW = datetime(2026, 11, 26, 0, 5, 30, 123456, tzinfo=UTC)
ASIDE = "schedule-state.json.corrupt-20261126T000530123456Z"


@pytest.fixture
def store(tmp_path: Path) -> JsonStateStore:
    return JsonStateStore(tmp_path / "state")


def write_state(store: JsonStateStore, content: bytes | str | object) -> bytes:
    store.state_dir.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        data = content.encode("utf-8")
    elif isinstance(content, bytes):
        data = content
    else:
        data = json.dumps(content).encode("utf-8")
    store.path.write_bytes(data)
    return data


def save(store: JsonStateStore, record: JobRecord, now: datetime = NOW) -> None:
    with store.transaction(now) as txn:
        txn.put(record)


# --------------------------------------------------------------------------- round trip


def test_a_missing_state_file_loads_as_a_fresh_state(store: JsonStateStore):
    state = store.load(NOW)

    assert state.jobs == {}
    assert state.job(DAILY) == JobRecord(job_name=DAILY)
    assert not store.path.exists()


def test_a_saved_record_loads_back_unchanged(store: JsonStateStore):
    record = JobRecord(
        job_name=DAILY,
        last_run_at=NOW,
        last_status="ok",
        run_count=3,
        last_period="2026-11-26",
        last_success_at=NOW,
        done_periods=("2026-11-25", "2026-11-26"),
        last_summary="daily 2026-11-26: 48,213 events",
        last_archive="logs/ops-reports/daily_observability_report/2026-11-26.md",
        last_duration_seconds=1.25,
        running=Running("2026-11-27", NOW, 4242, "ops-host"),
    )

    save(store, record)

    assert store.load(NOW).job(DAILY) == record


def test_the_file_is_versioned_and_stamped_with_the_given_time_in_utc(store: JsonStateStore):
    save(store, JobRecord(job_name=DAILY), NOW.astimezone(TOKYO))

    document = json.loads(store.path.read_text(encoding="utf-8"))
    assert document["version"] == 1
    assert document["updatedAt"] == "2026-11-26T00:05:30.123456Z"
    assert document["jobs"][DAILY]["jobName"] == DAILY


def test_a_transaction_that_changes_nothing_does_not_write(store: JsonStateStore):
    save(store, JobRecord(job_name=DAILY, run_count=1))
    before = store.path.read_bytes()

    with store.transaction(NOW + timedelta(hours=1)) as txn:
        txn.put(txn.job(DAILY))

    assert store.path.read_bytes() == before


def test_a_transaction_that_raises_saves_nothing(store: JsonStateStore):
    save(store, JobRecord(job_name=DAILY, run_count=1))

    def change_then_fail() -> None:
        with store.transaction(NOW) as txn:
            txn.put(JobRecord(job_name=DAILY, run_count=2))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        change_then_fail()

    assert store.load(NOW).job(DAILY).run_count == 1


def test_done_periods_are_kept_for_400_days_whatever_their_number():
    record = JobRecord(job_name=DAILY)
    first = date(2025, 1, 1)
    days = [(first + timedelta(days=n)).isoformat() for n in range(500)]
    for day in days:
        record = record.finished(period=day, status="ok", at=NOW)

    newest = first + timedelta(days=499)
    assert record.done_periods == tuple(days[99:])  # the last 401 days, newest included
    assert date.fromisoformat(record.done_periods[0]) == newest - timedelta(days=400)
    assert record.run_count == 500


def test_weekly_done_periods_are_kept_by_date_too():
    record = JobRecord(job_name="weekly_observability_report")
    weeks = [f"{year}-W{week:02d}" for year in (2025, 2026) for week in range(1, 53)]
    for week in weeks:
        record = record.finished(period=week, status="ok", at=NOW)

    assert record.done_periods[-1] == "2026-W52"
    # 2025-11-17: the first week to start within 400 days before that of 2026-12-21.
    assert record.done_periods[0] == "2025-W47"
    assert len(record.done_periods) == 58


def test_an_interrupted_attempt_is_recorded_as_a_failure_at_its_start():
    started = NOW - timedelta(minutes=3)
    record = JobRecord(job_name=DAILY, consecutive_failures=1, run_count=4).started(
        Running("2026-11-26", started, 4242, "ops-host")
    )

    lost = record.interrupted()

    assert lost.running is None
    assert lost.last_status == "fail"
    assert lost.last_run_at == started
    assert lost.consecutive_failures == 2
    assert lost.run_count == 5
    assert lost.last_period == "2026-11-26"
    assert lost.last_error is not None
    assert lost.last_error.startswith("interrupted: process 4242 on ops-host")
    assert JobRecord(job_name=DAILY).interrupted() == JobRecord(job_name=DAILY)


# --------------------------------------------------------------------------- claims


def test_an_unusable_state_directory_is_a_state_error_naming_the_setting(tmp_path: Path):
    (tmp_path / "not-a-directory").write_text("", encoding="utf-8")
    store = JsonStateStore(tmp_path / "not-a-directory" / "state")

    with pytest.raises(StateError, match=r"stateDir"), store.transaction(NOW):
        pass


def test_an_unusable_state_directory_is_a_state_error_when_claiming_too(tmp_path: Path):
    (tmp_path / "not-a-directory").write_text("", encoding="utf-8")
    store = JsonStateStore(tmp_path / "not-a-directory" / "state")

    with pytest.raises(StateError, match=r"stateDir"), store.claim(DAILY, NOW):
        pass


# --------------------------------------------------------------------------- corrupt files

CORRUPT = {
    "garbage": b"\x00\x01 this is not JSON {{",
    "truncated": b'{"version": 1, "jobs": {"daily_observability_report": {"jobName": "dai',
    "not UTF-8": b'{"version": 1, "jobs": {}, "note": "\xff\xfe"}',
    "an array": b'[{"jobName": "daily_observability_report"}]',
    "jobs not an object": b'{"version": 1, "jobs": 5}',
    "nested past the recursion limit": b'{"version": 1, "x": ' + b"[" * 100_000 + b"]" * 100_000,
    "nested past 64 levels": b'{"version": 1, "jobs": {}, "x": ' + b"[" * 65 + b"]" * 65 + b"}",
    "an integer past 4300 digits": b'{"version": 1, "jobs": {}, "n": ' + b"7" * 5000 + b"}",
    "larger than the cap": b'{"version": 1, "jobs": {}}' + b" " * STATE_FILE_LIMIT,
    "NaN, which is not JSON": b'{"version": 1, "jobs": {}, "x": NaN}',
}


@pytest.mark.parametrize("content", CORRUPT.values(), ids=CORRUPT.keys())
def test_a_corrupt_state_file_is_moved_aside_intact_and_the_load_starts_afresh(
    store: JsonStateStore, caplog: pytest.LogCaptureFixture, content: bytes
):
    write_state(store, content)

    with caplog.at_level(logging.WARNING, logger="ops_schedule.store.file"):
        state = store.load(NOW)

    assert state.jobs == {}
    assert not store.path.exists()
    assert (store.state_dir / ASIDE).read_bytes() == content
    [warning] = caplog.records
    assert warning.levelno == logging.WARNING
    assert str(store.path) in warning.getMessage()
    assert ASIDE in warning.getMessage()


def test_a_transaction_on_a_corrupt_file_keeps_it_aside_and_saves_a_fresh_state(
    store: JsonStateStore, caplog: pytest.LogCaptureFixture
):
    content = write_state(store, CORRUPT["truncated"])

    with caplog.at_level(logging.WARNING, logger="ops_schedule.store.file"):
        save(store, JobRecord(job_name=DAILY, run_count=1))

    assert (store.state_dir / ASIDE).read_bytes() == content
    assert store.load(NOW).job(DAILY).run_count == 1
    assert len(caplog.records) == 1


def test_the_name_of_a_corrupt_file_carries_the_time_in_utc(store: JsonStateStore):
    write_state(store, CORRUPT["garbage"])

    store.load(NOW.astimezone(TOKYO))

    assert [path.name for path in store.state_dir.glob("*.corrupt-*")] == [ASIDE]


def test_two_corrupt_files_found_at_the_same_instant_are_both_kept(store: JsonStateStore):
    write_state(store, CORRUPT["garbage"])
    store.load(NOW)
    write_state(store, CORRUPT["an array"])
    store.load(NOW)

    assert (store.state_dir / ASIDE).read_bytes() == CORRUPT["garbage"]
    assert (store.state_dir / f"{ASIDE}-2").read_bytes() == CORRUPT["an array"]


@pytest.mark.parametrize("pid", [[1], {"pid": 1}, "abc"])
def test_a_running_marker_with_a_malformed_pid_still_loads(store: JsonStateStore, pid: object):
    marker = {"period": "2026-11-26", "startedAt": "2026-11-26T00:05:00Z", "pid": pid}
    write_state(store, {"version": 1, "jobs": {DAILY: {"jobName": DAILY, "running": marker}}})

    running = store.load(NOW).job(DAILY).running

    assert running == Running("2026-11-26", datetime(2026, 11, 26, 0, 5, tzinfo=UTC), 0, "")
    assert store.path.exists()


def test_a_state_file_from_a_newer_version_is_refused_and_left_in_place(
    store: JsonStateStore,
):
    content = write_state(store, {"version": 2, "jobs": {}})

    with pytest.raises(StateError) as raised:
        store.load(NOW)
    with pytest.raises(StateError), store.transaction(NOW):
        pass

    assert "version 2" in str(raised.value)
    assert "version 1" in str(raised.value)
    assert store.path.read_bytes() == content
    assert not list(store.state_dir.glob("*.corrupt-*"))


# --------------------------------------------------------------------------- leftover temp files


def test_leftover_temp_files_of_a_killed_save_do_not_break_loading_or_saving(
    store: JsonStateStore,
):
    save(store, JobRecord(job_name=DAILY, run_count=1))
    leftover = store.state_dir / ".schedule-state.json.k1ll3d.tmp"
    leftover.write_bytes(b'{"version": 1, "jobs": {"daily_obs')

    assert store.load(NOW).job(DAILY).run_count == 1
    save(store, JobRecord(job_name=DAILY, run_count=2))
    assert store.load(NOW).job(DAILY).run_count == 2


def test_a_save_removes_temp_files_left_by_killed_saves_but_not_fresh_ones(
    store: JsonStateStore,
):
    save(store, JobRecord(job_name=DAILY, run_count=1))
    stale = store.state_dir / ".schedule-state.json.k1ll3d.tmp"
    stale.write_bytes(b"{")
    an_hour_ago = time.time() - 3600
    os.utime(stale, (an_hour_ago, an_hour_ago))
    fresh = store.state_dir / ".schedule-state.json.fr35h.tmp"
    fresh.write_bytes(b"{")
    unrelated = store.state_dir / ".other.json.0ld.tmp"
    unrelated.write_bytes(b"{")
    os.utime(unrelated, (an_hour_ago, an_hour_ago))

    save(store, JobRecord(job_name=DAILY, run_count=2))

    assert not stale.exists()
    assert fresh.exists()
    assert unrelated.exists()


# --------------------------------------------------------------------------- the seed's files

SEED_STATE = {
    "updatedAt": "2026-11-26T00:05:02.000Z",
    "owner": "ops",
    "jobs": {
        DAILY: {
            "jobName": DAILY,
            "lastRunAt": "2026-11-26T00:05:01.000Z",
            "lastStatus": "ok",
            "consecutiveFailures": 0,
            "runCount": 12,
            "notes": {"migratedBy": "hand"},
        }
    },
}


def test_a_seed_era_state_file_loads(store: JsonStateStore):
    write_state(store, SEED_STATE)

    record = store.load(NOW).job(DAILY)

    assert record.last_run_at == datetime(2026, 11, 26, 0, 5, 1, tzinfo=UTC)
    assert record.last_status == "ok"
    assert record.run_count == 12
    assert record.consecutive_failures == 0
    assert record.done_periods == ()
    assert record.running is None


def test_the_runner_treats_the_period_of_a_seed_era_ok_run_as_done(tmp_path: Path):
    config = make_config(tmp_path)
    store = JsonStateStore(config.state_dir)
    write_state(store, SEED_STATE)
    log = tmp_path / "executions.log"
    jobs = jobs_of(CountingJob(DAILY, log))
    later_that_day = INSTANT + timedelta(hours=2)
    assert Runner(config, jobs=jobs, clock=lambda: later_that_day).tick(later_that_day) == []
    next_day = INSTANT + timedelta(days=1, minutes=1)
    [outcome] = Runner(config, jobs=jobs, clock=lambda: next_day).tick(next_day)

    assert outcome.period_key == "2026-11-27"
    assert executions(log) == ["2026-11-27"]
    document = json.loads(store.path.read_text(encoding="utf-8"))
    assert document["owner"] == "ops"  # unknown fields survive a save
    record = document["jobs"][DAILY]
    assert record["notes"] == {"migratedBy": "hand"}
    assert record["runCount"] == 13
    assert document["version"] == 1


def test_a_loaded_state_keeps_unknown_fields_of_both_levels():
    state = State(extra={"owner": "ops"}, jobs={DAILY: JobRecord(DAILY, extra={"x": [1]})})

    document = state.to_json(NOW)

    assert document["owner"] == "ops"
    assert document["jobs"][DAILY]["x"] == [1]
