"""A trend as Markdown: one compact table per section and one chart (docs/trends.md).

Columns are periods, oldest first; this period is the last. Numbers are compact (``65.4k``)
with the unit in the row label, so eight periods fit a 760 px comment in both locales.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence

from ops_schedule.config import Locale
from ops_schedule.reports.markdown import table
from ops_schedule.reports.trend.direction import (
    COUNT_TOLERANCE_FLOOR,
    RATE_TOLERANCE,
    RELATIVE_TOLERANCE,
)
from ops_schedule.reports.trend.model import Section, Series, Trend
from ops_schedule.reports.trend.periods import short_label

GAP = "—"
# Mermaid draws charts 500 px tall by default; at comment width 280 px reads as well and leaves
# the tables in view.
CHART_HEIGHT = 280
# Mermaid's default palette starts with a pale lavender that all but vanishes on white.
EVENTS_COLOR = "#0969da"  # GitHub's blue
FAILURES_COLOR = "#cf222e"  # GitHub's red


def mermaid_init(color: str) -> str:
    """The directive that sizes a chart and gives its series a colour that reads."""
    settings = {
        "xyChart": {"height": CHART_HEIGHT},
        "themeVariables": {"xyChart": {"plotColorPalette": color}},
    }
    return "%%{init: " + json.dumps(settings) + "}%%"


TEXT: Mapping[Locale, Mapping[str, str]] = {
    "en": {
        "direction": "Trend",
        "better": "better",
        "worse": "worse",
        "flat": "flat",
        "up": "up",
        "down": "down",
        "none": GAP,
        "legend": (
            "{first} – {last}, this one last. {gap}: no number (not in the archive, or none "
            "that period). Trend compares this period with the median of the earlier "
            "ones: flat within ±{rate} pt for rates, ±{relative} % for counts (at least "
            "{floor}) and times."
        ),
        "hidden": "{n} more rows are in the JSON archive.",
    },
    "ja": {
        "direction": "傾向",
        "better": "改善",
        "worse": "悪化",
        "flat": "横ばい",
        "up": "増加",
        "down": "減少",
        "none": GAP,
        "legend": (
            "{first} – {last} (右端が今回)。{gap}: 数値なし (アーカイブにない、またはその期間に"
            "該当なし)。傾向は今回を過去の期間の中央値と比べたもの: 率は ±{rate} pt、"
            "件数 (最低 {floor}) と時間は ±{relative} % 以内なら横ばい。"
        ),
        "hidden": "ほか {n} 行は JSON アーカイブにあります。",
    },
}


# (at least, divisor, format): 2,345,678 -> 2.35M, 150,123 -> 150k, 65,432 -> 65.4k
_SCALES = ((1_000_000, 1_000_000, "{:.2f}M"), (100_000, 1000, "{:.0f}k"), (10_000, 1000, "{:.1f}k"))


def compact(value: float | None, measure: str) -> str:
    """``97.1`` for a rate (in %), ``65.4k`` for a large number, ``3,690`` below 10,000."""
    if value is None:
        return GAP
    if measure == "rate":
        percent = value * 100
        # 99.96 % must not read as 100.0: one more digit near the ends, as in the reports.
        near_end = 99.9 < percent < 100 or 0 < percent < 0.1  # noqa: PLR2004
        return f"{percent:.2f}" if near_end else f"{percent:.1f}"
    for least, divisor, shape in _SCALES:
        if abs(value) >= least:
            return shape.format(value / divisor)
    if abs(value) >= 100 or value == round(value):  # noqa: PLR2004
        return f"{value:,.0f}"
    return f"{value:.1f}"


def direction_cell(row: Series, locale: Locale) -> str:
    """``↓ better``: the arrow says where the number went, the word what that means."""
    word = TEXT[locale][row.direction]
    last = row.values[-1] if row.values else None
    if row.direction == "none" or last is None or row.baseline is None:
        return word
    arrow = "→" if row.direction == "flat" else "↑" if last > row.baseline else "↓"
    return f"{arrow} {word}"


def chart_number(value: float) -> str:
    """A number as Mermaid reads it: plain digits, no exponent."""
    return f"{value:.4f}".rstrip("0").rstrip(".")


def section_table(
    trend: Trend,
    section: Section,
    locale: Locale,
    label: Callable[[Series], object],
    heading: str,
) -> str:
    """The section's table: ``heading`` over the row labels, a column per period."""
    headers = [heading, *(short_label(p.key) for p in trend.periods), TEXT[locale]["direction"]]
    body = [
        [label(row), *(compact(v, row.measure) for v in row.values), direction_cell(row, locale)]
        for row in section.rows
    ]
    text = table(headers, body, "l" + "r" * len(trend.periods) + "l")
    if section.hidden:
        text += "\n\n" + TEXT[locale]["hidden"].format(n=section.hidden)
    return text


def legend(trend: Trend, locale: Locale) -> str:
    return TEXT[locale]["legend"].format(
        first=trend.periods[0].key,
        last=trend.periods[-1].key,
        gap=GAP,
        rate=f"{RATE_TOLERANCE * 100:g}",
        relative=f"{RELATIVE_TOLERANCE * 100:g}",
        floor=f"{COUNT_TOLERANCE_FLOOR:g}",
    )


def _quote(text: str) -> str:
    return '"' + text.replace('"', "'") + '"'


def trend_chart(
    trend: Trend,
    values: Sequence[float | None],
    *,
    title: str,
    y_label: str,
    kind: str,
    y_range: tuple[float, float],
    color: str = EVENTS_COLOR,
) -> str:
    """A Mermaid chart of one series over the periods that have a value.

    Mermaid's xychart cannot leave a point out, and a zero would lie: a period without a value
    is left off the x-axis, so its label is missing (``W43, W45``) and the legend says why.
    """
    shown = [
        (short_label(p.key), v) for p, v in zip(trend.periods, values, strict=True) if v is not None
    ]
    if len(shown) < 2:  # noqa: PLR2004 - one point is no trend
        return ""
    low, high = y_range
    return "\n".join(
        [
            "```mermaid",
            mermaid_init(color),
            "xychart-beta",
            f"    title {_quote(title)}",
            "    x-axis [" + ", ".join(_quote(label) for label, _ in shown) + "]",
            f"    y-axis {_quote(y_label)} {chart_number(low)} --> {chart_number(high)}",
            f"    {kind} [" + ", ".join(chart_number(v) for _, v in shown) + "]",
            "```",
        ]
    )
