"""The weekly report's trend section: totals, p95 per MCP and failures by type, and a chart of
the success rate (docs/trends.md)."""

from __future__ import annotations

import math

from ops_schedule.config import Locale
from ops_schedule.reports.markdown import code_span, prose
from ops_schedule.reports.observability.text import LABELS
from ops_schedule.reports.trend.markdown import (
    FAILURES_COLOR,
    legend,
    section_table,
    trend_chart,
)
from ops_schedule.reports.trend.model import Series, Trend


def _chart(trend: Trend, locale: Locale) -> str:
    """Failure rate per week, as bars from zero: a success rate of 98.7 % against 98.5 % is a
    flat line on any honest axis, while 1.3 % against 1.5 % of failures reads at a glance."""
    t = LABELS[locale]
    rates = trend.section("totals").rows[1].values
    percents = [None if r is None else round((1 - r) * 100, 2) for r in rates]
    top = max((p for p in percents if p is not None), default=0.0)
    return trend_chart(
        trend,
        percents,
        title=t["trend.chart"],
        y_label=t["trend.chartAxis"],
        kind="bar",
        y_range=(0, max(0.1, math.ceil(top * 12) / 10)),  # a little headroom above the top
        color=FAILURES_COLOR,
    )


def trend_markdown(trend: Trend, locale: Locale) -> str:
    """The section, under its own heading; the notes say which weeks were skipped and why."""
    t = LABELS[locale]
    totals_label = {
        "events": t["trend.events"],
        "successRate": t["trend.successRate"],
        "fail": t["trend.fail"],
        "p95Ms": t["trend.p95"],
    }

    def total(row: Series) -> str:
        return totals_label[row.key]

    def name(row: Series) -> str:
        return code_span(row.key)  # an MCP name from the log: data, inert (docs/markdown-safety.md)

    def error_type(row: Series) -> str:
        return code_span(row.key)

    parts = [
        f"### {t['trend'].format(n=len(trend.periods))}",
        section_table(trend, trend.section("totals"), locale, total, t["metric"]),
    ]
    chart = _chart(trend, locale)
    if chart:
        parts.append(chart)
    mcp = trend.section("mcpP95Ms")
    if mcp.rows:
        parts += [f"#### {t['trend.mcp']}", section_table(trend, mcp, locale, name, t["mcp"])]
    failures = trend.section("failures")
    if failures.rows:
        parts += [
            f"#### {t['trend.failures']}",
            section_table(trend, failures, locale, error_type, t["errorType"]),
        ]
    parts.append(legend(trend, locale))
    if trend.notes:
        parts.append("\n".join(f"- {prose(note)}" for note in trend.notes))
    return "\n\n".join(parts)
