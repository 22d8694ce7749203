"""A reading that reuses cached partials: read only what no valid span covers, then cache it.

1. Each window, and the look-back before the first (of which only circuit transitions matter),
   is tiled with the longest valid spans of the cache: an earlier report's whole window, an
   hour, a piece of an hour at a window's edge. What no span covers is read from the log, cut
   into cells at UTC hours (``cells.py``), each folded on its own so that it can be cached.
2. The cached spans and the cells read add up to each window's statistics (``assemble.py``).
3. Cells now known for good are cached: those whose end lies more than ``MARGIN`` before the
   last lines of the log (no line written later can belong to them), from a reading that said
   nothing unusual (no note: no truncation, no damaged segment). So is each window as one span,
   and each hour that the windows' edges cut in two: the next report over the same window, or
   over days whose reports ran, takes them in one piece.

The result is exactly that of :func:`~.collect.read`; when it cannot be made so (untimed lines
that no stamped line anchors), the caller reads everything instead.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from ops_schedule.reports.observability.reader import cells
from ops_schedule.reports.observability.reader.assemble import assemble
from ops_schedule.reports.observability.reader.cache import KEEP, Heads, PartialCache, Span
from ops_schedule.reports.observability.reader.cells import Range
from ops_schedule.reports.observability.reader.collect import (
    ProgressChoice,
    plan_tasks,
    run_tasks,
    worker_count,
)
from ops_schedule.reports.observability.reader.partial import Partial, merged, micros
from ops_schedule.reports.observability.reader.plan import Plan
from ops_schedule.reports.observability.reader.seek import MARGIN, PROBE, SAMPLE, stamp_of
from ops_schedule.reports.observability.reader.segments import Segment
from ops_schedule.reports.observability.reader.tasks import Task
from ops_schedule.reports.observability.stats import WindowStats


def collect_cached(
    plan: Plan, segments: Sequence[Segment], path: Path, progress: ProgressChoice
) -> list[WindowStats] | None:
    """The statistics of ``plan``'s windows with the cache at ``path``; None when the cache
    cannot serve these windows (the caller then reads everything)."""
    layout = cells.layout(plan)
    if layout is None:
        return None
    cache = PartialCache.open(path)
    if cache is None:
        return None
    try:
        return _collect(plan, layout, segments, cache, progress)
    finally:
        cache.close()


def _collect(
    plan: Plan,
    layout: cells.Layout,
    segments: Sequence[Segment],
    cache: PartialCache,
    progress: ProgressChoice,
) -> list[WindowStats] | None:
    heads = Heads(segments)
    settled = _settled_before(segments)
    # Chart buckets of what is read: hourly from the first window's start (daily and weekly
    # reports with the same time of day both fit that grid).
    anchor, width = layout.windows[0][0], cells.grid_width(plan.bucket)
    step = width // cells.MICROSECOND
    grid = (micros(anchor) % step, step)
    cached: list[Span] = []
    to_read: list[Range] = []
    for window in layout.windows:
        spans, missing = cache.cover(window, heads, grid=grid)
        cached += spans
        to_read += cells.cut(missing, cells.edges(layout.windows, settled))
    circuit_spans, circuit_missing = cache.cover(layout.lookback, heads, grid=None)
    circuit_reads = cells.cut(circuit_missing, cells.hours(layout.lookback))

    lookback = layout.lookback[0]
    read_plan = Plan.build(
        sorted(to_read), width, lookback=lookback, bins=circuit_reads, anchor=anchor
    )
    tasks = plan_tasks(
        segments,
        workers=worker_count(),
        folds=cells.runs(to_read),
        circuits=cells.runs(circuit_reads),
    )
    folder, boundaries = run_tasks(read_plan, tasks, progress=progress.for_tasks(tasks))
    if folder.settle(boundaries):
        return None  # untimed lines no stamped line anchors: only a whole reading places them

    keep = settled is not None and not folder.notes  # else nothing read is cached
    marks = (
        tuple(
            mark
            for mark in (heads.mark(index) for index in _read_segments(segments, tasks))
            if mark is not None
        )
        if keep
        else ()
    )
    read = [Span(part.start, part.end, True, part, marks) for part in folder.partials()]
    fresh = [span for span in read if keep and span.end <= settled]  # type: ignore[operator]
    parts: list[Partial] = []
    joined: list[Span] = []
    for window in layout.windows:
        whole, rest = _joined_prefix(window, [*cached, *fresh], [*cached, *read])
        if whole is not None:
            joined.append(whole)
            parts.append(whole.part)
        parts += [span.part for span in rest]
    outside = folder.outside_transitions()
    outside += [(name, t) for span in circuit_spans for name, t in span.part.circuit.items()]
    stats = assemble(plan, parts, outside, folder.notes)

    if keep:
        assert settled is not None  # for the type checker: keep says so
        joined += _joined_hours(layout.windows, [*cached, *fresh])
        fresh += [
            Span(
                start, end, False, Partial(start, end, circuit=folder.outside.get(start, {})), marks
            )
            for start, end in circuit_reads
            if end <= settled
        ]
        # Pruned by the log's own time, not the report's: `report --at` a year ahead must not
        # empty the cache.
        cache.store([*fresh, *joined], keep_after=settled - KEEP)
    return stats


def _joined_prefix(
    window: Range, settled: Sequence[Span], pieces: Sequence[Span]
) -> tuple[Span | None, list[Span]]:
    """The window's longest run of settled spans from its start as one span (None when that is
    a single span already), and the window's other pieces."""
    inside = {(s.start, s.end): s for s in pieces if window[0] <= s.start and s.end <= window[1]}
    usable = [(s.start, s.end) for s in settled if (s.start, s.end) in inside]
    tiles = cells.prefix(usable, window)
    if len(tiles) < 2:  # noqa: PLR2004 - one span is already whole
        return None, list(inside.values())
    chosen = [inside[tile] for tile in tiles]
    reach = tiles[-1][1]
    whole = _span(chosen, full=True)
    return whole, [span for span in inside.values() if span.start >= reach]


