"""JSON log lines carry fields (job, period, status, durationMs) a log store can filter on."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Iterator
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from runner_fakes import DAILY, INSTANT, ScriptedJob, jobs_of, raw_config

from ops_schedule.cli import main as cli
from ops_schedule.cli.commands import run as run_command
from ops_schedule.cli.logs import setup_logging
from ops_schedule.errors import JobError
from ops_schedule.redaction import build_redactor
from ops_schedule.scheduling import runner as runner_module
from ops_schedule.scheduling.runner import Runner
from ops_schedule.store.base import Busy
from ops_schedule.store.file import JsonStateStore

# cli.main switches the process-wide redactor and logging; put them back.
pytestmark = pytest.mark.usefixtures("clean_process_state")

NOW = (INSTANT + timedelta(minutes=5)).astimezone(UTC)


@pytest.fixture(autouse=True)
def root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def run(tmp_path: Path, monkeypatch, capsys, job: ScriptedJob, *args: str) -> list[dict]:
    config = tmp_path / "ops.json"
    config.write_text(json.dumps(raw_config(tmp_path)), encoding="utf-8")
    monkeypatch.setattr(run_command, "utc_now", lambda: NOW)
    monkeypatch.setattr(runner_module, "Runner", functools.partial(Runner, clock=lambda: NOW))
    with pytest.raises(SystemExit):
        cli.main(["--log-format", "json", "--config", str(config), "run", *args], jobs=jobs_of(job))
    return [json.loads(line) for line in capsys.readouterr().err.splitlines()]


def test_a_run_is_logged_with_its_job_period_status_and_duration(tmp_path, monkeypatch, capsys):
    (line,) = run(tmp_path, monkeypatch, capsys, ScriptedJob(DAILY), "--now", DAILY)
    assert line["level"] == "INFO"
    assert line["job"] == DAILY
    assert line["period"] == "2026-11-26"
    assert line["status"] == "ok"
    assert isinstance(line["durationMs"], int)
    assert line["durationMs"] >= 0
    assert line["message"] == f"{DAILY} 2026-11-26: {DAILY} 2026-11-26: all fine"


def test_a_failed_run_says_fail_in_its_status_field(tmp_path, monkeypatch, capsys):
    job = ScriptedJob(DAILY, script=[JobError("the event log is unreadable")])
    (line,) = run(tmp_path, monkeypatch, capsys, job, "--now", DAILY)
    assert (line["level"], line["status"], line["job"]) == ("WARNING", "fail", DAILY)
    assert line["message"].endswith("the event log is unreadable")


def test_a_job_another_process_runs_is_logged_as_not_run(tmp_path, monkeypatch, capsys):
    store = JsonStateStore(tmp_path / "state")
    with store.claim(DAILY, NOW) as claim:  # held by this test, as another runner would
        assert not isinstance(claim, Busy)
        lines = run(tmp_path, monkeypatch, capsys, ScriptedJob(DAILY), "--now", DAILY)
    (line,) = (line for line in lines if line.get("job") == DAILY)
    assert (line["status"], line["period"]) == ("not-run", "2026-11-26")


def test_text_lines_stay_one_plain_line(tmp_path, monkeypatch, capsys):
    config = tmp_path / "ops.json"
    config.write_text(json.dumps(raw_config(tmp_path)), encoding="utf-8")
    monkeypatch.setattr(run_command, "utc_now", lambda: NOW)
    monkeypatch.setattr(runner_module, "Runner", functools.partial(Runner, clock=lambda: NOW))
    with pytest.raises(SystemExit):
        cli.main(["--config", str(config), "run", "--now", DAILY], jobs=jobs_of(ScriptedJob(DAILY)))
    (line,) = capsys.readouterr().err.splitlines()
    assert line.endswith(
        f"INFO ops_schedule.scheduling.runner: {DAILY} 2026-11-26: {DAILY} 2026-11-26: all fine"
    )
    assert "durationMs" not in line


def test_the_http_library_never_logs_its_requests_whose_urls_hold_secrets():
    setup_logging("json", build_redactor(), level=logging.DEBUG)
    assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING
    assert logging.getLogger("httpcore").getEffectiveLevel() >= logging.WARNING
