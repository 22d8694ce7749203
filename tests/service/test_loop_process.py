"""The `loop` command as a real process: signals, heartbeat and state on disk."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

DAILY = "daily_observability_report"

# Runs `ops-schedule loop` with the daily job replaced by one that takes a while, so a signal
# can arrive while it is in flight. The job is due at once: its time is now, in UTC.
SLOW_LOOP = """
import sys, time
from pathlib import Path
from ops_schedule.reports.base import Skipped

class SlowJob:
    name = "daily_observability_report"
    def build(self, ctx):
        Path("job-started").write_text(ctx.period_key)
        time.sleep(float(sys.argv[1]))
        Path("job-finished").write_text(ctx.period_key)
        return Skipped("slow job done")

from ops_schedule.cli.main import main
main(
    ["--config", "ops-schedule.json", "loop", "--interval", "60"],
    jobs={"daily_observability_report": SlowJob()},
)
"""


def write_config(directory: Path, *, at: str = "09:00") -> None:
    config = {
        "enabled": True,
        "timezone": "UTC",
        "stateDir": "state",
        "outputDir": "reports",
        "jobs": {DAILY: {"enabled": True, "at": at}},
    }
    (directory / "ops-schedule.json").write_text(json.dumps(config), encoding="utf-8")


def wait_for(predicate: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def heartbeat(directory: Path) -> dict[str, object]:
    path = directory / "state" / "heartbeat.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    environ = {
        k: v for k, v in os.environ.items() if not k.startswith(("OPS_SCHEDULE_", "GITHUB_"))
    }

    def start(*args: str) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, *args],
            cwd=tmp_path,
            env=environ,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate()


def test_sigterm_between_ticks_stops_the_loop_at_once_with_the_heartbeat_saved(tmp_path, spawn):
    write_config(tmp_path)
    process = spawn("-m", "ops_schedule", "--config", "ops-schedule.json", "loop")
    wait_for(lambda: heartbeat(tmp_path).get("lastTickAt") is not None)
    sent = time.monotonic()
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0, stderr
    assert time.monotonic() - sent < 5
    beat = heartbeat(tmp_path)
    assert beat["stoppedAt"] is not None
    assert beat["ticks"] == 1
    state = json.loads((tmp_path / "state" / "schedule-state.json").read_text(encoding="utf-8"))
    assert DAILY in state["jobs"]
    assert "SIGTERM: stopping after the tick in flight" in stderr
    # One line per event, stamped in UTC.
    assert re.search(
        r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO ops_schedule: loop started: enabled, "
        r"zone UTC",
        stderr,
        re.MULTILINE,
    )


def test_sigterm_during_a_job_lets_the_job_finish_and_records_it(tmp_path, spawn):
    write_config(tmp_path, at=time.strftime("%H:%M", time.gmtime()))
    (tmp_path / "slow_loop.py").write_text(SLOW_LOOP, encoding="utf-8")
    process = spawn("slow_loop.py", "1.5")
    wait_for((tmp_path / "job-started").exists)
    sent = time.monotonic()
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0, stderr
    assert time.monotonic() - sent < 5
    assert (tmp_path / "job-finished").exists()
    state = json.loads((tmp_path / "state" / "schedule-state.json").read_text(encoding="utf-8"))
    record = state["jobs"][DAILY]
    assert record["lastStatus"] == "skipped"
    assert record["lastPeriod"] == (tmp_path / "job-started").read_text(encoding="utf-8")


def test_a_second_signal_abandons_the_job_and_the_attempt_is_recorded(tmp_path, spawn):
    write_config(tmp_path, at=time.strftime("%H:%M", time.gmtime()))
    (tmp_path / "slow_loop.py").write_text(SLOW_LOOP, encoding="utf-8")
    process = spawn("slow_loop.py", "30")
    wait_for((tmp_path / "job-started").exists)
    process.send_signal(signal.SIGTERM)
    time.sleep(0.3)  # two signals that arrive together are delivered to Python as one
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=10)
    assert process.returncode == 128 + signal.SIGTERM, stderr
    assert not (tmp_path / "job-finished").exists()
    state = json.loads((tmp_path / "state" / "schedule-state.json").read_text(encoding="utf-8"))
    record = state["jobs"][DAILY]
    assert record["lastStatus"] == "fail"
    assert record["lastError"] == "interrupted: stopped by a signal"
