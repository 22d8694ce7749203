from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from ops_schedule.config import ThresholdsConfig
from ops_schedule.reports.observability.analysis import build_report_data
from ops_schedule.reports.observability.proposals import ERROR_TYPE_PROPOSALS, MAX_PROPOSALS
from ops_schedule.reports.observability.stats import (
    CircuitTransition,
    FailureStats,
    McpStats,
    WindowStats,
)

END = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def stats(start: datetime, **fields: object) -> WindowStats:
    result = WindowStats(start, start + DAY)
    for name, value in fields.items():
        setattr(result, name, value)
    return result


def proposals(current: dict[str, object], previous: dict[str, object] | None = None):
    data = build_report_data(
        stats(END - DAY, **current),
        stats(END - 2 * DAY, **(previous or {})),
        ThresholdsConfig(),
        bucket=timedelta(hours=1),
    )
    return [(p.kind, p.severity, p.mcp) for p in data.proposals], data


HEALTHY = {
    "events": 1000,
    "ok": 995,
    "fail": 5,
    "mcp": {"github": McpStats(1000, 5, Counter({120.0: 1000}))},
}


def test_a_healthy_window_proposes_nothing():
    assert proposals(HEALTHY, HEALTHY)[0] == []


def test_an_open_circuit_comes_first_and_names_the_mcp_and_since_when():
    current = {
        **HEALTHY,
        "circuit": {"github": CircuitTransition(END - timedelta(hours=2), "open")},
    }
    found, data = proposals(current, HEALTHY)
    assert found == [("circuitOpen", "critical", "github")]
    assert data.proposals[0].facts["since"] == "2026-11-25T22:00:00Z"


def test_at_most_five_proposals_most_severe_first():
    rows = {
        name: McpStats(100, fails, Counter({9000.0: 100}), circuit_open_count=3)
        for name, fails in (("a", 50), ("b", 20), ("c", 6), ("d", 7))
    }
    current = {
        "events": 400,
        "ok": 317,
        "fail": 83,
        "mcp": rows,
        "circuit": {"d": CircuitTransition(END - DAY / 2, "half-open")},
    }
    found, _ = proposals(current, HEALTHY)
    assert len(found) == MAX_PROPOSALS
    # critical first: a (50 %) and b (80 % success) are below the critical 90 %, by failures.
    assert found[:2] == [("failureRate", "critical", "a"), ("failureRate", "critical", "b")]
    # then warnings in rule order (MCP failures by count, then the drop); the half-open
    # breaker of d, the slow p95s and the flapping breakers are cut.
    assert found[2:] == [
        ("failureRate", "warning", "d"),
        ("failureRate", "warning", "c"),
        ("successDrop", "warning", None),
    ]


def test_a_p95_that_grew_by_half_and_by_100_ms_is_a_regression():
    before = {**HEALTHY, "mcp": {"github": McpStats(1000, 5, Counter({200.0: 1000}))}}
    after = {**HEALTHY, "mcp": {"github": McpStats(1000, 5, Counter({300.0: 1000}))}}
    found, data = proposals(after, before)
    assert found == [("p95Regression", "info", "github")]
    assert dict(data.proposals[0].facts) == {"p95Ms": 300.0, "previousP95Ms": 200.0}


def test_small_or_slight_latency_changes_are_not_regressions():
    def p95_change(old: float, new: float) -> list[tuple[str, str, str | None]]:
        before = {**HEALTHY, "mcp": {"github": McpStats(1000, 5, Counter({old: 1000}))}}
        after = {**HEALTHY, "mcp": {"github": McpStats(1000, 5, Counter({new: 1000}))}}
        return proposals(after, before)[0]

    assert p95_change(10, 40) == []  # quadrupled, but only 30 ms
    assert p95_change(1000, 1400) == []  # 400 ms, but only 40 %


def test_a_dominant_error_type_with_known_advice_gets_a_proposal():
    current = {
        **HEALTHY,
        "failures": {
            "RateLimitError": FailureStats(5, "429"),
            "WeirdError": FailureStats(40, "?"),  # no specific advice: the table shows it
        },
    }
    found, data = proposals(current, HEALTHY)
    assert found == [("errorType", "info", None)]
    assert data.proposals[0].facts["errorType"] == "RateLimitError"


def test_only_the_two_most_frequent_advised_error_types_get_a_proposal():
    current = {
        **HEALTHY,
        "failures": {
            "TimeoutError": FailureStats(9, "t"),
            "RateLimitError": FailureStats(12, "r"),
            "AuthError": FailureStats(8, "a"),
            "ConnectionError": FailureStats(7, "c"),
        },
    }
    found, data = proposals(current, HEALTHY)
    advised = [p.facts["errorType"] for p in data.proposals if p.kind == "errorType"]
    assert advised == ["RateLimitError", "TimeoutError"]
    assert found.count(("errorType", "info", None)) == ERROR_TYPE_PROPOSALS


def test_a_success_rate_drop_of_a_point_or_more_is_flagged_but_half_a_point_is_not():
    down_two = {**HEALTHY, "ok": 975, "fail": 25}
    assert ("successDrop", "warning", None) in proposals(down_two, HEALTHY)[0]
    down_half = {**HEALTHY, "ok": 990, "fail": 10}
    assert proposals(down_half, HEALTHY)[0] == []


def test_many_malformed_lines_and_a_flapping_breaker_are_reported():
    current = {
        **HEALTHY,
        "malformed": 2,  # 2 of 1002 lines: above 0.1 %
        "mcp": {"github": McpStats(1000, 5, Counter({120.0: 1000}), circuit_open_count=2)},
    }
    found, _ = proposals(current, HEALTHY)
    assert found == [("circuitFlapping", "warning", "github"), ("malformedLines", "info", None)]
    assert proposals({**HEALTHY, "malformed": 1}, HEALTHY)[0] == []  # 1 of 1001: below
