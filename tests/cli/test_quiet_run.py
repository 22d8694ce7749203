"""``ops-schedule run`` with nothing due answers from the kept schedule without loading the
validator or the runner, and says and does exactly what the full run says and does
(docs/performance.md, "Redaction and start-up")."""

from __future__ import annotations

import fcntl
import functools
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from repo import ROOT
from runner_fakes import DAILY, INSTANT, ScriptedJob, jobs_of, raw_config

import ops_schedule.config
from ops_schedule.cli import main as cli
from ops_schedule.cli.commands import run as run_command
from ops_schedule.scheduling import runner as runner_module
from ops_schedule.scheduling import viewcache
from ops_schedule.scheduling.runner import Runner
from ops_schedule.scheduling.viewcache import CACHE_FILE

BEFORE = (INSTANT - timedelta(hours=1)).astimezone(UTC)  # nothing due yet
AFTER = (INSTANT + timedelta(minutes=5)).astimezone(UTC)  # the daily job is due


class Ops:
    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch, **config: object) -> None:
        self.root = root
        self.config = root / "ops-schedule.json"
        self.config.write_text(json.dumps({**raw_config(root), **config}), encoding="utf-8")
        (root / "state").mkdir()
        self.monkeypatch = monkeypatch

    def __call__(
        self, capsys: pytest.CaptureFixture[str], now: datetime, *args: str
    ) -> tuple[int, str, str]:
        self.monkeypatch.setattr(run_command, "utc_now", lambda: now)
        self.monkeypatch.setattr(
            runner_module, "Runner", functools.partial(Runner, clock=lambda: now)
        )
        with pytest.raises(SystemExit) as exited:
            cli.main(["--config", str(self.config), *args], jobs=jobs_of(ScriptedJob(DAILY)))
        out, err = capsys.readouterr()
        assert isinstance(exited.value.code, int)
        return exited.value.code, out, err

    def state(self) -> str:
        path = self.root / "state" / "schedule-state.json"
        return path.read_text("utf-8") if path.exists() else ""


