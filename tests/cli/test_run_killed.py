"""`ops-schedule run` killed while its reader processes read a large log, from the outside.

The weekly report reads a log of more than 8 MiB with one worker process per core. Whatever
stops the run (SIGKILL: no handler runs; SIGTERM: a clean stop), no process of it stays behind,
its claim on the job is free at once, and the next run proceeds.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ops_schedule.store.base import Busy
from ops_schedule.store.file import JsonStateStore

pytestmark = pytest.mark.slow

WEEKLY = "weekly_observability_report"
LOG_BYTES = 48 << 20  # several seconds of reading on two cores: time to kill it mid-read
WAIT = 30.0
COMMAND = (sys.executable, "-m", "ops_schedule", "--config", "ops-schedule.json", "run")
COMMAND += ("--now", "--force")


def write_log(path: Path, end: datetime) -> None:
    """About ``LOG_BYTES`` of valid events, evenly spread over the two weeks before ``end``
    (the weekly report's two windows), from many MCPs with many distinct durations: each
    reader's counters are then far larger than a pipe holds."""
    line = (
        '{{"timestamp":"{}","status":"ok","type":"internal_mcp_tool_call","mcpName":"mcp-{}",'
        '"toolName":"search_code","durationMs":{},"runId":"run-{:08d}"}}\n'
    )
    sample = len(line.format("2026-11-26T00:00:00.000Z", 10, 1234, 0))
    count = LOG_BYTES // sample
    start = end - timedelta(days=14)
    step = (end - start) / count
    with path.open("w", encoding="utf-8") as handle:
        for index in range(count):
            at = (start + step * index).isoformat(timespec="milliseconds")
            mcp, duration = index % 41, index * 7919 % 9973
            handle.write(line.format(at.replace("+00:00", "Z"), mcp, duration, index))


def children_of(pid: int) -> set[int]:
    """The pids whose parent is ``pid`` (read from /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text(encoding="ascii", errors="replace")
        except OSError:
            continue
        # The second field (the command) may hold spaces; the ppid follows its closing ')'.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has already exited


def wait_for(predicate: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.01)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    now = datetime.now(UTC)
    (tmp_path / "logs").mkdir()
    write_log(tmp_path / "logs" / "events.jsonl", now)
    config = {
        "enabled": True,
        "timezone": "UTC",
        "stateDir": "state",
        "outputDir": "reports",
        "sources": {"events": "logs/events.jsonl"},
        "jobs": {WEEKLY: {"enabled": True}},
    }
    (tmp_path / "ops-schedule.json").write_text(json.dumps(config), encoding="utf-8")
    return tmp_path


class Run:
    """One ``ops-schedule run --now --force`` process; its output goes to files, not pipes, so
    that a process it leaves behind cannot keep the test waiting for the end of a pipe."""

    def __init__(self, workspace: Path, number: int, environ: dict[str, str]) -> None:
        self.out = workspace / f"run-{number}.out"
        self.err = workspace / f"run-{number}.err"
        with self.out.open("w") as stdout, self.err.open("w") as stderr:
            self.process = subprocess.Popen(
                [*COMMAND, WEEKLY],
                cwd=workspace,
                env=environ,
                stdout=stdout,
                stderr=stderr,
            )
        self.pid = self.process.pid

    def wait(self, timeout: float = WAIT) -> tuple[int, str, str]:
        code = self.process.wait(timeout)
        return code, self.out.read_text(encoding="utf-8"), self.err.read_text(encoding="utf-8")


@pytest.fixture
def start(workspace: Path) -> Iterator[Callable[[], Run]]:
    started: list[Run] = []
    environ = {
        k: v for k, v in os.environ.items() if not k.startswith(("OPS_SCHEDULE_", "GITHUB_"))
    }

    def run_now() -> Run:
        started.append(Run(workspace, len(started), environ))
        return started[-1]

    yield run_now
    for run in started:
        for pid in children_of(run.pid):  # readers left behind by a failed test
            os.kill(pid, signal.SIGKILL)
        if run.process.poll() is None:
            run.process.kill()
        run.process.wait()


def kill_mid_read(run: Run, sig: int, rng: random.Random) -> set[int]:
    """Wait until the run's reader processes exist, then send ``sig`` to the run alone."""
    workers: set[int] = set()

    def reading() -> bool:
        workers.update(children_of(run.pid))
        return len(workers) >= 2 or run.process.poll() is not None

    wait_for(reading, "the reader processes to start")
    time.sleep(rng.uniform(0.02, 0.25))
    assert run.process.poll() is None, "the run ended before it could be stopped mid-read"
    run.process.send_signal(sig)
    return workers


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_run_stopped_mid_read_leaves_no_process_and_no_claim_and_the_next_run_proceeds(
    workspace: Path, start: Callable[[], Run], sig: int
):
    rng = random.Random(sig)
    store = JsonStateStore(workspace / "state")
    for round_number in range(3):
        run = start()
        workers = kill_mid_read(run, sig, rng)
        code, _, stderr = run.wait()

        wait_for(lambda w=workers: not any(alive(pid) for pid in w), "the readers to exit")
        with store.claim(WEEKLY, datetime.now(UTC)) as claimed:
            assert not isinstance(claimed, Busy), (
                f"round {round_number}: the claim outlived the run"
            )
        record = json.loads((workspace / "state" / "schedule-state.json").read_text())["jobs"]
        if sig == signal.SIGTERM:
            assert code == 128 + signal.SIGTERM, stderr
            lines = stderr.strip().splitlines()
            assert lines[-1] == (
                "Error: stopped by SIGTERM; any run in flight is recorded as interrupted and "
                "the next run retries it"
            ), stderr
            assert "Traceback" not in stderr
            assert record[WEEKLY]["lastError"] == "interrupted: stopped by a signal"
            assert record[WEEKLY]["running"] is None
        else:
            assert code == -signal.SIGKILL
            assert record[WEEKLY]["running"] is not None  # the next run records it

    code, stdout, stderr = start().wait(120)
    assert code == 0, stderr
    assert f"{WEEKLY} " in stdout
    assert ": OK" in stdout.splitlines()[0]
    record = json.loads((workspace / "state" / "schedule-state.json").read_text())["jobs"][WEEKLY]
    assert record["lastStatus"] == "ok"
    assert record["running"] is None
    assert record["runCount"] == 4  # three stopped attempts, each recorded, and the last
