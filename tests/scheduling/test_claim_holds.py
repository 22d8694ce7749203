"""A due job whose claim another process holds: `run` says by whom and since when, and a stale
hold (too long, or left behind by a process that died) is an error and shows in `status`."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from runner_fakes import DAILY, INSTANT, ScriptedJob, jobs_of, make_config, raw_config

from ops_schedule.cli import main as cli
from ops_schedule.cli.commands import run as run_command
from ops_schedule.cli.commands import status as status_command
from ops_schedule.scheduling.holds import hold_of
from ops_schedule.scheduling.runner import BUSY, NotRun, Runner
from ops_schedule.scheduling.status import job_statuses
from ops_schedule.store.base import Busy
from ops_schedule.store.file import JsonStateStore
from ops_schedule.store.records import Running

NOW = INSTANT + timedelta(minutes=5)
STARTED = INSTANT + timedelta(minutes=1)
HOST = socket.gethostname()
GONE = 2**22 + 12345  # above Linux's largest pid: never a live process
LIMIT = timedelta(hours=1, minutes=10)  # an hour, plus github.maxRetrySeconds (600 s)


@pytest.fixture
def held(tmp_path: Path) -> Iterator[JsonStateStore]:
    """The daily job's claim, held by this test as another process would hold it."""
    store = JsonStateStore(tmp_path / "state")
    with store.claim(DAILY, NOW) as claimed:
        assert not isinstance(claimed, Busy)
        yield store


def mark_running(store: JsonStateStore, pid: int, started: datetime = STARTED) -> None:
    with store.transaction(started) as txn:
        txn.put(txn.job(DAILY).started(Running("2026-11-26", started, pid, HOST)))


def tick(tmp_path: Path, now: datetime = NOW) -> list[object]:
    runner = Runner(make_config(tmp_path), jobs=jobs_of(ScriptedJob(DAILY)), clock=lambda: now)
    return list(runner.tick(now))


# --------------------------------------------------------------------------- the runner


def test_a_held_due_job_names_the_live_holder_and_how_long_it_has_held_it(tmp_path, held):
    mark_running(held, pid=1)

    [result] = tick(tmp_path)

    assert result == NotRun(
        DAILY,
        "2026-11-26",
        f"another ops-schedule process is running it: process 1 on {HOST}, for 2026-11-26, "
        "since 2026-11-26T00:01:00Z (4m)",
        held=True,
        stale=False,
    )


def test_a_hold_longer_than_a_run_may_take_is_stale(tmp_path, held):
    mark_running(held, pid=1)
    now = STARTED + LIMIT + timedelta(seconds=1)

    [result] = tick(tmp_path, now)

    assert isinstance(result, NotRun)
    assert result.stale
    assert result.reason == (
        f"stale claim: process 1 on {HOST} has held it since 2026-11-26T00:01:00Z (1h10m1s), "
        "longer than a run may take (1h10m); see what it is doing, or stop it"
    )


def test_a_claim_held_after_its_process_died_is_stale_and_names_the_claim_file(tmp_path, held):
    mark_running(held, pid=GONE)

    [result] = tick(tmp_path)

    claim_file = tmp_path / "state" / "claims" / f"{DAILY}.lock"
    assert isinstance(result, NotRun)
    assert result.stale
    assert result.reason == (
        f"stale claim: process {GONE} on {HOST}, which started the run for 2026-11-26 at "
        f"2026-11-26T00:01:00Z (4m ago), is gone, but a process it left behind still holds "
        f"{claim_file}; find it with `fuser -v {claim_file}` and stop it"
    )


def test_a_held_claim_without_a_marker_is_reported_busy_not_stale(tmp_path, held):
    [result] = tick(tmp_path)

    assert result == NotRun(DAILY, "2026-11-26", BUSY, held=True)


def test_a_held_claim_of_a_job_that_is_not_due_is_not_reported(tmp_path, held):
    mark_running(held, pid=GONE)

    assert tick(tmp_path, INSTANT - timedelta(hours=1)) == []


def test_a_clock_stepped_back_behind_the_hold_counts_no_negative_time():
    running = Running("2026-11-26", STARTED, 1, HOST)
    hold = hold_of(running, STARTED - timedelta(hours=2), gone=False, limit=LIMIT)
    assert hold.held_for == timedelta(0)
    assert not hold.stale


# --------------------------------------------------------------------------- the CLI


def cli_at(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, now: datetime) -> Path:
    config = tmp_path / "ops-schedule.json"
    config.write_text(json.dumps(raw_config(tmp_path)), encoding="utf-8")
    monkeypatch.setattr(run_command, "utc_now", lambda: now)
    monkeypatch.setattr(status_command, "utc_now", lambda: now)
    return config


def invoke(config: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exited:
        cli.main(["--config", str(config), *args], jobs=jobs_of(ScriptedJob(DAILY)))
    out, _ = capsys.readouterr()
    assert isinstance(exited.value.code, int)
    return exited.value.code, out


def test_run_exits_0_while_another_process_runs_the_job_and_says_who(
    tmp_path, held, monkeypatch, capsys
):
    mark_running(held, pid=1)
    config = cli_at(tmp_path, monkeypatch, NOW.astimezone(UTC))

    code, out = invoke(config, capsys, "run")

    assert code == 0
    assert out == (
        f"{DAILY} 2026-11-26: not run: another ops-schedule process is running it: process 1 "
        f"on {HOST}, for 2026-11-26, since 2026-11-26T00:01:00Z (4m)\n"
    )


def test_run_exits_1_on_a_stale_claim_and_status_shows_it(tmp_path, held, monkeypatch, capsys):
    mark_running(held, pid=GONE)
    config = cli_at(tmp_path, monkeypatch, NOW.astimezone(UTC))

    code, out = invoke(config, capsys, "run", "--json")
    [result] = json.loads(out)
    assert code == 1
    assert result["status"] == "not-run"
    assert result["staleClaim"] is True
    assert result["reason"].startswith(f"stale claim: process {GONE} on {HOST}")

    code, out = invoke(config, capsys, "status")
    assert code == 0
    assert "due, STALE CLAIM" in out
    assert f"! {DAILY}: stale claim: process {GONE} on {HOST}, which started" in out


def test_status_tells_a_stale_holder_from_an_interrupted_run(tmp_path):
    config = make_config(tmp_path)
    store = JsonStateStore(config.state_dir)
    mark_running(store, pid=GONE)

    [free, *_] = job_statuses(config, store.view(NOW), NOW)
    with store.claim(DAILY, NOW):
        [left, *_] = job_statuses(config, store.view(NOW), NOW)
    mark_running(store, pid=os.getpid())  # a holder that lives, and has held it too long
    later = STARTED + LIMIT + timedelta(minutes=1)
    [long, *_] = job_statuses(config, store.view(later), later)

    assert (free.interrupted, free.running, free.stale_claim) == (True, False, None)
    assert (left.interrupted, left.running) == (False, True)
    assert left.stale_claim is not None
    assert "is gone, but a process it left behind still holds" in left.stale_claim
    assert long.stale_claim is not None
    assert long.stale_claim.startswith("stale claim: process")
    assert long.to_json()["staleClaim"] == long.stale_claim
