"""From archived documents to one point per period: gaps stay gaps, bad files become notes."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from ops_schedule.reports.trend.archive import Archived
from ops_schedule.reports.trend.model import TrendPeriod
from ops_schedule.reports.trend.values import UnreadableError

Point = TypeVar("Point")


def gather(
    archived: Sequence[Archived],
    current_period: str,
    current: Mapping[str, Any],
    read: Callable[[Mapping[str, Any]], Point],
) -> tuple[tuple[TrendPeriod, ...], list[Point | None], list[str]]:
    """Periods (the archived ones, then this one), their points and notes on what was skipped.

    ``read`` turns one report's JSON into the numbers the trend shows; it raises
    :class:`UnreadableError` for a document that cannot give them. This period's point is read
    from ``current``, the JSON this run is about to archive, by the same function.
    """
    periods: list[TrendPeriod] = []
    points: list[Point | None] = []
    notes: list[str] = []
    for entry in archived:
        point: Point | None = None
        problem = entry.problem
        if entry.document is not None:
            try:
                point = read(entry.document)
            except UnreadableError as exc:
                problem = str(exc)
        if point is not None:
            periods.append(TrendPeriod(entry.period, "archived"))
        elif problem is not None:
            periods.append(TrendPeriod(entry.period, "unreadable"))
            notes.append(f"{entry.period}: archived report skipped: {problem}")
        else:
            periods.append(TrendPeriod(entry.period, "missing"))
        points.append(point)
    periods.append(TrendPeriod(current_period, "current"))
    points.append(read(current))
    return tuple(periods), points, notes
