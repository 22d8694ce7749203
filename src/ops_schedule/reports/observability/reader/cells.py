"""How a report's windows split into cells: the units that are read, cached and added up.

A window is cut at its bounds, at the UTC hours next to them (a window from 09:10 gives pieces
09:10–10:00 and, at its end, 09:00–09:10, so the hour a bound cuts in two can be joined again),
and at the last settled minute. Cells are read with hourly chart buckets on the grid of the first
window's start, so that a daily report's hours and a weekly report's days, at the same time of
day, are sums of them. The look-back before the first window is cut at every hour; of it only
circuit transitions matter. Windows that do not start on a whole minute (``report --at`` with
seconds), buckets that are not whole minutes, windows with gaps between them and windows whose
starts are not whole hours apart are read without the cache (docs/performance.md#cached-partials).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Final

from ops_schedule.reports.observability.reader.partial import EPOCH
from ops_schedule.reports.observability.reader.plan import Plan

HOUR: Final = timedelta(hours=1)
MINUTE: Final = timedelta(minutes=1)
MICROSECOND: Final = timedelta(microseconds=1)

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
    width = grid_width(plan.bucket)
    if any((start - windows[0][0]) % width for start, _ in windows):
        return None  # a 30-minute DST shift between the windows: their buckets share no grid
    if any(before[1] != after[0] for before, after in pairwise(windows)):
        return None
    if not _on_minute(plan.lookback):
        return None
    return Layout(tuple(windows), (plan.lookback, windows[0][0]))


def grid_width(bucket: timedelta) -> timedelta:
    """The width of the buckets cells are read with: the hour, or less where ``bucket`` needs
    it, so that a cell serves daily (hourly buckets) and weekly (daily buckets) reports alike."""
    return timedelta(microseconds=math.gcd(bucket // MICROSECOND, HOUR // MICROSECOND))


def cover(span: Range, available: Iterable[Range]) -> tuple[list[Range], list[Range]]:
    """Tile ``span`` from its start with the longest ``available`` range that starts where the
    tiling has got to; where none does, up to where one starts is missing. Returns the ranges
    chosen and the missing ones (each as long as it can be)."""
    longest = _longest(available, span)
    starts = sorted(longest)
    chosen: list[Range] = []
    missing: list[Range] = []
    at = span[0]
    while at < span[1]:
        reach = longest.get(at)
        if reach is None:
            later = starts[bisect.bisect_right(starts, at) :]
            stop = min(later[0], span[1]) if later else span[1]
            missing.append((at, stop))
            at = stop
        else:
            chosen.append((at, reach))
            at = reach
    return chosen, missing


def cut(ranges: Iterable[Range], points: Iterable[datetime]) -> list[Range]:
    """``ranges`` cut at each of ``points`` inside them."""
    ordered = sorted(set(points))
    pieces: list[Range] = []
    for start, end in ranges:
        at = start
        for point in ordered[bisect.bisect_right(ordered, start) :]:
            if point >= end:
                break
            pieces.append((at, point))
            at = point
        pieces.append((at, end))
    return pieces


def hours(span: Range) -> list[datetime]:
    """The UTC hour boundaries inside ``span``."""
    first = floor_hour(span[0]) + HOUR
    return [first + n * HOUR for n in range(max(0, -(-(span[1] - first) // HOUR)))]


def edges(windows: Sequence[Range], settled: datetime | None) -> list[datetime]:
    """Where the windows' cells are cut: the windows' bounds, the hours next to them (so that
    the hour a bound cuts in two is two cells), and the minute before ``settled`` (what lies
    before it can be cached)."""
    points: list[datetime] = []
    for start, end in windows:
        points += [start, end, floor_hour(start) + HOUR, floor_hour(end)]
    if settled is not None:
        points.append(settled.replace(second=0, microsecond=0))
    return points


def runs(ranges: Iterable[Range]) -> list[Range]:
    """``ranges`` sorted, with touching ones joined."""
    joined: list[Range] = []
    for start, end in sorted(ranges):
        if joined and start <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(end, joined[-1][1]))
        else:
            joined.append((start, end))
    return joined


def prefix(ranges: Iterable[Range], span: Range) -> list[Range]:
    """The longest chain of ``ranges`` that tiles ``span`` from its start (longest first)."""
    longest = _longest(ranges, span)
    tiles: list[Range] = []
    at = span[0]
    while (reach := longest.get(at)) is not None:
        tiles.append((at, reach))
        at = reach
    return tiles


def _longest(ranges: Iterable[Range], span: Range) -> dict[datetime, datetime]:
    """For each start, the farthest end among ``ranges`` inside ``span``."""
    longest: dict[datetime, datetime] = {}
    for start, end in ranges:
        if start >= span[0] and end <= span[1] and end > longest.get(start, start):
            longest[start] = end
    return longest


def floor_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _on_minute(moment: datetime) -> bool:
    return not (moment - EPOCH) % MINUTE
