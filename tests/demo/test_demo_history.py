"""The demo archives earlier weeks, so a fresh clone's weekly report and digest have a trend."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from ops_schedule.cli.main import cli


def test_the_demo_archives_earlier_weeks_and_this_weeks_reports_show_their_trend(tmp_path):
    result = CliRunner().invoke(
        cli, ["demo", "--dir", "d", "--events", "20000", "--weeks", "3", "--locale", "en"]
    )
    assert result.exit_code == 0, result.output
    assert "wrote d/events.jsonl (20,004 lines over 36 days)" in result.output
    archived = re.search(
        r"archived the weekly report and digest of (\S+) – (\S+) in", result.output
    )
    assert archived
    reports = Path("d/reports")
    weekly = sorted(p.stem for p in (reports / "weekly_observability_report").glob("*.json"))
    digests = sorted(p.stem for p in (reports / "weekly_improvement_digest").glob("*.json"))
    assert len(weekly) == 3
    assert weekly == digests
    assert (weekly[0], weekly[-1]) == archived.groups()

    ran = CliRunner().invoke(cli, ["--config", "d/ops-schedule.json", "run", "--now"])
    assert ran.exit_code == 0, ran.output
    this_week = max((reports / "weekly_observability_report").glob("*.json"))
    trend = json.loads(this_week.read_text(encoding="utf-8"))["trend"]
    statuses = [p["status"] for p in trend["periods"]]
    assert statuses == ["missing"] * 4 + ["archived"] * 3 + ["current"]
    digest = max((reports / "weekly_improvement_digest").glob("*.md")).read_text("utf-8")
    assert "Trend over 8 weeks" in digest
