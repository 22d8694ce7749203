"""The weekly report's trend section: totals, p95 per MCP and failures by type, and a chart of
the success rate (docs/trends.md)."""

from __future__ import annotations

import math

from ops_schedule.config import Locale, ThresholdsConfig
from ops_schedule.reports.markdown import code_span
from ops_schedule.reports.observability.text import LABELS
from ops_schedule.reports.trend.markdown import legend, section_table, trend_chart
from ops_schedule.reports.trend.model import Series, Trend


def _chart(trend: Trend, locale: Locale, thresholds: ThresholdsConfig) -> str:
    t = LABELS[locale]
    rates = trend.section("totals").rows[1].values
    percents = [None if r is None else round(r * 100, 2) for r in rates]
    present = [p for p in percents if p is not None]
    if not present:
        return ""
    # From a whole percent below the lowest rate (or the critical line) to 100: small changes
    # stay visible and the critical line stays in view.
    low = math.floor(min(*present, thresholds.critical_success_rate * 100)) - 1
    return trend_chart(
        trend,
        percents,
        title=t["trend.chart"],
        y_label=t["trend.chartAxis"],
        kind="line",
        y_range=(max(0, low), 100),
    )


def trend_markdown(trend: Trend, locale: Locale, thresholds: ThresholdsConfig) -> str:
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
        return row.key

    def error_type(row: Series) -> str:
        return code_span(row.key)

    parts = [
        f"### {t['trend'].format(n=len(trend.periods))}",
        section_table(trend, trend.section("totals"), locale, total, t["metric"]),
    ]
    chart = _chart(trend, locale, thresholds)
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
        parts.append("\n".join(f"- {note}" for note in trend.notes))
    return "\n\n".join(parts)
