"""How a report's windows split into cells: the units that are read, cached and added up.

A window is cut at UTC hours: a piece up to its first whole hour, whole hours, a piece after
its last (a window from 09:10 to 09:10 has pieces of 50 and 10 minutes). Each cell is read, and
cached, on its own, with chart counts per minute: any report bucket that starts on a minute (an
hour, a day from a scheduled time) is then a sum of minutes. The look-back before the first
window is cut the same way; of it only circuit transitions matter. Windows that do not start
on a whole minute (``report --at`` with seconds), buckets that are not whole minutes, and
windows with gaps between them are read without the cache
(docs/performance.md#cached-partials).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Final

from ops_schedule.reports.observability.reader.partial import EPOCH
from ops_schedule.reports.observability.reader.plan import Plan

HOUR: Final = timedelta(hours=1)
MINUTE: Final = timedelta(minutes=1)

Range = tuple[datetime, datetime]


@dataclass(frozen=True, slots=True)
class Layout:
    windows: tuple[Range, ...]  # non-empty, in time order, each ending where the next starts
    lookback: Range  # before the first window: only its circuit transitions count


def layout(plan: Plan) -> Layout | None:
    """The windows of ``plan`` as the cache sees them; None when they cannot use it."""
    windows = sorted((start, end) for start, end in plan.windows if start < end)
    if not windows or plan.lookback is None or plan.bucket % MINUTE:
        return None
    if any(not _on_minute(moment) for window in windows for moment in window):
        return None
    if any(before[1] != after[0] for before, after in pairwise(windows)):
        return None
    if not _on_minute(plan.lookback):
        return None
    return Layout(tuple(windows), (plan.lookback, windows[0][0]))


def cover(span: Range, available: Iterable[Range]) -> tuple[list[Range], list[Range]]:
    """Tile ``span`` from its start: with the longest ``available`` range that starts where the
    tiling has got to, else with the cell there (to the next UTC hour), which is missing."""
    longest: dict[datetime, datetime] = {}
    for start, end in available:
        if start >= span[0] and end <= span[1] and end > longest.get(start, start):
            longest[start] = end
    chosen: list[Range] = []
    missing: list[Range] = []
    at = span[0]
    while at < span[1]:
        reach = longest.get(at)
        if reach is None:
            # Up to the next hour, or to where a range starts (an earlier window's edge).
            stop = min([floor_hour(at) + HOUR, span[1], *(s for s in longest if s > at)])
            missing.append((at, stop))
            at = stop
        else:
            chosen.append((at, reach))
            at = reach
    return chosen, missing


def hours_within(span: Range) -> list[Range]:
    """The whole UTC hours inside ``span``."""
    first = floor_hour(span[0])
    if first < span[0]:
        first += HOUR
    hours = []
    while first + HOUR <= span[1]:
        hours.append((first, first + HOUR))
        first += HOUR
    return hours


def runs(ranges: Iterable[Range]) -> list[Range]:
    """``ranges`` sorted, with touching ones joined."""
    joined: list[Range] = []
    for start, end in sorted(ranges):
        if joined and start <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(end, joined[-1][1]))
        else:
            joined.append((start, end))
    return joined


def tiling(spans: Sequence[Range], span: Range) -> list[Range] | None:
    """Ranges of ``spans`` that tile ``span`` exactly (the longest at each step); None if
    they do not."""
    longest: dict[datetime, datetime] = {}
    for start, end in spans:
        if start >= span[0] and end <= span[1] and end > longest.get(start, start):
            longest[start] = end
    tiles: list[Range] = []
    at = span[0]
    while at < span[1]:
        reach = longest.get(at)
        if reach is None:
            return None
        tiles.append((at, reach))
        at = reach
    return tiles


def floor_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _on_minute(moment: datetime) -> bool:
    return not (moment - EPOCH) % MINUTE
