"""Follow-up of last week's proposals: the arithmetic, and what a bad archive gives."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from gfm import render

from ops_schedule.config import ThresholdsConfig
from ops_schedule.reports.digest.followup import FollowUpItem as DigestItem
from ops_schedule.reports.digest.followup import digest_follow_up
from ops_schedule.reports.digest.markdown import _follow_up_lines
from ops_schedule.reports.markdown import ZWJ
from ops_schedule.reports.observability.analysis import build_report_data
from ops_schedule.reports.observability.followup import report_follow_up
from ops_schedule.reports.observability.followup_markdown import follow_up_markdown
from ops_schedule.reports.observability.stats import (
    CircuitTransition,
    FailureStats,
    McpStats,
    WindowStats,
)
from ops_schedule.reports.trend.archive import Archived
from ops_schedule.reports.trend.change import change_mark

END = datetime(2026, 11, 23, 0, 10, tzinfo=UTC)
WEEK = timedelta(days=7)


@pytest.mark.parametrize(
    ("before", "now", "mark"),
    [
        (4, 1, "↓75 %"),
        (4, 0, "↓100 %"),
        (2, 3, "↑50 %"),
        (3, 3, "±0 %"),
        (0, 2, "new"),
        (0, 0, "±0 %"),
        (1000, 1001, "±0 %"),
    ],
)
def test_the_change_mark(before, now, mark):
    assert change_mark(before, now) == mark


LAST_DIGEST = {
    "job": "weekly_improvement_digest",
    "period": "2026-W47",
    "topCauses": [
        {"cause": "timeout after <n>ms", "count": 4},
        {"cause": "<n> rate limited by upstream", "count": 2},
    ],
    "causeCounts": [{"cause": "Disk full on /var", "count": 1}],
    "proposals": [
        {"category": "timeout", "causes": ["Timeout after 5000 ms"]},  # hand-edited: normalised
        {"category": "rate_limit", "causes": ["<n> rate limited by upstream", 7]},
        {"category": "other", "causes": ["disk full on <path>"]},
        {"category": "other", "causes": ["never counted"]},
        "not an object",
    ],
}


def test_the_digest_follows_each_cause_of_last_weeks_proposals():
    now = Counter({"timeout after <n>ms": 1, "<n> rate limited by upstream": 3})
    follow_up = digest_follow_up(Archived("2026-W47", LAST_DIGEST), now)
    assert follow_up.problem is None
    assert [(i.cause, i.before, i.now, i.verdict) for i in follow_up.items] == [
        ("timeout after <n>ms", 4, 1, "fewer"),
        ("<n> rate limited by upstream", 2, 3, "more"),
        ("disk full on <path>", 1, 0, "gone"),
    ]
    lines = _follow_up_lines(follow_up, "en")
    assert lines[0] == "### Follow-up of last week's proposals (2026-W47)"
    assert "- `timeout after <n>ms`: 4 → 1, ↓75 % — fewer" in lines
    assert "- `disk full on <path>`: 1 → 0, ↓100 % — did not recur" in lines
    ja = _follow_up_lines(follow_up, "ja")
    assert "- `timeout after <n>ms`: 4 → 1、↓75 % — 減少" in ja
    assert DigestItem("x", None, 2, 2).verdict == "same"


@pytest.mark.parametrize(
    ("archived", "shown"),
    [
        (Archived("2026-W47"), "Nothing to follow up: 2026-W47 is not in the archive."),
        (
            Archived("2026-W47", problem="not a JSON object"),
            "Nothing to follow up: last week's digest: not a JSON object.",
        ),
        (
            Archived("2026-W47", {"topCauses": [{"cause": "x", "count": -1}], "proposals": []}),
            "Nothing to follow up: last week's digest: count is not a count.",
        ),
        (Archived("2026-W47", {"proposals": []}), "Last week's digest made no proposals."),
    ],
)
def test_a_digest_without_a_readable_last_week_says_so(archived, shown):
    follow_up = digest_follow_up(archived, Counter())
    assert follow_up.items == ()
    # As a reader sees it: the problem is written as inert prose (escaped, with joiners).
    seen = render("\n".join(_follow_up_lines(follow_up, "en"))).text().replace(ZWJ, "")
    assert shown in seen


def week(start, *, browser_failures, timeouts, circuit="closed"):
    stats = WindowStats(
        start, start + WEEK, events=1000, ok=1000 - browser_failures, fail=browser_failures
    )
    stats.mcp = {"browser": McpStats(200, browser_failures, Counter({900.0: 200}))}
    stats.failures = {"TimeoutError": FailureStats(timeouts, "timeout")}
    if circuit != "closed":
        stats.circuit = {"browser": CircuitTransition(start + WEEK - timedelta(hours=1), circuit)}
    return stats


LAST_REPORT = {
    "job": "weekly_observability_report",
    "period": "2026-W47",
    "totals": {"events": 1000, "successRate": 0.9, "malformedLines": 0},
    "mcp": [{"name": "browser", "failureRate": 0.5, "circuit": "open", "circuitOpenCount": 3}],
    "topFailures": [{"errorType": "TimeoutError", "count": 40}],
    "proposalDetails": [
        {"kind": "circuitOpen", "mcp": "browser", "facts": {}},
        {"kind": "failureRate", "mcp": "browser", "facts": {"rate": 0.5}},
        {"kind": "errorType", "mcp": None, "facts": {"errorType": "TimeoutError"}},
        {"kind": "successDrop", "mcp": None, "facts": {}},
        {"kind": "errorType", "mcp": None, "facts": {}},  # no error type: left out
        {"kind": "noSuchRule", "mcp": None},
    ],
}


def test_the_weekly_report_follows_last_weeks_proposals_with_their_own_numbers():
    current = week(END - WEEK, browser_failures=30, timeouts=10)
    previous = week(END - 2 * WEEK, browser_failures=100, timeouts=40, circuit="open")
    data = build_report_data(current, previous, ThresholdsConfig(), bucket=timedelta(days=1))
    follow_up = report_follow_up(Archived("2026-W47", LAST_REPORT), data)
    assert [(i.kind, i.before, i.now, i.again) for i in follow_up.items] == [
        ("circuitOpen", "open", "closed", False),
        ("failureRate", 0.5, 0.15, True),
        ("errorType", 40, 10, True),
        ("successDrop", 0.9, 0.97, False),
    ]
    assert follow_up.skipped == 2
    text = follow_up_markdown(follow_up, "en")
    assert "- `browser` circuit: open → closed — not raised this week" in text
    assert "- `browser` failure rate: 50.0% → 15.0% (-35.0 pt) — raised again" in text
    assert "- `TimeoutError` failures: 40 → 10, ↓75 % — raised again" in text
    assert "2 of last week's proposals could not be read and are left out." in text


def test_a_weekly_report_without_last_weeks_archive_says_so():
    data = build_report_data(
        week(END - WEEK, browser_failures=0, timeouts=0),
        week(END - 2 * WEEK, browser_failures=0, timeouts=0),
        ThresholdsConfig(),
        bucket=timedelta(days=1),
    )
    follow_up = report_follow_up(Archived("2026-W47"), data)
    assert "Nothing to follow up: 2026-W47 is not in the archive." in follow_up_markdown(
        follow_up, "en"
    )
    broken = report_follow_up(Archived("2026-W47", {"proposalDetails": {"x": 1}}), data)
    assert broken.problem == "last week's report: proposalDetails is not a list"


def test_a_week_without_incidents_still_shows_the_follow_up_and_the_trend():
    from zoneinfo import ZoneInfo

    from ops_schedule.reports.digest.markdown import digest_markdown
    from ops_schedule.reports.digest.rules import build_digest
    from ops_schedule.reports.digest.trend import digest_trend

    digest = build_digest([], END, ZoneInfo("Asia/Tokyo"))
    current = {"summary": {"totalIncidents": 0, "critical": 0, "warn": 0, "info": 0}}
    trend = digest_trend(
        [
            Archived(
                "2026-W47",
                LAST_DIGEST
                | {"summary": {"totalIncidents": 4, "critical": 1, "warn": 2, "info": 1}},
            )
        ],
        "2026-W48",
        current,
    )
    follow_up = digest_follow_up(Archived("2026-W47", LAST_DIGEST), Counter())
    markdown = digest_markdown(
        digest, "2026-W48", "en", ZoneInfo("Asia/Tokyo"), trend=trend, follow_up=follow_up
    )
    assert "No incidents in this window." in markdown
    assert "- `timeout after <n>ms`: 4 → 0, ↓100 % — did not recur" in markdown
    assert "| Incidents | 4 | 0 | ↓ better |" in markdown
