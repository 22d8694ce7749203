"""End to end: secrets of every format in the event log never reach any output.

An event log whose error messages carry one fake secret of every supported format goes through
a run that posts to the fake GitHub; then the archived report (Markdown and JSON), the posted
comment, the log lines, the state file and ``status`` (table and JSON) are searched for any
8-character piece of any secret, and of the GitHub token.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from fake_secrets import SAMPLERS, Sample, survivors
from ops_schedule.cli import cli
from ops_schedule.config import parse_config
from ops_schedule.errors import JobError
from ops_schedule.jobs import Report, register
from ops_schedule.logs import setup_logging
from ops_schedule.output import use_redactor
from ops_schedule.runner import Runner
from runner_fakes import DAILY, INSTANT, WEEKLY, raw_config, read_state, saved_registry

SAMPLES: dict[str, Sample] = {
    name: SAMPLERS[name](random.Random(f"end-to-end/{name}")) for name in sorted(SAMPLERS)
}


def _event_log(path: Path) -> None:
    lines = []
    for index, (name, sample) in enumerate(SAMPLES.items()):
        lines.append(
            json.dumps(
                {
                    "timestamp": f"2026-11-25T{index % 24:02d}:15:00Z",
                    "type": "internal_mcp_tool_call",
                    "runId": f"run-{index}",
                    "status": "fail",
                    "durationMs": 1200 + index,
                    "mcpName": "github",
                    "toolName": "create_issue",
                    "errorType": f"Error{name.title().replace('_', '')}",
                    "errorMessage": f"upstream rejected the request: {sample.text}",
                },
                ensure_ascii=False,
            )
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@dataclass
class FailureReportJob:
    """Stands in for the observability job: failures with their example messages, unredacted,
    in a Markdown table and in the JSON contract's ``topFailures``; it logs them too."""

    name: str
    events: Path

    def build(self, ctx: Any) -> Report:
        events = [json.loads(line) for line in self.events.read_text(encoding="utf-8").splitlines()]
        log = logging.getLogger("ops_schedule.jobs.observability")
        rows = ["| errorType | count | example |", "|---|---:|---|"]
        for event in events:
            log.info("failure %s: %s", event["errorType"], event["errorMessage"])
            example = event["errorMessage"].replace("\n", "<br>")
            rows.append(f"| {event['errorType']} | 1 | `{example}` |")
        data = {
            "job": self.name,
            "period": ctx.period_key,
            "topFailures": [
                {"errorType": e["errorType"], "count": 1, "example": e["errorMessage"]}
                for e in events
            ],
        }
        markdown = "# 日次オブザーバビリティレポート\n\n" + "\n".join(rows) + "\n"
        return Report(self.name, ctx.period_key, "daily: failures", markdown, data)


@dataclass
class LeakyFailingJob:
    """Fails with every secret in its error message (and in the error it was caused by)."""

    name: str

    def build(self, ctx: Any) -> Report:
        texts = [sample.text for sample in SAMPLES.values()]
        cause = OSError("while reading:\n" + "\n".join(texts[len(texts) // 2 :]))
        raise JobError("cannot build: " + " ; ".join(texts[: len(texts) // 2])) from cause


@pytest.fixture
def clean_process_state() -> Iterator[None]:
    """Restore the job registry, the root logger and the process-wide redactor afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    with saved_registry():
        yield
    use_redactor(None)
    root.handlers[:] = handlers
    root.setLevel(level)


def _leaks(text: str, token: str) -> dict[str, list[str]]:
    found = {name: survivors(sample.secret, text) for name, sample in SAMPLES.items()}
    found["GITHUB_TOKEN"] = survivors(token, text)
    return {name: pieces for name, pieces in found.items() if pieces}


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
    config_path = tmp_path / "ops-schedule.json"
    config_path.write_text(json.dumps(raw), encoding="utf-8")
    config = parse_config(raw, environ={})
    register(FailureReportJob(DAILY, events))
    register(LeakyFailingJob(WEEKLY))
    setup_logging("json", lambda: runner.redactor)
    runner = Runner(config, clock=lambda: INSTANT, environ={"GITHUB_TOKEN": github_token})

    outcomes = runner.run_now(INSTANT, [DAILY, WEEKLY])

    assert [o.status for o in outcomes] == ["ok", "fail"]  # type: ignore[union-attr]
    logs = capsys.readouterr().err
    archive = tmp_path / "reports" / DAILY
    markdown = next(archive.glob("*.md")).read_text(encoding="utf-8")
    archived_json = next(archive.glob("*.json")).read_text(encoding="utf-8")
    state = json.dumps(read_state(tmp_path), ensure_ascii=False)
    status_table = CliRunner().invoke(cli, ["--config", str(config_path), "status"])
    status_json = CliRunner().invoke(cli, ["--config", str(config_path), "status", "--json"])

    outputs = {
        "archived markdown": markdown,
        "archived json": archived_json,
        "posted comment": "\n".join(fake_github.bodies()),
        "log lines": logs,
        "state file": state,
        "status": status_table.output,
        "status --json": status_json.output,
    }
    leaks = {where: _leaks(text, github_token) for where, text in outputs.items()}
    assert {where: found for where, found in leaks.items() if found} == {}
    # ... and the outputs are not empty: every secret was there to be removed.
    assert len(fake_github.bodies()) == 1
    assert fake_github.bodies()[0].count("[REDACTED]") >= len(SAMPLES)
    assert markdown.count("[REDACTED]") >= len(SAMPLES)
    assert len(json.loads(archived_json)["topFailures"]) == len(SAMPLES)
    assert logs.count("[REDACTED]") >= len(SAMPLES)
    assert "cannot build: [REDACTED]" in status_table.output
    assert json.loads(status_json.output)["jobs"][1]["lastError"].startswith("cannot build:")
