"""Observability report numbers: a pure function of two windows' statistics and the thresholds.

Definitions (``docs/reports.md``, "Definitions", explains them for operators):

* **Totals** count every valid event of ``[start, end)``; ``success_rate = ok / events``, ``None``
  for an empty window. ``p95_ms`` is the nearest-rank p95 over the durations of every MCP call.
* **MCP rows** group events carrying ``mcpName``; MCPs seen only in a circuit transition get a row
  with zero calls so their breaker state shows. ``failure_rate`` is ``None`` with no calls,
  ``mean_ms``/``p95_ms`` are ``None`` with no durations.
* **Degraded MCP**: its circuit is not closed at the end of the window, or — with at least
  :data:`MIN_SAMPLE` calls — its success rate is below ``warnSuccessRate``, or — with at least
  :data:`MIN_SAMPLE` durations — its p95 is above ``warnP95Ms``. The sample floor keeps one failed
  call out of two from raising an alarm.
* **Row order**: most troubled first — degraded MCPs first, then more failures, then higher p95,
  then by name — so the rows an operator must read are at the top of a long table.
* **Alert**: ``CRITICAL`` when the success rate is below ``criticalSuccessRate``; otherwise
  ``WARNING`` when it is below ``warnSuccessRate``, when any MCP is degraded, or when the window
  has no events at all (a silent log is more often a broken pipeline than a quiet proxy);
  otherwise ``OK``. Every comparison is strict: a value exactly at a threshold passes.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from ops_schedule.config import ThresholdsConfig
from ops_schedule.reports.observability.model import (
    AlertLevel,
    Bucket,
    CircuitSummary,
    Deltas,
    FailureRow,
    McpRow,
    ReportData,
    WindowTotals,
)
from ops_schedule.reports.observability.proposals import MIN_SAMPLE, propose
from ops_schedule.reports.observability.stats import (
    CircuitState,
    McpStats,
    WindowStats,
    nearest_rank,
)

TOP_FAILURES = 5


def totals_of(stats: WindowStats) -> WindowTotals:
    durations: Counter[float] = Counter()
    for mcp in stats.mcp.values():
        durations.update(mcp.durations)
    return WindowTotals(
        events=stats.events,
        ok=stats.ok,
        fail=stats.fail,
        success_rate=stats.success_rate,
        malformed_lines=stats.malformed,
        p95_ms=nearest_rank(durations, 95),
    )


def _mcp_row(
    name: str, stats: WindowStats, previous: WindowStats, thresholds: ThresholdsConfig
) -> McpRow:
    mcp = stats.mcp.get(name) or McpStats()
    before = previous.mcp.get(name)
    transition = stats.circuit.get(name)
    circuit: CircuitState = transition.state if transition else "closed"
    p95 = mcp.p95_ms()
    reasons = []
    if circuit != "closed":
        reasons.append("circuit")
    if mcp.calls >= MIN_SAMPLE and (mcp.calls - mcp.failures) / mcp.calls < (
        thresholds.warn_success_rate
    ):
        reasons.append("failureRate")
    if mcp.duration_count >= MIN_SAMPLE and p95 is not None and p95 > thresholds.warn_p95_ms:
        reasons.append("p95")
    return McpRow(
        name=name,
        calls=mcp.calls,
        failures=mcp.failures,
        failure_rate=mcp.failures / mcp.calls if mcp.calls else None,
        mean_ms=mcp.mean_ms(),
        p95_ms=p95,
        circuit=circuit,
        circuit_since=transition.at if transition else None,
        circuit_open_count=mcp.circuit_open_count,
        degraded=bool(reasons),
        reasons=tuple(reasons),
        previous_calls=before.calls if before else None,
        previous_p95_ms=before.p95_ms() if before else None,
    )


def _trouble_order(row: McpRow) -> tuple[bool, int, float, str]:
    return (not row.degraded, -row.failures, -(row.p95_ms or 0.0), row.name)


def _top_failures(stats: WindowStats) -> tuple[tuple[FailureRow, ...], int]:
    rows = sorted(
        (
            FailureRow(error_type or "unknown", f.count, f.example)
            for error_type, f in stats.failures.items()
        ),
        key=lambda row: (-row.count, row.error_type),
    )
    # Two raw keys may both map to "unknown" (absent and empty): merge them before cutting.
    merged: dict[str, FailureRow] = {}
    for row in rows:
        seen = merged.get(row.error_type)
        merged[row.error_type] = (
            FailureRow(row.error_type, seen.count + row.count, seen.example or row.example)
            if seen
            else row
        )
    ordered = sorted(merged.values(), key=lambda row: (-row.count, row.error_type))
    top = tuple(ordered[:TOP_FAILURES])
    return top, sum(row.count for row in ordered[TOP_FAILURES:])


def _circuit_summary(rows: tuple[McpRow, ...]) -> CircuitSummary:
    states = Counter(row.circuit for row in rows)
    rank = {"open": 0, "half-open": 1}
    not_closed = sorted(
        (row for row in rows if row.circuit != "closed"),
        key=lambda row: (rank[row.circuit], row.name),
    )
    return CircuitSummary(
        closed=states["closed"],
        open=states["open"],
        half_open=states["half-open"],
        not_closed=tuple(not_closed),
    )


def _deltas(current: WindowTotals, previous: WindowTotals) -> Deltas:
    def minus(a: float | None, b: float | None) -> float | None:
        return None if a is None or b is None else a - b

    return Deltas(
        events=current.events - previous.events,
        events_ratio=(
            (current.events - previous.events) / previous.events if previous.events else None
        ),
        success_rate=minus(current.success_rate, previous.success_rate),
        p95_ms=minus(current.p95_ms, previous.p95_ms),
    )


def alert_level(
    totals: WindowTotals, rows: tuple[McpRow, ...], thresholds: ThresholdsConfig
) -> tuple[AlertLevel, tuple[str, ...]]:
    """The alert level and the codes of every rule that fired (see the module docstring)."""
    reasons = []
    rate = totals.success_rate
    if rate is not None and rate < thresholds.critical_success_rate:
        reasons.append("successRateBelowCritical")
    elif rate is not None and rate < thresholds.warn_success_rate:
        reasons.append("successRateBelowWarn")
    if totals.events == 0:
        reasons.append("noEvents")
    if any(row.degraded for row in rows):
        reasons.append("mcpDegraded")
    if "successRateBelowCritical" in reasons:
        return "CRITICAL", tuple(reasons)
    return ("WARNING" if reasons else "OK"), tuple(reasons)


def _buckets(stats: WindowStats, bucket: timedelta) -> tuple[Bucket, ...]:
    # Every bucket of the window, empty ones included, so a chart shows gaps as zeros.
    counts = dict(stats.buckets)
    at = stats.start
    while at < stats.end:
        counts.setdefault(at, [0, 0])
        at += bucket
    return tuple(Bucket(start, c[0], c[1]) for start, c in sorted(counts.items()))


def build_report_data(
    current: WindowStats,
    previous: WindowStats,
    thresholds: ThresholdsConfig,
    *,
    bucket: timedelta,
) -> ReportData:
    """Everything the report shows, computed from the current and the previous window."""
    totals, before = totals_of(current), totals_of(previous)
    names = sorted(set(current.mcp) | set(current.circuit))
    rows = tuple(
        sorted((_mcp_row(n, current, previous, thresholds) for n in names), key=_trouble_order)
    )
    top, other = _top_failures(current)
    alert, reasons = alert_level(totals, rows, thresholds)
    deltas = _deltas(totals, before)
    return ReportData(
        start=current.start,
        end=current.end,
        previous_start=previous.start,
        totals=totals,
        previous=before,
        deltas=deltas,
        mcp=rows,
        top_failures=top,
        other_failures=other,
        circuit=_circuit_summary(rows),
        alert=alert,
        alert_reasons=reasons,
        proposals=propose(totals, deltas, rows, top, thresholds),
        buckets=_buckets(current, bucket),
        bucket=bucket,
        notes=tuple(current.notes),
        thresholds=thresholds,
    )
