"""Black box: reports built from hostile logs, posted to the fake GitHub, are inert and clean.

The real jobs read an event log and an incident file whose every text field an attacker wrote:
Markdown, HTML, mentions, references, links, and secrets of every built-in format. The
comments that reach the fake GitHub are rendered as GitHub renders them (cmark-gfm with its
extensions) and must hold no element, link, mention or reference that came from the data; no
output of any kind (comment, archives, log lines, state, ``status``, ``report``) may hold a
secret, wherever in the data it was written.
"""

from __future__ import annotations

import json
import logging
import random
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fake_secrets import SAMPLERS, Sample, leftover_secrets
from gfm import active_text, render
from runner_fakes import DAILY, INSTANT, raw_config, read_state

from ops_schedule.cli.logs import setup_logging
from ops_schedule.cli.main import cli
from ops_schedule.config import parse_config
from ops_schedule.reports.jobs import JOBS
from ops_schedule.scheduling.runner import Runner

DIGEST = "weekly_improvement_digest"
HOSTILE = (
    "@octocat",
    "@acme/ops-team",
    "see #123 and acme/other#9",
    "fixed by deadbeefcafe1234, GH-12",
    "<img src=https://tracker.example/p.png>",
    "![x](https://tracker.example/pixel.png)",
    "[click](https://phish.example/login)",
    "https://phish.example/bare www.phish.example",
    "<b>bold</b><details><summary>s</summary>d</details>",
    "**loud** ~~gone~~ _it_",
    "# heading",
    "| a | b |",
    "```",
    "`x` ``y``",
)
# Words of the hostile values that must never appear outside <code>.
TELLTALES = ("octocat", "ops-team", "tracker.example", "phish.example", "deadbeef", "heading")
ALLOWED_TAGS = {
    "root", "h2", "h3", "h4", "p", "strong", "em", "table", "thead", "tbody", "tr", "th", "td",
    "code", "pre", "ul", "ol", "li", "hr", "blockquote",
}  # fmt: skip


def _events(values: list[str], end: Any) -> list[dict[str, Any]]:
    """Per value: an MCP of that name, failing with that error type and message, its breaker
    opened (the name also in the transition's metadata), all within the day before ``end``."""
    events: list[dict[str, Any]] = []
    for index, value in enumerate(values):
        at = end - timedelta(hours=10, minutes=index)
        events.append(
            {
                "timestamp": at.isoformat(),
                "type": "circuit_breaker",
                "status": "ok",
                "metadata": {"circuit": "open", "mcp": value, "detail": value},
            }
        )
        for call in range(30):
            failed = call < 25
            event = {
                "timestamp": (at + timedelta(seconds=call)).isoformat(),
                "type": "internal_mcp_tool_call",
                "runId": f"run-{index}-{call}",
                "status": "fail" if failed else "ok",
                "durationMs": 100 + call,
                "mcpName": value,
                "toolName": value,
                "metadata": {"note": value},
            }
            if failed:
                event |= {"errorType": value, "errorMessage": f"upstream said: {value}"}
            events.append(event)
    return events


def _incident(key: str, value: str) -> dict[str, Any]:
    return {
        "incidentKey": f"{key} {value}",
        "firstSeen": "2026-11-18T01:00:00Z",
        "lastSeen": "2026-11-18T01:30:00Z",
        "currentStatus": "active",
        "severity": "critical",
        "occurrenceCount": 3,
        "topReasons": [value, f"timeout talking to {value}"],
        "affectedComponents": [value],
        "summary": value,
    }


