"""Period keys before a given one: the columns of a trend (docs/trends.md)."""

from __future__ import annotations

import re
from datetime import date, timedelta

_WEEK = re.compile(r"(\d{4})-W(\d{2})")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _start_and_step(period_key: str) -> tuple[date, timedelta, str]:
    if match := _WEEK.fullmatch(period_key):
        start = date.fromisocalendar(int(match[1]), int(match[2]), 1)
        return start, timedelta(days=7), "weekly"
    if _DAY.fullmatch(period_key):
        return date.fromisoformat(period_key), timedelta(days=1), "daily"
    raise ValueError(f"{period_key!r} is not a period key (2026-11-26 or 2026-W48)")


def _key(day: date, cadence: str) -> str:
    if cadence == "daily":
        return day.isoformat()
    iso = day.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def trend_periods(period_key: str, count: int) -> tuple[str, ...]:
    """The ``count`` periods that end with ``period_key``, oldest first.

    ``trend_periods("2027-W01", 3)`` is ``("2026-W52", "2026-W53", "2027-W01")``: ISO weeks,
    so a year with 53 weeks keeps its 53rd.
    """
    start, step, cadence = _start_and_step(period_key)
    return tuple(_key(start - step * back, cadence) for back in range(count - 1, -1, -1))


def short_label(period_key: str) -> str:
    """A column heading: ``W48`` for a week, ``11-26`` for a day."""
    if _WEEK.fullmatch(period_key):
        return period_key[5:]
    return period_key[5:] if _DAY.fullmatch(period_key) else period_key
