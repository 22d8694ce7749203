from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
from repo import ROOT

from ops_schedule.config import parse_config
from ops_schedule.publishing.publish import publish
from ops_schedule.redaction import build_redactor
from ops_schedule.reports.base import JobContext, Report, Skipped
from ops_schedule.reports.digest.job import WeeklyImprovementDigest
from ops_schedule.reports.jobs import JOBS

SCHEMA = json.loads((ROOT / "schemas/digest.schema.json").read_text(encoding="utf-8"))
JOB = "weekly_improvement_digest"
WINDOW_END = datetime(2026, 11, 23, 0, 20, tzinfo=UTC)  # Monday 09:20 in Tokyo
NOW = WINDOW_END + timedelta(minutes=1)
# Token-shaped, but made up here and only here.
FAKE_TOKEN = "ghp_" + "Q" * 36


def line(key: str, reasons: list[str], **fields: object) -> str:
    record: dict[str, object] = {
        "incidentKey": key,
        "firstSeen": "2026-11-18T01:00:00Z",
        "lastSeen": "2026-11-18T01:30:00Z",
        "currentStatus": "active",
        "severity": "warn",
        "occurrenceCount": 2,
        "topReasons": reasons,
        "affectedComponents": ["github"],
        "summary": "GitHub MCP trouble",
        **fields,
    }
    return json.dumps(record)


def config(**raw: object):
    return parse_config({"sources": {"incidents": "state.jsonl"}, **raw}, {})


def context(now: datetime = NOW, **raw: object) -> JobContext:
    cfg = config(**raw)
    redactor = build_redactor(cfg.redaction.patterns, cfg.redaction.placeholder)
    return JobContext(
        job=JOB,
        period_key="2026-W48",
        window_end=WINDOW_END,
        now=now,
        config=cfg,
        redactor=redactor,
    )


def write_state(*lines: str) -> None:
    Path("state.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def build(now: datetime = NOW, **raw: object) -> Report:
    result = JOBS[JOB].build(context(now, **raw))
    assert isinstance(result, Report)
    return result


def test_the_job_ships_under_its_name():
    assert isinstance(JOBS[JOB], WeeklyImprovementDigest)
    assert JOBS[JOB].name == JOB


def test_a_missing_incident_file_skips_the_run_and_says_where_it_looked():
    result = JOBS[JOB].build(context())
    assert result == Skipped(f"incident data not found at {Path('state.jsonl')}")


def test_a_week_of_incidents_gives_a_report_with_the_summary_line():
    write_state(
        line("a", ["timeout after 3012ms"], severity="critical"),
        line("b", ["Timeout after 5000 ms"]),
        line("c", ["HTTP 429 Too Many Requests"]),
        "not json",
    )
    report = build()
    assert report.job == JOB
    assert report.period_key == "2026-W48"
    assert (
        report.summary
        == 'digest 2026-W48: 3 incidents (1 critical), top cause: "Timeout after 5000 ms" '
        "and the like (2 incidents)"
    )
    assert "<n>" not in report.summary  # a placeholder reads like a bug
    assert report.markdown.startswith("## 週次改善ダイジェスト 2026-W48\n")
    assert report.data["malformedLines"] == 1
    assert report.data["locale"] == "ja"
    jsonschema.validate(report.data, SCHEMA)


def test_the_summary_line_shows_one_line_of_a_long_example():
    write_state(line("a", ["timeout after 3012ms\n" + "slow " * 40]))
    summary = build().summary
    assert "\n" not in summary
    example = summary.split('top cause: "')[1].split('" and the like')[0]
    assert example.startswith("timeout after 3012ms slow slow")
    assert example.endswith("…")
    assert len(example) <= 60
    assert summary.endswith("and the like (1 incident)")


def test_the_locale_comes_from_the_config():
    write_state(line("a", ["timeout after 3012ms"]))
    report = build(locale="en")
    assert report.markdown.startswith("## Weekly improvement digest 2026-W48\n")
    assert report.data["proposals"][0]["action"].startswith("Give calls to github")


def test_a_late_run_reports_the_same_window_as_an_on_time_one():
    write_state(line("a", ["timeout after 3012ms"]), line("b", ["rate limited"]))
    assert build(now=NOW).data == build(now=NOW + timedelta(hours=40)).data


def test_secrets_in_reasons_never_reach_the_report():
    write_state(
        line("a", [f"auth failed for token {FAKE_TOKEN}"], affectedComponents=["tenant-4711"]),
        line("b", [f"auth failed for token {FAKE_TOKEN}"]),
    )
    report = build(redaction={"patterns": ["tenant-[0-9]+"], "placeholder": "<hidden>"})
    text = report.markdown + json.dumps(report.data)
    assert FAKE_TOKEN not in text
    assert "tenant-4711" not in text
    cause = report.data["topCauses"][0]
    assert cause["example"] == "auth failed for token <hidden>"
    assert cause["components"] == ["<hidden>", "github"]  # one incident each, by name


def test_an_empty_week_is_still_a_report_and_is_archived(tmp_path):
    write_state(
        line(
            "old",
            ["timeout after 1ms"],
            firstSeen="2026-10-01T00:00:00Z",
            lastSeen="2026-10-01T00:10:00Z",
        )
    )
    report = build()
    assert report.summary == "digest 2026-W48: no incidents"
    assert "この期間のインシデントはありません。" in report.markdown
    published = publish(report, tmp_path / "out", build_redactor())
    assert published.markdown_path == tmp_path / "out" / JOB / "2026-W48.md"
    assert published.markdown_path.read_text(encoding="utf-8") == report.markdown
    archived = json.loads(published.json_path.read_text(encoding="utf-8"))
    assert archived["summary"]["totalIncidents"] == 0
    jsonschema.validate(archived, SCHEMA)


def test_one_incident_reads_in_the_singular():
    write_state(line("a", []))
    assert build().summary == "digest 2026-W48: 1 incident (0 critical)"