def _write_lines(path: Path, records: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = (json.dumps(r, ensure_ascii=False) for r in records)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _config(tmp_path: Path, fake_github: Any) -> tuple[dict[str, Any], Path]:
    raw = raw_config(
        tmp_path,
        **{DAILY: {"enabled": True, "postToIssue": True}, DIGEST: {"postToIssue": True}},
    )
    raw |= {
        "locale": "en",
        "dashboardIssue": fake_github.issue,
        "github": {"repo": fake_github.repo, "apiUrl": fake_github.url, "maxRetrySeconds": 5},
        "sources": {
            "events": str(tmp_path / "events.jsonl"),
            "incidents": str(tmp_path / "incidents.jsonl"),
        },
    }
    path = tmp_path / "ops-schedule.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    return raw, path


@pytest.mark.usefixtures("no_backoff")
@pytest.mark.parametrize("locale", ["en", "ja"])
def test_comments_built_from_hostile_logs_render_with_nothing_active_from_the_log(
    tmp_path: Path, fake_github, github_token, locale
):
    _write_lines(tmp_path / "events.jsonl", _events(list(HOSTILE), INSTANT))
    _write_lines(
        tmp_path / "incidents.jsonl", [_incident(f"i{n}", v) for n, v in enumerate(HOSTILE)]
    )
    raw, _ = _config(tmp_path, fake_github)
    raw["locale"] = locale
    runner = Runner(
        parse_config(raw, environ={}),
        jobs=JOBS,
        clock=lambda: INSTANT,
        environ={"GITHUB_TOKEN": github_token},
    )

    outcomes = runner.run_now(INSTANT, [DAILY, DIGEST])

    assert [getattr(o, "status", None) for o in outcomes] == ["ok", "ok"]
    bodies = fake_github.bodies()
    assert len(bodies) == 2
    for body in bodies:
        root = render(body)
        assert {node.tag for node in root.elements()} <= ALLOWED_TAGS
        assert active_text(root) == []
        outside = "".join(root.texts_outside())
        assert [word for word in TELLTALES if word in outside] == []
        inside = " ".join(code.text() for code in root.find_all("code"))
        assert "@octocat" in inside  # the data is there, as text
        assert "tracker.example" in inside
    daily = render(bodies[0])
    mcp_table = daily.find_all("table")[1]
    assert len(mcp_table.find_all("tr")) == 1 + len(HOSTILE)  # one row per MCP, none broken
    proposals = daily.find_all("ol")[0].find_all("li")
    assert proposals
    assert all(item.find_all("code") for item in proposals)


WEEKLY = "weekly_observability_report"


@pytest.mark.usefixtures("no_backoff")
@pytest.mark.parametrize("locale", ["en", "ja"])
def test_a_weekly_report_with_a_trend_and_follow_ups_from_hostile_archives_is_inert(
    tmp_path: Path, fake_github, github_token, locale
):
    # Two weeks of hostile events: the first week's archive feeds this week's trend (p95 per
    # MCP, failures by error type) and the follow-up of its proposals.
    last_week = INSTANT - timedelta(days=7)
    events = _events(list(HOSTILE), last_week) + _events(list(HOSTILE), INSTANT)
    _write_lines(tmp_path / "events.jsonl", events)
    raw, _ = _config(tmp_path, fake_github)
    raw["locale"] = locale
    raw["jobs"][WEEKLY] = {"enabled": True, "postToIssue": True}
    config = parse_config(raw, environ={})
    for now in (last_week, INSTANT):
        runner = Runner(
            config, jobs=JOBS, clock=lambda now=now: now, environ={"GITHUB_TOKEN": github_token}
        )
        assert [getattr(o, "status", None) for o in runner.run_now(now, [WEEKLY])] == ["ok"]

    body = fake_github.bodies()[-1]
    root = render(body)
    assert {node.tag for node in root.elements()} <= ALLOWED_TAGS
    assert active_text(root) == []
    outside = "".join(root.texts_outside())
    assert [word for word in TELLTALES if word in outside] == []
    trend_cells = " ".join(
        code.text() for table in root.find_all("table")[-3:] for code in table.find_all("code")
    )
    assert "@octocat" in trend_cells  # the trend's rows name the hostile MCPs, as text


# --------------------------------------------------------------------------- secrets

SAMPLES: dict[str, Sample] = {
    name: SAMPLERS[name](random.Random(f"every-field/{name}")) for name in sorted(SAMPLERS)
}
GROUP = 5  # a report proposes at most five actions: five MCPs a day, one per proposal
DAYS = [INSTANT - timedelta(days=n) for n in range(-(-len(SAMPLES) // GROUP) - 1, -1, -1)]


@pytest.mark.usefixtures("no_backoff", "clean_process_state")
def test_a_secret_in_any_data_field_reaches_no_output(
    tmp_path: Path, capsys, fake_github, github_token
):
    texts = [sample.text for sample in SAMPLES.values()]
    events = []
    for day, end in enumerate(DAYS):
        events += _events(texts[day * GROUP : (day + 1) * GROUP], end)
    events.sort(key=lambda e: e["timestamp"])
    _write_lines(tmp_path / "events.jsonl", events)
    _write_lines(
        tmp_path / "incidents.jsonl", [_incident(name, s.text) for name, s in SAMPLES.items()]
    )
    raw, config_path = _config(tmp_path, fake_github)
    clock = [DAYS[0]]
    runner = Runner(
        parse_config(raw, environ={}),
        jobs=JOBS,
        clock=lambda: clock[0],
        environ={"GITHUB_TOKEN": github_token},
    )
    setup_logging("json", lambda: runner.redactor, level=logging.DEBUG)

    statuses = []
    for day in DAYS:
        clock[0] = day
        statuses += [getattr(o, "status", None) for o in runner.run_now(day, [DAILY])]
    statuses += [getattr(o, "status", None) for o in runner.run_now(DAYS[-1], [DIGEST])]
    cli_outputs = [
        CliRunner().invoke(cli, ["--config", str(config_path), *args]).output
        for args in (
            ["status"],
            ["status", "--json"],
            ["report", "daily", "--at", DAYS[-1].isoformat()],
            ["report", "daily", "--at", DAYS[-1].isoformat(), "--format", "json"],
            ["report", "digest", "--at", DAYS[-1].isoformat()],
        )
    ]

    assert statuses == ["ok"] * (len(DAYS) + 1)
    archive = tmp_path / "reports"
    outputs = {
        "posted comments": "\n".join(fake_github.bodies()),
        "archived markdown": "\n".join(p.read_text("utf-8") for p in archive.rglob("*.md")),
        "archived json": "\n".join(p.read_text("utf-8") for p in archive.rglob("*.json")),
        "log lines": capsys.readouterr().err,
        "state file": json.dumps(read_state(tmp_path), ensure_ascii=False),
        "cli": "\n".join(cli_outputs),
    }
    leaks = {
        where: leftover_secrets(SAMPLES, text, github_token) for where, text in outputs.items()
    }
    assert {where: found for where, found in leaks.items() if found} == {}
    # Every MCP was named in a proposal, so each secret went through a sentence.
    proposals = [
        json.loads(p.read_text("utf-8"))["proposals"] for p in (archive / DAILY).glob("*.json")
    ]
    assert sum(len(day) for day in proposals) >= len(SAMPLES)
    assert len(fake_github.bodies()) == len(DAYS) + 1
