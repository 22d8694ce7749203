"""A Mermaid ``xychart-beta`` of events (bars) and failures (line) per bucket.

GitHub renders Mermaid fences in issue comments. The category labels are quoted strings, and
the labels are written in the report's time zone so the chart reads like a clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from zoneinfo import ZoneInfo

from ops_schedule.reports.markdown import mermaid_label
from ops_schedule.reports.observability.model import Bucket

MAX_BARS = 48  # more bars than this are unreadable in a comment; merge neighbours


def _label(bucket: Bucket, width: timedelta, zone: ZoneInfo) -> str:
    local = bucket.start.astimezone(zone)
    return local.strftime("%H:%M") if width < timedelta(days=1) else local.strftime("%m-%d")


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


def xychart(
    buckets: Sequence[Bucket], width: timedelta, zone: ZoneInfo, *, title: str, y_label: str
) -> str:
    """The fenced Mermaid block (or an empty string when there is nothing to draw)."""
    if not buckets:
        return ""
    bars, width = _merge(buckets, width)
    top = max(1, *(b.events for b in bars))
    lines = [
        "```mermaid",
        "xychart-beta",
        f"    title {_quote(title)}",
        "    x-axis [" + ", ".join(_quote(_label(b, width, zone)) for b in bars) + "]",
        f"    y-axis {_quote(y_label)} 0 --> {top}",
        "    bar [" + ", ".join(str(b.events) for b in bars) + "]",
        "    line [" + ", ".join(str(b.failures) for b in bars) + "]",
        "```",
    ]
    return "\n".join(lines)
