from __future__ import annotations

import functools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from runner_fakes import DAILY, INSTANT, ScriptedJob, jobs_of, raw_config

from ops_schedule.cli import main as cli
from ops_schedule.cli.commands import run as run_command
from ops_schedule.cli.commands import status as status_command
from ops_schedule.scheduling import runner as runner_module
from ops_schedule.scheduling.runner import Runner

NOW = (INSTANT + timedelta(minutes=5)).astimezone(UTC)  # 2026-11-26 09:05 in Tokyo


class Cli:
    """Runs ``ops-schedule --config <file> …`` at a fixed clock reading."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root = tmp_path
        self.config = tmp_path / "ops-schedule.json"
        self.config.write_text(json.dumps(raw_config(tmp_path)), encoding="utf-8")
        self.monkeypatch = monkeypatch
        self.jobs: dict[str, ScriptedJob] = {}
        self.at(NOW)

    def use(self, job: ScriptedJob) -> None:
        """Run ``job`` under its name instead of the real one."""
        self.jobs.update(jobs_of(job))

    def at(self, now: datetime) -> None:
        self.monkeypatch.setattr(run_command, "utc_now", lambda: now)
        self.monkeypatch.setattr(status_command, "utc_now", lambda: now)
        # run imports the runner when it needs it: patched where it lives.
        self.monkeypatch.setattr(
            runner_module, "Runner", functools.partial(Runner, clock=lambda: now)
        )

    def __call__(self, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
        with pytest.raises(SystemExit) as exited:
            cli.main(["--config", str(self.config), *args], jobs=self.jobs)
        out, err = capsys.readouterr()
        code = exited.value.code
        assert isinstance(code, int)
        return code, out, err


@pytest.fixture
def ops(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    return Cli(tmp_path, monkeypatch)


def test_run_with_nothing_due_says_so_and_exits_0(ops: Cli, capsys: pytest.CaptureFixture[str]):
    ops.use(ScriptedJob(DAILY))
    ops.at(NOW - timedelta(hours=1))

    assert ops(capsys, "run") == (0, "nothing due\n", "")


def test_run_runs_the_due_job_and_prints_the_outcome(ops: Cli, capsys: pytest.CaptureFixture[str]):
    ops.use(ScriptedJob(DAILY))

    code, out, _ = ops(capsys, "run")

    reports = ops.root / "reports" / DAILY
    assert code == 0
    assert out == (
        f"{DAILY} 2026-11-26: OK\n"
        f"  {DAILY} 2026-11-26: all fine\n"
        f"  archived: {reports / '2026-11-26.md'}\n"
        f"  archived: {reports / '2026-11-26.json'}\n"
    )
    assert ops(capsys, "run")[:2] == (0, "nothing due\n")


def test_run_now_runs_the_named_job_and_prints_the_outcome(
    ops: Cli, capsys: pytest.CaptureFixture[str]
):
    ops.use(ScriptedJob(DAILY))
    ops.at(NOW - timedelta(hours=2))  # before the period's instant

    code, out, _ = ops(capsys, "run", "--now", DAILY)

    assert code == 0
    assert out.startswith(f"{DAILY} 2026-11-26: OK\n  {DAILY} 2026-11-26: all fine\n")


def test_run_now_on_a_done_period_says_why_it_did_not_run(
    ops: Cli, capsys: pytest.CaptureFixture[str]
):
    ops.use(ScriptedJob(DAILY))
    ops(capsys, "run")

    code, out, _ = ops(capsys, "run", "--now", DAILY)

    assert code == 0
    assert out == (
        f"{DAILY} 2026-11-26: not run: already done for 2026-11-26 (use --force to rerun)\n"
    )


def test_run_exits_1_when_the_job_fails(ops: Cli, capsys: pytest.CaptureFixture[str]):
    ops.use(ScriptedJob(DAILY, [RuntimeError("the events file is missing")]))

    code, out, _ = ops(capsys, "run", "--now", DAILY)

    assert code == 1
    assert out == f"{DAILY} 2026-11-26: FAIL\n  error: RuntimeError: the events file is missing\n"


def test_run_now_with_an_unknown_job_is_a_usage_error(ops: Cli, capsys: pytest.CaptureFixture[str]):
    code, out, err = ops(capsys, "run", "--now", "bogus")

    assert (code, out) == (2, "")
    assert err.splitlines()[-1] == (
        "Error: unknown job 'bogus' (jobs: daily_observability_report, "
        "weekly_observability_report, weekly_improvement_digest) (see 'ops-schedule run --help')"
    )
    assert len(err.splitlines()) == 1


def test_status_shows_a_row_per_job(ops: Cli, capsys: pytest.CaptureFixture[str]):
    ops.use(ScriptedJob(DAILY))
    ops(capsys, "run")

    code, out, err = ops(capsys, "status")

    state_file = ops.root / "state" / "schedule-state.json"
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"ops-schedule: enabled; zone Asia/Tokyo; state {state_file}",
        (
            "job                          on   schedule          next run (local / UTC)         "
            "period      state     last run          last  fails"
        ),
        (
            "daily_observability_report   yes  daily 09:00       2026-11-27 09:00 JST / 00:00Z  "
            "2026-11-26  done      2026-11-26 09:05  ok    0"
        ),
        (
            "weekly_observability_report  no   weekly Mon 09:10  2026-11-30 09:10 JST / 00:10Z  "
            "2026-W48    disabled  -                 -     0"
        ),
        (
            "weekly_improvement_digest    no   weekly Mon 09:20  2026-11-30 09:20 JST / 00:20Z  "
            "2026-W48    disabled  -                 -     0"
        ),
    ]


def test_status_flags_a_job_that_failed_three_times(ops: Cli, capsys: pytest.CaptureFixture[str]):
    ops.use(ScriptedJob(DAILY, [RuntimeError("no data")] * 3))
    for minutes in (0, 1, 3):
        ops.at(NOW + timedelta(minutes=minutes))
        assert ops(capsys, "run")[0] == 1

    out = ops(capsys, "status")[1]

    assert f"! {DAILY}: 3 consecutive failures\n" in out
    assert f"  {DAILY} last error: RuntimeError: no data\n" in out


def test_status_json_has_the_documented_keys(ops: Cli, capsys: pytest.CaptureFixture[str]):
    ops.use(ScriptedJob(DAILY))
    ops(capsys, "run")

    code, out, _ = ops(capsys, "status", "--json")

    assert code == 0
    document = json.loads(out)
    daily, *weekly = document["jobs"]
    documented = {
        "job": DAILY,
        "enabled": True,
        "nextRun": "2026-11-27T00:00:00Z",
        "nextRunLocal": "2026-11-27T09:00:00+09:00",
        "period": "2026-11-26",
        "periodState": "done",
        "lastRunAt": "2026-11-26T00:05:00+00:00",
        "lastStatus": "ok",
        "consecutiveFailures": 0,
        "flagged": False,
    }
    assert {key: daily[key] for key in documented} == documented
    assert [row["job"] for row in weekly] == [
        "weekly_observability_report",
        "weekly_improvement_digest",
    ]
    assert all(set(documented) <= set(row) for row in weekly)
    assert document["timezone"] == "Asia/Tokyo"


def test_run_json_gives_one_object_per_job_with_stable_keys(
    ops: Cli, capsys: pytest.CaptureFixture[str]
):
    ops.use(ScriptedJob(DAILY))

    code, out, _ = ops(capsys, "run", "--json")
    again_code, again, _ = ops(capsys, "run", "--now", "--json", DAILY)

    assert code == again_code == 0
    [ran] = json.loads(out)
    reports = ops.root / "reports" / DAILY
    assert ran == {
        "job": DAILY,
        "period": "2026-11-26",
        "status": "ok",
        "summary": f"{DAILY} 2026-11-26: all fine",
        "error": None,
        "startedAt": "2026-11-26T00:05:00+00:00",
        "finishedAt": "2026-11-26T00:05:00+00:00",
        "archived": [str(reports / "2026-11-26.md"), str(reports / "2026-11-26.json")],
        "commentUrl": None,
        "forced": False,
    }
    assert json.loads(again) == [
        {
            "job": DAILY,
            "period": "2026-11-26",
            "status": "not-run",
            "reason": "already done for 2026-11-26 (use --force to rerun)",
            "staleClaim": False,
        }
    ]


def test_run_with_an_unusable_state_directory_is_one_error_line_and_exit_1(
    ops: Cli, capsys: pytest.CaptureFixture[str]
):
    ops.use(ScriptedJob(DAILY))
    (ops.root / "occupied").write_text("", encoding="utf-8")
    document = raw_config(ops.root / "occupied")
    ops.config.write_text(json.dumps(document), encoding="utf-8")

    code, out, err = ops(capsys, "run")

    assert (code, out) == (1, "")
    assert err == (
        f"Error: cannot use the state directory {ops.root / 'occupied' / 'state'}: Not a "
        "directory; check that it exists and is writable (config: stateDir)\n"
    )
