"""End to end: secrets of every format in the event log never reach any output.

An event log whose error messages carry one fake secret of every supported format is reported
on by the real daily observability job, day after day (a report shows five example messages,
one per error type, so six days show them all), and posted to the fake GitHub through the real
sink. A second job fails with every secret in its error and in the error's cause. Then the
archived reports (Markdown and JSON), the posted comments, the log lines (at DEBUG, so the
failure's traceback is logged too), the state file and ``status`` (table and JSON) are searched
for any 8-character piece of any secret, and of the GitHub token.
"""

from __future__ import annotations

import json
import logging
import random
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fake_secrets import SAMPLERS, Sample, leftover_secrets
from runner_fakes import DAILY, INSTANT, WEEKLY, raw_config, read_state

from ops_schedule.cli.logs import setup_logging
from ops_schedule.cli.main import cli
from ops_schedule.config import parse_config
from ops_schedule.errors import JobError
from ops_schedule.reports.base import Report
from ops_schedule.reports.jobs import JOBS
from ops_schedule.scheduling.runner import Runner

SAMPLES: dict[str, Sample] = {
    name: SAMPLERS[name](random.Random(f"end-to-end/{name}")) for name in sorted(SAMPLERS)
}
ERROR_TYPES = ("AuthError", "TimeoutError", "UpstreamError", "RateLimitError", "ProtocolError")
DAYS = [INSTANT - timedelta(days=n) for n in range(5, -1, -1)]  # six daily periods, oldest first


def _event_log(path: Path) -> None:
    """Per day, one failed call of each error type, each message carrying one secret."""
    samples = list(SAMPLES.values())
    lines = []
    for day, report_at in enumerate(DAYS):
        for index, error_type in enumerate(ERROR_TYPES):
            number = day * len(ERROR_TYPES) + index
            sample = samples[number % len(samples)]
            at = report_at - timedelta(hours=12 - index)
            for status in ("ok", "fail"):
                event = {
                    "timestamp": at.isoformat(),
                    "type": "internal_mcp_tool_call",
                    "runId": f"run-{number}-{status}",
                    "status": status,
                    "durationMs": 1200 + number,
                    "mcpName": "github",
                    "toolName": "create_issue",
                }
                if status == "fail":
                    event["errorType"] = error_type
                    event["errorMessage"] = f"upstream rejected the request: {sample.text}"
                lines.append(json.dumps(event, ensure_ascii=False))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@dataclass
class LeakyFailingJob:
    """Fails with every secret in its error message and in the error it was caused by."""

    name: str

    def build(self, ctx: Any) -> Report:
        texts = " ; ".join(sample.text for sample in SAMPLES.values())
        raise JobError(f"cannot build: {texts}") from OSError(f"while reading:\n{texts}")


@pytest.mark.usefixtures("no_backoff", "clean_process_state")
def test_no_secret_of_any_format_reaches_any_output(
    tmp_path: Path, capsys, fake_github, github_token
):
    events = tmp_path / "events.jsonl"
    _event_log(events)
    raw = raw_config(
        tmp_path,
        **{DAILY: {"enabled": True, "postToIssue": True}, WEEKLY: {"enabled": True}},
    )
    raw["dashboardIssue"] = fake_github.issue
    raw["github"] = {"repo": fake_github.repo, "apiUrl": fake_github.url, "maxRetrySeconds": 5}
    raw["sources"] = {"events": str(events)}
    config_path = tmp_path / "ops-schedule.json"
    config_path.write_text(json.dumps(raw), encoding="utf-8")
    config = parse_config(raw, environ={})
    clock = [DAYS[0]]
    jobs = {**JOBS, WEEKLY: LeakyFailingJob(WEEKLY)}
    runner = Runner(
        config, jobs=jobs, clock=lambda: clock[0], environ={"GITHUB_TOKEN": github_token}
    )
    setup_logging("json", lambda: runner.redactor, level=logging.DEBUG)

    statuses = []
    for day in DAYS:
        clock[0] = day
        statuses += [o.status for o in runner.run_now(day, [DAILY])]  # type: ignore[union-attr]
    statuses += [o.status for o in runner.run_now(DAYS[-1], [WEEKLY])]  # type: ignore[union-attr]

    assert statuses == ["ok"] * len(DAYS) + ["fail"]
    logs = capsys.readouterr().err
    archive = tmp_path / "reports" / DAILY
    markdown = "\n".join(p.read_text(encoding="utf-8") for p in sorted(archive.glob("*.md")))
    archived_json = [json.loads(p.read_text(encoding="utf-8")) for p in archive.glob("*.json")]
    state = json.dumps(read_state(tmp_path), ensure_ascii=False)
    status_table = CliRunner().invoke(cli, ["--config", str(config_path), "status"])
    status_json = CliRunner().invoke(cli, ["--config", str(config_path), "status", "--json"])

    outputs = {
        "archived markdown": markdown,
        "archived json": json.dumps(archived_json, ensure_ascii=False),
        "posted comments": "\n".join(fake_github.bodies()),
        "log lines": logs,
        "state file": state,
        "status": status_table.output,
        "status --json": status_json.output,
    }
    leaks = {
        where: leftover_secrets(SAMPLES, text, github_token) for where, text in outputs.items()
    }
    assert {where: found for where, found in leaks.items() if found} == {}
    # ... and every secret was there to be removed: each report shows five redacted examples.
    assert len(archived_json) == len(DAYS)
    examples = [row["example"] for data in archived_json for row in data["topFailures"]]
    assert len(examples) == len(DAYS) * len(ERROR_TYPES)
    assert [e for e in examples if "[REDACTED]" not in e] == []
    assert len(fake_github.bodies()) == len(DAYS)
    assert "Traceback (most recent call last)" in logs
    assert "cannot build: [REDACTED]" in status_table.output
    assert json.loads(status_json.output)["jobs"][1]["lastError"].startswith("cannot build:")