def _no_full_load(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the configuration was validated again")

    monkeypatch.setattr(ops_schedule.config, "load_config", refuse)


def _hold_claim(root: Path) -> int:
    claims = root / "state" / "claims"
    claims.mkdir(exist_ok=True)
    fd = os.open(claims / f"{DAILY}.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fd


def _mark_running(root: Path) -> None:
    path = root / "state" / "schedule-state.json"
    state = json.loads(path.read_text("utf-8"))
    state["jobs"][DAILY]["running"] = {
        "period": "2026-11-26",
        "startedAt": "2026-11-26T00:00:05Z",
        "pid": 2**22 + 17,  # no such process
        "host": os.uname().nodename,
    }
    path.write_text(json.dumps(state), encoding="utf-8")


SCENARIOS = {
    "nothing due": ((), BEFORE, None),
    "nothing due, as JSON": (("--json",), BEFORE, None),
    "a job due": ((), AFTER, None),
    "its claim held by another process": ((), BEFORE, "hold"),
    "an attempt interrupted": ((), BEFORE, "running"),
    "a damaged state file": ((), BEFORE, "damage"),
}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_a_run_from_the_kept_schedule_says_and_does_what_a_full_run_does(
    scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    args, now, twist = SCENARIOS[scenario]
    results = []
    root = tmp_path / "ops"  # the same place both times: outputs and state name paths
    for kept in (False, True):
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir()
        ops = Ops(root, monkeypatch)
        # The day before, a run did the previous period: state exists, the schedule is kept.
        ops(capsys, BEFORE - timedelta(days=1) + timedelta(hours=2), "run")
        if not kept:
            (ops.root / "state" / CACHE_FILE).unlink()
        held = _hold_claim(ops.root) if twist == "hold" else None
        if twist == "running":
            _mark_running(ops.root)
        if twist == "damage":
            (ops.root / "state" / "schedule-state.json").write_text("{", encoding="utf-8")
        try:
            outcome = ops(capsys, now, "run", *args)
        finally:
            if held is not None:
                os.close(held)
        code, out, err = outcome
        # Log lines carry the real time, and a run's state its real duration.
        err = re.sub(r"(?m)^\S+Z ", "", err)
        state = re.sub(r'"lastDurationSeconds": [0-9.]+', "", ops.state())
        corrupt = sorted(p.name for p in (ops.root / "state").glob("*.corrupt-*"))
        results.append(((code, out, err), state, corrupt))
    assert results[1] == results[0]


@pytest.mark.parametrize("as_json", [False, True])
def test_nothing_due_is_told_without_validating_again_and_through_the_configured_redactor(
    as_json, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    ops = Ops(tmp_path, monkeypatch, redaction={"patterns": ["nothing"], "placeholder": "<x>"})
    ops(capsys, BEFORE, "run")  # validates, and keeps the schedule
    _no_full_load(monkeypatch)

    code, out, err = ops(capsys, BEFORE, "run", *(["--json"] if as_json else []))

    assert (code, out, err) == (0, "[]\n" if as_json else "<x> due\n", "")


def test_a_changed_file_is_validated_again_and_its_error_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    ops = Ops(tmp_path, monkeypatch)
    ops(capsys, BEFORE, "run")
    raw = json.loads(ops.config.read_text("utf-8"))
    ops.config.write_text(json.dumps({**raw, "timezone": "Mars/Olympus"}), encoding="utf-8")

    code, out, err = ops(capsys, BEFORE, "run")

    assert (code, out) == (2, "")
    assert "timezone" in err
    assert "Mars/Olympus" in err


def test_run_now_never_answers_from_the_kept_schedule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    ops = Ops(tmp_path, monkeypatch)
    ops(capsys, BEFORE, "run")
    monkeypatch.setattr(viewcache, "cached_schedule", lambda *_: pytest.fail("asked"))

    code, out, _ = ops(capsys, BEFORE, "run", "--now", DAILY)

    assert code == 0
    assert out.startswith(f"{DAILY} 2026-11-26: OK\n")


HEAVY = (
    "pydantic",
    "httpx",
    "rich",
    "prometheus_client",
    "multiprocessing",
    "ops_schedule.config",
    "ops_schedule.reports",
    "ops_schedule.publishing",
    "ops_schedule.service",
    "ops_schedule.scheduling.runner",
)
PROBE = """
import json, sys
from ops_schedule.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
loaded = sorted(n for n in sys.modules if n.split(".")[0] in {"pydantic", "httpx", "rich",
    "prometheus_client", "multiprocessing"} or n.startswith("ops_schedule."))
print(json.dumps({"code": code, "loaded": loaded}), file=sys.__stderr__)
"""


@pytest.mark.slow
def test_a_quiet_run_loads_neither_the_validator_nor_the_runner_nor_the_report_stacks(
    tmp_path: Path,
):
    root = tmp_path
    (root / "state").mkdir()
    config = root / "ops-schedule.json"
    # A weekly job whose instant is days away whatever the day: Monday, and the period done.
    raw = raw_config(root, weekly_observability_report={"enabled": True})
    config.write_text(json.dumps(raw), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    command = [sys.executable, "-c", PROBE, "--config", str(config), "run"]
    first = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if "nothing due" not in first.stdout:  # run on Monday morning: done now, quiet next time
        first = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    assert (root / "state" / CACHE_FILE).is_file(), first.stderr

    quiet = subprocess.run(command, capture_output=True, text=True, env=env, check=False)

    assert quiet.stdout == "nothing due\n", quiet.stderr
    report = json.loads(quiet.stderr.splitlines()[-1])
    assert report["code"] == 0
    heavy = [n for n in report["loaded"] if any(n == h or n.startswith(h + ".") for h in HEAVY)]
    assert heavy == []
