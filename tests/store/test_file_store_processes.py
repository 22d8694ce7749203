"""Exactly once across real processes, and state that survives ``kill -9`` at any instant.

Children are real processes (from a fork server) that register their own jobs; they
synchronise on barriers and files, never on sleeps.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import signal
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from runner_fakes import (
    DAILY,
    INSTANT,
    WAIT_SECONDS,
    CountingJob,
    child_blocks_in_job,
    child_claims_and_forks,
    child_forks_a_guarded_helper,
    child_runs_at_once,
    child_saves_in_a_loop,
    child_ticks_through_periods,
    executions,
    jobs_of,
    make_config,
    read_state,
    wait_for,
)

from ops_schedule.scheduling.rules import PeriodState
from ops_schedule.scheduling.runner import Runner
from ops_schedule.scheduling.status import job_statuses
from ops_schedule.store.base import Busy
from ops_schedule.store.file import JsonStateStore, process_alive

pytestmark = pytest.mark.slow

# Children are forked from a server that has imported ops-schedule once: each starts in a few
# milliseconds in a fresh, single-threaded process, with no state inherited from the test.
CHILDREN = multiprocessing.get_context("forkserver")
CHILDREN.set_forkserver_preload(
    ["runner_fakes", "ops_schedule.scheduling.runner", "ops_schedule.store.file"]
)
PROCESSES = 8


class Children:
    """Started children; any still alive when the test ends are killed and reaped."""

    def __init__(self) -> None:
        self.started: list[Any] = []

    def start(self, target: Any, *args: Any) -> Any:
        process = CHILDREN.Process(target=target, args=args)
        process.start()
        self.started.append(process)
        return process

    def join_all(self) -> list[int | None]:
        for process in self.started:
            process.join(WAIT_SECONDS)
        return [process.exitcode for process in self.started]

    def close(self) -> None:
        for process in self.started:
            if process.exitcode is None:
                process.kill()
                process.join(WAIT_SECONDS)
            process.close()
        self.started.clear()


@pytest.fixture
def children() -> Iterator[Children]:
    started = Children()
    try:
        yield started
    finally:
        started.close()


def kill(process: Any) -> None:
    process.kill()  # SIGKILL: no handler, no finally block, no atexit
    process.join(WAIT_SECONDS)
    assert process.exitcode == -signal.SIGKILL


# --------------------------------------------------------------------------- exactly once


@pytest.mark.parametrize("mode", ["tick", "run_now"])
def test_eight_processes_running_the_same_due_job_at_once_execute_it_once(
    tmp_path: Path, children: Children, mode: str
):
    now = INSTANT + timedelta(minutes=5)
    barrier = CHILDREN.Barrier(PROCESSES)
    for index in range(PROCESSES):
        children.start(child_runs_at_once, tmp_path, mode, now, barrier, tmp_path / f"r{index}")

    assert children.join_all() == [0] * PROCESSES
    assert executions(tmp_path / "executions.log") == ["2026-11-26"]
    results = sorted((tmp_path / f"r{index}").read_text() for index in range(PROCESSES))
    assert results.count("ok") == 1
    record = read_state(tmp_path)["jobs"][DAILY]
    assert record["runCount"] == 1
    assert record["lastStatus"] == "ok"
    assert record["running"] is None


def test_eight_processes_ticking_through_three_periods_run_the_job_once_per_period(
    tmp_path: Path, children: Children
):
    instants = [INSTANT + timedelta(days=day, minutes=5) for day in range(3)]
    barrier = CHILDREN.Barrier(PROCESSES)
    for _ in range(PROCESSES):
        children.start(child_ticks_through_periods, tmp_path, instants, barrier)

    assert children.join_all() == [0] * PROCESSES
    assert executions(tmp_path / "executions.log") == ["2026-11-26", "2026-11-27", "2026-11-28"]
    record = read_state(tmp_path)["jobs"][DAILY]
    assert record["runCount"] == 3
    assert record["donePeriods"] == ["2026-11-26", "2026-11-27", "2026-11-28"]


# --------------------------------------------------------------------------- SIGKILL mid-run

STARTED = INSTANT + timedelta(minutes=5)  # when the attempt that gets killed began


def kill_a_process_mid_run(tmp_path: Path, children: Children) -> int:
    """Start a run that blocks inside the job, check that it holds the claim, SIGKILL it."""
    process = children.start(child_blocks_in_job, tmp_path, STARTED)
    ready = tmp_path / "job-started"
    wait_for(lambda: ready.exists() or not process.is_alive(), "the job to start")
    assert process.is_alive(), "the child died before its job started"
    store = JsonStateStore(tmp_path / "state")
    with store.claim(DAILY, STARTED) as claimed:
        assert isinstance(claimed, Busy), "the running child should hold the claim"
    kill(process)
    return int(ready.read_text())


def test_a_process_killed_mid_run_releases_its_claim_and_leaves_a_running_marker(
    tmp_path: Path, children: Children
):
    pid = kill_a_process_mid_run(tmp_path, children)

    with JsonStateStore(tmp_path / "state").claim(DAILY, STARTED) as claimed:
        assert not isinstance(claimed, Busy)
    running = read_state(tmp_path)["jobs"][DAILY]["running"]
    assert running["period"] == "2026-11-26"
    assert running["pid"] == pid
    assert running["startedAt"] == "2026-11-26T00:05:00Z"


def test_status_shows_a_killed_run_as_interrupted_not_running(tmp_path: Path, children: Children):
    kill_a_process_mid_run(tmp_path, children)
    config = make_config(tmp_path)
    view = JsonStateStore(config.state_dir).view(STARTED)

    [row, *_] = job_statuses(config, view, STARTED)

    assert (row.running, row.interrupted) == (False, True)
    assert row.holder is None


def test_a_live_process_marker_counts_as_alive_and_a_dead_one_does_not(children: Children):
    from ops_schedule.processes import this_process
    from ops_schedule.store.records import Running

    pid, host = this_process()
    assert process_alive(Running("2026-11-26", STARTED, pid, host))
    assert process_alive(Running("2026-11-26", STARTED, 999_999_999, "elsewhere"))
    dead = children.start(time.sleep, 0)
    dead.join(20)
    assert not process_alive(Running("2026-11-26", STARTED, dead.pid or 0, host))


def test_the_next_tick_after_the_backoff_records_the_killed_attempt_and_retries_it(
    tmp_path: Path, children: Children
):
    pid = kill_a_process_mid_run(tmp_path, children)
    store = JsonStateStore(tmp_path / "state")
    seen_at_build: list[dict[str, Any]] = []
    log = tmp_path / "executions.log"

    class RecordingJob(CountingJob):
        def build(self, ctx: Any) -> Any:
            seen_at_build.append(store.load(ctx.now).job(DAILY).to_json())
            return super().build(ctx)

    now = STARTED + timedelta(minutes=1)  # the backoff after one failure
    jobs = jobs_of(RecordingJob(DAILY, log))
    runner = Runner(make_config(tmp_path), jobs=jobs, clock=lambda: now)

    [outcome] = runner.tick(now)
    assert runner.tick(now + timedelta(minutes=5)) == []

    assert outcome.status == "ok"
    assert executions(log) == ["2026-11-26"]
    [during] = seen_at_build  # what the retry found: the lost attempt, recorded as failed
    assert during["lastStatus"] == "fail"
    assert during["consecutiveFailures"] == 1
    assert "interrupted" in during["lastError"]
    assert f"process {pid}" in during["lastError"]
    assert during["running"]["startedAt"] == "2026-11-26T00:06:00Z"  # the retry's own marker
    after = read_state(tmp_path)["jobs"][DAILY]
    assert after["lastStatus"] == "ok"
    assert after["consecutiveFailures"] == 0
    assert after["runCount"] == 2  # the lost attempt and the retry
    assert after["running"] is None


def test_a_tick_within_the_backoff_records_the_killed_attempt_but_does_not_retry(
    tmp_path: Path, children: Children
):
    kill_a_process_mid_run(tmp_path, children)
    log = tmp_path / "executions.log"
    config = make_config(tmp_path)
    now = STARTED + timedelta(seconds=59)

    assert Runner(config, jobs=jobs_of(CountingJob(DAILY, log)), clock=lambda: now).tick(now) == []

    assert executions(log) == []
    record = read_state(tmp_path)["jobs"][DAILY]
    assert record["lastStatus"] == "fail"
    assert record["consecutiveFailures"] == 1
    assert record["lastError"].startswith("interrupted")
    assert record["running"] is None
    [row, *_] = job_statuses(config, JsonStateStore(config.state_dir).view(now), now)
    assert row.period_state is PeriodState.RETRYING
    assert row.retry_at == STARTED + timedelta(minutes=1)


# --------------------------------------------------------------------------- forked helpers


def test_a_process_forked_by_the_claim_holder_does_not_keep_the_claim_after_it_dies(
    tmp_path: Path, children: Children
):
    pid_file = tmp_path / "helper.pid"
    holder = children.start(child_claims_and_forks, tmp_path, pid_file)
    wait_for(pid_file.exists, "the helper to start")
    helper = int(pid_file.read_text(encoding="utf-8"))
    try:
        kill(holder)
        assert _alive(helper), "the helper should outlive the holder in this test"
        with JsonStateStore(tmp_path / "state").claim(DAILY, STARTED) as claimed:
            assert not isinstance(claimed, Busy), "the forked helper kept the killed holder's claim"
    finally:
        os.kill(helper, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited


def test_a_guarded_helper_dies_with_the_process_that_forked_it(tmp_path: Path, children):
    pid_file = tmp_path / "helper.pid"
    parent = children.start(child_forks_a_guarded_helper, pid_file)
    wait_for(pid_file.exists, "the helper to start")
    helper = int(pid_file.read_text(encoding="utf-8"))

    kill(parent)

    wait_for(lambda: not _alive(helper), "the helper to die with its parent")


# --------------------------------------------------------------------------- kill -9 while saving

ROUNDS = 24


def test_kill_9_at_random_moments_during_saves_never_leaves_a_torn_state_file(
    tmp_path: Path, children: Children
):
    state_dir = tmp_path / "state"
    state_file = state_dir / "schedule-state.json"
    ready = tmp_path / "saving"
    delays = random.Random(20261126)
    count = 0

    for round_number in range(ROUNDS):
        ready.unlink(missing_ok=True)
        process = children.start(child_saves_in_a_loop, state_dir, ready, INSTANT)
        wait_for(lambda: ready.exists() or not process.is_alive(), "the first save")  # noqa: B023
        assert process.is_alive(), f"round {round_number}: the child stopped on its own"
        time.sleep(delays.uniform(0, 0.08))
        kill(process)

        document = json.loads(state_file.read_bytes())  # raises on a torn file
        assert document["version"] == 1
        assert set(document["jobs"]) == {DAILY}
        record = document["jobs"][DAILY]
        assert record["jobName"] == DAILY
        assert record["lastSummary"] == "x" * 6000
        assert record["runCount"] > count, "a save went backwards"
        count = record["runCount"]
        assert JsonStateStore(state_dir).load(INSTANT).job(DAILY).run_count == count

    assert count >= ROUNDS
    assert not list(state_dir.glob("*.corrupt-*"))
