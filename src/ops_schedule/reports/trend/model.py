"""A trend as plain data: periods (oldest first, this one last) and series of values."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from ops_schedule.reports.trend.direction import (
    Direction,
    Measure,
    Polarity,
    baseline,
    direction,
)

# current: this report; archived: read back from the archive; missing: no archive for the
# period; unreadable: an archive that could not be read (a note says why).
PeriodStatus = Literal["current", "archived", "missing", "unreadable"]


@dataclass(frozen=True, slots=True)
class Series:
    """One number across the periods; ``None`` is a gap, never zero."""

    key: str  # e.g. "successRate", an MCP name, an error type, a cause
    values: tuple[float | None, ...]
    polarity: Polarity
    measure: Measure
    baseline: float | None
    direction: Direction


def series(
    key: str, values: Sequence[float | None], polarity: Polarity, measure: Measure
) -> Series:
    """A series whose last value is this period's, with its baseline and direction."""
    values = tuple(values)
    base = baseline(values[:-1])
    last = values[-1] if values else None
    return Series(key, values, polarity, measure, base, direction(last, base, polarity, measure))


@dataclass(frozen=True, slots=True)
class TrendPeriod:
    key: str
    status: PeriodStatus


@dataclass(frozen=True, slots=True)
class Section:
    """A group of series shown together (the totals, p95 per MCP, failures per error type)."""

    key: str
    rows: tuple[Series, ...]
    hidden: int = 0  # rows beyond the ones kept


@dataclass(frozen=True, slots=True)
class Trend:
    periods: tuple[TrendPeriod, ...]
    sections: tuple[Section, ...]
    notes: tuple[str, ...]  # e.g. "2026-W44: not JSON", always in English (they go to JSON too)

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)

    @property
    def readable(self) -> int:
        """How many periods have numbers (this one included)."""
        return sum(1 for p in self.periods if p.status in ("current", "archived"))
