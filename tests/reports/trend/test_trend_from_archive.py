"""The trend's numbers are the archived reports' numbers: recomputed here from the files.

Several weeks are run by the real jobs and archived by the real publisher; one week is then
removed (a gap) and one damaged (unreadable). This week's trend must show, for every other
week, exactly what that week's archived JSON says, read here with the plain json module.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from gfm import render
from trend_archive import DIGEST, WEEKLY, build_archive

from ops_schedule.reports.base import Report
from ops_schedule.reports.markdown import ZWJ


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, dict[str, Report]]:
    return build_archive(tmp_path_factory.mktemp("trend"), "en")


def archived(config: Any, job: str, period: str) -> dict[str, Any]:
    path = Path(config.output_dir) / job / f"{period}.json"
    return json.loads(path.read_text(encoding="utf-8"))


def rows_of(trend: dict[str, Any], section: str) -> dict[str, list[Any]]:
    found = next(s for s in trend["sections"] if s["key"] == section)
    return {row["key"]: row["values"] for row in found["rows"]}


def test_the_periods_show_the_gap_and_the_damaged_week_as_what_they_are(archive):
    _, reports = archive
    for job in (WEEKLY, DIGEST):
        trend = reports[job].data["trend"]
        assert [(p["period"], p["status"]) for p in trend["periods"]] == [
            ("2026-W43", "archived"),
            ("2026-W44", "missing"),
            ("2026-W45", "archived"),
            ("2026-W46", "unreadable"),
            ("2026-W47", "archived"),
            ("2026-W48", "current"),
        ]
        assert trend["notes"] == [
            "2026-W46: archived report skipped: not JSON (truncated or not UTF-8?)"
        ]
        seen = render(reports[job].markdown).text().replace(ZWJ, "")
        assert "2026-W46: archived report skipped" in seen


def test_the_weekly_trend_holds_each_archived_weeks_own_numbers(archive):
    config, reports = archive
    current = reports[WEEKLY].data
    trend = current["trend"]
    totals = rows_of(trend, "totals")
    mcp = rows_of(trend, "mcpP95Ms")
    failures = rows_of(trend, "failures")
    for index, period in enumerate(p["period"] for p in trend["periods"]):
        if period in ("2026-W44", "2026-W46"):
            assert [v[index] for v in totals.values()] == [None] * 4
            assert all(v[index] is None for v in [*mcp.values(), *failures.values()])
            continue
        doc = current if period == "2026-W48" else archived(config, WEEKLY, period)
        assert totals["events"][index] == doc["totals"]["events"]
        assert totals["fail"][index] == doc["totals"]["fail"]
        assert totals["successRate"][index] == doc["totals"]["successRate"]
        assert totals["p95Ms"][index] == doc["totals"]["p95Ms"]
        p95 = {row["name"]: row["p95Ms"] for row in doc["mcp"]}
        for name, values in mcp.items():
            assert values[index] == p95.get(name)
        listed = {row["errorType"]: row["count"] for row in doc["topFailures"]}
        for error_type, values in failures.items():
            expected = listed.get(error_type, 0 if doc["otherFailures"] == 0 else None)
            assert values[index] == expected
    assert list(mcp) == [row["name"] for row in current["mcp"]][: len(mcp)]
    assert list(failures) == [row["errorType"] for row in current["topFailures"]]


def test_the_digest_trend_holds_each_archived_weeks_own_numbers(archive):
    config, reports = archive
    current = reports[DIGEST].data
    trend = current["trend"]
    totals = rows_of(trend, "totals")
    causes = rows_of(trend, "causes")
    assert list(causes) == [row["cause"] for row in current["topCauses"]]
    for index, period in enumerate(p["period"] for p in trend["periods"]):
        if period in ("2026-W44", "2026-W46"):
            assert all(v[index] is None for v in [*totals.values(), *causes.values()])
            continue
        doc = current if period == "2026-W48" else archived(config, DIGEST, period)
        summary = doc["summary"]
        assert totals["totalIncidents"][index] == summary["totalIncidents"]
        for severity in ("critical", "warn", "info"):
            assert totals[severity][index] == summary[severity]
        assert totals["meanTimeToResolveMinutes"][index] == summary["meanTimeToResolveMinutes"]
        counts = {row["cause"]: row["count"] for row in doc["causeCounts"]}
        for cause, values in causes.items():
            assert values[index] == counts.get(cause, 0)


def test_the_trend_tables_and_charts_are_in_both_reports(archive):
    _, reports = archive
    weekly, digest = reports[WEEKLY].markdown, reports[DIGEST].markdown
    assert "### Trend over 6 weeks" in weekly
    assert "| Metric | W43 | W44 | W45 | W46 | W47 | W48 | Trend |" in weekly
    assert '    x-axis ["W43", "W45", "W47", "W48"]' in weekly  # gaps are left off
    assert "### Trend over 6 weeks" in digest
    assert '    x-axis ["W43", "W45", "W47", "W48"]' in digest


@pytest.mark.parametrize(("job", "schema"), [(WEEKLY, "observability-report"), (DIGEST, "digest")])
def test_the_json_with_trend_and_follow_up_validates_against_its_versioned_schema(
    archive, job, schema
):
    from repo import ROOT

    _, reports = archive
    document = json.loads(json.dumps(reports[job].data))
    checker = json.loads((ROOT / "schemas" / f"{schema}.schema.json").read_text("utf-8"))
    jsonschema.validate(document, checker)
    assert document["schemaVersion"] == 2
    assert document["followUp"]["period"] == "2026-W47"
    assert document["followUp"]["items"]
