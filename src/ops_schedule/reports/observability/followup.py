"""Follow-up of last week's proposals in the weekly report: was each raised again this week,
and where did the number it quoted go? Pure; the rule is in docs/trends.md ("Follow-up").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ops_schedule.reports.observability.model import ReportData
from ops_schedule.reports.trend.archive import Archived
from ops_schedule.reports.trend.values import UnreadableError, count, number, rate, rows, text

Measure = Literal["rate", "ms", "count", "state"]
Value = float | str | None

# kind -> (the number the proposal is about, how it is measured)
MEASURES: Mapping[str, tuple[str, Measure]] = {
    "circuitOpen": ("circuit", "state"),
    "circuitHalfOpen": ("circuit", "state"),
    "failureRate": ("failureRate", "rate"),
    "slowP95": ("p95Ms", "ms"),
    "p95Regression": ("p95Ms", "ms"),
    "circuitFlapping": ("circuitOpenCount", "count"),
    "noEvents": ("events", "count"),
    "successDrop": ("successRate", "rate"),
    "errorType": ("failures", "count"),
    "malformedLines": ("malformedLines", "count"),
}


@dataclass(frozen=True, slots=True)
class FollowUpItem:
    kind: str
    mcp: str | None
    error_type: str | None
    metric: str  # a key of the report's words, e.g. "failureRate"
    measure: Measure
    before: Value  # last week's number, from last week's report
    now: Value  # this week's
    again: bool  # the same proposal is among this week's


@dataclass(frozen=True, slots=True)
class FollowUp:
    period: str
    items: tuple[FollowUpItem, ...]
    problem: str | None = None  # why there is nothing to follow up, in English
    missing: bool = False  # last week was never archived (a gap, not a damaged file)
    skipped: int = 0  # last week's proposals that could not be read


def _mcp_row(document: Mapping[str, Any], mcp: str | None) -> Mapping[str, Any] | None:
    return next((r for r in rows(document, "mcp") if r.get("name") == mcp), None)


def _last_week(
    document: Mapping[str, Any], metric: str, mcp: str | None, error: str | None
) -> Value:
    """Last week's number, from last week's report (raises when it is not what it should be)."""
    if metric in ("events", "malformedLines"):
        return count(document, "totals", metric)
    if metric == "successRate":
        return rate(document, "totals", "successRate")
    if metric == "failures":
        listed = {
            text(r.get("errorType")): count(r, "count") for r in rows(document, "topFailures")
        }
        return listed.get(error)
    row = _mcp_row(document, mcp)
    readers: dict[str, Callable[[Mapping[str, Any]], Value]] = {
        "circuit": lambda r: text(r.get("circuit")),
        "failureRate": lambda r: rate(r, "failureRate"),
        "circuitOpenCount": lambda r: count(r, "circuitOpenCount"),
        "p95Ms": lambda r: number(r, "p95Ms"),
    }
    return None if row is None else readers[metric](row)


def _this_week(data: ReportData, metric: str, mcp: str | None, error: str | None) -> Value:
    totals = {
        "events": data.totals.events,
        "malformedLines": data.totals.malformed_lines,
        "successRate": data.totals.success_rate,
    }
    if metric in totals:
        return totals[metric]
    if metric == "failures":
        listed = {row.error_type: row.count for row in data.top_failures}
        return listed.get(error or "", 0 if data.other_failures == 0 else None)
    row = next((r for r in data.mcp if r.name == mcp), None)
    if row is None:
        return "closed" if metric == "circuit" else None
    by_metric: dict[str, Value] = {
        "circuit": row.circuit,
        "failureRate": row.failure_rate,
        "circuitOpenCount": row.circuit_open_count,
        "p95Ms": row.p95_ms,
    }
    return by_metric[metric]


def _item(
    proposal: Mapping[str, Any], document: Mapping[str, Any], data: ReportData
) -> FollowUpItem | None:
    kind = text(proposal.get("kind"))
    if kind is None or kind not in MEASURES:
        return None
    mcp = text(proposal.get("mcp"))
    facts = proposal.get("facts")
    error = text(facts.get("errorType")) if isinstance(facts, Mapping) else None
    if (kind == "errorType") != (error is not None):
        return None
    metric, measure = MEASURES[kind]
    again = any(
        p.kind == kind and p.mcp == mcp and p.facts.get("errorType") == error
        for p in data.proposals
    )
    return FollowUpItem(
        kind,
        mcp,
        error,
        metric,
        measure,
        _last_week(document, metric, mcp, error),
        _this_week(data, metric, mcp, error),
        again,
    )


def report_follow_up(last_week: Archived, data: ReportData) -> FollowUp:
    """Each of last week's proposals (``proposalDetails``), last week's number against this
    week's."""
    document = last_week.document
    if document is None:
        if last_week.problem is None:
            return FollowUp(
                last_week.period, (), "last week's report is not in the archive", missing=True
            )
        return FollowUp(last_week.period, (), f"last week's report: {last_week.problem}")
    items: list[FollowUpItem] = []
    skipped = 0
    try:
        proposals = rows(document, "proposalDetails")
    except UnreadableError as exc:
        return FollowUp(last_week.period, (), f"last week's report: {exc}")
    for proposal in proposals:
        try:
            item = _item(proposal, document, data)
        except UnreadableError:
            item = None
        if item is None:
            skipped += 1
        else:
            items.append(item)
    return FollowUp(last_week.period, tuple(items), skipped=skipped)
