"""Mermaid ``xychart-beta`` bar charts per bucket: one of events, one of failures.

GitHub renders Mermaid fences in issue comments, scaled to the comment's width (about 760 px).
Failures get a chart and an axis of their own: on the events axis 28 failures an hour against
970 events are a flat line at zero. Labels are written in the report's time zone and kept to
two digits for hours (``09``) and five characters for days (``11-26``), so 24 or 48 of them fit
side by side without overlapping.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from ops_schedule.reports.markdown import mermaid_label
from ops_schedule.reports.observability.model import Bucket
from ops_schedule.reports.trend.markdown import EVENTS_COLOR, FAILURES_COLOR, mermaid_init

MAX_BARS = 48  # more bars than this are unreadable in a comment; merge neighbours


def _label(bucket: Bucket, width: timedelta, zone: ZoneInfo) -> str:
    local = bucket.start.astimezone(zone)
    return local.strftime("%H") if width < timedelta(days=1) else local.strftime("%m-%d")


def _merge(buckets: Sequence[Bucket], width: timedelta) -> tuple[list[Bucket], timedelta]:
    factor = -(-len(buckets) // MAX_BARS)
    if factor <= 1:
        return list(buckets), width
    merged = []
    for index in range(0, len(buckets), factor):
        group = buckets[index : index + factor]
        merged.append(
            Bucket(
                group[0].start,
                sum(b.events for b in group),
                sum(b.failures for b in group),
            )
        )
    return merged, width * factor


def _quote(text: str) -> str:
    # Whatever a label holds, it cannot end the string, the fence or the chart.
    return f'"{mermaid_label(text)}"'


def bar_chart(
    buckets: Sequence[Bucket],
    width: timedelta,
    zone: ZoneInfo,
    *,
    title: str,
    y_label: str,
    value: Literal["events", "failures"],
) -> str:
    """The fenced Mermaid block (or an empty string when there is nothing to draw)."""
    if not buckets:
        return ""
    bars, width = _merge(buckets, width)
    counts = [b.events if value == "events" else b.failures for b in bars]
    top = max(1, *counts)
    lines = [
        "```mermaid",
        mermaid_init(EVENTS_COLOR if value == "events" else FAILURES_COLOR),
        "xychart-beta",
        f"    title {_quote(title)}",
        "    x-axis [" + ", ".join(_quote(_label(b, width, zone)) for b in bars) + "]",
        f"    y-axis {_quote(y_label)} 0 --> {top}",
        "    bar [" + ", ".join(str(c) for c in counts) + "]",
        "```",
    ]
    return "\n".join(lines)
