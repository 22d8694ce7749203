"""The weekly observability report's trend: numbers read back from archived reports.

Pure: the job reads the archive (``reports.trend.archive``) and hands the documents in. The
rules (what is shown, gaps, the direction) are in docs/trends.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ops_schedule.reports.trend.archive import Archived
from ops_schedule.reports.trend.gather import gather
from ops_schedule.reports.trend.model import Section, Trend, series
from ops_schedule.reports.trend.values import count, number, rate, rows, text

MAX_MCP_ROWS = 10


@dataclass(frozen=True, slots=True)
class Point:
    """The numbers one week's report gives a trend."""

    events: int
    fail: int
    success_rate: float | None
    p95_ms: float | None
    mcp_p95_ms: Mapping[str, float | None]  # in the report's row order
    failures: Mapping[str, int]  # topFailures
    all_failures_listed: bool  # otherFailures is 0: a type not listed had no failure


def read_point(document: Mapping[str, Any]) -> Point:
    """A week's numbers from its report's JSON; :class:`UnreadableError` when it has none."""
    mcp: dict[str, float | None] = {}
    for row in rows(document, "mcp"):
        name = text(row.get("name"))
        if name is not None and name not in mcp:
            mcp[name] = number(row, "p95Ms")
    failures: dict[str, int] = {}
    for row in rows(document, "topFailures"):
        error_type = text(row.get("errorType"))
        if error_type is not None:
            failures[error_type] = failures.get(error_type, 0) + (count(row, "count") or 0)
    return Point(
        events=count(document, "totals", "events") or 0,
        fail=count(document, "totals", "fail") or 0,
        success_rate=rate(document, "totals", "successRate"),
        p95_ms=number(document, "totals", "p95Ms"),
        mcp_p95_ms=mcp,
        failures=failures,
        all_failures_listed=count(document, "otherFailures", optional=True) == 0,
    )


def _failures(point: Point | None, error_type: str) -> float | None:
    if point is None:
        return None
    if error_type in point.failures:
        return float(point.failures[error_type])
    return 0.0 if point.all_failures_listed else None


def observability_trend(
    archived: Sequence[Archived], period: str, current: Mapping[str, Any]
) -> Trend:
    """The trend over the archived weeks and this one (``current``: this report's JSON)."""
    periods, points, notes = gather(archived, period, current, read_point)
    this = points[-1]
    assert this is not None  # this report's own JSON always reads

    def values(pick: Any) -> list[float | None]:
        return [None if p is None else pick(p) for p in points]

    totals = Section(
        "totals",
        (
            series("events", values(lambda p: float(p.events)), "neutral", "count"),
            series("successRate", values(lambda p: p.success_rate), "higher", "rate"),
            series("fail", values(lambda p: float(p.fail)), "lower", "count"),
            series("p95Ms", values(lambda p: p.p95_ms), "lower", "amount"),
        ),
    )
    names = list(this.mcp_p95_ms)
    mcp = Section(
        "mcpP95Ms",
        tuple(
            series(name, values(lambda p, n=name: p.mcp_p95_ms.get(n)), "lower", "amount")
            for name in names[:MAX_MCP_ROWS]
        ),
        hidden=max(0, len(names) - MAX_MCP_ROWS),
    )
    failures = Section(
        "failures",
        tuple(
            series(t, [_failures(p, t) for p in points], "lower", "count") for t in this.failures
        ),
    )
    return Trend(periods, (totals, mcp, failures), tuple(notes))