def _joined_hours(windows: Sequence[Range], known: Sequence[Span]) -> list[Span]:
    """The hours that the windows' bounds cut in two, as one span each, where both halves are
    known: a report whose windows start elsewhere in that hour takes it whole."""
    by_bounds = {(span.start, span.end): span for span in known}
    joined: list[Span] = []
    for bound in sorted({moment for window in windows for moment in window}):
        hour = cells.floor_hour(bound)
        if hour == bound:
            continue
        span = (hour, hour + cells.HOUR)
        tiles = cells.prefix(list(by_bounds), span)
        if len(tiles) > 1 and tiles[-1][1] == span[1]:
            joined.append(_span([by_bounds[tile] for tile in tiles], full=True))
    return joined


def _span(pieces: Sequence[Span], *, full: bool) -> Span:
    part = merged([piece.part for piece in pieces])
    marks = tuple(sorted({mark for piece in pieces for mark in piece.marks}, key=str))
    return Span(part.start, part.end, full, part, marks)


def _read_segments(segments: Sequence[Segment], tasks: Sequence[Task]) -> list[int]:
    read = {task.inode for task in tasks}
    return [index for index, segment in enumerate(segments) if segment.inode in read]


def _settled_before(segments: Sequence[Segment]) -> datetime | None:
    """Cells ending before this instant are complete: no line yet to come can fall in them.

    Under the disorder bound, a line written after the last lines of the log is stamped no
    earlier than ``MARGIN`` before them; the earliest of the last few stamps keeps one wild
    timestamp from moving the bound forward. The last lines are those of the newest segment
    that has any (a live file just rotated may be empty). None when there are none, or when that
    segment is compressed (its end cannot be read cheaply).
    """
    for segment in reversed(segments):
        if segment.compressed:
            return None
        start = max(0, segment.size - PROBE)
        lines = os.pread(segment.fd, segment.size - start, start).split(b"\n")
        if start > 0:
            lines = lines[1:]
        stamps = [at for at in map(stamp_of, reversed(lines[-4 * SAMPLE :])) if at is not None]
        if stamps:
            return min(stamps[:SAMPLE]) - MARGIN
    return None
