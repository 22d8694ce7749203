"""Small fake jobs and configs for the state, runner and process tests.

Child processes import this module by name (they start from a fork server, not from a fork
of the test), so everything a child runs lives here at module level and builds its own job
in the child.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

DAILY = "daily_observability_report"
WEEKLY = "weekly_observability_report"
TOKYO = ZoneInfo("Asia/Tokyo")

# The daily job runs at 09:00 in Tokyo (00:00 UTC); 2026-11-26 is a Thursday.
INSTANT = datetime(2026, 11, 26, 9, 0, tzinfo=TOKYO)
WAIT_SECONDS = 20.0  # for waits that normally take milliseconds, on a loaded machine


def raw_config(state_root: Path, **jobs: dict[str, Any]) -> dict[str, Any]:
    """A config document with the global switch on, files under ``state_root``, and the
    given jobs (the daily job alone, enabled, by default)."""
    return {
        "enabled": True,
        "timezone": "Asia/Tokyo",
        "stateDir": str(state_root / "state"),
        "outputDir": str(state_root / "reports"),
        "jobs": jobs or {DAILY: {"enabled": True}},
    }


def make_config(state_root: Path, **jobs: dict[str, Any]) -> Any:
    from ops_schedule.config import parse_config

    return parse_config(raw_config(state_root, **jobs), environ={})


def jobs_of(*fakes: Any) -> dict[str, Any]:
    """The jobs mapping a runner is handed: each fake under its own name."""
    return {fake.name: fake for fake in fakes}


def report(name: str, period_key: str, summary: str = "all fine") -> Any:
    from ops_schedule.reports.base import Report

    return Report(name, period_key, f"{name} {period_key}: {summary}", "# report\n", {"n": 1})


@dataclass
class CountingJob:
    """Appends ``<pid> <period>`` to ``log`` on every execution, so executions can be counted
    across processes."""

    name: str
    log: Path

    def build(self, ctx: Any) -> Any:
        with self.log.open("a", encoding="utf-8") as handle:
            handle.write(f"{os.getpid()} {ctx.period_key}\n")
        return report(self.name, ctx.period_key)


def executions(log: Path) -> list[str]:
    """The period keys of the executions recorded by :class:`CountingJob`."""
    if not log.exists():
        return []
    return [line.split()[1] for line in log.read_text(encoding="utf-8").splitlines()]


@dataclass
class ScriptedJob:
    """Does, on its n-th execution, what ``script[n]`` says ("ok", "skip" or an exception);
    "ok" once the script runs out. Keeps every context it was given."""

    name: str
    script: list[str | BaseException] = field(default_factory=list)
    contexts: list[Any] = field(default_factory=list)
    on_build: Callable[[Any], None] | None = None

    def build(self, ctx: Any) -> Any:
        from ops_schedule.reports.base import Skipped

        self.contexts.append(ctx)
        if self.on_build is not None:
            self.on_build(ctx)
        done = len(self.contexts)
        step = self.script[done - 1] if done <= len(self.script) else "ok"
        if isinstance(step, BaseException):
            raise step
        if step == "skip":
            return Skipped("no incident data for the period")
        return report(self.name, ctx.period_key)


@dataclass
class BlockingJob:
    """Writes ``ready`` (with its pid) when it starts, then blocks until killed (or a minute
    passes, so a forgotten child cannot outlive the suite for long)."""

    name: str
    ready: Path

    def build(self, ctx: Any) -> Any:
        # Written whole, then renamed: the parent polls for the file and reads it at once.
        partial = self.ready.with_suffix(".partial")
        partial.write_text(str(os.getpid()), encoding="utf-8")
        partial.replace(self.ready)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            time.sleep(0.05)
        return report(self.name, ctx.period_key)


def wait_for(predicate: Callable[[], bool], what: str, timeout: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.01)


def read_state(state_root: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        (state_root / "state" / "schedule-state.json").read_text(encoding="utf-8")
    )
    return document


# --------------------------------------------------------------------------- child processes
# Each runs in a process of its own: it builds its own job, then does its part.


def child_runs_at_once(
    state_root: Path, mode: str, now: datetime, barrier: Any, result: Path
) -> None:
    """Wait for the others, then ``tick`` (``run``) or ``run_now`` (``run --now``) once."""
    from ops_schedule.scheduling.runner import NotRun, Runner

    job = CountingJob(DAILY, state_root / "executions.log")
    runner = Runner(make_config(state_root), jobs=jobs_of(job), clock=lambda: now)
    barrier.wait(WAIT_SECONDS)
    outcomes = runner.tick(now) if mode == "tick" else runner.run_now(now, [DAILY])
    statuses = ["not-run" if isinstance(o, NotRun) else o.status for o in outcomes]
    result.write_text(" ".join(statuses) or "nothing", encoding="utf-8")


def child_ticks_through_periods(state_root: Path, instants: list[datetime], barrier: Any) -> None:
    """Tick once in each period, all processes together, one period after another."""
    from ops_schedule.scheduling.runner import Runner

    job = CountingJob(DAILY, state_root / "executions.log")
    runner = Runner(make_config(state_root), jobs=jobs_of(job))
    for now in instants:
        barrier.wait(WAIT_SECONDS)
        runner.clock = lambda now=now: now
        runner.tick(now)
    barrier.wait(WAIT_SECONDS)


def child_blocks_in_job(state_root: Path, now: datetime) -> None:
    """Tick at ``now`` with a job that blocks mid-run (until the parent kills this process)."""
    from ops_schedule.scheduling.runner import Runner

    job = BlockingJob(DAILY, state_root / "job-started")
    Runner(make_config(state_root), jobs=jobs_of(job), clock=lambda: now).tick(now)


def child_saves_in_a_loop(state_dir: Path, ready: Path, now: datetime) -> None:
    """Count up in the state file, one transaction per step, until killed (at most 20 s)."""
    from ops_schedule.store.file import JsonStateStore
    from ops_schedule.store.records import JobRecord

    store = JsonStateStore(state_dir)
    padding = "x" * 6000  # a file of several pages, so a torn write would show
    deadline = time.monotonic() + WAIT_SECONDS
    first = True
    while time.monotonic() < deadline:
        with store.transaction(now) as txn:
            record = txn.job(DAILY)
            txn.put(
                JobRecord(
                    job_name=DAILY,
                    run_count=record.run_count + 1,
                    last_status="ok",
                    last_summary=padding,
                    last_period=now.date().isoformat(),
                )
            )
        if first:
            ready.write_text("saving", encoding="utf-8")
            first = False


def child_forks_a_guarded_helper(pid_file: Path) -> None:
    """Fork a helper that sets the parent-death guard, writes its pid and sleeps; then wait to
    be killed (at most ``WAIT_SECONDS``)."""
    from ops_schedule.processes import parent_death_guard

    guard = parent_death_guard()
    parent = os.getpid()
    if os.fork() == 0:  # the helper
        guard(parent)
        partial = pid_file.with_suffix(".partial")
        partial.write_text(str(os.getpid()), encoding="utf-8")
        partial.replace(pid_file)
        time.sleep(WAIT_SECONDS)
        os._exit(0)
    time.sleep(WAIT_SECONDS)


def child_claims_and_forks(state_root: Path, pid_file: Path) -> None:
    """Take the daily job's claim, fork a helper that outlives this process (it sleeps), write
    the helper's pid, then wait to be killed (at most ``WAIT_SECONDS``)."""
    from ops_schedule.store.base import Busy
    from ops_schedule.store.file import JsonStateStore

    with JsonStateStore(state_root / "state").claim(DAILY, INSTANT) as claimed:
        assert not isinstance(claimed, Busy)
        helper = os.fork()
        if helper == 0:
            time.sleep(WAIT_SECONDS)
            os._exit(0)
        partial = pid_file.with_suffix(".partial")
        partial.write_text(str(helper), encoding="utf-8")
        partial.replace(pid_file)
        time.sleep(WAIT_SECONDS)
