"""Improvement proposals derived from a report's numbers. Pure; wording lives in ``render``.

Each rule looks at one number and, when it crosses a line, proposes what to look at and why.
At most :data:`MAX_PROPOSALS` are kept, most important first: by severity (critical, warning,
info), then by the rule's rank in :data:`RULE_ORDER`, then by how many calls it concerns, then
by MCP name. A healthy window yields none.
"""

from __future__ import annotations

from ops_schedule.config import ThresholdsConfig
from ops_schedule.reports.observability.model import (
    Deltas,
    FailureRow,
    McpRow,
    Proposal,
    WindowTotals,
)
from ops_schedule.timefmt import utc_iso

MAX_PROPOSALS = 5
MIN_SAMPLE = 20  # calls (or durations) below which rates and p95 prove nothing
REGRESSION_FACTOR = 1.5  # p95 grew by half or more...
REGRESSION_MIN_MS = 100.0  # ...and by at least this much (10 ms -> 20 ms is noise)
SUCCESS_DROP = 0.01  # one percentage point
MALFORMED_SHARE = 0.001  # of all lines
ERROR_TYPE_SHARE = 0.10  # an error type worth a proposal causes at least this share of failures
ERROR_TYPE_MIN = 5
ERROR_TYPE_PROPOSALS = 2  # the most frequent advised types; the table lists every type
# Error types with specific advice in the rendered text; others get none (rows already show them).
ADVISED_ERROR_TYPES = ("TimeoutError", "RateLimitError", "AuthError", "ConnectionError")

RULE_ORDER = (
    "circuitOpen",
    "failureRate",
    "noEvents",
    "successDrop",
    "circuitHalfOpen",
    "slowP95",
    "circuitFlapping",
    "p95Regression",
    "errorType",
    "malformedLines",
)
_SEVERITY_RANK = {"critical": 0, "warning": 1, "info": 2}


def _mcp_rules(row: McpRow, thresholds: ThresholdsConfig) -> list[Proposal]:
    found = []
    since = utc_iso(row.circuit_since) if row.circuit_since else ""
    if row.circuit == "open":
        found.append(Proposal("circuitOpen", "critical", row.name, {"since": since}, row.calls))
    elif row.circuit == "half-open":
        found.append(Proposal("circuitHalfOpen", "warning", row.name, {"since": since}, row.calls))
    if "failureRate" in row.reasons and row.failure_rate is not None:
        below_critical = 1 - row.failure_rate < thresholds.critical_success_rate
        found.append(
            Proposal(
                "failureRate",
                "critical" if below_critical else "warning",
                row.name,
                {"failures": row.failures, "calls": row.calls, "rate": row.failure_rate},
                row.failures,
            )
        )
    if "p95" in row.reasons and row.p95_ms is not None:
        facts = {"p95Ms": row.p95_ms, "thresholdMs": thresholds.warn_p95_ms}
        found.append(Proposal("slowP95", "warning", row.name, facts, row.calls))
    if row.circuit_open_count >= 2:  # noqa: PLR2004 - opening twice is flapping, once is an event
        facts = {"count": row.circuit_open_count}
        weight = row.circuit_open_count  # the more often it trips, the more it matters
        found.append(Proposal("circuitFlapping", "warning", row.name, facts, weight))
    if (
        row.p95_ms is not None
        and row.previous_p95_ms is not None
        and row.calls >= MIN_SAMPLE
        and (row.previous_calls or 0) >= MIN_SAMPLE
        and row.p95_ms >= REGRESSION_FACTOR * row.previous_p95_ms
        and row.p95_ms - row.previous_p95_ms >= REGRESSION_MIN_MS
        and "p95" not in row.reasons  # already proposed as slowP95
    ):
        facts = {"p95Ms": row.p95_ms, "previousP95Ms": row.previous_p95_ms}
        found.append(Proposal("p95Regression", "info", row.name, facts, row.calls))
    return found


def _window_rules(
    totals: WindowTotals, deltas: Deltas, failures: tuple[FailureRow, ...]
) -> list[Proposal]:
    found = []
    facts: dict[str, float | int | str]
    if totals.events == 0:
        found.append(Proposal("noEvents", "warning", None))
    if deltas.success_rate is not None and deltas.success_rate <= -SUCCESS_DROP:
        before = (totals.success_rate or 0.0) - deltas.success_rate
        facts = {"rate": totals.success_rate or 0.0, "previousRate": before}
        found.append(Proposal("successDrop", "warning", None, facts, totals.fail))
    advised = [
        row
        for row in failures
        if row.error_type in ADVISED_ERROR_TYPES
        and row.count >= max(ERROR_TYPE_MIN, ERROR_TYPE_SHARE * totals.fail)
    ]
    for row in advised[:ERROR_TYPE_PROPOSALS]:
        facts = {
            "errorType": row.error_type,
            "count": row.count,
            "share": row.count / totals.fail,
        }
        found.append(Proposal("errorType", "info", None, facts, row.count))
    lines = totals.events + totals.malformed_lines
    if lines and totals.malformed_lines / lines > MALFORMED_SHARE:
        facts = {"count": totals.malformed_lines, "share": totals.malformed_lines / lines}
        found.append(Proposal("malformedLines", "info", None, facts, totals.malformed_lines))
    return found


def propose(
    totals: WindowTotals,
    deltas: Deltas,
    rows: tuple[McpRow, ...],
    failures: tuple[FailureRow, ...],
    thresholds: ThresholdsConfig,
) -> tuple[Proposal, ...]:
    """The most important proposals for this window, at most :data:`MAX_PROPOSALS`."""
    found = [p for row in rows for p in _mcp_rules(row, thresholds)]
    found += _window_rules(totals, deltas, failures)
    found.sort(
        key=lambda p: (
            _SEVERITY_RANK[p.severity],
            RULE_ORDER.index(p.kind),
            -p.weight,
            p.mcp or "",
        )
    )
    return tuple(found[:MAX_PROPOSALS])
