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
from ops_schedule.reports.observability.reader.cells import MINUTE, Range
from ops_schedule.reports.observability.reader.collect import (
    _Progress,
    plan_tasks,
    run_tasks,
    worker_count,
)
from ops_schedule.reports.observability.reader.partial import Partial, merged
from ops_schedule.reports.observability.reader.plan import Plan
from ops_schedule.reports.observability.reader.seek import MARGIN, PROBE, SAMPLE, stamp_of
from ops_schedule.reports.observability.reader.segments import Segment
from ops_schedule.reports.observability.reader.tasks import Task
from ops_schedule.reports.observability.stats import WindowStats


def collect_cached(
    plan: Plan, segments: Sequence[Segment], path: Path, progress: _Progress
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
    progress: _Progress,
) -> list[WindowStats] | None:
    heads = Heads(segments)
    cached: list[Span] = []
    to_read: list[Range] = []
    for window in layout.windows:
        spans, missing = cache.cover(window, heads, full_only=True)
        cached += spans
        to_read += missing
    circuit_spans, circuit_reads = cache.cover(layout.lookback, heads, full_only=False)

    lookback = layout.lookback[0]
    read_plan = Plan.build(sorted(to_read), MINUTE, lookback=lookback, bins=circuit_reads)
    tasks = plan_tasks(
        segments,
        workers=worker_count(),
        folds=cells.runs(to_read),
        circuits=cells.runs(circuit_reads),
    )
    folder, boundaries = run_tasks(read_plan, tasks, progress=progress.for_tasks(tasks))
    if folder.settle(boundaries):
        return None  # untimed lines no stamped line anchors: only a whole reading places them
    parts = folder.partials()
    outside = folder.outside_transitions()
    outside += [(name, t) for span in circuit_spans for name, t in span.part.circuit.items()]
    stats = assemble(plan, [*parts, *(span.part for span in cached)], outside, folder.notes)

    if not folder.notes:
        settled = _settled_before(segments)
        if settled is not None:
            marks = tuple(
                mark
                for mark in (heads.mark(index) for index in _read_segments(segments, tasks))
                if mark is not None
            )
            fresh = [Span(p.start, p.end, True, p, marks) for p in parts if p.end <= settled]
            fresh += [
                Span(
                    start,
                    end,
                    False,
                    Partial(start, end, circuit=folder.outside.get(start, {})),
                    marks,
                )
                for start, end in circuit_reads
                if end <= settled
            ]
            known = [*cached, *fresh]
            joined = _joined(layout.windows, known, full=True)
            joined += _joined([layout.lookback], [*circuit_spans, *fresh], full=False)
            cache.store([*fresh, *joined], keep_after=lookback - KEEP)
    return stats


def _joined(targets: Sequence[Range], known: Sequence[Span], *, full: bool) -> list[Span]:
    """One span for each target range, and each whole hour in it, that ``known`` spans of the
    right kind tile with more than one piece."""
    usable = [span for span in known if span.full or not full]
    by_bounds = {(span.start, span.end): span for span in sorted(usable, key=lambda s: s.full)}
    joined: list[Span] = []
    for target in targets:
        for wanted in [target, *cells.hours_within(target)]:
            tiles = cells.tiling(list(by_bounds), wanted)
            if tiles is None or len(tiles) == 1:
                continue
            pieces = [by_bounds[tile] for tile in tiles]
            part = merged([piece.part for piece in pieces])
            if not full:
                part = Partial(part.start, part.end, circuit=part.circuit)
            marks = tuple(sorted({mark for piece in pieces for mark in piece.marks}, key=str))
            joined.append(Span(wanted[0], wanted[1], full, part, marks))
    return joined


def _read_segments(segments: Sequence[Segment], tasks: Sequence[Task]) -> list[int]:
    read = {task.inode for task in tasks}
    return [index for index, segment in enumerate(segments) if segment.inode in read]


def _settled_before(segments: Sequence[Segment]) -> datetime | None:
    """Hours ending before this instant are complete: no line yet to come can fall in them.

    Under the disorder bound, a line written after the last lines of the log is stamped no
    earlier than ``MARGIN`` before them; the earliest of the last few stamps keeps one wild
    timestamp from moving the bound forward. None when the newest segment has no stamps at its
    end, or is compressed (its end cannot be read cheaply).
    """
    newest = segments[-1]
    if newest.compressed:
        return None
    start = max(0, newest.size - PROBE)
    data = os.pread(newest.fd, newest.size - start, start)
    lines = data.split(b"\n")
    if start > 0:
        lines = lines[1:]
    stamps = [at for at in map(stamp_of, reversed(lines[-4 * SAMPLE :])) if at is not None]
    if not stamps:
        return None
    return min(stamps[:SAMPLE]) - MARGIN
