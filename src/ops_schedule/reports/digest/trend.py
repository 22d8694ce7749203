"""The digest's trend: incidents, severities, time to resolve and this week's top causes, week
by week, read back from archived digests (docs/trends.md). Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ops_schedule.reports.digest.causes import normalize_reason
from ops_schedule.reports.trend.archive import Archived
from ops_schedule.reports.trend.gather import gather
from ops_schedule.reports.trend.model import Section, Trend, series
from ops_schedule.reports.trend.values import count, number, rows, text

SEVERITY_ROWS = ("critical", "warn", "info")


@dataclass(frozen=True, slots=True)
class Point:
    incidents: int
    severity: Mapping[str, int]
    mean_time_to_resolve_minutes: float | None
    causes: Mapping[str, int]  # normalised cause -> incidents
    all_causes_listed: bool


def read_point(document: Mapping[str, Any]) -> Point:
    """A week's numbers from its digest's JSON; :class:`UnreadableError` when it has none."""
    causes: dict[str, int] = {}
    # topCauses first: a version 1 digest lists only those; causeCounts (version 2) adds the rest.
    for row in [*rows(document, "topCauses"), *rows(document, "causeCounts")]:
        cause = text(row.get("cause"))
        if cause is not None:
            causes.setdefault(normalize_reason(cause), count(row, "count") or 0)
    return Point(
        incidents=count(document, "summary", "totalIncidents") or 0,
        severity={s: count(document, "summary", s) or 0 for s in SEVERITY_ROWS},
        mean_time_to_resolve_minutes=number(document, "summary", "meanTimeToResolveMinutes"),
        causes=causes,
        all_causes_listed=document.get("causeCountsComplete") is True,
    )


def _cause(point: Point | None, cause: str) -> float | None:
    if point is None:
        return None
    if cause in point.causes:
        return float(point.causes[cause])
    return 0.0 if point.all_causes_listed else None


def digest_trend(archived: Sequence[Archived], period: str, current: Mapping[str, Any]) -> Trend:
    """The trend over the archived weeks and this one (``current``: this digest's JSON)."""
    periods, points, notes = gather(archived, period, current, read_point)
    this = points[-1]
    assert this is not None  # this digest's own JSON always reads

    def counts(pick: Any) -> list[float | None]:
        return [None if p is None else float(pick(p)) for p in points]

    totals = Section(
        "totals",
        (
            series("totalIncidents", counts(lambda p: p.incidents), "lower", "count"),
            *(
                series(s, counts(lambda p, s=s: p.severity[s]), "lower", "count")
                for s in SEVERITY_ROWS
            ),
            series(
                "meanTimeToResolveMinutes",
                [None if p is None else p.mean_time_to_resolve_minutes for p in points],
                "lower",
                "amount",
            ),
        ),
    )
    top = [normalize_reason(str(row.get("cause"))) for row in rows(current, "topCauses")]
    causes = Section(
        "causes", tuple(series(c, [_cause(p, c) for p in points], "lower", "count") for c in top)
    )
    return Trend(periods, (totals, causes), tuple(notes))
