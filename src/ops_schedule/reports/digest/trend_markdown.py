"""The digest's trend section: incidents by severity, time to resolve and the top causes week
by week, with a chart of incidents per week (docs/trends.md)."""

from __future__ import annotations

from ops_schedule.config import Locale
from ops_schedule.reports.digest.text import TEXT
from ops_schedule.reports.markdown import clip, code_span, prose
from ops_schedule.reports.trend.markdown import legend, section_table, trend_chart
from ops_schedule.reports.trend.model import Series, Trend

CAUSE_LABEL_CHARS = 24  # eight weeks of numbers beside it must fit a 760 px comment
_TOTAL_LABELS = {
    "totalIncidents": "incidents",
    "critical": "critical",
    "warn": "warn",
    "info": "info",
    "meanTimeToResolveMinutes": "mttr",
}


def trend_markdown(trend: Trend, locale: Locale) -> list[str]:
    """The section's lines, under its own heading."""
    text = TEXT[locale]

    def total(row: Series) -> str:
        return text[_TOTAL_LABELS[row.key]]

    def cause(row: Series) -> str:
        # The top causes table above shows each cause in full; here it only names the row.
        return code_span(clip(row.key, CAUSE_LABEL_CHARS))

    incidents = trend.section("totals").rows[0].values
    top = max((v for v in incidents if v is not None), default=0.0)
    chart = trend_chart(
        trend,
        incidents,
        title=text["trend_chart"],
        y_label=text["trend_axis"],
        kind="bar",
        y_range=(0, max(1.0, top)),
    )
    lines = [
        f"### {text['trend'].format(n=len(trend.periods))}",
        "",
        section_table(trend, trend.section("totals"), locale, total, text["metric"]),
        "",
    ]
    if chart:
        lines.extend([chart, ""])
    causes = trend.section("causes")
    if causes.rows:
        lines.extend(
            [
                f"#### {text['trend_causes']}",
                "",
                section_table(trend, causes, locale, cause, text["cause"]),
                "",
            ]
        )
    lines.extend([legend(trend, locale), ""])
    lines.extend(f"- {prose(note)}" for note in trend.notes)
    return lines
