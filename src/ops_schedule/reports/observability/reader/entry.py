"""``collect_stats``: the reader's one entry point, with or without the cache of partials."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from ops_schedule.reports.observability.reader.cached import collect_cached
from ops_schedule.reports.observability.reader.collect import LOOKBACK, ProgressChoice, read
from ops_schedule.reports.observability.reader.plan import Plan
from ops_schedule.reports.observability.reader.segments import open_segments
from ops_schedule.reports.observability.stats import WindowStats


def collect_stats(
    path: Path,
    windows: Sequence[tuple[datetime, datetime]],
    *,
    bucket: timedelta,
    redact: Callable[[str], str] | None = None,
    quiet: bool = True,
    cache: Path | None = None,
) -> list[WindowStats]:
    """Statistics of the events of ``path`` (and its rotated segments) in each half-open window.

    Returns one :class:`WindowStats` per window, in the order given; chart buckets of width
    ``bucket`` start at each window's start. Failure examples are passed through ``redact``.
    A missing log gives empty statistics with a note, never an error; something other than a
    regular file at ``path`` raises :class:`~ops_schedule.fsutil.NotRegularFileError` (an
    ``OSError``). With ``quiet=False`` a progress bar is drawn on stderr when stderr and stdout
    are terminals. With ``cache`` (an SQLite file), what earlier readings cached there is not read
    again, and what this one reads is cached; the result is the same either way
    (docs/performance.md#cached-partials).
    """
    plan = Plan.build(windows, bucket)
    if plan.earliest is not None:
        plan = replace(plan, lookback=plan.earliest - LOOKBACK)
    with open_segments(path) as segments:
        if not segments:
            missing = plan.empty_stats()
            for summary in missing:
                summary.notes.append(f"event log not found at {path}")
            return missing
        progress = ProgressChoice(quiet, path.name)
        stats: list[WindowStats] | None = None
        if cache is not None:
            stats = collect_cached(plan, segments, cache, progress)
        result = read(plan, segments, progress) if stats is None else stats
    if redact is not None:
        for summary in result:
            for failure in summary.failures.values():
                if failure.example is not None:
                    failure.example = redact(failure.example)
    return result
