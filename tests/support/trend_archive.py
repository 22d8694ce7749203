"""A few weeks run by the real jobs and archived by the real publisher, one week removed (a gap)
and one damaged (unreadable); then this week's weekly report and digest, built on them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ops_schedule.config import parse_config
from ops_schedule.demo import write_event_log, write_incident_file
from ops_schedule.demo.history import archive_earlier_weeks
from ops_schedule.redaction import build_redactor
from ops_schedule.reports.base import JobContext, Report
from ops_schedule.reports.jobs import JOBS
from ops_schedule.scheduling.rules import current_slot

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # Thursday in Tokyo, week 2026-W48
DAILY = "daily_observability_report"
WEEKLY = "weekly_observability_report"
DIGEST = "weekly_improvement_digest"


def build_archive(root: Path, locale: str) -> tuple[Any, dict[str, Report]]:
    write_event_log(
        root / "events.jsonl",
        start=NOW - timedelta(days=50),
        end=NOW,
        events=40_000,
        seed=5,
        malformed_every=900,
    )
    write_incident_file(root / "incidents.jsonl", end=NOW, seed=5, weeks=7)
    config = parse_config(
        {
            "outputDir": str(root / "reports"),
            "sources": {
                "events": str(root / "events.jsonl"),
                "incidents": str(root / "incidents.jsonl"),
            },
            "trend": {"periods": 6},
            "locale": locale,
        },
        {},
    )
    redactor = build_redactor()
    weeks = archive_earlier_weeks(config, JOBS, redactor, now=NOW, weeks=5)
    assert weeks == ["2026-W43", "2026-W44", "2026-W45", "2026-W46", "2026-W47"]
    for job in (WEEKLY, DIGEST):
        (config.output_dir / job / "2026-W44.json").unlink()  # never archived: a gap
        (config.output_dir / job / "2026-W46.json").write_text('{"job": "wee', "utf-8")
    reports = {}
    for job in (DAILY, WEEKLY, DIGEST):
        slot = current_slot(config.jobs.get(job), config.zone, NOW)
        context = JobContext(job, slot.period_key, min(NOW, slot.scheduled), NOW, config, redactor)
        result = JOBS[job].build(context)
        assert isinstance(result, Report)
        reports[job] = result
    return config, reports
