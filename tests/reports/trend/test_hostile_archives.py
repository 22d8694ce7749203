"""Whatever an archived report holds, reading it back gives numbers or a reason, never a crash."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ops_schedule.config import ThresholdsConfig
from ops_schedule.reports.digest.followup import digest_follow_up
from ops_schedule.reports.digest.trend import digest_trend
from ops_schedule.reports.digest.trend import read_point as digest_point
from ops_schedule.reports.observability.analysis import build_report_data
from ops_schedule.reports.observability.followup import report_follow_up
from ops_schedule.reports.observability.stats import WindowStats
from ops_schedule.reports.observability.trend import observability_trend
from ops_schedule.reports.observability.trend import read_point as report_point
from ops_schedule.reports.trend.archive import Archived, check_document
from ops_schedule.reports.trend.values import UnreadableError

END = datetime(2026, 11, 23, 0, 10, tzinfo=UTC)
KEYS = st.sampled_from(
    [
        "totals",
        "events",
        "fail",
        "successRate",
        "p95Ms",
        "mcp",
        "name",
        "topFailures",
        "errorType",
        "count",
        "otherFailures",
        "summary",
        "totalIncidents",
        "critical",
        "warn",
        "info",
        "meanTimeToResolveMinutes",
        "topCauses",
        "cause",
        "causeCounts",
        "proposals",
        "causes",
        "proposalDetails",
        "kind",
        "facts",
        "circuit",
        "failureRate",
        "x",
    ]
)
SCALARS = st.none() | st.booleans() | st.integers(-5, 10**20) | st.floats() | st.text(max_size=8)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=6),
    max_leaves=30,
)


def empty_report():
    current = WindowStats(END - timedelta(days=7), END)
    previous = WindowStats(END - timedelta(days=14), END - timedelta(days=7))
    return build_report_data(current, previous, ThresholdsConfig(), bucket=timedelta(days=1))


@pytest.mark.property
@settings(max_examples=300, deadline=None)
@given(JSON)
def test_any_document_reads_or_is_refused_with_a_reason(document):
    for read in (report_point, digest_point):
        try:
            read(document if isinstance(document, dict) else {"totals": document})
        except UnreadableError as exc:
            reason = str(exc)
        else:
            reason = "read"
        assert reason  # any other exception fails the test


@pytest.mark.property
@settings(max_examples=200, deadline=None)
@given(JSON)
def test_a_hostile_last_week_never_stops_a_trend_or_a_follow_up(document):
    raw = document if isinstance(document, dict) else {"x": document}
    archived = Archived("2026-W47", {**raw, "job": "j", "period": "2026-W47"})
    current_report = {"totals": {"events": 0, "fail": 0, "successRate": None}, "otherFailures": 0}
    trend = observability_trend([archived], "2026-W48", current_report)
    assert [p.status for p in trend.periods][-1] == "current"
    current_digest = {"summary": {"totalIncidents": 0, "critical": 0, "warn": 0, "info": 0}}
    assert digest_trend([archived], "2026-W48", current_digest).periods
    report_follow_up(archived, empty_report())
    digest_follow_up(archived, Counter())


@given(JSON)
def test_check_document_refuses_anything_but_the_expected_report(raw):
    document, problem = check_document(raw, job="j", period="p", newest_version=2)
    assert (document is None) != (problem is None)
    assert document is None  # no generated value names job "j" and period "p"
